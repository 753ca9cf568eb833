'use strict'
/*
 * Differential (issue #14 §3): the same messages, in the same order per partition, with the same
 * payload shapes, through kafkajs's consumer and through this package's, on the same broker.
 * The input has explicit CreateTime timestamps, so nothing in a message is non-deterministic.
 *
 * eachBatch boundaries are not compared: how many messages a fetch returns depends on the client
 * (kafkajs asks for maxBytesPerPartition, librdkafka pre-fetches into its queue). What is compared
 * is the concatenation of the batches per partition, and per batch the facts that hold for any
 * boundary (firstOffset() is its first message's offset, offsetLag() is highWatermark - 1 -
 * lastOffset(), ...), deduplicated.
 */
const {
  differential,
  makeFixture,
  consumerOf,
  committed,
  messageView,
  until,
  subject,
} = require('../helpers/consumer-harness')

const T0 = 1700000000000
const input = []
for (let i = 0; i < 30; i++) {
  const partition = i % 2
  const m = { partition, value: `value-${i}`, timestamp: String(T0 + i) }
  if (i % 3 === 0) m.key = `key-${i}`
  else if (i % 3 === 1) m.key = Buffer.from([0, 255, i])
  // else: no key (null)
  if (i % 5 === 4) m.value = null // tombstone
  if (i % 4 === 0) m.headers = { one: `h-${i}`, multi: ['first', Buffer.from('second')] }
  if (i === 7) m.value = '' // an empty value is a Buffer of length 0, not null
  input.push(m)
}
const perPartition = [15, 15]
const fixture = () => makeFixture({ partitions: 2, messages: input })

async function consumeAll(Kafka, ctx, run) {
  const consumer = consumerOf(Kafka, ctx)
  await consumer.connect()
  try {
    await consumer.subscribe({ topic: ctx.topic, fromBeginning: true })
    const { seen, done, running } = run(consumer)
    await running
    await until(`${input.length} messages`, done)
    await consumer.disconnect()
    return { seen, committed: await committed(ctx.groupId, ctx.topic) }
  } finally {
    await consumer.disconnect()
  }
}

