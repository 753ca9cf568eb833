'use strict'
/*
 * Differential tests: the same scenarios through kafkajs and through this package, on the same
 * broker, with the results compared.
 */
const crypto = require('node:crypto')
const ours = require('../..')
const { brokers, createTopic, readBack, kafkajs } = require('../helpers/kafka')

const clients = {
  kafkajs: () => new kafkajs.Kafka({ clientId: 'diff', brokers: brokers(), logLevel: kafkajs.logLevel.NOTHING }),
  ours: () => new ours.Kafka({ clientId: 'diff', brokers: brokers(), logLevel: ours.logLevel.NOTHING }),
}
const partitioners = { kafkajs: kafkajs.Partitioners, ours: ours.Partitioners }

describe('partitions of 10,000 keys on a 7-partition topic', () => {
  const keys = Array.from({ length: 10000 }, (_, i) =>
    i % 10 === 0 ? crypto.createHash('sha1').update(String(i)).digest() : `key-${i}-${'x'.repeat(i % 13)}`,
  )

  async function placement(name, partitioner) {
    const topic = await createTopic({ partitions: 7 })
    const producer = clients[name]().producer({ createPartitioner: partitioners[name][partitioner] })
    await producer.connect()
    try {
      for (let i = 0; i < keys.length; i += 1000) {
        await producer.send({
          topic,
          messages: keys.slice(i, i + 1000).map((key, j) => ({ key, value: String(i + j) })),
        })
      }
    } finally {
      await producer.disconnect()
    }
    const got = await readBack(topic, keys.length)
    const byIndex = new Array(keys.length)
    for (const m of got) byIndex[Number(m.value.toString())] = m.partition
    return byIndex
  }

  test.each(['DefaultPartitioner', 'LegacyPartitioner'])(
    '%s: every key lands where kafkajs puts it',
    async (partitioner) => {
      const [theirs, mine] = [await placement('kafkajs', partitioner), await placement('ours', partitioner)]
      const differing = theirs.map((p, i) => (p === mine[i] ? null : i)).filter((i) => i !== null)
      expect(differing).toEqual([])
      expect(new Set(mine).size).toBe(7)
    },
  )
})

describe('RecordMetadata and errors match kafkajs', () => {
  const run = async (name, scenario) => {
    const producer = clients[name]().producer()
    try {
      return await scenario(producer)
    } finally {
      await producer.disconnect().catch(() => {})
    }
  }

  test('RecordMetadata of a send across two partitions has the same shape and offsets', async () => {
    const results = {}
    for (const name of ['kafkajs', 'ours']) {
      const topic = await createTopic({ partitions: 2 })
      results[name] = await run(name, async (p) => {
        await p.connect()
        await p.send({ topic, messages: [{ value: 'a', partition: 1 }] })
        const r = await p.send({
          topic,
          messages: [
            { value: 'b', partition: 0 },
            { value: 'c', partition: 1 },
            { value: 'd', partition: 1 },
          ],
        })
        return r
          .map(({ topicName, ...rest }) => ({ ...rest, topicName: typeof topicName }))
          .sort((x, y) => x.partition - y.partition)
      })
    }
    // kafkajs reports the broker's logStartOffset; librdkafka does not expose it ('-1', documented).
    const strip = (rs) => rs.map(({ logStartOffset, ...rest }) => ({ ...rest, logStartOffset: typeof logStartOffset }))
    expect(strip(results.ours)).toEqual(strip(results.kafkajs))
    expect(results.ours.map((r) => r.baseOffset)).toEqual(['0', '1'])
  })

  // (A non-array `messages` makes kafkajs throw a TypeError from inside; this package answers with
  // a KafkaJSNonRetriableError instead: send.spec.js.)
  const badSends = [
    ['missing topic', { messages: [{ value: 'x' }] }],
    ['missing messages', { topic: 'diff-t' }],
    ['value undefined', { topic: 'diff-t', messages: [{ key: 'k' }] }],
  ]

  test.each(badSends)('%s: same error class and message', async (_what, record) => {
    const errs = {}
    for (const name of ['kafkajs', 'ours']) {
      errs[name] = await run(name, async (p) => {
        await p.connect()
        return p.send(record).catch((e) => ({ name: e.name, message: e.message, retriable: e.retriable }))
      })
    }
    expect(errs.ours).toEqual(errs.kafkajs)
  })

  test('send before connect: same error class and message', async () => {
    const errs = {}
    for (const name of ['kafkajs', 'ours'])
      errs[name] = await run(name, (p) =>
        p.send({ topic: 'diff-t', messages: [{ value: 'x' }] }).catch((e) => ({ name: e.name, message: e.message })),
      )
    expect(errs.ours).toEqual(errs.kafkajs)
  })

  test('idempotent producer with acks 1: same error', async () => {
    const errs = {}
    for (const name of ['kafkajs', 'ours']) {
      const p = clients[name]().producer({ idempotent: true })
      await p.connect()
      errs[name] = await p
        .send({ topic: 'diff-t', acks: 1, messages: [{ value: 'x' }] })
        .catch((e) => ({ name: e.name, message: e.message }))
      await p.disconnect()
    }
    expect(errs.ours).toEqual(errs.kafkajs)
  })

  test('idempotent producer without retries: same synchronous error', () => {
    const errs = {}
    for (const name of ['kafkajs', 'ours']) {
      try {
        clients[name]().producer({ idempotent: true, retry: { retries: 0 } })
      } catch (e) {
        errs[name] = { name: e.name, message: e.message }
      }
    }
    expect(errs.ours).toEqual(errs.kafkajs)
    expect(errs.ours).toBeDefined()
  })

  test("producer.events have the same names (kafkajs's are a subset of ours)", () => {
    const theirs = clients.kafkajs().producer().events
    expect(clients.ours().producer().events).toMatchObject(theirs)
  })

  test('the disconnected-after-disconnect error is the same', async () => {
    const errs = {}
    for (const name of ['kafkajs', 'ours']) {
      errs[name] = await run(name, async (p) => {
        await p.connect()
        await p.disconnect()
        return p
          .send({ topic: 'diff-t', messages: [{ value: 'x' }] })
          .catch((e) => ({ name: e.name, message: e.message }))
      })
    }
    expect(errs.ours).toEqual(errs.kafkajs)
  })
})
