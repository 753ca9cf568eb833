'use strict'
/*
 * KafkaNapiClient: a @nestjs/microservices ClientProxy that produces with kafka-napi.
 *
 *   ClientsModule.register([{ name: 'EVENTS', customClass: KafkaNapiClient,
 *     options: { client: { brokers }, producer: { idempotent: true }, send: { acks: -1 } } }])
 *
 * It is ClientKafka's producer side: `emit` (hot, resolves the send's RecordMetadata[]),
 * `emitBatch`, the same serializer (Nest's KafkaRequestSerializer unless `options.serializer`),
 * `options.send` spread onto every send, `status` from the producer's CONNECT/DISCONNECT
 * events. Request/reply (`send`) needs a consumer for the reply topic, which this package does
 * not have: it fails with an error that says to use `emit`.
 *
 * This file is loaded only when `KafkaNapiClient` is first read from 'kafka-napi/nestjs', so an
 * app without @nestjs/microservices can use the rest.
 */
const { ClientProxy } = require('@nestjs/microservices')
const { KafkaRequestSerializer } = require('@nestjs/microservices/serializers')
const { InvalidMessageException } = require('@nestjs/microservices/errors/invalid-message.exception')
const { connectable, defer, mergeMap, Subject, throwError } = require('rxjs')
const { Kafka } = require('..')
const { nestLogCreator } = require('./producer.module')

const NO_REQUEST_REPLY =
  'KafkaNapiClient does not support send() (request/reply): kafka-napi is a producer and cannot consume the reply topic. ' +
  'Use emit(pattern, data) to produce an event, or ClientKafka with kafkajs for request/reply.'

class KafkaNapiClient extends ClientProxy {
  /**
   * @param {{ client: import('..').KafkaConfig, producer?: import('..').ProducerConfig,
   *   send?: { acks?: number, timeout?: number, compression?: number }, serializer?: { serialize(value: any, options?: any): any } }} options
   */
  constructor(options = {}) {
    super()
    this.options = options
    this.client = null
    this._producer = null
    this._connecting = null
    this._inFlight = new Set()
    this.initializeSerializer(options)
  }

  /** The kafka-napi producer (after `connect()`), as ClientKafka's `producer`. */
  get producer() {
    if (!this._producer) throw new Error('No producer initialized. Please, call the "connect" method first.')
    return this._producer
  }

  /** Creates and connects the producer once; later calls share that connection. Resolves the producer. */
  connect() {
    if (!this._connecting) {
      this._connecting = this._connect().catch((e) => {
        this._connecting = null
        throw e
      })
    }
    return this._connecting
  }

  async _connect() {
    this.client = new Kafka({ logCreator: nestLogCreator(KafkaNapiClient.name), ...this.options.client })
    const producer = this.client.producer(this.options.producer || {})
    producer.on(producer.events.CONNECT, () => this._status$.next('connected'))
    producer.on(producer.events.DISCONNECT, () => this._status$.next('disconnected'))
    this._producer = producer
    await producer.connect()
    return producer
  }

  /**
   * Disconnects the producer once the emits issued before this call have been handed to it; the
   * disconnect delivers what is still in flight (bounded by `disconnectTimeout`).
   */
  async close() {
    await Promise.all(this._inFlight)
    const producer = this._producer
    this._producer = null
    this._connecting = null
    this.client = null
    if (producer) await producer.disconnect()
  }

  /** The kafka-napi `Kafka` client (after `connect()`), as ClientKafka's `unwrap()`. */
  unwrap() {
    if (!this.client) throw new Error('Not initialized. Please call the "connect" method first.')
    return this.client
  }

  /**
   * Produces `data` to topic `pattern` (see ClientProxy#emit); tracked so `close()` delivers it.
   * @returns {import('rxjs').Observable<import('..').RecordMetadata[]>}
   */
  emit(pattern, data) {
    return this._track(super.emit(pattern, data))
  }

  /**
   * Produces `data.messages` (each serialized as `emit` does) to topic `pattern` in one send.
   * Hot, like `emit`: it is sent whether or not the Observable is subscribed.
   * @returns {import('rxjs').Observable<import('..').RecordMetadata[]>}
   */
  emitBatch(pattern, data) {
    if (pattern == null || data == null) return throwError(() => new InvalidMessageException())
    const source = defer(() => this.connect()).pipe(mergeMap(() => this._produce(pattern, data.messages)))
    const hot = connectable(source, { connector: () => new Subject(), resetOnDisconnect: false })
    hot.connect()
    return this._track(hot)
  }

  /** Remembers a hot emit until it completes or fails. */
  _track(hot) {
    const done = new Promise((resolve) => hot.subscribe({ complete: resolve, error: resolve }))
    this._inFlight.add(done)
    done.then(() => this._inFlight.delete(done))
    return hot
  }

  /** `emit`'s send: one message to topic `pattern`. */
  dispatchEvent(packet) {
    return this._produce(packet.pattern, [packet.data])
  }

  /** `send`'s request/reply: always fails, see NO_REQUEST_REPLY. */
  publish(_packet, callback) {
    callback({ err: new Error(NO_REQUEST_REPLY) })
    return () => {}
  }

  async _produce(pattern, items) {
    const topic = this.normalizePattern(pattern)
    const messages = await Promise.all(items.map((item) => this.serializer.serialize(item, { pattern: topic })))
    return this.producer.send({ topic, messages, ...this.options.send })
  }

  initializeSerializer(options) {
    this.serializer = (options && options.serializer) || new KafkaRequestSerializer()
  }
}

module.exports = { KafkaNapiClient }
