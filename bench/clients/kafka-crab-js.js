'use strict'
// kafka-crab-js (napi-rs + rust-rdkafka). acks is librdkafka producer configuration, so one
// producer per acks value; linger.ms 0 like the floor and kafka-napi (librdkafka's default is
// 5 ms, which would put 5 ms on every awaited send). send() awaits delivery (autoFlush default).
const { memo, versionOf, perAcks } = require('./util')

async function create({ brokers, topic }) {
  const { KafkaClient } = require('kafka-crab-js')
  const client = new KafkaClient({ brokers, clientId: 'bench' })
  const producers = perAcks(async (acks) =>
    client.createProducer({
      configuration: { acks: String(acks), 'linger.ms': '0', partitioner: 'murmur2_random' },
    }),
  )
  const batch = memo((values) => values.map((payload) => ({ payload })))
  const keyed = memo(({ keys, values }) => keys.map((key, i) => ({ key, payload: values[i] })))
  return {
    version: versionOf('kafka-crab-js'),
    settings: 'linger.ms 0, partitioner murmur2_random; one producer per acks (configuration.acks)',
    // No connect call: a producer connects on its first send (in the warm-up).
    connect: () => producers.get(-1),
    sendOne: async (value, acks) => (await producers.get(acks)).send({ topic, messages: [{ payload: value }] }),
    sendBatch: async (values, acks) => (await producers.get(acks)).send({ topic, messages: batch(values) }),
    sendKeyed: async (to, group, acks) => (await producers.get(acks)).send({ topic: to, messages: keyed(group) }),
    disconnect: async () => {
      for (const p of producers.all()) await (await p).flush()
    },
  }
}

module.exports = { id: 'kafka-crab-js', label: 'kafka-crab-js', create }