describe(`the consumer delivers what kafkajs delivers (subject: ${subject.name})`, () => {
  test('eachMessage: the same messages, order per partition and payload fields', async () => {
    const { expected, actual } = await differential(
      (Kafka, ctx) =>
        consumeAll(Kafka, ctx, (consumer) => {
          const seen = [[], []]
          const shapes = new Set()
          let count = 0
          const running = consumer.run({
            eachMessage: async (payload) => {
              const { topic, partition, message } = payload
              shapes.add(
                JSON.stringify({
                  payload: Object.keys(payload).sort(),
                  topic,
                  heartbeat: typeof payload.heartbeat,
                  pause: typeof payload.pause,
                  key: message.key === null ? null : Buffer.isBuffer(message.key),
                  value: message.value === null ? null : Buffer.isBuffer(message.value),
                  offset: typeof message.offset,
                  timestamp: typeof message.timestamp,
                  attributes: typeof message.attributes,
                }),
              )
              seen[partition].push(messageView(partition, message))
              count++
            },
          })
          return { seen: { seen, shapes }, done: () => count >= input.length, running }
        }).then(({ seen, committed }) => ({
          messages: seen.seen,
          shapes: [...seen.shapes].map((s) => JSON.parse(s)),
          committed,
        })),
      fixture,
    )
    expect(actual).toEqual(expected)
    // The reference itself: what the comparison above holds the subject to.
    expect(expected.messages.map((p) => p.length)).toEqual(perPartition)
    expect(expected.messages[0][0]).toEqual({
      partition: 0,
      offset: '0',
      key: Buffer.from('key-0'),
      value: Buffer.from('value-0'),
      headers: { one: Buffer.from('h-0'), multi: [Buffer.from('first'), Buffer.from('second')] },
      timestamp: String(T0),
      attributes: 0,
    })
    expect(expected.messages[0][1]).toMatchObject({
      offset: '1',
      key: null,
      value: Buffer.from('value-2'),
      headers: {},
    })
    expect(expected.messages[0][2]).toMatchObject({ offset: '2', key: Buffer.from([0, 255, 4]), value: null })
    expect(expected.messages[1][3].value).toEqual(Buffer.alloc(0))
    expect(expected.committed).toEqual({ 0: '15', 1: '15' })
  })

  test('eachBatch: the same messages per partition; batch fields consistent with its messages', async () => {
    const { expected, actual } = await differential(
      (Kafka, ctx) =>
        consumeAll(Kafka, ctx, (consumer) => {
          const seen = [[], []]
          const facts = new Set()
          let count = 0
          const running = consumer.run({
            eachBatch: async (payload) => {
              const { batch } = payload
              const msgs = batch.messages
              const hw = BigInt(batch.highWatermark)
              facts.add(
                JSON.stringify({
                  payload: Object.keys(payload).sort(),
                  functions: Object.keys(payload)
                    .filter((k) => typeof payload[k] === 'function')
                    .sort(),
                  topic: batch.topic,
                  partition: typeof batch.partition,
                  highWatermark: batch.highWatermark === String(perPartition[batch.partition]),
                  isEmpty: batch.isEmpty(),
                  firstOffset: batch.firstOffset() === msgs[0].offset,
                  lastOffset: batch.lastOffset() === msgs[msgs.length - 1].offset,
                  offsetLag: batch.offsetLag() === String(hw - 1n - BigInt(batch.lastOffset())),
                  offsetLagLow: batch.offsetLagLow() === String(hw - 1n - BigInt(batch.firstOffset())),
                  isRunning: payload.isRunning(),
                  isStale: payload.isStale(),
                }),
              )
              for (const m of msgs) seen[batch.partition].push(messageView(batch.partition, m))
              count += msgs.length
            },
          })
          return { seen: { seen, facts }, done: () => count >= input.length, running }
        }).then(({ seen, committed }) => ({
          messages: seen.seen,
          facts: [...seen.facts].map((s) => JSON.parse(s)),
          committed,
        })),
      fixture,
    )
    expect(actual).toEqual(expected)
    expect(expected.messages.map((p) => p.length)).toEqual(perPartition)
    expect(expected.facts[0]).toMatchObject({
      highWatermark: true,
      isEmpty: false,
      firstOffset: true,
      lastOffset: true,
      offsetLag: true,
      offsetLagLow: true,
      isRunning: true,
      isStale: false,
    })
    expect(expected.committed).toEqual({ 0: '15', 1: '15' })
  })

  test('subscribe by RegExp: the same topics are consumed', async () => {
    const { expected, actual } = await differential(
      async (Kafka, ctx) => {
        const consumer = consumerOf(Kafka, ctx)
        await consumer.connect()
        try {
          // A RegExp that matches the first topic only (its name is unique), and the second by name.
          await consumer.subscribe({ topics: [new RegExp(`^${ctx.topics[0]}$`), ctx.topics[1]], fromBeginning: true })
          const got = {}
          await consumer.run({
            eachMessage: async ({ topic, partition, message }) => {
              got[topic] = [...(got[topic] || []), `${partition}/${message.offset}/${message.value}`]
            },
          })
          await until('4 messages', () => Object.values(got).flat().length >= 4)
          return got
        } finally {
          await consumer.disconnect()
        }
      },
      () =>
        makeFixture({
          topics: 2,
          messages: [
            { topicIndex: 0, value: 'a0', partition: 0 },
            { topicIndex: 0, value: 'a1', partition: 0 },
            { topicIndex: 1, value: 'b0', partition: 0 },
            { topicIndex: 1, value: 'b1', partition: 0 },
          ],
        }),
    )
    expect(actual).toEqual(expected)
    expect(expected).toEqual({ '<topic>': ['0/0/a0', '0/1/a1'], '<topic2>': ['0/0/b0', '0/1/b1'] })
  })
})
