'use strict'
/*
 * A handler still running when disconnect() (or stop()) is called commits its own offsets: Nest's
 * app.close() disconnects the consumer while a handler that commits by hand
 * (KafkaContext#getConsumer().commitOffsets) is in flight. Run on kafkajs and on kafka-napi, the
 * committed offset read back with kafkajs's admin.
 */
const crypto = require('node:crypto')
const kafkajs = require('kafkajs')
const kafkaNapi = require('../..')
const { brokers, createTopic, referenceClient } = require('../helpers/kafka')
const { waitFor } = require('../helpers/wait')

async function committed(groupId, topic) {
  const admin = referenceClient().admin()
  await admin.connect()
  try {
    const [entry] = await admin.fetchOffsets({ groupId, topics: [topic] })
    return entry.partitions.find((p) => p.partition === 0).offset
  } finally {
    await admin.disconnect()
  }
}

/**
 * A consumer of a new topic holding one message, whose handler has started on it and waits for
 * `release()`, then runs `afterRelease(payload)` (the handler's own commit, say).
 * `kafka` is added to the client's config, `run` to run()'s.
 */
async function blockedConsumer(Lib, { kafka = {}, run = {}, afterRelease = async () => {} } = {}) {
  const topic = await createTopic()
  const producer = referenceClient().producer()
  await producer.connect()
  await producer.send({ topic, messages: [{ value: 'one' }] })
  await producer.disconnect()
  const groupId = `stopcommit-${crypto.randomBytes(6).toString('hex')}`
  const consumer = new Lib.Kafka({ clientId: 'stop-commit', brokers: brokers(), logLevel: 0, ...kafka }).consumer({
    groupId,
    maxWaitTimeInMs: 100,
  })
  let entered = false
  let release
  const released = new Promise((r) => (release = r))
  await consumer.connect()
  await consumer.subscribe({ topic, fromBeginning: true })
  await consumer.run({
    ...run,
    eachMessage: async (payload) => {
      entered = true
      await released
      await afterRelease(payload)
    },
  })
  await waitFor(() => entered, { what: 'the handler to start', timeout: 60000 })
  return { consumer, topic, groupId, release }
}

async function scenario(Lib, end) {
  let outcome = null
  const { consumer, topic, groupId, release } = await blockedConsumer(Lib, {
    run: { autoCommit: false },
    afterRelease: async ({ partition, message }) => {
      const offset = String(Number(message.offset) + 1)
      outcome = await consumer.commitOffsets([{ topic, partition, offset }]).then(
        () => 'committed',
        (e) => `${e.name}: ${e.message}`,
      )
    },
  })
  const ending = end === 'stop' ? consumer.stop() : consumer.disconnect()
  release()
  await ending
  if (end === 'stop') await consumer.disconnect()
  return { outcome, committed: await committed(groupId, topic) }
}

describe.each([
  // kafkajs resolves the commit without making it once its runner stopped (the next owner sees
  // the message again); kafka-napi commits it.
  ['kafkajs', kafkajs, '-1'],
  ['kafka-napi', kafkaNapi, '1'],
])('%s', (_name, Lib, expected) => {
  test.each(['disconnect', 'stop'])('a handler in flight during %s() can commit its offset', async (end) => {
    expect(await scenario(Lib, end)).toEqual({ outcome: 'committed', committed: expected })
  })
})

test.each([
  ['kafkajs', kafkajs],
  ['kafka-napi', kafkaNapi],
])('%s: disconnect() right after an unawaited stop() keeps the handled message committed', async (_name, Lib) => {
  // autoCommit: the handled message is committed by the run's end, which disconnect waits for,
  // and by stop's leaving the group (nothing warned: it was not closed under stop).
  const warnings = []
  const logCreator =
    () =>
    ({ log }) =>
      warnings.push(log.message)
  const { consumer, topic, groupId, release } = await blockedConsumer(Lib, {
    kafka: { logLevel: Lib.logLevel.WARN, logCreator },
  })
  const stopping = consumer.stop()
  const disconnecting = consumer.disconnect()
  release()
  await Promise.all([stopping, disconnecting])
  expect(await committed(groupId, topic)).toBe('1')
  expect(warnings).toEqual([])
})

test('kafka-napi: stop() with a handler in flight leaves the group on its revocation (no poll of the ended run takes it)', async () => {
  const warnings = []
  const logCreator =
    () =>
    ({ log }) =>
      warnings.push(log.message)
  const { consumer, release } = await blockedConsumer(kafkaNapi, {
    kafka: { logLevel: kafkaNapi.logLevel.WARN, logCreator },
  })
  const stopping = consumer.stop()
  release()
  await stopping
  await consumer.disconnect()
  expect(warnings.filter((m) => m.startsWith('Leaving the group'))).toEqual([])
})
