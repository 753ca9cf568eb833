'use strict'
/*
 * KafkaNapiClient: a @nestjs/microservices ClientProxy on kafka-napi.
 *
 *   ClientsModule.register([{ name: 'ORDERS', customClass: KafkaNapiClient,
 *     options: { client: { brokers }, producer: { idempotent: true }, send: { acks: -1 },
 *       consumer: { groupId: 'checkout' } } }])
 *
 * ClientKafka's behaviour on kafka-napi's producer and consumer: `emit` (hot, resolves the send's
 * RecordMetadata[]), `emitBatch`, the same serializer (Nest's KafkaRequestSerializer unless
 * `options.serializer`), `options.send` spread onto every send, `status` from the producer's and
 * the consumer's events, and request/reply: `subscribeToResponseOf(pattern)` before `connect()`,
 * then `send(pattern, data)` produces the request with Nest's headers (correlation id, reply
 * topic `<pattern>.reply`, reply partition) and the consumer of the reply topics (group
 * `consumer.groupId + '-client'`, as ClientKafka) routes each reply to its Observable: every
 * reply value is a `next`, an error reply an `error`, the disposed reply completes it. The reply
 * partition is the lowest of this member's partitions of the reply topic (GROUP_JOIN's
 * memberAssignment), as with ClientKafka; librdkafka's round robin assigns them (see README).
 * Without a `subscribeToResponseOf`, or with `producerOnlyMode`, no consumer is created.
 *
 * This file is loaded only when `KafkaNapiClient` is first read from 'kafka-napi/nestjs', so an
 * app without @nestjs/microservices can use the rest.
 */
const { ClientProxy, KafkaHeaders, KafkaParser } = require('@nestjs/microservices')
const { KafkaRequestSerializer } = require('@nestjs/microservices/serializers')
const { KafkaResponseDeserializer } = require('@nestjs/microservices/deserializers')
const { InvalidMessageException } = require('@nestjs/microservices/errors/invalid-message.exception')
const {
  InvalidKafkaClientTopicException,
} = require('@nestjs/microservices/errors/invalid-kafka-client-topic.exception')
const { connectable, defer, mergeMap, Subject, throwError } = require('rxjs')
const { Kafka } = require('..')
const { nestLogCreator } = require('./producer.module')

