'use strict'
// @nestjs/microservices ClientKafka in producerOnlyMode (root devDependency; kafkajs underneath).
// emit() for single messages, emitBatch() for batches, each awaited with lastValueFrom.
// ClientKafka takes acks from its `send` options, so there is one ClientKafka per acks value.
const { memo, versionOf, perAcks } = require('./util')

async function create({ brokers, topic }) {
  require('reflect-metadata')
  const { ClientKafka } = require('@nestjs/microservices')
  const { lastValueFrom } = require('rxjs')
  const { Partitioners } = require('kafkajs')
  const clients = perAcks(async (acks) => {
    const client = new ClientKafka({
      client: { clientId: 'bench', brokers: brokers.split(',') },
      producer: { createPartitioner: Partitioners.DefaultPartitioner },
      producerOnlyMode: true,
      send: { acks },
    })
    await client.connect()
    return client
  })
  const batch = memo((values) => ({ messages: values.map((value) => ({ value })) }))
  const keyed = memo(({ keys, values }) => ({ messages: keys.map((key, i) => ({ key, value: values[i] })) }))
  return {
    version: `${versionOf('@nestjs/microservices')} (kafkajs ${versionOf('kafkajs')})`,
    settings: 'producerOnlyMode, kafkajs defaults; one ClientKafka per acks (send: { acks })',
    connect: () => clients.get(-1),
    sendOne: async (value, acks) => lastValueFrom((await clients.get(acks)).emit(topic, value)),
    sendBatch: async (values, acks) => lastValueFrom((await clients.get(acks)).emitBatch(topic, batch(values))),
    sendKeyed: async (to, group, acks) => lastValueFrom((await clients.get(acks)).emitBatch(to, keyed(group))),
    disconnect: async () => {
      for (const c of clients.all()) await (await c).close()
    },
  }
}

module.exports = { id: 'nestjs', label: 'NestJS ClientKafka', create }
