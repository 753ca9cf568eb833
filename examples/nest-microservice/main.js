#!/usr/bin/env node
'use strict'
/*
 * `node examples/nest-microservice/main.js [--kafkajs]`: the hybrid app (HTTP app + Transport.KAFKA
 * microservice + ClientKafka) on kafka-napi through the `kafkajs` alias (or on the real kafkajs
 * with --kafkajs); asks for one quote, announces one order, prints what came back, and closes.
 * KAFKA_BROKERS, ORDERS_TOPIC_PREFIX and ORDERS_GROUP configure it (see config.js). Its topics
 * (config.js's TOPIC_NAMES) missing on the broker are created by the subscriptions where the broker
 * allows it (kafkajs 2.2.4 fails on this repository's Kafka 4.1.1 broker instead: create them first).
 */
const onKafkajs = process.argv.includes('--kafkajs') || process.env.KAFKAJS === 'kafkajs'
if (!onKafkajs) require('./alias').useKafkaNapi()

const { NestFactory } = require('@nestjs/core')
const { Transport } = require('@nestjs/microservices')
const { AppModule } = require('./app.module')
const { CheckoutService } = require('./checkout.service')
const { serverOptions } = require('./config')

/** Creates the hybrid app, connects the Kafka microservice and starts it (handlers subscribed). */
async function bootstrap({ module = AppModule, logger = ['error', 'warn'] } = {}) {
  const app = await NestFactory.create(module, { logger })
  app.connectMicroservice({ transport: Transport.KAFKA, options: serverOptions() })
  await app.startAllMicroservices()
  await app.init()
  return app
}

async function main() {
  const app = await bootstrap()
  app.enableShutdownHooks()
  const checkout = app.get(CheckoutService)
  const quote = await checkout.quote({
    id: 'A-1',
    items: [
      { qty: 2, price: 15 },
      { qty: 1, price: 12 },
    ],
  })
  console.log(`quote on ${onKafkajs ? 'kafkajs' : 'kafka-napi'}: ${JSON.stringify(quote)}`)
  await checkout.announce({ id: 'A-1' })
  console.log('announced A-1')
  await app.close()
}

if (require.main === module)
  main().catch((e) => {
    console.error(e)
    process.exit(1)
  })

module.exports = { bootstrap }