/** The error a request still waiting for its reply gets when the client closes. */
const CLOSED = 'KafkaNapiClient was closed before the reply arrived'

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
    this._consumer = null
    this._connecting = null
    // Hot emits not yet completed, and what close() waits on until there are none.
    this._inFlight = 0
    this._idle = null
    this.responsePatterns = []
    this.consumerAssignments = {}
    this.producerOnlyMode = Boolean(options.producerOnlyMode)
    const consumer = options.consumer || {}
    this.groupId = (consumer.groupId || 'nestjs-group') + (options.postfixId ?? '-client')
    this.parser = new KafkaParser(options.parser)
    this.initializeSerializer(options)
    this.initializeDeserializer(options)
  }

  /** The reply consumer (after `connect()`, when request/reply is on), as ClientKafka's `consumer`. */
  get consumer() {
    if (!this._consumer) throw new Error('No consumer initialized. Please, call the "connect" method first.')
    return this._consumer
  }

  /** Listens to `<pattern>.reply` from the next `connect()` on, so `send(pattern)` gets its replies. */
  subscribeToResponseOf(pattern) {
    const reply = this.getResponsePatternName(this.normalizePattern(pattern))
    if (!this.responsePatterns.includes(reply)) this.responsePatterns.push(reply)
  }

  getResponsePatternName(pattern) {
    return `${pattern}.reply`
  }

  /** This member's lowest partition per reply topic, as ClientKafka's (from GROUP_JOIN). */
  getConsumerAssignments() {
    return this.consumerAssignments
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
    if (!this.producerOnlyMode && this.responsePatterns.length > 0) await this._connectConsumer()
    const producer = this.client.producer(this.options.producer || {})
    producer.on(producer.events.CONNECT, () => this._status$.next('connected'))
    producer.on(producer.events.DISCONNECT, () => this._status$.next('disconnected'))
    this._producer = producer
    await producer.connect()
    return producer
  }

  /** The reply consumer: subscribed to every reply topic, running until the group is joined. */
  async _connectConsumer() {
    const consumer = this.client.consumer({ ...this.options.consumer, groupId: this.groupId })
    this._consumer = consumer
    const status = (event, value) => consumer.on(consumer.events[event], () => this._status$.next(value))
    status('CONNECT', 'connected')
    status('DISCONNECT', 'disconnected')
    status('REBALANCING', 'rebalancing')
    status('STOP', 'stopped')
    status('CRASH', 'crashed')
    consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => this.setConsumerAssignments(payload.memberAssignment))
    await consumer.connect()
    await consumer.subscribe({ ...this.options.subscribe, topics: this.responsePatterns })
    await consumer.run({ ...this.options.run, eachMessage: (payload) => this._onReply(payload) })
  }

  setConsumerAssignments(memberAssignment) {
    const lowest = {}
    for (const [topic, partitions] of Object.entries(memberAssignment)) {
      if (partitions.length > 0) lowest[topic] = Math.min(...partitions)
    }
    this.consumerAssignments = lowest
  }

  /** One message of a reply topic: to the callback of its correlation id, if this client still waits for it. */
  async _onReply({ topic, partition, message }) {
    // Object.assign, not a spread: a spread per message kept what it referenced alive through
    // V8's young collections (__test__/integration/consume-memory.spec.js).
    const raw = this.parser.parse(Object.assign({}, message, { topic, partition }))
    if (raw.headers[KafkaHeaders.CORRELATION_ID] === undefined) return
    const { err, response, isDisposed, id } = await this.deserializer.deserialize(raw)
    const callback = this.routingMap.get(id)
    if (!callback) return
    if (err || isDisposed) callback({ err, response, isDisposed })
    else callback({ err, response })
  }

  /**
   * Disconnects the producer once the emits issued before this call have been handed to it (the
   * disconnect delivers what is still in flight, bounded by `disconnectTimeout`), then the reply
   * consumer; a request still waiting for its reply fails with an error (ClientKafka leaves it waiting).
   */
  async close() {
    // A connect still under way finishes first, so what it creates is closed here too.
    if (this._connecting) await this._connecting.catch(() => {})
    await this._whenIdle()
    const producer = this._producer
    const consumer = this._consumer
    this._producer = null
    this._consumer = null
    this._connecting = null
    this.client = null
    this.consumerAssignments = {}
    try {
      if (producer) await producer.disconnect()
      if (consumer) await consumer.disconnect()
    } finally {
      const waiting = [...this.routingMap.values()]
      this.routingMap.clear()
      for (const callback of waiting) callback({ err: new Error(CLOSED) })
    }
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

  /**
   * Counts a hot emit until it completes or fails. A count, not a Set of Promises: a Set with an
   * add and a delete per emit leaves a rehashed table behind every few emits, and one that
   * reaches the old generation keeps what the next ones hold alive through young collections
   * (see lib/producer/pending-sends.js).
   */
  _track(hot) {
    this._inFlight++
    const settled = () => {
      if (--this._inFlight === 0 && this._idle !== null) {
        const { resolve } = this._idle
        this._idle = null
        resolve()
      }
    }
    hot.subscribe({ complete: settled, error: settled })
    return hot
  }

  /** Resolves once no hot emit is in flight (every caller waiting gets the same Promise). */
  _whenIdle() {
    if (this._inFlight === 0) return Promise.resolve()
    if (this._idle === null) {
      const idle = {}
      idle.promise = new Promise((resolve) => (idle.resolve = resolve))
      this._idle = idle
    }
    return this._idle.promise
  }

  /** `emit`'s send: one message to topic `pattern`. */
  dispatchEvent(packet) {
    return this._produce(packet.pattern, [packet.data])
  }

  /**
   * `send`'s request: produced to topic `pattern` with the correlation id, reply topic and reply
   * partition headers; `callback` gets the replies (see _onReply). Returns the cleanup Nest calls
   * when the Observable is unsubscribed (a `timeout()`, say) or done.
   */
  publish(partialPacket, callback) {
    const packet = this.assignPacketId(partialPacket)
    this.routingMap.set(packet.id, callback)
    const cleanup = () => this.routingMap.delete(packet.id)
    const fail = (err) => {
      cleanup()
      callback({ err })
    }
    try {
      const pattern = this.normalizePattern(partialPacket.pattern)
      const replyTopic = this.getResponsePatternName(pattern)
      const replyPartition = this.consumerAssignments[replyTopic]
      if (replyPartition === undefined) throw new InvalidKafkaClientTopicException(replyTopic)
      Promise.resolve(this.serializer.serialize(packet.data, { pattern }))
        .then((message) => {
          message.headers[KafkaHeaders.CORRELATION_ID] = packet.id
          message.headers[KafkaHeaders.REPLY_TOPIC] = replyTopic
          message.headers[KafkaHeaders.REPLY_PARTITION] = String(replyPartition)
          return this.producer.send({ topic: pattern, messages: [message], ...this.options.send })
        })
        .catch(fail)
      return cleanup
    } catch (e) {
      fail(e)
      return () => {}
    }
  }

  async _produce(pattern, items) {
    const topic = this.normalizePattern(pattern)
    const messages = await Promise.all(items.map((item) => this.serializer.serialize(item, { pattern: topic })))
    return this.producer.send({ topic, messages, ...this.options.send })
  }

  initializeSerializer(options) {
    this.serializer = (options && options.serializer) || new KafkaRequestSerializer()
  }

  initializeDeserializer(options) {
    this.deserializer = (options && options.deserializer) || new KafkaResponseDeserializer()
  }
}

module.exports = { KafkaNapiClient }
