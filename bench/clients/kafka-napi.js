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
    settings: 'defaults (linger.ms 0, no idempotence, murmur2_random partitioner); acks per send',
    connect: () => producer.connect(),
    sendOne: (value, acks) => producer.send({ topic, acks, messages: [{ value }] }),
    sendBatch: (values, acks) => producer.send({ topic, acks, messages: batch(values) }),
    sendKeyed: (to, group, acks) => producer.send({ topic: to, acks, messages: keyed(group) }),
    disconnect: () => producer.disconnect(),
  }
}

module.exports = { id: 'kafka-napi', label: 'kafka-napi', create }
