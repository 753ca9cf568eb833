'use strict'
// kafkajs (root devDependency) with its defaults; acks per send.
const { memo, versionOf } = require('./util')

async function create({ brokers, topic }) {
  const { Kafka, Partitioners } = require('kafkajs')
  const kafka = new Kafka({ clientId: 'bench', brokers: brokers.split(',') })
  // DefaultPartitioner is kafkajs 2's default; naming it only silences the v2 migration warning.
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner })
  const batch = memo((values) => values.map((value) => ({ value })))
  const keyed = memo(({ keys, values }) => keys.map((key, i) => ({ key, value: values[i] })))
  return {
    version: versionOf('kafkajs'),
    settings: 'defaults (DefaultPartitioner: Java-compatible murmur2); acks per send',
    connect: () => producer.connect(),
    sendOne: (value, acks) => producer.send({ topic, acks, messages: [{ value }] }),
    sendBatch: (values, acks) => producer.send({ topic, acks, messages: batch(values) }),
    sendKeyed: (to, group, acks) => producer.send({ topic: to, acks, messages: keyed(group) }),
    disconnect: () => producer.disconnect(),
  }
}

/** kafkajs's consumer with its defaults. */
async function createConsumer({ brokers, topic, groupId, batch }) {
  const { Kafka, logLevel } = require('kafkajs')
  const consumer = new Kafka({ clientId: 'bench', brokers: brokers.split(','), logLevel: logLevel.WARN }).consumer({
    groupId,
  })
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

module.exports = { id: 'kafkajs', label: 'kafkajs', create, createConsumer }
