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

/**
 * `KafkaConsumer` in its non-flowing mode: a loop of `consume(1000, cb)`, each call returning up
 * to 1,000 messages in one array (one native crossing per call; its flowing mode, `consume()`
 * with a 'data' event per message, crosses once per message). eachMessage runs the handler per
 * message of the array, eachBatch once per array. `auto.offset.reset` earliest (a topic
 * property), the consume timeout 100 ms instead of 1 s (see below), defaults otherwise (auto
 * commit every 5 s).
 */
async function createConsumer({ brokers, topic, groupId, batch }) {
  const Kafka = require('node-rdkafka')
  const consumer = new Kafka.KafkaConsumer(
    { 'metadata.broker.list': brokers, 'client.id': 'bench', 'group.id': groupId },
    { 'auto.offset.reset': 'earliest' },
  )
  await new Promise((resolve, reject) => consumer.connect({}, (err) => (err ? reject(err) : resolve())))
  // consume(n) waits up to this long for a message when its queue is empty, which is what it
  // does while the group is being joined: its default, 1 s, would add up to 1 s to the time to
  // the first message (seen on the mock cluster: 4.1 s against 3.2 s with 100 ms).
  consumer.setDefaultConsumeTimeout(100)
  let running = false
  return {
    settings: `KafkaConsumer, a consume(1000, cb) loop (consume timeout 100 ms), the handler per ${batch ? 'array' : 'message'}; auto.offset.reset earliest`,
    start: (onMessages) =>
      new Promise((resolve, reject) => {
        running = true
        consumer.subscribe([topic])
        const next = () =>
          consumer.consume(1000, (err, messages) => {
            if (err) {
              running = false
              reject(err)
              return
            }
            if (batch) {
              let bytes = 0
              for (const m of messages) bytes += m.value.length
              if (messages.length) onMessages(messages.length, bytes)
            } else for (const m of messages) onMessages(1, m.value.length)
            if (running) next()
            else resolve()
          })
        next()
      }),
    close: async () => {
      running = false
      await new Promise((resolve) => consumer.disconnect(() => resolve()))
    },
  }
}

module.exports = { id: 'node-rdkafka', label: 'node-rdkafka', create, createConsumer }
