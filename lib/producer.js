'use strict'
/*
 * kafkajs's Producer on the native core: the lifecycle, and the send path's steps wired up.
 *
 * Lifecycle: disconnected -> connecting -> connected -> disconnecting -> disconnected. Every
 * transition is in `connect()` / `disconnect()`; a call in any state returns a Promise and never
 * throws synchronously. A send while `connect()` is in flight waits for it (kafkajs would fail
 * it: the NestJS `useFactory` race); before any connect or after disconnect it fails as kafkajs
 * does.
 *
 * The send path, one file per step (lib/producer/):
 *   validate.js      kafkajs's checks and messages; normalising each field
 *   route.js         partitioning (JS partitioner + metadata cache) and packing into one buffer
 *   profiles.js      which librdkafka client the send's acks/timeout/compression use (bounded)
 *   admission.js     waiting for room when the native enqueue path holds maxEnqueueBytes
 *   send-tracker.js  one Promise per send, settled in bulk from the native completions
 *   client-events.js librdkafka's logs and client errors (what a failed connect or timeout names)
 *   failures.js      per-message reports: recorded durably in the failure log, then emitted,
 *                    called back, and the send rejected
 */
const util = require('node:util')
const { NativeProducer } = require('./native')
const { Partitioners } = require('./partitioners')
const { producerProperties, brokerListOf } = require('./config')
const { PRODUCER_EVENTS, InstrumentationEmitter } = require('./events')
const { Transaction } = require('./transaction')
const { installTokenProvider } = require('./oauth')
const { asTyped, validateBatch } = require('./producer/validate')
const { packSend, MetadataCache } = require('./producer/route')
const { Profiles } = require('./producer/profiles')
const { SendTracker } = require('./producer/send-tracker')
const { Admission } = require('./producer/admission')
const { ClientEvents } = require('./producer/client-events')
const { FailureReporter } = require('./producer/failures')
const { KafkaJSError, KafkaJSNonRetriableError, fromNative } = require('./errors')

const NATIVE_PARTITIONERS = new Set([Partitioners.DefaultPartitioner, Partitioners.JavaCompatiblePartitioner])

class Producer {
  constructor(kafka, config = {}) {
    this._kafka = kafka
    this._config = config
    this._logger = kafka._logger.namespace('Producer')
    const warn = (m) => this._logger.warn(m)
    // Throws synchronously on invalid options, as kafkajs does for the idempotent rules.
    this._settings = producerProperties(kafka._config, config, { warn, level: kafka._logLevel })
    this._createPartitioner = config.createPartitioner || Partitioners.DefaultPartitioner
    this._partitioner = NATIVE_PARTITIONERS.has(this._createPartitioner) ? null : this._createPartitioner()
    this._emitter = new InstrumentationEmitter(PRODUCER_EVENTS, this._logger)
    this._failures = new FailureReporter({
      emitter: this._emitter,
      event: PRODUCER_EVENTS.DELIVERY_FAILURE,
      onDeliveryFailure: config.onDeliveryFailure,
      failureLog: config.failureLog,
      failureLogTimeout: this._settings.failureLogTimeout,
      logger: this._logger,
    })
    this._state = 'disconnected'
    this._connecting = null
    this._disconnecting = null
    this._native = null
    this._profiles = null
    this._metadata = new MetadataCache(this._settings.metadataMaxAge)
    this._clientEvents = new ClientEvents(this._logger)
    this._transaction = null
    this._sends = null
    const s = this._settings
    this._admission = new Admission({
      limit: s.maxEnqueueBytes,
      maxBlockMs: s.maxBlockMs ?? s.deliveryTimeout ?? s.requestTimeout + s.backoff,
    })
    this.events = PRODUCER_EVENTS
  }

  logger() {
    return this._logger
  }

  /** What `util.inspect` and `JSON.stringify` show: no configuration, so no secret. */
  toJSON() {
    return {
      clientId: this._settings.props['client.id'],
      state: this._state,
      idempotent: this._settings.idempotent,
      transactional: Boolean(this._config.transactionalId),
    }
  }

  [util.inspect.custom]() {
    return `Producer ${util.inspect(this.toJSON())}`
  }

  isIdempotent() {
    return this._settings.idempotent
  }

  on(eventName, listener) {
    return this._emitter.on(eventName, listener)
  }

  /** Connects: builds the native client and proves a broker answers metadata. */
  connect() {
    if (this._state === 'connected') return Promise.resolve()
    if (this._state === 'connecting') return this._connecting
    if (this._state === 'disconnecting') return this._disconnecting.then(() => this.connect())
    this._state = 'connecting'
    this._connecting = this._doConnect().then(
      () => {
        this._state = 'connected'
        this._connecting = null
        this._emitter.emit(PRODUCER_EVENTS.CONNECT, {})
      },
      async (e) => {
        try {
          await this._destroyNative()
        } catch {
          // The connect's own error is the one to report.
        } finally {
          this._connecting = null
          this._state = 'disconnected'
        }
        throw e
      },
    )
    return this._connecting
  }

