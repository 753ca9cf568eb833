'use strict'
// @platformatic/kafka (pure JS, ESM). acks per send. 1.35.0 is the newest release that
// supports Node 20 (2.x requires Node >= 22.22).
const { memo, versionOf } = require('./util')

async function create({ brokers, topic }) {
  const { Producer } = await import('@platformatic/kafka')
  const producer = new Producer({ clientId: 'bench', bootstrapBrokers: brokers.split(','), autocreateTopics: false })
  const batch = memo((values) => values.map((value) => ({ topic, value })))
  return {
    version: versionOf('@platformatic/kafka'),
    settings: 'defaults (Buffer values, no serializers, not idempotent); acks per send',
    connect: () => producer.metadata({ topics: [topic] }),
    sendOne: (value, acks) => producer.send({ acks, messages: [{ topic, value }] }),
    sendBatch: (values, acks) => producer.send({ acks, messages: batch(values) }),
    disconnect: () => producer.close(),
  }
}

module.exports = { id: 'platformatic', label: '@platformatic/kafka', create }
