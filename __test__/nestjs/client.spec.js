'use strict'
/*
 * @nestjs/microservices clients producing with kafka-napi: the KafkaNapiClient customClass,
 * and Nest's own ClientKafka with 'kafkajs' resolved to this package (the npm alias route).
 */
const path = require('node:path')
const { Test } = require('@nestjs/testing')
const { ClientsModule } = require('@nestjs/microservices')
const { lastValueFrom } = require('rxjs')
const { Kafka, CompressionTypes, logLevel } = require('../..')
const { KafkaNapiClient } = require('../../nestjs')
const { brokers, createTopic, readBack } = require('../helpers/kafka')
const { runChild } = require('./helpers/child')

const values = (messages) => messages.map((m) => m.value.toString())

describe('KafkaNapiClient (ClientsModule customClass)', () => {
  let app
  let client
  const statuses = []
  const send = { acks: -1, timeout: 10000, compression: CompressionTypes.GZIP }

  beforeAll(async () => {
    app = await Test.createTestingModule({
      imports: [
        ClientsModule.register([
          {
            name: 'EVENTS',
            customClass: KafkaNapiClient,
            options: {
              client: { clientId: 'nest-client-spec', brokers: brokers(), logLevel: logLevel.NOTHING },
              producer: { idempotent: true },
              send,
            },
          },
        ]),
      ],
    }).compile()
    await app.init()
    client = app.get('EVENTS')
    client.status.subscribe((s) => statuses.push(s))
    await client.connect()
  })
  afterAll(() => app && app.close())

  test('emit yields RecordMetadata[]; an object is sent JSON-stringified with options.send applied', async () => {
    const topic = await createTopic()
    const spy = jest.spyOn(client.producer, 'send')
    try {
      const meta = await lastValueFrom(client.emit(topic, { id: 7, email: 'ada@example.com' }))
      expect(meta).toEqual([
        { topicName: topic, partition: 0, errorCode: 0, baseOffset: '0', logAppendTime: '-1', logStartOffset: '-1' },
      ])
      expect(spy).toHaveBeenCalledWith({
        topic,
        messages: [{ value: '{"id":7,"email":"ada@example.com"}', headers: {} }],
        ...send,
      })
    } finally {
      spy.mockRestore()
    }
    const [m] = await readBack(topic, 1)
    expect(m.key).toBeNull()
    expect(JSON.parse(m.value.toString())).toEqual({ id: 7, email: 'ada@example.com' })
  })

  test("serializes as Nest's KafkaRequestSerializer: kafka messages pass through, anything else becomes { value }", async () => {
    const topic = await createTopic()
    await lastValueFrom(client.emit(topic, { key: 'user-1', value: { id: 1 }, headers: { trace: 't-1' } }))
    await lastValueFrom(client.emit(topic, 'plain text'))
    await lastValueFrom(client.emit(topic, [1, 2, 3]))
    await lastValueFrom(client.emit(topic, 42))
    const got = await readBack(topic, 4)
    expect(got[0].key.toString()).toBe('user-1')
    expect(got[0].headers.trace.toString()).toBe('t-1')
    expect(values(got)).toEqual(['{"id":1}', 'plain text', '[1,2,3]', '42'])
  })

  test('emit is hot: the event is sent without a subscriber', async () => {
    const topic = await createTopic()
    client.emit(topic, 'nobody subscribed')
    expect(values(await readBack(topic, 1))).toEqual(['nobody subscribed'])
  })

  test('emitBatch sends every message in one send', async () => {
    const topic = await createTopic()
    const meta = await lastValueFrom(client.emitBatch(topic, { messages: [{ key: 'a', value: 'first' }, { n: 2 }] }))
    expect(meta).toMatchObject([{ topicName: topic, partition: 0, errorCode: 0, baseOffset: '0' }])
    expect(values(await readBack(topic, 2))).toEqual(['first', '{"n":2}'])
  })

  test("send() for a pattern whose replies were not subscribed fails as ClientKafka's (no consumer was created)", async () => {
    await expect(lastValueFrom(client.send('orders.get', { id: 1 }))).rejects.toThrow(
      'The client consumer did not subscribe to the corresponding reply topic (orders.get.reply).',
    )
    expect(() => client.consumer).toThrow('No consumer initialized')
  })

  test('unwrap() is the kafka-napi Kafka client, status follows the producer', () => {
    expect(client.unwrap()).toBeInstanceOf(Kafka)
    expect(statuses).toEqual(['connected'])
  })

  test('close() delivers every emit issued before it, called directly (twice at once) or by app.close()', async () => {
    const topic = await createTopic()
    const own = await Test.createTestingModule({
      imports: [
        ClientsModule.register([
          {
            name: 'FLUSH',
            customClass: KafkaNapiClient,
            options: { client: { brokers: brokers(), logLevel: logLevel.NOTHING } },
          },
        ]),
      ],
    }).compile()
    await own.init()
    const c = own.get('FLUSH')
    const results = []
    const emitMany = (from, n) => {
      for (let i = from; i < from + n; i++) c.emit(topic, { i }).subscribe((meta) => results.push(meta))
    }
    emitMany(0, 250) // not connected yet: the first emit connects
    // Two closes at once: both wait for the same emits, and both return.
    await Promise.all([c.close(), c.close()])
    expect(results).toHaveLength(250)
    expect(() => c.producer).toThrow('No producer initialized')
    emitMany(250, 250) // connects again
    await own.close()
    expect(results).toHaveLength(500)
    expect(new Set(values(await readBack(topic, 500))).size).toBe(500)
  })
})

describe("ClientKafka (Transport.KAFKA) with 'kafkajs' resolved to kafka-napi", () => {
  test('emit goes through the kafka-napi producer and the event reads back', async () => {
    const topic = await createTopic()
    const result = await runChild(path.join(__dirname, 'helpers/client-kafka-alias.scenario.js'), { TOPIC: topic })
    expect(result).toEqual({
      clientClass: 'ClientKafka',
      producerIsKafkaNapi: true,
      kafkajsLoaded: false,
      sends: 1,
      metadata: [
        { topicName: topic, partition: 0, errorCode: 0, baseOffset: '0', logAppendTime: '-1', logStartOffset: '-1' },
      ],
    })
    const [m] = await readBack(topic, 1)
    expect(JSON.parse(m.value.toString())).toEqual({ user: 'ada', action: 'signed-up' })
  })
})
