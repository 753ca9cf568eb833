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

module.exports = { id: 'platformatic', label: '@platformatic/kafka', create }
