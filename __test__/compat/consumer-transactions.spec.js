'use strict'
/*
 * Differential (issue #14 §3): consume-transform-produce exactly once. The consumer (autoCommit
 * off) hands each input message to a transaction of a transactional producer of the same library:
 * the transformed output, `sendOffsets` of the input's next offset to the consumer's group,
 * commit. The transaction for partition 0's offset 3 is aborted once (its output is written, then
 * aborted) and the handler throws, so the message is retried in a new transaction.
 *
 * Read back with kafkajs's read_committed consumer (readToEnd): every input transformed exactly
 * once, in input order per partition, the aborted output invisible; the group's committed offsets
 * are the input's end. A read_uncommitted reader proves the aborted output was written.
 */
const crypto = require('node:crypto')
const {
  differential,
  makeFixture,
  consumerOf,
  client,
  committed,
  until,
  settle,
  subject,
} = require('../helpers/consumer-harness')
const { readToEnd, referenceClient, uniqueTopic } = require('../helpers/kafka')
const { waitFor } = require('../helpers/wait')

const N = 10 // per partition
const input = Array.from({ length: 2 * N }, (_, i) => ({ partition: i % 2, value: `in-${i % 2}-${i >> 1}` }))
// The input topic gets the messages; the second topic is the output.
const fixture = () => makeFixture({ partitions: 2, topics: 2, messages: input })

/** Every value of `topic` read with read_uncommitted (kafkajs), at least `count` of them. */
async function readUncommitted(topic, count) {
  const consumer = referenceClient().consumer({
    groupId: `uncommitted-${crypto.randomBytes(6).toString('hex')}`,
    readUncommitted: true,
    maxWaitTimeInMs: 100,
  })
  const values = []
  await consumer.connect()
  try {
    await consumer.subscribe({ topic, fromBeginning: true })
    await consumer.run({
      eachMessage: async ({ message }) => {
        values.push(message.value.toString())
      },
    })
    await waitFor(() => values.length >= count, { timeout: 30000, what: `${count} uncommitted messages of ${topic}` })
  } finally {
    await consumer.disconnect()
  }
  return values
}

describe(`consume-transform-produce with transactions matches kafkajs (subject: ${subject.name})`, () => {
  test('every input is transformed exactly once; the aborted attempt is invisible to read_committed', async () => {
    const { expected, actual } = await differential(async (Kafka, ctx) => {
      const [inTopic, outTopic] = ctx.topics
      const producer = client(Kafka, ctx.brokers).producer({
        transactionalId: uniqueTopic('ctp-txn'),
        idempotent: true,
        maxInFlightRequests: 1,
      })
      const consumer = consumerOf(Kafka, ctx, { readUncommitted: false, retry: { initialRetryTime: 100, retries: 5 } })
      let done = 0
      let aborted = 0
      await producer.connect()
      await consumer.connect()
      try {
        await consumer.subscribe({ topic: inTopic, fromBeginning: true })
        await consumer.run({
          autoCommit: false,
          eachMessage: async ({ topic, partition, message }) => {
            const transaction = await producer.transaction()
            try {
              const abortThisOne = partition === 0 && message.offset === '3' && aborted === 0
              await transaction.send({
                topic: outTopic,
                messages: [{ partition, value: `${abortThisOne ? 'aborted' : 'out'}:${message.value}` }],
              })
              await transaction.sendOffsets({
                consumerGroupId: ctx.groupId,
                topics: [{ topic, partitions: [{ partition, offset: String(BigInt(message.offset) + 1n) }] }],
              })
              if (abortThisOne) {
                aborted++
                throw new Error('abort this transaction; the message is retried')
              }
              await transaction.commit()
              done++
            } catch (e) {
              if (transaction.isActive()) await transaction.abort()
              throw e
            }
          },
        })
        await until(`${input.length} committed transactions`, () => done === input.length)
      } finally {
        await settle(consumer.disconnect(), 30000, 'consumer disconnect')
        await settle(producer.disconnect(), 30000, 'producer disconnect')
      }
      const { messages } = await readToEnd(outTopic, { count: input.length })
      const output = { 0: [], 1: [] }
      for (const m of messages) output[m.partition].push(m.value.toString())
      const uncommitted = await readUncommitted(outTopic, input.length + 1)
      return {
        output,
        committed: await committed(ctx.groupId, inTopic),
        abortedWritten: uncommitted.filter((v) => v.startsWith('aborted')),
        abortedAttempts: aborted,
      }
    }, fixture)
    expect(actual).toEqual(expected)
    const outs = (p) => Array.from({ length: N }, (_, i) => `out:in-${p}-${i}`)
    expect(expected).toEqual({
      output: { 0: outs(0), 1: outs(1) },
      committed: { 0: String(N), 1: String(N) },
      abortedWritten: ['aborted:in-0-3'],
      abortedAttempts: 1,
    })
  })
})
