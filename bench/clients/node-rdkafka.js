'use strict'
// node-rdkafka's HighLevelProducer (a promise-free callback per message; it polls for delivery
// reports every 1 ms while messages are pending). acks is a topic-level setting, so one producer
// per acks value; linger.ms 0 like the floor and kafka-napi.
const { versionOf, perAcks } = require('./util')

function connected(p) {
  return new Promise((resolve, reject) => p.connect({}, (err) => (err ? reject(err) : resolve(p))))
}

async function create({ brokers, topic }) {
  const Kafka = require('node-rdkafka')
  const producers = perAcks((acks) =>
    connected(
      new Kafka.HighLevelProducer(
        { 'metadata.broker.list': brokers, 'client.id': 'bench', 'linger.ms': 0 },
        // partitioner is a topic property: in the global configuration this topic configuration
        // would override it with librdkafka's default (consistent_random, CRC32).
        { 'request.required.acks': acks, partitioner: 'murmur2_random' },
      ),
    ),
  )
  const produce = (p, value, to = topic, key = null) =>
    new Promise((resolve, reject) =>
      p.produce(to, null, value, key, null, (err, offset) => (err ? reject(err) : resolve(offset))),
    )
  return {
    version: `${versionOf('node-rdkafka')} (librdkafka ${Kafka.librdkafkaVersion})`,
    settings:
      'HighLevelProducer, linger.ms 0, partitioner murmur2_random; one producer per acks (request.required.acks)',
    connect: () => producers.get(-1),
    sendOne: async (value, acks) => produce(await producers.get(acks), value),
    sendBatch: async (values, acks) => {
      const p = await producers.get(acks)
      return Promise.all(values.map((v) => produce(p, v)))
    },
    sendKeyed: async (to, { keys, values }, acks) => {
      const p = await producers.get(acks)
      return Promise.all(values.map((v, i) => produce(p, v, to, keys[i])))
    },
    disconnect: async () => {
      for (const pp of producers.all()) {
        const p = await pp
        await new Promise((resolve) => p.flush(10000, () => p.disconnect(() => resolve())))
      }
    },
  }
}

module.exports = { id: 'node-rdkafka', label: 'node-rdkafka', create }
