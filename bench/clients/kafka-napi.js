'use strict'
// This package (/work/main index.js), with a user's defaults: no producer options at all.
// acks is per send (kafkajs API); the native core keeps one librdkafka client per acks value.
const path = require('node:path')
const { memo } = require('./util')

const ROOT = path.resolve(__dirname, '../..')

async function create({ brokers, topic }) {
  const { Kafka } = require(ROOT)
  const kafka = new Kafka({ clientId: 'bench', brokers: brokers.split(',') })
  const producer = kafka.producer()
  const batch = memo((values) => values.map((value) => ({ value })))
  const keyed = memo(({ keys, values }) => keys.map((key, i) => ({ key, value: values[i] })))
  return {
    version: `${require(path.join(ROOT, 'package.json')).version} (this checkout)`,
    settings:
      'defaults (linger.ms 0, 5 requests in flight, no idempotence, murmur2_random partitioner, librdkafka threads at nice 10: ioThreadNice); acks per send',
    connect: () => producer.connect(),
    sendOne: (value, acks) => producer.send({ topic, acks, messages: [{ value }] }),
    sendBatch: (values, acks) => producer.send({ topic, acks, messages: batch(values) }),
    sendKeyed: (to, group, acks) => producer.send({ topic: to, acks, messages: keyed(group) }),
    disconnect: () => producer.disconnect(),
  }
}

/** The consumer with a user's defaults: `kafka.consumer({ groupId })`, nothing else set. */
async function createConsumer({ brokers, topic, groupId, batch }) {
  const { Kafka } = require(ROOT)
  const consumer = new Kafka({ clientId: 'bench', brokers: brokers.split(',') }).consumer({ groupId })
  await consumer.connect()
  return {
    settings: batch
      ? 'consumer({ groupId }) defaults; run({ eachBatch })'
      : 'consumer({ groupId }) defaults; run({ eachMessage })',
    // subscribe() belongs to the start: some clients start joining the group there.
    start: async (onMessages) => {
      await consumer.subscribe({ topics: [topic], fromBeginning: true })
      return consumer.run(
        batch
          ? {
              eachBatch: async ({ batch: b }) => {
                let bytes = 0
                for (const m of b.messages) bytes += m.value.length
                onMessages(b.messages.length, bytes)
              },
            }
          : { eachMessage: async ({ message }) => onMessages(1, message.value.length) },
      )
    },
    close: () => consumer.disconnect(),
  }
}

module.exports = { id: 'kafka-napi', label: 'kafka-napi', create, createConsumer }
