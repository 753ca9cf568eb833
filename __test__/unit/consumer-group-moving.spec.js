'use strict'
/*
 * A commit refused because the group moved on (librdkafka's mock cluster answering OffsetCommit
 * with ILLEGAL_GENERATION, UNKNOWN_MEMBER_ID, REBALANCE_IN_PROGRESS or NOT_COORDINATOR), as
 * happens while a coordinator's broker dies and the group re-forms elsewhere. librdkafka rejoins
 * the group by itself; the consumer must keep going, as kafkajs does (it rejoins on these), not
 * crash: ILLEGAL_GENERATION and UNKNOWN_MEMBER_ID are not retriable, and a crash on a
 * non-retriable error does not restart, so the member stopped for good and its group stalled
 * (the 3-node fault spec, after its coordinator kill). Seen failing before the change.
 */
const { Kafka, MockCluster, logLevel } = require('../..')
const { waitFor } = require('../helpers/wait')

let mock
beforeEach(() => {
  mock = new MockCluster({ brokers: 1 })
})
afterEach(() => mock.close())

/**
 * 10 messages on topic `t`, OffsetCommit refused three times with `code`, and a consumer run with
 * `handler(seen)`'s run options: resolves once all 10 are handled, fails on any CRASH.
 */
async function consumeWhileCommitsRefused(code, groupId, handler) {
  mock.createTopic('t')
  const kafka = new Kafka({ brokers: mock.brokers, logLevel: logLevel.NOTHING })
  const producer = kafka.producer()
  await producer.connect()
  await producer.send({ topic: 't', messages: Array.from({ length: 10 }, (_, i) => ({ value: String(i) })) })
  await producer.disconnect()

  const consumer = kafka.consumer({ groupId, heartbeatInterval: 100, sessionTimeout: 6000 })
  const crashes = []
  consumer.on(consumer.events.CRASH, ({ payload }) => crashes.push(payload))
  const seen = new Set()
  mock.failOffsetCommitRequests(code, code, code)
  await consumer.connect()
  await consumer.subscribe({ topic: 't', fromBeginning: true })
  // A commit after every message (autoCommitThreshold 1).
  await consumer.run({ autoCommitThreshold: 1, ...handler(seen) })
  try {
    await waitFor(
      () => {
        if (crashes.length > 0) throw new Error(`crashed: ${crashes[0].error.name}: ${crashes[0].error.message}`)
        return seen.size === 10
      },
      { what: () => `the 10 messages (${seen.size} handled)`, timeout: 50000 },
    )
  } finally {
    await consumer.disconnect()
  }
  expect(crashes).toEqual([])
}

test.each([
  [22, 'ILLEGAL_GENERATION'],
  [25, 'UNKNOWN_MEMBER_ID'],
  [27, 'REBALANCE_IN_PROGRESS'],
  [16, 'NOT_COORDINATOR'],
])(
  'a commit refused with %i (%s) within eachMessage: no crash, every message handled',
  (code) =>
    consumeWhileCommitsRefused(code, `g-${code}`, (seen) => ({
      eachMessage: async ({ message }) => seen.add(message.value.toString()),
    })),
  90000,
)

test.each([
  [22, 'ILLEGAL_GENERATION'],
  [25, 'UNKNOWN_MEMBER_ID'],
])(
  "a commit refused with %i (%s) from eachBatch's commitOffsetsIfNecessary: no crash, every message handled",
  // The refused commit escapes the app's handler: it is the commit's error, not the handler's.
  (code) =>
    consumeWhileCommitsRefused(code, `gb-${code}`, (seen) => ({
      eachBatch: async ({ batch, resolveOffset, commitOffsetsIfNecessary }) => {
        for (const message of batch.messages) {
          seen.add(message.value.toString())
          resolveOffset(message.offset)
          await commitOffsetsIfNecessary()
        }
      },
    })),
  90000,
)
