'use strict'
/*
 * Test helpers: broker addresses, unique topics, topic creation and an independent read-back
 * (kafkajs's own consumer and admin client, never this package).
 */
const crypto = require('node:crypto')
const kafkajs = require('kafkajs')
require('./codecs').register()

const brokers = () => process.env.KAFKA_BROKERS.split(',')
const clusterBrokers = () => process.env.KAFKA_CLUSTER_BROKERS.split(',')

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

async function waitForLeaders(admin, topic, partitions, deadline = Date.now() + 30000) {
  for (;;) {
    try {
      const md = await admin.fetchTopicMetadata({ topics: [topic] })
      const ps = md.topics[0].partitions
      if (ps.length === partitions && ps.every((p) => p.leader >= 0)) return
    } catch (e) {
      if (Date.now() > deadline) throw e
    }
    if (Date.now() > deadline) throw new Error(`topic ${topic}: partitions have no leader after 30 s`)
    await new Promise((r) => setTimeout(r, 200))
  }
}

/**
 * Reads `count` messages of `topic` from the beginning with kafkajs's consumer (a fresh group).
 * Resolves with `[{ partition, offset, key, value, headers, timestamp }]` in arrival order;
 * rejects if fewer arrive within `timeout`. Waits `settle` ms more to catch extra messages.
 */
async function readBack(topic, count, { brokerList = brokers(), timeout = 30000, settle = 300 } = {}) {
  const consumer = referenceClient(brokerList).consumer({
    groupId: `reader-${crypto.randomBytes(6).toString('hex')}`,
    maxWaitTimeInMs: 100,
  })
  await consumer.connect()
  const got = []
  try {
    await consumer.subscribe({ topic, fromBeginning: true })
    let resolveDone
    const done = new Promise((r) => (resolveDone = r))
    await consumer.run({
      eachMessage: async ({ partition, message }) => {
        got.push({
          partition,
          offset: message.offset,
          key: message.key,
          value: message.value,
          headers: message.headers,
          timestamp: message.timestamp,
        })
        if (got.length >= count) resolveDone()
      },
    })
    let timer
    const timedOut = new Promise((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`read back ${got.length} of ${count} messages from ${topic} within ${timeout} ms`)),
        timeout,
      )
    })
    try {
      await Promise.race([done, timedOut])
    } finally {
      clearTimeout(timer)
    }
    if (settle > 0) await new Promise((r) => setTimeout(r, settle))
  } finally {
    await consumer.disconnect()
  }
  return got
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

module.exports = { brokers, clusterBrokers, uniqueTopic, createTopic, readBack, topicOffsets, referenceClient, kafkajs }