  async _doConnect() {
    const brokers = brokerListOf(await this._kafka._resolveBrokers())
    const props = { ...this._settings.props, 'bootstrap.servers': brokers }
    try {
      this._native = new NativeProducer(props, this._settings.ioThreadNice)
    } catch (e) {
      throw fromNative(e)
    }
    const native = this._native
    this._profiles = new Profiles({
      settings: this._settings,
      transactional: Boolean(this._config.transactionalId),
      create: (overrides, enqueueTimeout) => native.addProfile(overrides, enqueueTimeout),
      warn: (m) => this._logger.warn(m),
    })
    this._metadata = new MetadataCache(this._settings.metadataMaxAge)
    const events = this._clientEvents
    events.reset()
    native.setEventListener((json) => events.onEvent(json))
    this._sends = new SendTracker(native)
    this._sends.onBacklog = (bytes) => this._admission.noteBacklog(bytes)
    this._sends.onFailed = (e, sent, profile) => this._deliveryFailed(e, sent, profile)
    this._admission.attach(native)
    const { sasl } = this._kafka._config
    if (sasl && String(sasl.mechanism).toUpperCase() === 'OAUTHBEARER') {
      const timeout = this._settings.authenticationTimeout
      installTokenProvider(native, sasl.oauthBearerProvider, timeout, this._logger, events)
    }
    // The profile of a send with kafkajs's defaults, so the usual sends reuse this client.
    const profile = this._profiles.id(-1, this._settings.requestTimeout, 0)
    const timeout = this._settings.connectionTimeout + this._settings.authenticationTimeout
    // An authentication or TLS failure ends the connect at once, not at the timeout.
    const refused = events.refusal()
    const metadata = native.metadata(profile, null, timeout)
    metadata.catch(() => {})
    try {
      await Promise.race([metadata, refused])
    } catch (e) {
      throw events.connectError(fromNative(e), brokers)
    } finally {
      events.refuseConnect = null
    }
    if (this._config.transactionalId) {
      try {
        await native.initTransactions(this._settings.transactionTimeout)
      } catch (e) {
        throw fromNative(e)
      }
    }
  }

  /**
   * Disconnects: aborts an open transaction, delivers what it can within `disconnectTimeout`,
   * fails the rest (reported, and flagged `possiblyPersisted` where it was in flight), and
   * releases the native client. Safe to call in any state, any number of times.
   */
  disconnect() {
    if (this._state === 'disconnected') return Promise.resolve()
    if (this._state === 'disconnecting') return this._disconnecting
    if (this._state === 'connecting')
      return this._connecting.then(
        () => this.disconnect(),
        () => {},
      )
    this._state = 'disconnecting'
    this._disconnecting = (async () => {
      try {
        if (this._transaction) {
          // kafkajs leaves an open transaction to time out on the broker; abort it now instead.
          const txn = this._transaction
          await this._txnCall((native, timeout) => native.abortTransaction(timeout)).catch((e) =>
            this._logger.warn('Aborting the open transaction on disconnect failed', { error: e.message }),
          )
          txn._end()
        }
        await this._destroyNative()
      } finally {
        this._state = 'disconnected'
        this._disconnecting = null
        this._emitter.emit(PRODUCER_EVENTS.DISCONNECT, {})
      }
    })()
    return this._disconnecting
  }

  async _destroyNative() {
    const native = this._native
    if (!native) return
    this._native = null
    // Sends waiting for room go on, and find the producer disconnecting.
    this._admission.attach(null)
    const sends = this._sends
    // Sends made in this same turn are still queued in JS: they go before the close.
    if (sends) sends.flush()
    try {
      const { unflushed } = await native.close(this._settings.disconnectTimeout)
      if (unflushed > 0)
        this._logger.warn(`Disconnected with ${unflushed} undelivered messages; their sends were rejected`)
    } catch (e) {
      throw fromNative(e)
    } finally {
      native.clearEventListener()
      // Every send has finished by now (close purges what it could not flush): settle them all.
      if (sends) sends.closed()
      // The native listeners hold callbacks that reference this producer: release them, or the
      // producer (and its pack buffer) could never be collected.
      native.clearCompletionListener()
    }
  }

  send(record) {
    try {
      if (record === null || typeof record !== 'object') throw new KafkaJSNonRetriableError('Invalid topic')
      const { topic, messages, acks, timeout, compression } = record
      if (!topic)
        return this._refuse({ topicMessages: [{ topic, messages }] }, new KafkaJSNonRetriableError('Invalid topic'))
      return this.sendBatch({ acks, timeout, compression, topicMessages: [{ topic, messages }] })
    } catch (e) {
      return Promise.reject(asTyped(e))
    }
  }

