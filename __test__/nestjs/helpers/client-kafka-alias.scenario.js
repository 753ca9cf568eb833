'use strict'
/*
 * An app using Nest's own ClientKafka (Transport.KAFKA, producerOnlyMode) with 'kafkajs'
 * resolved to kafka-napi for requests from @nestjs/microservices, as `npm install
 * kafkajs@npm:kafka-napi` does. Emits one event to TOPIC and reports what went through.
 */
const path = require('node:path')
const { redirect } = require('./resolve-hook')
const { scenario } = require('./child')

const ROOT = path.resolve(__dirname, '../../..')

scenario(async () => {
  const restore = redirect(
    'kafkajs',
    path.dirname(require.resolve('@nestjs/microservices/package.json')),
    require.resolve(ROOT),
  )
  try {
    const { Test } = require('@nestjs/testing')
    const { ClientsModule, Transport } = require('@nestjs/microservices')
    const { lastValueFrom } = require('rxjs')
    const { Kafka } = require(ROOT)

    // Count sends through kafka-napi's Producer, found through the public API.
    const Producer = new Kafka({ brokers: ['unused:9092'] }).producer().constructor
    const send = Producer.prototype.send
    let sends = 0
    Producer.prototype.send = function (...args) {
      sends++
      return send.apply(this, args)
    }

    const app = await Test.createTestingModule({
      imports: [
        ClientsModule.register([
          {
            name: 'KAFKA',
            transport: Transport.KAFKA,
            options: { client: { brokers: process.env.KAFKA_BROKERS.split(',') }, producerOnlyMode: true },
          },
        ]),
      ],
    }).compile()
    await app.init()
    const client = app.get('KAFKA')
    await client.connect()
    const metadata = await lastValueFrom(client.emit(process.env.TOPIC, { user: 'ada', action: 'signed-up' }))
    const result = {
      clientClass: client.constructor.name,
      producerIsKafkaNapi: client.producer instanceof Producer,
      kafkajsLoaded: Object.keys(require.cache).some((f) =>
        f.includes(`${path.sep}node_modules${path.sep}kafkajs${path.sep}`),
      ),
      sends,
      metadata,
    }
    await app.close()
    return result
  } finally {
    restore()
  }
})
