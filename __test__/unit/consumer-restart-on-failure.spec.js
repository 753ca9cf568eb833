'use strict'
/*
 * kafkajs's `retry.restartOnFailure(error)`: after a crash whose cause is retriable, the consumer
 * asks it whether to restart; `false` keeps it down, a function that throws counts as `true`, and
 * a non-retriable crash never asks. And a consumer the app disconnects while a crash is being
 * decided stays down (kafkajs's own crash path would restart it after that disconnect). On
 * librdkafka's mock cluster; the handler fails on purpose.
 */
const { Kafka, MockCluster, KafkaJSError, logLevel } = require('../..')
const { waitFor } = require('../helpers/wait')

let mock
let consumer
beforeEach(() => {
  mock = new MockCluster({ brokers: 1 })
})
afterEach(async () => {
  if (consumer) await consumer.disconnect().catch(() => {})
  consumer = null
  mock.close()
})

/**
 * One message on a new topic, read by a consumer whose handler always throws `makeError()`;
 * `restartOnFailure` as given. Resolves the CRASH events, the GROUP_JOIN count and the calls.
 */
async function crashing(makeError, restartOnFailure) {
  mock.createTopic('t')
  const kafka = new Kafka({ brokers: mock.brokers, logLevel: logLevel.NOTHING })
  const producer = kafka.producer()
  await producer.connect()
  await producer.send({ topic: 't', messages: [{ value: 'boom' }] })
  await producer.disconnect()
  const calls = []
  const seen = { crashes: [], joins: 0, calls }
  consumer = kafka.consumer({
    groupId: `g-${Date.now()}-${Math.random()}`,
    // The mock coordinator lets a closed member's session run out before the restarted one joins.
    sessionTimeout: 6000,
    retry: {
      retries: 0,
      initialRetryTime: 50,
      restartOnFailure:
        restartOnFailure &&
        (async (e) => {
          calls.push(e)
          return restartOnFailure(e)
        }),
    },
  })
  consumer.on(consumer.events.CRASH, (e) => seen.crashes.push(e.payload))
  consumer.on(consumer.events.GROUP_JOIN, () => seen.joins++)
  await consumer.connect()
  await consumer.subscribe({ topic: 't', fromBeginning: true })
  await consumer.run({
    eachMessage: async () => {
      throw makeError()
    },
  })
  return seen
}

test('a retriable crash asks restartOnFailure with the error; false keeps the consumer down', async () => {
  const seen = await crashing(
    () => new KafkaJSError('handler failed', { retriable: true }),
    () => false,
  )
  await waitFor(() => seen.crashes.length === 1, { what: 'the CRASH event' })
  expect(seen.crashes[0].restart).toBe(false)
  expect(seen.calls).toHaveLength(1)
  expect(seen.calls[0]).toBe(seen.crashes[0].error)
  expect(seen.calls[0].name).toBe('KafkaJSNumberOfRetriesExceeded')
  expect(consumer.toJSON().state).toBe('disconnected')
})

test('a restartOnFailure that throws counts as yes: the consumer restarts and joins again', async () => {
  const seen = await crashing(
    () => new KafkaJSError('handler failed', { retriable: true }),
    () => {
      throw new Error('restartOnFailure itself failed')
    },
  )
  await waitFor(() => seen.crashes.length >= 1 && seen.joins >= 2, { what: 'a CRASH, then a second GROUP_JOIN' })
  expect(seen.crashes[0].restart).toBe(true)
  expect(seen.calls.length).toBeGreaterThanOrEqual(1)
})

test('a non-retriable crash does not restart and never asks restartOnFailure', async () => {
  const seen = await crashing(
    () => new TypeError('a bug in the handler'),
    () => true,
  )
  await waitFor(() => seen.crashes.length === 1, { what: 'the CRASH event' })
  expect(seen.crashes[0].restart).toBe(false)
  expect(seen.calls).toHaveLength(0)
})

test('disconnect() while restartOnFailure decides: the consumer stays down (restart false)', async () => {
  let decide
  const decision = new Promise((resolve) => {
    decide = resolve
  })
  const seen = await crashing(
    () => new KafkaJSError('handler failed', { retriable: true }),
    () => decision,
  )
  await waitFor(() => seen.calls.length === 1, { what: 'the restartOnFailure call' })
  await consumer.disconnect()
  decide(true)
  await waitFor(() => seen.crashes.length === 1, { what: 'the CRASH event' })
  expect(seen.crashes[0].restart).toBe(false)
  expect(consumer.toJSON().state).toBe('disconnected')
})
