'use strict'
// @confluentinc/kafka-javascript through its KafkaJS-compatible API. Its MIGRATION.md: acks is
// per producer, not per send, and "in case it is desired to await every message, linger.ms
// should be set to 0". So: one producer per acks value, each with linger.ms 0.
const { memo, versionOf, perAcks } = require('./util')

async function create({ brokers, topic }) {
  const lib = require('@confluentinc/kafka-javascript')
  const { Kafka } = lib.KafkaJS
  const kafka = new Kafka({ kafkaJS: { clientId: 'bench', brokers: brokers.split(',') } })
  const producers = perAcks(async (acks) => {
    const p = kafka.producer({ 'linger.ms': 0, kafkaJS: { acks } })
    await p.connect()
    return p
  })
  const batch = memo((values) => values.map((value) => ({ value })))
  const keyed = memo(({ keys, values }) => keys.map((key, i) => ({ key, value: values[i] })))
  return {
    version: `${versionOf('@confluentinc/kafka-javascript')} (librdkafka ${lib.librdkafkaVersion})`,
    settings:
      "KafkaJS API, 'linger.ms': 0 (its KafkaJS API always sets partitioner murmur2_random); one producer per acks (kafkaJS.acks)",
    connect: () => producers.get(-1),
    sendOne: async (value, acks) => (await producers.get(acks)).send({ topic, messages: [{ value }] }),
    sendBatch: async (values, acks) => (await producers.get(acks)).send({ topic, messages: batch(values) }),
    sendKeyed: async (to, group, acks) => (await producers.get(acks)).send({ topic: to, messages: keyed(group) }),
    disconnect: async () => {
      for (const p of producers.all()) await (await p).disconnect()
    },
  }
}

/**
 * Its KafkaJS API's consumer: `consumer({ kafkaJS: { groupId, fromBeginning: true } })` (in that
 * API fromBeginning belongs to the consumer, not to subscribe), defaults otherwise.
 */
async function createConsumer({ brokers, topic, groupId, batch }) {
  const { Kafka, logLevel } = require('@confluentinc/kafka-javascript').KafkaJS
  const kafka = new Kafka({ kafkaJS: { clientId: 'bench', brokers: brokers.split(','), logLevel: logLevel.WARN } })
  const consumer = kafka.consumer({ kafkaJS: { groupId, fromBeginning: true } })
  await consumer.connect()
  return {
    settings: `KafkaJS API, consumer({ kafkaJS: { groupId, fromBeginning: true } }) defaults; run({ ${batch ? 'eachBatch' : 'eachMessage'} })`,
    // subscribe() belongs to the start: some clients start joining the group there.
    start: async (onMessages) => {
      await consumer.subscribe({ topics: [topic] })
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

module.exports = { id: 'confluent', label: '@confluentinc/kafka-javascript', create, createConsumer }
