'use strict'
/*
 * Hostile inputs at the JS/native boundary: each gets a typed error or is handled, and none
 * crashes, hangs or corrupts later sends.
 */
const { Kafka, logLevel, KafkaJSError, KafkaJSProtocolError, KafkaJSConnectionError } = require('../..')
const { brokers, createTopic, readBack, topicOffsets } = require('../helpers/kafka')

const kafka = (extra = {}) =>
  new Kafka({ clientId: 'hostile', brokers: brokers(), logLevel: logLevel.NOTHING, ...extra })

describe('hostile inputs', () => {
  let producer
  let topic
  beforeAll(async () => {
    producer = kafka().producer()
    await producer.connect()
    topic = await createTopic()
  })
  afterAll(() => producer.disconnect())

  // Each case is followed by a normal send that must land: nothing corrupts later sends.
  const sent = []
  afterEach(async () => {
    const value = `after-${sent.length}`
    await producer.send({ topic, messages: [{ value }] })
    sent.push(value)
  })
  // biome-ignore lint/suspicious/noDuplicateTestHooks: the read-back check belongs with the afterEach that fills `sent`
  afterAll(async () => {
    expect((await readBack(topic, sent.length)).map((m) => m.value.toString())).toEqual(sent)
  })

  test('a message past the client limit (message.max.bytes) is refused locally as MESSAGE_TOO_LARGE', async () => {
    const err = await producer.send({ topic, messages: [{ value: Buffer.alloc(5 * 1024 * 1024) }] }).catch((e) => e)
    expect(err).toBeInstanceOf(KafkaJSProtocolError)
    expect(err.type).toBe('MESSAGE_TOO_LARGE')
  })

  test('100,000 headers on one message are accepted and stored; 3,000 read back intact', async () => {
    const big = await createTopic()
    const many = {}
    for (let i = 0; i < 100000; i++) many[`h${i}`] = 'v'
    const [r] = await producer.send({ topic: big, messages: [{ value: 'many headers', headers: many }] })
    expect(r.baseOffset).toBe('0')
    expect((await topicOffsets(big))[0].high).toBe('1')
    // kafkajs's decoder is quadratic in the header count, so the byte-for-byte check uses fewer.
    const t = await createTopic()
    const headers = {}
    for (let i = 0; i < 3000; i++) headers[`h${i}`] = String(i % 10)
    await producer.send({ topic: t, messages: [{ value: 'many headers', headers }] })
    const [m] = await readBack(t, 1)
    const names = Object.keys(m.headers)
    expect(names.length).toBe(3000)
    expect(names.every((n) => m.headers[n].toString() === String(Number(n.slice(1)) % 10))).toBe(true)
  })

  test('a deeply nested object as value is refused with a typed error', async () => {
    let deep = {}
    for (let i = 0; i < 10000; i++) deep = { deep }
    const err = await producer.send({ topic, messages: [{ value: deep }] }).catch((e) => e)
    expect(err).toBeInstanceOf(KafkaJSError)
    expect(err.message).toMatch(/Invalid message value/)
  })

  test('a Buffer detached right after send() returns does not change what was sent', async () => {
    const t = await createTopic()
    const ab = new ArrayBuffer(16)
    const value = Buffer.from(ab)
    value.fill(7)
    const pending = producer.send({ topic: t, messages: [{ value }] })
    structuredClone(ab, { transfer: [ab] }) // detaches the buffer behind `value`
    expect(value.length).toBe(0)
    await pending
    const [m] = await readBack(t, 1)
    expect([...m.value]).toEqual(new Array(16).fill(7))
  })

  test('a Buffer overwritten right after send() returns does not change what was sent', async () => {
    const t = await createTopic()
    const value = Buffer.from('original')
    const pending = producer.send({ topic: t, messages: [{ value }] })
    value.write('mutated!')
    await pending
    expect((await readBack(t, 1))[0].value.toString()).toBe('original')
  })
})

describe('hostile configuration', () => {
  test('a brokers function that never resolves fails connect within the connection bound', async () => {
    const p = new Kafka({
      brokers: () => new Promise(() => {}),
      connectionTimeout: 200,
      authenticationTimeout: 300,
      logLevel: logLevel.NOTHING,
    }).producer()
    const err = await p.connect().catch((e) => e)
    expect(err).toBeInstanceOf(KafkaJSConnectionError)
    expect(err.message).toMatch(/no answer within 500 ms/)
  })

  test('a brokers function that returns garbage fails connect with a typed error', async () => {
    const p = new Kafka({ brokers: () => [42, null], logLevel: logLevel.NOTHING }).producer()
    const err = await p.connect().catch((e) => e)
    expect(err).toBeInstanceOf(KafkaJSError)
    expect(err.message).toMatch(/^Failed to connect: brokers must be a non-empty array/)
  })

  test('a logCreator whose log function throws on every line: the producer works', async () => {
    const t = await createTopic()
    const write = process.stderr.write
    process.stderr.write = () => true
    try {
      const p = new Kafka({
        brokers: brokers(),
        logLevel: logLevel.DEBUG,
        logCreator: () => () => {
          throw new Error('log sink down')
        },
      }).producer()
      await p.connect()
      await p.send({ topic: t, messages: [{ value: 'logged badly' }] })
      await p.disconnect()
    } finally {
      process.stderr.write = write
    }
    expect((await readBack(t, 1))[0].value.toString()).toBe('logged badly')
  })
})
