'use strict'
/*
 * kafkajs's Producer on the native core.
 *
 * State: disconnected -> connecting -> connected -> disconnecting -> disconnected.
 * A send while `connect()` is in flight waits for it (kafkajs would fail it: the NestJS
 * `useFactory` race); before any connect or after disconnect it fails as kafkajs does.
 *
 * A send is validated as kafkajs validates it (same order, same messages), normalised, packed
 * into one buffer and handed to the native core in one call. Its Promise settles when the
 * native core reports the send finished (SendTracker), i.e. when the last message's delivery
 * report is in.
 */
const util = require('node:util')
const { NativeProducer } = require('./native')
const { Packer, int64String } = require('./pack')
const { Partitioners } = require('./partitioners')
const { producerProperties, profileProperties, brokerListOf } = require('./config')
const { PRODUCER_EVENTS, InstrumentationEmitter } = require('./events')
const { Transaction } = require('./transaction')
const { installTokenProvider } = require('./oauth')
const errors = require('./errors')
const { RETRIABLE } = require('./protocol-errors')
const { KafkaJSError, KafkaJSNonRetriableError, KafkaJSConnectionError, fromNative, errorForCode } = errors

const REPORTED = Symbol('kafka-napi.reported')
const NATIVE_PARTITIONERS = new Set([Partitioners.DefaultPartitioner, Partitioners.JavaCompatiblePartitioner])

/**
 * How many produce attempts a failed message had. librdkafka does not report it per message, so
 * this is what its rules imply: a retriable broker error that ends delivery means the retries
 * ran out (retries + 1); a non-retriable one fails the first attempt; a local failure (queue
 * full, unknown partition) never reached a broker; a delivery timeout leaves it unknown (null).
 */
function attemptsFor(failure, retries) {
  if (failure.code > 0) return RETRIABLE.has(failure.code) ? retries + 1 : 1
  if (failure.name === 'MESSAGE_TIMED_OUT') return null
  return 0
}

/** The topic of the `i`th message of a send (`sent` as `Producer._dispatch` records it). */
function topicOf(sent, i) {
  let t = 0
  while (t < sent.ends.length - 1 && i >= sent.ends[t]) t++
  return sent.topics[t]
}

/** Hostile input (a throwing getter, a Symbol where a string goes) still gets a typed error. */
function asTyped(e) {
  return e instanceof errors.KafkaJSError
    ? e
    : new KafkaJSNonRetriableError(`Invalid send: ${e && e.message}`, { cause: e })
}

function describe(v) {
  try {
    return JSON.stringify(v)
  } catch {
    return String(v)
  }
}

/** Buffer | string | null for a key, value or header value; anything else is refused. */
function bytesOf(v, what, topic) {
  if (v === null || v === undefined) return null
  if (typeof v === 'string' || Buffer.isBuffer(v)) return v
  if (ArrayBuffer.isView(v)) return Buffer.from(v.buffer, v.byteOffset, v.byteLength)
  throw new KafkaJSNonRetriableError(
    `Invalid ${what} for topic "${topic}": expected a Buffer, string or null, got ${typeof v}`,
  )
}

function headersOf(headers, topic) {
  if (headers === undefined || headers === null) return null
  if (typeof headers !== 'object' || Array.isArray(headers)) {
    throw new KafkaJSNonRetriableError(`Invalid headers for topic "${topic}": expected an object`)
  }
  const out = []
  for (const name of Object.keys(headers)) {
    const v = headers[name]
    if (v === undefined) continue
    if (Array.isArray(v)) {
      for (const item of v) out.push([name, bytesOf(item, `header "${name}"`, topic)])
    } else {
      out.push([name, bytesOf(v, `header "${name}"`, topic)])
    }
  }
  return out.length ? out : null
}

function timestampOf(ts, topic) {
  if (ts === undefined || ts === null) return 0
  const n = typeof ts === 'number' ? ts : Number(ts)
  if (!Number.isFinite(n) || n < 0)
    throw new KafkaJSNonRetriableError(`Invalid timestamp for topic "${topic}": ${describe(ts)}`)
  return n
}

