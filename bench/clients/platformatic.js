'use strict'
// @platformatic/kafka (pure JS, ESM). acks per send. 1.35.0 is the newest release that
// supports Node 20 (2.x requires Node >= 22.22). Its default partitioner hashes keys with murmur2
// but keeps the hash unsigned (`>>> 0`), which places some keys on other partitions than Java,
// kafkajs and librdkafka's murmur2_random; its own `compatibilityPartitioner` (`& 0x7fffffff`)
// is the Java-compatible one, so W4 places every key where the other clients do.
const { memo, versionOf } = require('./util')

async function create({ brokers, topic }) {
  const { Producer, compatibilityPartitioner } = await import('@platformatic/kafka')
  const producer = new Producer({
    clientId: 'bench',
    bootstrapBrokers: brokers.split(','),
    autocreateTopics: false,
    partitioner: compatibilityPartitioner,
  })
  const batch = memo((values) => values.map((value) => ({ topic, value })))
  // The topic is part of each message: one memo per topic.
  const keyedByTopic = new Map()
  const keyed = (to, group) => {
    if (!keyedByTopic.has(to))
      keyedByTopic.set(
        to,
        memo(({ keys, values }) => keys.map((key, i) => ({ topic: to, key, value: values[i] }))),
      )
    return keyedByTopic.get(to)(group)
  }
  return {
    version: versionOf('@platformatic/kafka'),
    settings:
      'defaults (Buffer values, no serializers, not idempotent), compatibilityPartitioner (Java-compatible murmur2); acks per send',
    connect: () => producer.metadata({ topics: [topic] }),
    sendOne: (value, acks) => producer.send({ acks, messages: [{ topic, value }] }),
    sendBatch: (values, acks) => producer.send({ acks, messages: batch(values) }),
    sendKeyed: (to, group, acks) => producer.send({ acks, messages: keyed(to, group) }),
    disconnect: () => producer.close(),
  }
}

/**
 * Its `Consumer`: `consume()` joins the group and returns a stream of messages (its only way to
 * receive them; it has no batch handler, so C2 reads the same stream as C1). `mode: 'committed'`
 * with `fallbackMode: 'earliest'` is kafkajs's fromBeginning for a new group (its default mode is
 * 'latest'). Defaults otherwise (autocommit on).
 */
async function createConsumer({ brokers, topic, groupId }) {
  const { Consumer } = await import('@platformatic/kafka')
  const consumer = new Consumer({ clientId: 'bench', bootstrapBrokers: brokers.split(','), groupId })
  await consumer.metadata({ topics: [topic] })
  let stream = null
  return {
    settings:
      "defaults, Buffer values; consume({ mode: 'committed', fallbackMode: 'earliest' }), a 'data' listener (no batch API: C2 as C1)",
    start: async (onMessages) => {
      stream = await consumer.consume({ topics: [topic], mode: 'committed', fallbackMode: 'earliest' })
      stream.on('data', (message) => onMessages(1, message.value.length))
    },
    close: async () => {
      if (stream) await stream.close()
      await consumer.close()
    },
  }
}

module.exports = { id: 'platformatic', label: '@platformatic/kafka', create, createConsumer }
