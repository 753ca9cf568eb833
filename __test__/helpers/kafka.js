'use strict'
/*
 * Test helpers: broker addresses, unique topics, topic creation and an independent read-back
 * (kafkajs's own consumer and admin client, never this package).
 */
const crypto = require('node:crypto')
const kafkajs = require('kafkajs')
require('./codecs').register()
const { waitFor } = require('./wait')

/** The value of a variable global-setup sets; a clear failure when it is missing. */
function requiredEnv(name) {
  const value = process.env[name]
  if (!value) {
    throw new Error(
      `${name} is not set: the brokers were not started or named (KAFKA_NO_BROKERS=1 is for unit specs only; ` +
        'KAFKA_SKIP_CLUSTER=1 leaves the cluster specs without brokers). Run `node scripts/kafka/kafka.js start all`.',
    )
  }
  return value
}

const brokers = () => requiredEnv('KAFKA_BROKERS').split(',')
const clusterBrokers = () => requiredEnv('KAFKA_CLUSTER_BROKERS').split(',')

function uniqueTopic(prefix = 'test') {
  return `${prefix}-${Date.now().toString(36)}-${crypto.randomBytes(4).toString('hex')}`
}

function referenceClient(list = brokers()) {
  return new kafkajs.Kafka({ clientId: 'test-reference', brokers: list, logLevel: kafkajs.logLevel.NOTHING })
}

/** Creates a topic and waits for its leaders. */
async function createTopic({
  topic = uniqueTopic(),
  partitions = 1,
  replicationFactor = 1,
  configs = {},
  brokerList = brokers(),
} = {}) {
  const admin = referenceClient(brokerList).admin()
  await admin.connect()
  try {
    try {
      await admin.createTopics({
        waitForLeaders: true,
        topics: [
          {
            topic,
            numPartitions: partitions,
            replicationFactor,
            configEntries: Object.entries(configs).map(([name, value]) => ({ name, value: String(value) })),
          },
        ],
      })
    } catch (e) {
      // Created, but kafkajs asked a broker that did not know it yet (it retries only
      // LEADER_NOT_AVAILABLE): wait for every partition to have a leader ourselves.
      if (e.type !== 'UNKNOWN_TOPIC_OR_PARTITION') throw e
      await waitForLeaders(admin, topic, partitions)
    }
  } finally {
    await admin.disconnect()
  }
  return topic
}

function waitForLeaders(admin, topic, partitions) {
  return waitFor(
    async () => {
      const md = await admin.fetchTopicMetadata({ topics: [topic] })
      const ps = md.topics[0].partitions
      return ps.length === partitions && ps.every((p) => p.leader >= 0)
    },
    { timeout: 30000, interval: 200, ignoreErrors: true, what: `every partition of ${topic} to have a leader` },
  )
}

/**
 * Reads `topic` from the beginning with kafkajs's consumer (a fresh group, read_committed) until
 * it has consumed every partition up to its high watermark and has at least `count` messages;
 * so what it returns is everything the broker held, duplicates included, never a sample cut
 * short by a settle delay. The watermarks are fetched after the call (so after any send the
 * caller awaited) and fetched again while fewer than `count` messages arrived (acks=0 sends,
 * transaction markers not yet written). A partition's position is the offset after the last
 * record its fetches covered, control records and aborted messages included.
 *
 * Resolves with `{ messages, offsets }`: messages as `{ partition, offset, key, value, headers,
 * timestamp }` in arrival order, and the watermarks (`fetchTopicOffsets`) that were reached.
 * Rejects after `timeout` ms, naming how far each partition got.
 */
async function readToEnd(topic, { count = 0, brokerList = brokers(), timeout = 30000 } = {}) {
  const client = referenceClient(brokerList)
  const admin = client.admin()
  const consumer = client.consumer({
    groupId: `reader-${crypto.randomBytes(6).toString('hex')}`,
    maxWaitTimeInMs: 100,
  })
  const messages = []
  const positions = new Map()
  let crashed = null
  consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
    if (payload.topic !== topic) return
    const next = BigInt(payload.lastOffset) + 1n
    if (next > (positions.get(payload.partition) ?? -1n)) positions.set(payload.partition, next)
  })
  consumer.on(consumer.events.CRASH, ({ payload }) => {
    if (!payload.restart) crashed = payload.error // a crash kafkajs restarts from is not the end
  })
  let offsets = []
  const reached = () => offsets.every((p) => (positions.get(p.partition) ?? BigInt(p.low)) >= BigInt(p.high))
  try {
    await admin.connect()
    await consumer.connect()
    await consumer.subscribe({ topic, fromBeginning: true })
    await consumer.run({
      eachMessage: async ({ partition, message }) => {
        messages.push({
          partition,
          offset: message.offset,
          key: message.key,
          value: message.value,
          headers: message.headers,
          timestamp: message.timestamp,
        })
      },
    })
    offsets = await admin.fetchTopicOffsets(topic)
    await waitFor(
      async () => {
        if (crashed) throw new Error(`the reference consumer of ${topic} crashed: ${crashed.message}`)
        if (!reached()) return false
        if (messages.length >= count) return true
        try {
          offsets = await admin.fetchTopicOffsets(topic) // more may be on the way: look again
        } catch (e) {
          // A leader moving (a node just killed or restarted): NOT_LEADER..., ask again.
          if (!e.retriable && !(e.cause && e.cause.retriable)) throw e
        }
        return false
      },
      {
        timeout,
        interval: 50,
        what: () =>
          `reading ${topic} to its high watermarks: ${messages.length} messages of at least ${count}; ` +
          offsets
            .map((p) => `partition ${p.partition} at ${positions.get(p.partition) ?? p.low} of ${p.high}`)
            .join(', '),
      },
    )
  } finally {
    await consumer.disconnect()
    await admin.disconnect()
  }
  return { messages, offsets }
}

/**
 * The messages of `topic`, read up to the high watermarks (readToEnd): at least `count` of
 * them, and every one the broker holds, so a duplicate shows up in the result.
 */
async function readBack(topic, count, { brokerList = brokers(), timeout = 30000 } = {}) {
  return (await readToEnd(topic, { count, brokerList, timeout })).messages
}

/** Offsets per partition, high watermark (what the broker holds). */
async function topicOffsets(topic, brokerList = brokers()) {
  const admin = referenceClient(brokerList).admin()
  await admin.connect()
  try {
    return await admin.fetchTopicOffsets(topic)
  } finally {
    await admin.disconnect()
  }
}

module.exports = {
  requiredEnv,
  brokers,
  clusterBrokers,
  uniqueTopic,
  createTopic,
  readBack,
  readToEnd,
  topicOffsets,
  referenceClient,
  kafkajs,
}