function partitionOf(p, topic) {
  if (p === undefined || p === null) return -1
  if (!Number.isInteger(p) || p < 0 || p > 2147483647)
    throw new KafkaJSNonRetriableError(`Invalid partition for topic "${topic}": ${describe(p)}`)
  return p
}

const FAILED = 0xffffffff
/** librdkafka's RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN. */
const ALL_BROKERS_DOWN = -187

/**
 * The JS half of the send path: one Promise per send, settled in bulk when the native core says
 * sends have finished (one wake-up per burst, one `takeCompletions()` call per wake-up).
 *
 * Sends are handed to the native core once per turn of the event loop: the first send of a turn
 * queues a microtask, and every send made until it runs (e.g. the 1,000 loops a drain resumes)
 * goes over in that one call, in call order. Anything else that talks to the native producer
 * (disconnect, transaction calls) calls `flush()` first, so order is kept there too.
 *
 * While sends are pending it holds the event loop open with one timer, since the native wake-up
 * itself is weak (an idle producer never keeps the process alive).
 */
class SendTracker {
  constructor(native) {
    this.native = native
    this.pending = new Map()
    this.nextId = 0
    this.keepAlive = null
    this.packer = new Packer()
    this.queuedMeta = []
    this.flushQueued = () => this.flush()
    native.setCompletionListener(() => this.drain())
  }

  /** A send just written by `packer` (`finish()`'s { offset, length }). */
  send(profile, { offset, length }) {
    const id = this.nextId
    this.nextId = (this.nextId + 1) >>> 0
    const promise = new Promise((resolve, reject) => this.pending.set(id, { resolve, reject }))
    if (this.queuedMeta.length === 0) queueMicrotask(this.flushQueued)
    this.queuedMeta.push(profile, id, offset, length)
    if (this.keepAlive === null) this.keepAlive = setInterval(() => {}, 1 << 30)
    return promise
  }

  /** Hands every queued send to the native core (a send refused there completes as failed). */
  flush() {
    if (this.queuedMeta.length === 0) return
    const meta = Uint32Array.from(this.queuedMeta)
    this.queuedMeta = []
    try {
      this.native.send(meta, this.packer.view())
    } catch (e) {
      // Only a broken call itself lands here; settle what it carried rather than lose it.
      for (let i = 1; i < meta.length; i += 4) this.settle(meta[i], e, null)
      this.release()
    }
    // The native side has copied whatever it keeps: the buffer is free for the next turn
    // (unless this flush runs from inside a send being written; that one stays for later).
    if (!this.packer.writing) this.packer.reset()
  }

  settle(id, error, parts) {
    const p = this.pending.get(id)
    if (!p) return
    this.pending.delete(id)
    if (error !== null) p.reject(error)
    else p.resolve(parts)
  }

  /** Settles every finished send (buffer layout: `write_completion` in src/producer.rs). */
  drain() {
    const b = this.native.takeCompletions()
    let o = 0
    while (o + 8 <= b.length) {
      const id = b.readUInt32LE(o)
      const n = b.readUInt32LE(o + 4)
      o += 8
      let error = null
      let parts = null
      if (n === FAILED) {
        const len = b.readUInt32LE(o)
        error = b.toString('utf8', o + 4, o + 4 + len)
        o += 4 + len
      } else {
        parts = new Array(n)
        for (let i = 0; i < n; i++, o += 24) {
          parts[i] = {
            topic: b.readUInt32LE(o),
            partition: b.readInt32LE(o + 4),
            baseOffset: int64String(b, o + 8),
            logAppendTime: int64String(b, o + 16),
          }
        }
      }
      this.settle(id, error === null ? null : new Error(error), parts)
    }
    this.release()
  }

  release() {
    if (this.pending.size === 0 && this.keepAlive !== null) {
      clearInterval(this.keepAlive)
      this.keepAlive = null
    }
  }