  /**
   * kafkajs's sendBatch. Every rejection is also reported per message (failure log first, then
   * event and callback), whether the send failed validation, found the producer disconnected,
   * or was refused by librdkafka or the broker; the Promise rejects after that.
   */
  sendBatch(batch) {
    try {
      // The common case runs synchronously up to the native call: one Promise per send (the
      // tracker's) plus its mapping, no async frames. Waiting for a connect in progress or for a
      // custom partitioner's metadata takes the async path.
      if (this._state !== 'connected' || this._partitioner)
        return this._sendBatchAsync(batch).catch((e) => this._refuse(batch, e))
      const v = this._validate(batch)
      this._checkCanSend()
      const profile = this._profiles.id(v.acks, v.timeout, v.compression)
      const wait = this._admission.room(v.topicMessages)
      if (wait !== null)
        return wait
          .then(() => {
            this._checkCanSend()
            return this._dispatch(profile, v.acks, v.topicMessages, null)
          })
          .catch((e) => this._refuse(batch, e))
      return this._dispatch(profile, v.acks, v.topicMessages, null)
    } catch (e) {
      return this._refuse(batch, e)
    }
  }

  /** Rejects a send refused whole, once each of its messages has been reported. */
  _refuse(batch, e) {
    return this._failures.refuse(batch, e)
  }

  _validate(batch) {
    return validateBatch(batch, {
      idempotent: this._settings.idempotent,
      requestTimeout: this._settings.requestTimeout,
    })
  }

  _checkCanSend() {
    if (this._state === 'disconnecting') {
      throw new KafkaJSNonRetriableError(
        "The producer is disconnecting; therefore, it can't safely accept messages anymore",
      )
    }
    if (this._state !== 'connected') throw new KafkaJSError('The producer is disconnected')
    if (this._config.transactionalId && !this._transaction) {
      throw new KafkaJSNonRetriableError(
        'A transactional producer sends only inside a transaction: use producer.transaction() and transaction.send()',
      )
    }
  }

  async _sendBatchAsync(batch) {
    const v = this._validate(batch)
    if (this._state === 'connecting') await this._connecting.catch(() => {})
    this._checkCanSend()
    const profile = this._profiles.id(v.acks, v.timeout, v.compression)
    let metadata = null
    if (this._partitioner) {
      metadata = new Map()
      const native = this._native
      const fetch = (topic) => native.metadata(profile, topic, this._settings.requestTimeout)
      for (const { topic } of v.topicMessages) {
        if (!metadata.has(topic)) metadata.set(topic, await this._metadata.partitions(topic, fetch))
      }
      // The producer may have been disconnected while the metadata was loading.
      this._checkCanSend()
    }
    const wait = this._admission.room(v.topicMessages)
    if (wait !== null) {
      await wait
      this._checkCanSend()
    }
    return this._dispatch(profile, v.acks, v.topicMessages, metadata)
  }

  /** Packs the send and hands it to the tracker; the Promise settles with its RecordMetadata. */
  _dispatch(profile, acks, topicMessages, metadata) {
    const sent = packSend(this._sends.packer, topicMessages, this._partitioner, metadata)
    if (sent.length === 0) return Promise.resolve([])
    return this._sends.send(profile, acks, sent)
  }

  /** Decodes a native rejection, reports every failed message, then rejects with the error. */
  async _deliveryFailed(nativeErr, sent, profile) {
    const retries = this._settings.retry.retries
    const context = {
      retries,
      deliveryTimeout: this._profiles.deliveryTimeout(profile),
      lastClientError: this._clientEvents.recent(this._profiles.maxDeliveryTimeout()),
    }
    return this._failures.failDelivery(fromNative(nativeErr, context), sent, { retries, context })
  }

  /** Begins a transaction (kafkajs's Transaction); needs `transactionalId`. */
  async transaction() {
    if (!this._config.transactionalId)
      throw new KafkaJSNonRetriableError('Must provide transactional id for transactional producer')
    if (this._transaction) {
      throw new KafkaJSNonRetriableError(
        'There is already an ongoing transaction for this producer. Please end the transaction before beginning another.',
      )
    }
    if (this._state === 'connecting') await this._connecting.catch(() => {})
    if (this._state !== 'connected') throw new KafkaJSError('The producer is disconnected')
    try {
      this._native.beginTransaction()
    } catch (e) {
      throw fromNative(e)
    }
    this._transaction = new Transaction(this)
    return this._transaction
  }

  async _txnCall(fn) {
    if (!this._native) throw new KafkaJSError('The producer is disconnected')
    // A commit or abort covers the sends made before it, even in the same turn.
    if (this._sends) this._sends.flush()
    try {
      await fn(this._native, this._settings.transactionTimeout)
    } catch (e) {
      throw fromNative(e)
    }
  }
}

module.exports = { Producer }
