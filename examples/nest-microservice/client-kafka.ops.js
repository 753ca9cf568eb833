'use strict'
/*
 * ClientKafka's other features, run inside the example's process (driver.js loads this file through
 * DRIVER_OPS; each op gets the Nest app first): emitBatch(), commitOffsets(), unwrap() on the app's
 * ClientKafka (ORDERS_CLIENT), and `status` on ClientKafka instances created here, so that their
 * status is watched from before connect(). Used by client-kafka.spec.js.
 */
const path = require('node:path')
const { ClientKafka } = require('@nestjs/microservices')
const { lastValueFrom } = require('rxjs')
const { clientOptions, TOPICS } = require('./config')
const { ORDERS_CLIENT } = require('./checkout.service')

const ROOT = path.resolve(__dirname, '../..')
const watched = new Map() // name -> { client, statuses }

/** `emitBatch(TOPICS[pattern], { messages })`: resolves what the send resolved (RecordMetadata[]). */
function emitBatch(app, pattern, messages) {
  return lastValueFrom(app.get(ORDERS_CLIENT).emitBatch(TOPICS[pattern], { messages }))
}

/** `client.commitOffsets(list)`: the consumer of the client's group (`<groupId>-client`) commits. */
async function commitOffsets(app, list) {
  await app.get(ORDERS_CLIENT).commitOffsets(list)
  return true
}

/**
 * `unwrap()`: what it is, and a producer made from it sends `value` to `topic`. Resolves the
 * send's RecordMetadata[] and how the unwrapped client relates to kafka-napi's and Nest's objects.
 */
async function unwrapSend(app, topic, value) {
  const client = app.get(ORDERS_CLIENT)
  const kafka = client.unwrap()
  // Not the real kafkajs: driver.js reports neither node_modules/kafkajs loaded; the class is this package's.
  const { Kafka } = require(ROOT)
  const producer = kafka.producer()
  await producer.connect()
  try {
    const sent = await producer.send({ topic, messages: [{ key: 'unwrap', value }] })
    return {
      kafkaNapi: kafka instanceof Kafka,
      sameProducerClass: Object.getPrototypeOf(client.producer) === Object.getPrototypeOf(producer),
      consumerIsFunction: typeof kafka.consumer === 'function',
      sent,
    }
  } finally {
    await producer.disconnect()
  }
}

/**
 * A new ClientKafka (the example's options, consumer group `groupId`) whose `status` is subscribed
 * before connect(); with a reply pattern, so it has a consumer as well as a producer. Resolves once connected.
 */
async function watchStatus(_app, name, groupId) {
  const options = clientOptions()
  const client = new ClientKafka({ ...options, consumer: { ...options.consumer, groupId } })
  const statuses = []
  client.status.subscribe((s) => statuses.push(s))
  client.subscribeToResponseOf(TOPICS.quote)
  watched.set(name, { client, statuses })
  await client.connect()
  return statuses.slice()
}

/** The statuses seen so far by the client `name`. */
function statuses(_app, name) {
  return watched.get(name).statuses.slice()
}

/** `close()` of the client `name`; resolves every status it saw. */
async function closeWatched(_app, name) {
  const { client, statuses } = watched.get(name)
  await client.close()
  let unwrapAfterClose = null
  try {
    client.unwrap()
  } catch (e) {
    unwrapAfterClose = e.message
  }
  return { statuses: statuses.slice(), unwrapAfterClose }
}

module.exports = { emitBatch, commitOffsets, unwrapSend, watchStatus, statuses, closeWatched }