  /** After the native close: collect the last completions; anything left can never finish. */
  closed() {
    this.queuedMeta = []
    this.packer.reset()
    this.drain()
    for (const p of this.pending.values())
      p.reject(new KafkaJSError('The producer was disconnected before the send completed', { retriable: false }))
    this.pending.clear()
    this.release()
  }
}

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
    this._onDeliveryFailure = config.onDeliveryFailure
    this._failureLog = config.failureLog || null
    this._state = 'disconnected'
    this._native = null
    this._profiles = new Map()
    this._lastProfile = null
    this._metadata = new Map()
    this._lastClientError = null
    this._transaction = null
    this._sends = null
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
    if (this._state === 'disconnecting') {
      return this._disconnecting.then(() => this.connect())
    }
    this._state = 'connecting'
    this._connecting = this._doConnect().then(
      () => {
        this._state = 'connected'
        this._connecting = null
        this._emitter.emit(PRODUCER_EVENTS.CONNECT, {})
      },
      async (e) => {
        this._connecting = null
        await this._destroyNative()
        this._state = 'disconnected'
        throw e
      },
    )
    return this._connecting
  }

  async _doConnect() {
    const brokers = brokerListOf(await this._kafka._resolveBrokers())
    const props = { ...this._settings.props, 'bootstrap.servers': brokers }
    try {
      this._native = new NativeProducer(props)
    } catch (e) {
      throw fromNative(e)
    }
    this._profiles = new Map()
    this._lastProfile = null
    this._metadata = new Map()
    this._lastClientError = null
    this._native.setEventListener((json) => this._onNativeEvent(json))
    this._sends = new SendTracker(this._native)
    const { sasl } = this._kafka._config
    if (sasl && String(sasl.mechanism).toUpperCase() === 'OAUTHBEARER') {
      installTokenProvider(this._native, sasl.oauthBearerProvider, this._settings.authenticationTimeout, this._logger)
    }
    // The profile of a send with kafkajs's defaults, so the usual sends reuse this client.
    const profile = this._profile({ acks: -1, timeout: this._kafka._config.requestTimeout ?? 30000, compression: 0 })
    const timeout = this._settings.connectionTimeout + this._settings.authenticationTimeout
    // An authentication or TLS failure ends the connect at once, not at the timeout.
    const refused = new Promise((_, reject) => {
      this._refuseConnect = reject
    })
    const metadata = this._native.metadata(profile, null, timeout)
    metadata.catch(() => {})
    try {
      await Promise.race([metadata, refused])
    } catch (e) {
      throw this._connectError(fromNative(e), brokers)
    } finally {
      this._refuseConnect = null
    }
    if (this._config.transactionalId) {
      try {
        await this._native.initTransactions(this._settings.transactionTimeout)
      } catch (e) {
        throw fromNative(e)
      }
    }
  }

  _connectError(err, brokers) {
    const last = this._lastClientError
    if (last && last.code === -169)
      return new errors.KafkaJSSASLAuthenticationError(`SASL authentication failed: ${last.message}`)
    if (last && last.code === -181)
      return new KafkaJSConnectionError(`TLS error connecting to ${brokers}: ${last.message}`, {
        code: 'SSL',
        cause: err,
      })
    const detail = last ? last.message : err.message
    return new KafkaJSConnectionError(`Connection error: failed to connect to ${brokers}: ${detail}`, {
      broker: brokers,
      code: last ? last.name : undefined,
      cause: err,
    })
  }

  _onNativeEvent(json) {
    let e
    try {
      e = JSON.parse(json)
    } catch {
      return
    }
    if (e.type === 'error') {
      // librdkafka logs the same condition through its log callback; remember it for the
      // error that a failing connect or send will report. It reports the cause once (e.g.
      // "Connect to ... failed: Connection refused"; repeats are suppressed) and then
      // "1/1 brokers are down" again and again: that summary must not hide the cause.
      const last = this._lastClientError
      if (e.code !== ALL_BROKERS_DOWN || !last || last.code === ALL_BROKERS_DOWN) {
        this._lastClientError = { code: e.code, name: e.code, message: e.message, at: Date.now() }
      }
      if (this._refuseConnect && (e.code === -169 || e.code === -181)) this._refuseConnect(new Error(e.message))
      return
    }
    const m = `${e.facility}: ${e.message}`
    if (e.level <= 3) this._logger.error(m, { source: 'librdkafka' })
    else if (e.level === 4) this._logger.warn(m, { source: 'librdkafka' })
    else if (e.level <= 6) this._logger.info(m, { source: 'librdkafka' })
    else this._logger.debug(m, { source: 'librdkafka' })
  }

  _profile({ acks, timeout, compression }) {
    // Most sends repeat the previous send's options: skip building the key.
    const last = this._lastProfile
    if (last !== null && last.acks === acks && last.timeout === timeout && last.compression === compression)
      return last.id
    const id = this._profileFor(acks, timeout, compression)
    this._lastProfile = { acks, timeout, compression, id }
    return id
  }

  _profileFor(acks, timeout, compression) {
    const key = `${acks}|${timeout}|${compression}`
    let p = this._profiles.get(key)
    if (p === undefined && this._config.transactionalId && this._profiles.size > 0) {
      // Two clients with one transactional.id would fence each other: one client, fixed options.
      const [first] = this._profiles.keys()
      const [a0, , c0] = first.split('|')
      if (String(acks) !== a0 || String(compression) !== c0) {
        throw new KafkaJSNonRetriableError(
          `A transactional producer sends with one set of options (acks ${a0}, compression ${c0}); got acks ${acks}, compression ${compression}`,
        )
      }
      return this._profiles.get(first).id
    }
    if (p === undefined) {
      const { overrides, deliveryTimeout, enqueueTimeout } = profileProperties(
        { acks, timeout, compression },
        this._settings,
      )
      let id
      try {
        id = this._native.addProfile(overrides, enqueueTimeout)
      } catch (e) {
        throw fromNative(e)
      }
      p = { id, deliveryTimeout }
      this._profiles.set(key, p)
    }
    return p.id
  }

  async disconnect() {
    if (this._state === 'disconnected') return
    if (this._state === 'disconnecting') return this._disconnecting
    if (this._state === 'connecting') {
      try {
        await this._connecting
      } catch {
        return
      }
    }
    this._state = 'disconnecting'
    if (this._transaction) {
      // kafkajs leaves an open transaction to time out on the broker; abort it now instead.
      const txn = this._transaction
      await this._txnCall((native, timeout) => native.abortTransaction(timeout)).catch((e) =>
        this._logger.warn('Aborting the open transaction on disconnect failed', { error: e.message }),
      )
      txn._end()
    }
    this._disconnecting = (async () => {
      try {
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
    const sends = this._sends
    // Sends made in this same turn are still queued in JS: they go before the close.
    if (sends) sends.flush()
    try {
      const { unflushed } = await native.close(this._config.disconnectTimeout ?? 30000)
      if (unflushed > 0)
        this._logger.warn(`Disconnected with ${unflushed} undelivered messages; their sends were rejected`)
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
      if (!topic) {
        const err = new KafkaJSNonRetriableError('Invalid topic')
        this._reportRejectedBatch({ topicMessages: [{ topic, messages }] }, err)
        throw err
      }
      return this.sendBatch({ acks, timeout, compression, topicMessages: [{ topic, messages }] })
    } catch (e) {
      return Promise.reject(asTyped(e))
    }
  }

  /**
   * kafkajs's sendBatch. Every rejection is also reported per message (event, callback, failure
   * log), whether the send failed validation, found the producer disconnected, or was refused
   * by librdkafka or the broker.
   */
  sendBatch(batch) {
    try {
      // The common case runs synchronously up to the native call: one Promise per send (the
      // tracker's) plus its mapping, no async frames. Waiting for a connect in progress or for a
      // custom partitioner's metadata takes the async path.
      if (this._state !== 'connected' || this._partitioner)
        return this._sendBatchAsync(batch).catch((e) => Promise.reject(this._rejectBatch(batch, e)))
      const v = this._validate(batch)
      this._checkCanSend()
      const profile = this._profile(v)
      return this._dispatch(profile, v.acks, v.topicMessages, null)
    } catch (e) {
      return Promise.reject(this._rejectBatch(batch, e))
    }
  }

  /** A rejection of the whole send, typed, and reported per message unless it already was. */
  _rejectBatch(batch, e) {
    const err = asTyped(e)
    if (!err[REPORTED]) this._reportRejectedBatch(batch, err)
    return err
  }

  _reportRejectedBatch(batch, error) {
    if (!this._emitter.hasListeners(PRODUCER_EVENTS.DELIVERY_FAILURE) && !this._onDeliveryFailure && !this._failureLog)
      return
    try {
      const topicMessages = batch && Array.isArray(batch.topicMessages) ? batch.topicMessages : []
      for (const tm of topicMessages) {
        if (!tm || !Array.isArray(tm.messages)) continue
        for (const message of tm.messages) {
          this._reportFailure({
            topic: tm.topic,
            partition: message && Number.isInteger(message.partition) ? message.partition : undefined,
            message,
            error,
            attempts: 0,
          })
        }
      }
    } catch (e) {
      // The batch itself is hostile (throwing getters): the rejection still reaches the caller.
      this._logger.error('Could not report a rejected send', { error: e && e.message })
    }
  }

  /** Validates as kafkajs does (same order, same messages); returns the send's options. */
  _validate(batch) {
    if (batch === null || typeof batch !== 'object') throw new KafkaJSNonRetriableError('Invalid batch')
    const {
      acks = -1,
      timeout = this._kafka._config.requestTimeout ?? 30000,
      compression = 0,
      topicMessages = [],
    } = batch
    if (this._settings.idempotent && acks !== -1) {
      throw new KafkaJSNonRetriableError(
        "Not requiring ack for all messages invalidates the idempotent producer's EoS guarantees",
      )
    }
    if (!Array.isArray(topicMessages))
      throw new KafkaJSNonRetriableError(`Invalid topicMessages: ${describe(topicMessages)}`)
    for (const tm of topicMessages) {
      if (!tm || !tm.topic || typeof tm.topic !== 'string') throw new KafkaJSNonRetriableError('Invalid topic')
      const { topic, messages } = tm
      if (!Array.isArray(messages))
        throw new KafkaJSNonRetriableError(`Invalid messages array [${messages}] for topic "${topic}"`)
      for (const m of messages) {
        if (m === null || typeof m !== 'object')
          throw new KafkaJSNonRetriableError(`Invalid message for topic "${topic}": ${describe(m)}`)
        if (m.value === undefined)
          throw new KafkaJSNonRetriableError(`Invalid message without value for topic "${topic}": ${describe(m)}`)
      }
    }
    return { acks, timeout, compression, topicMessages }
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
    const profile = this._profile(v)
    let metadata = null
    if (this._partitioner) {
      metadata = new Map()
      for (const { topic } of v.topicMessages) {
        if (!metadata.has(topic)) metadata.set(topic, await this._partitionMetadata(profile, topic))
      }
      // The producer may have been disconnected while the metadata was loading.
      this._checkCanSend()
    }
    return this._dispatch(profile, v.acks, v.topicMessages, metadata)
  }

  /**
   * Normalises and packs the messages (partitioning them with a JS partitioner when there is
   * one) and hands the send to the tracker; the Promise settles with its RecordMetadata.
   */
  _dispatch(profile, acks, topicMessages, metadata) {
    const packer = this._sends.packer
    if (packer.writing) {
      // Only user code running inside a send (a partitioner, a getter on a message) gets here.
      throw new KafkaJSNonRetriableError(
        'A send cannot be started from inside another send (from a partitioner or a message getter)',
      )
    }
    const topics = []
    // One topic (nearly every send): no index map to build.
    const topicIndex = topicMessages.length === 1 ? null : new Map()
    if (topicIndex === null) topics.push(topicMessages[0].topic)
    else {
      for (const { topic } of topicMessages) {
        if (!topicIndex.has(topic)) {
          topicIndex.set(topic, topics.length)
          topics.push(topic)
        }
      }
    }
    // What failure reports point back to: the messages in send order, and where each topic's end.
    const sent = { messages: [], ends: [], topics: [] }
    packer.start(topics)
    try {
      for (const { topic, messages } of topicMessages) {
        const ti = topicIndex === null ? 0 : topicIndex.get(topic)
        const partitionMetadata = metadata ? metadata.get(topic) : null
        for (const m of messages) {
          let partition = partitionOf(m.partition, topic)
          const key = bytesOf(m.key, 'message key', topic)
          if (partition < 0 && this._partitioner) {
            partition = partitionOf(this._partitioner({ topic, partitionMetadata, message: m }), topic)
          }
          packer.add(
            ti,
            partition,
            timestampOf(m.timestamp, topic),
            key,
            bytesOf(m.value, 'message value', topic),
            headersOf(m.headers, topic),
          )
          sent.messages.push(m)
        }
        sent.ends.push(sent.messages.length)
        sent.topics.push(topic)
      }
    } catch (e) {
      packer.cancel()
      throw e
    }
    if (sent.messages.length === 0) {
      packer.cancel()
      return Promise.resolve([])
    }
    return this._sends.send(profile, packer.finish()).then(
      (parts) =>
        acks === 0
          ? []
          : parts.map((p) => ({
              topicName: topics[p.topic],
              partition: p.partition,
              errorCode: 0,
              baseOffset: p.baseOffset,
              logAppendTime: p.logAppendTime,
              logStartOffset: '-1',
            })),
      (e) => Promise.reject(this._deliveryFailed(e, sent, topics, profile)),
    )
  }

  async _partitionMetadata(profile, topic) {
    const cached = this._metadata.get(topic)
    const maxAge = this._config.metadataMaxAge ?? 300000
    if (cached && Date.now() - cached.at < maxAge) return cached.partitions
    let md
    try {
      md = await this._native.metadata(profile, topic, this._kafka._config.requestTimeout ?? 30000)
    } catch (e) {
      throw fromNative(e)
    }
    const t = md.topics.find((x) => x.topic === topic)
    if (!t || t.partitions.length === 0) {
      throw new errors.KafkaJSTopicMetadataNotLoaded(`Failed to load metadata for topic "${topic}"`, { topic })
    }
    const partitions = t.partitions.map((p) => ({
      partitionErrorCode: p.partitionErrorCode,
      partitionId: p.partitionId,
      leader: p.leader,
      replicas: p.replicas,
      isr: p.isr,
    }))
    partitions.sort((a, b) => a.partitionId - b.partitionId)
    this._metadata.set(topic, { at: Date.now(), partitions })
    return partitions
  }

  /** Turns a native rejection into the KafkaJS error and reports every failed message. */
  _deliveryFailed(nativeErr, sent, topics, profile) {
    const p = [...this._profiles.values()].find((x) => x.id === profile)
    const context = {
      retries: this._settings.retry.retries,
      deliveryTimeout: p && p.deliveryTimeout,
      lastClientError: this._recentClientError(),
    }
    const err = fromNative(nativeErr, context)
    Object.defineProperty(err, REPORTED, { value: true })
    if (!err.failures) {
      // Not per-message (the send was refused whole, or never completed): report every message.
      sent.messages.forEach((message, i) => {
        this._reportFailure({
          topic: topicOf(sent, i),
          partition: Number.isInteger(message.partition) ? message.partition : undefined,
          message,
          error: err,
          attempts: null,
        })
      })
      return err
    }
    const failures = err.failures
    for (const f of failures) {
      const message = sent.messages[f.index]
      const error =
        failures.length === 1 || f.code === failures[0].code ? err : errorForCode(f.code, f.name, f.message, context)
      const report = {
        topic: message ? topicOf(sent, f.index) : topics[f.topic],
        partition: f.partition >= 0 ? f.partition : undefined,
        message,
        error,
        attempts: attemptsFor(f, this._settings.retry.retries),
      }
      this._reportFailure(report)
    }
    return err
  }

  _recentClientError() {
    const e = this._lastClientError
    if (!e) return null
    const deliveryWindow = Math.max(...[...this._profiles.values()].map((p) => p.deliveryTimeout), 0)
    return Date.now() - e.at <= deliveryWindow ? e : null
  }

  _reportFailure(report) {
    this._emitter.emit(PRODUCER_EVENTS.DELIVERY_FAILURE, report)
    if (this._onDeliveryFailure) {
      try {
        const r = this._onDeliveryFailure(report)
        if (r && typeof r.catch === 'function')
          r.catch((e) => this._logger.error('onDeliveryFailure rejected', { error: e && e.message }))
      } catch (e) {
        this._logger.error('onDeliveryFailure threw', { error: e && e.message })
      }
    }
    if (this._failureLog) {
      try {
        this._failureLog.record(report)
      } catch (e) {
        this._logger.error('Failure log could not record a failed message', { error: e && e.message })
      }
    }
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
