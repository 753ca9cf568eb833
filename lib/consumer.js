'use strict'
/*
 * kafkajs's Consumer on the native core: the lifecycle and the public methods, wired up.
 *
 * One librdkafka group consumer per connect. The concerns, one file each (lib/consumer/):
 *   config.js   kafkajs options -> librdkafka properties (one table), validated at construction
 *   session.js  the native consumer itself: open (brokers proven reachable), close, leave the group
 *   runner.js   the run loop: polls chunks, runs the handlers, retries, seeks back what was not handled
 *   chunks.js   the native consumer's chunks, as Promises in request order
 *   seeks.js, batch-commits.js  the run loop's seeks, and its commit after the batches
 *   lifecycle.js  how a run and a connection end: stop, disconnect, kafkajs's crash path and restart
 *   assignment.js  what an assignment or a revocation changes in the run loop
 *   failure-rules.js  crash, retry or carry on after an error, and whether a crash restarts
 *   decode.js   one chunk buffer -> messages shaped as kafkajs's, and the group events between them
 *   batch.js    kafkajs's Batch
 *   offsets.js  resolved/committed offsets and kafkajs's autoCommit rules
 *   pauses.js   paused topics and partitions
 *   topics.js   subscribe's missing topics: created where allowed, as kafkajs's metadata request does
 *   validate.js kafkajs's argument checks
 *   events.js   the instrumentation event names
 *
 * Lifecycle: disconnected -> connecting -> connected -> disconnecting -> disconnected; `run`
 * starts a Runner (resolving once the group is joined), `stop` ends it and leaves the group,
 * `disconnect` also commits what was handled and destroys the native consumer.
 */
const util = require('node:util')
const { producerProperties, brokerListOf } = require('./config')
const { consumerProperties } = require('./consumer/config')
const { CONSUMER_EVENTS } = require('./consumer/events')
const { OffsetManager, byTopic } = require('./consumer/offsets')
const { Runner } = require('./consumer/runner')
const { openSession, closeSession, describeGroup } = require('./consumer/session')
const { Pauses } = require('./consumer/pauses')
const { ensureTopics, topicError, UNKNOWN_TOPIC_OR_PARTITION } = require('./consumer/topics')
const lifecycle = require('./consumer/lifecycle')
const { InstrumentationEmitter } = require('./events')
const { ClientEvents } = require('./producer/client-events')
const { KafkaJSNonRetriableError, fromNative } = require('./errors')
const {
  validateTopics,
  validateRun,
  validateSeek,
  validateCommits,
  validateTopicPartitions,
} = require('./consumer/validate')

class Consumer {
  constructor(kafka, config = {}) {
    this._kafka = kafka
    this._logger = kafka._logger.namespace('Consumer')
    const warn = (m) => this._logger.warn(m)
    const client = producerProperties(kafka._config, {}, { warn: () => {}, level: kafka._logLevel })
    this._client = client
    this._settings = consumerProperties(kafka._config, config, client.props, warn)
    const strategy = this._settings.props['partition.assignment.strategy']
    this._settings.protocol = /cooperative/.test(strategy) ? 'cooperative' : 'eager'
    this._groupId = this._settings.groupId
    this._emitter = new InstrumentationEmitter(CONSUMER_EVENTS, this._logger, 'consumer')
    this._clientEvents = new ClientEvents(this._logger)
    this.events = CONSUMER_EVENTS
    this._state = 'disconnected'
    this._native = null
    this._chunks = null
    this._subscriptions = new Map() // topic -> fromBeginning
    this._subscribing = new Set() // subscribe() calls in flight, each settled (see subscribe)
    this._pauses = new Pauses()
    this._runner = null
    this._ending = null // the OffsetManager of a run that is ending
    this._runEnding = null // the Promise of _endRun while it runs
    this._stopping = null // the Promise of stop() while it runs
    this._runConfig = null
    this._restartTimer = null
    this._crashDeciding = false // a crash is deciding whether to restart (see _cancelRestart)
  }

  logger() {
    return this._logger
  }

  on(eventName, listener) {
    return this._emitter.on(eventName, listener)
  }

  toJSON() {
    return { groupId: this._groupId, state: this._state, running: Boolean(this._runner) }
  }

  [util.inspect.custom]() {
    return `Consumer ${util.inspect(this.toJSON())}`
  }

  connect() {
    if (this._state === 'connected') return Promise.resolve()
    if (this._state === 'connecting') return this._connecting
    if (this._state === 'disconnecting') return this._disconnecting.then(() => this.connect())
    this._state = 'connecting'
    this._connecting = this._openNative().then(
      () => {
        this._state = 'connected'
        this._connecting = null
        this._emitter.emit(CONSUMER_EVENTS.CONNECT)
      },
      async (e) => {
        await this._closeNative().catch(() => {})
        this._connecting = null
        this._state = 'disconnected'
        throw e
      },
    )
    return this._connecting
  }

  async _openNative() {
    const brokers = brokerListOf(await this._kafka._resolveBrokers())
    const session = await openSession({
      brokers,
      props: this._settings.props,
      client: this._client,
      events: this._clientEvents,
      sasl: this._kafka._config.sasl,
      logger: this._logger,
    })
    this._native = session.native
    this._chunks = session.chunks
  }

  async _closeNative() {
    if (!this._native) return
    const session = { native: this._native, chunks: this._chunks }
    this._native = null
    this._chunks = null
    await closeSession(session)
  }

  /**
   * Records the topics once they exist (see _subscribe). run() waits for the subscribes still in
   * flight, so `subscribe(); run()` without an await between works, as in kafkajs (whose subscribe
   * records string topics before its first await).
   */
  subscribe(subscription) {
    const subscribing = this._subscribe(subscription)
    const settled = subscribing.then(
      () => this._subscribing.delete(settled),
      () => this._subscribing.delete(settled),
    )
    this._subscribing.add(settled)
    return subscribing
  }

  /** kafkajs: RegExps are matched against the cluster's topics now; strings as given. */
  async _subscribe(subscription) {
    const { topics, fromBeginning } = validateTopics(subscription)
    if (this._runner) throw new KafkaJSNonRetriableError('Cannot subscribe to topic while consumer is running')
    if (this._state !== 'connected') await this.connect()
    const existing = await this._native.topics(this._client.requestTimeout).catch((e) => {
      throw fromNative(e)
    })
    const names = new Set(existing)
    const autoCreate = this._settings.props['allow.auto.create.topics'].startsWith('t')
    const matched = topics.flatMap((t) => (typeof t === 'string' ? [t] : existing.filter((name) => t.test(name))))
    const missing = matched.filter((name) => !names.has(name))
    // kafkajs's metadata request fails with the bare protocol error.
    if (missing.length > 0 && !autoCreate) throw topicError(UNKNOWN_TOPIC_OR_PARTITION)
    if (missing.length > 0) await ensureTopics(this._native, missing, this._client.requestTimeout)
    // Only once every topic is there: a topic refused here (an invalid name) would keep run() from
    // ever being assigned anything. (kafkajs keeps it, and its run goes on without it.)
    for (const name of matched) this._subscriptions.set(name, fromBeginning)
  }

  async run(config = {}) {
    const run = validateRun(config)
    if (this._state !== 'connected' && !this._runner) await this.connect()
    while (this._subscribing.size > 0 && !this._runner) await Promise.all(this._subscribing)
    if (this._runner) {
      this._logger.warn('consumer#run was called, but the consumer is already running', { groupId: this._groupId })
      return
    }
    this._runConfig = run
    await this._start()
  }

  async _start() {
    const native = this._native
    const topics = [...this._subscriptions.keys()]
    if (topics.length === 0) throw new KafkaJSNonRetriableError('Cannot run a consumer without a subscription')
    const fromBeginning = topics.filter((t) => this._subscriptions.get(t))
    const run = this._runConfig
    const offsets = new OffsetManager({
      native,
      autoCommit: run.autoCommit,
      autoCommitInterval: run.autoCommitInterval,
      autoCommitThreshold: run.autoCommitThreshold,
      onCommit: (list) => this._emitCommit(list),
      // A commit not answered within the time the group gives a member to rejoin fails (retriable)
      // instead of holding the run loop while the coordinator is away.
      commitTimeout: this._settings.values.rebalanceTimeout,
    })
    native.setCommitOnRevoke(run.autoCommit, this._settings.values.rebalanceTimeout)
    this._offsets = offsets
    this._runner = new Runner({
      consumer: this,
      native,
      chunks: this._chunks,
      offsets,
      emitter: this._emitter,
      logger: this._logger,
      groupId: this._groupId,
      settings: this._settings,
      concurrency: run.partitionsConsumedConcurrently,
      handlers: run,
    })
    try {
      native.subscribe(topics, fromBeginning)
    } catch (e) {
      this._runner = null
      throw fromNative(e)
    }
    await this._runner.start(this._settings.values.sessionTimeout + this._settings.values.rebalanceTimeout)
  }

  _emitCommit(list) {
    const runner = this._runner
    this._emitter.emit(CONSUMER_EVENTS.COMMIT_OFFSETS, {
      groupId: this._groupId,
      memberId: runner ? runner.memberId : '',
      groupGenerationId: runner ? runner.generation : -1,
      topics: byTopic(list, (partition) => String(partition)),
    })
  }

  /** Ends the run, commits what was handled and leaves the group (lib/consumer/lifecycle.js). */
  stop() {
    return lifecycle.stop(this)
  }

  /** Ends the run as stop() does, then closes the native consumer. */
  disconnect() {
    return lifecycle.disconnect(this)
  }

  /** The run loop gave up (lib/consumer/runner.js): kafkajs's crash path. */
  _onCrash(e) {
    return lifecycle.crash(this, e)
  }

  _requireRunning() {
    if (!this._runner || !this._native)
      throw new KafkaJSNonRetriableError('Consumer group was not initialized, consumer#run must be called first')
  }

  pause(topicPartitions) {
    const list = validateTopicPartitions(topicPartitions, 'pause')
    this._requireRunning()
    for (const { topic, partitions } of list) {
      this._pauses.pause(topic, partitions)
      this._native.pause(topic, partitions)
    }
  }

  resume(topicPartitions) {
    const list = validateTopicPartitions(topicPartitions, 'resume')
    this._requireRunning()
    for (const { topic, partitions } of list) {
      this._pauses.resume(topic, partitions, this._assignedPartitions(topic))
      this._native.resume(topic, partitions)
    }
  }

  _assignedPartitions(topic) {
    const runner = this._runner
    if (!runner) return []
    return [...runner.assignment.values()].filter((p) => p.topic === topic).map((p) => p.partition)
  }

  _isPaused(topic, partition) {
    return this._pauses.isPaused(topic, partition)
  }

  paused() {
    if (!this._runner) return []
    return this._pauses.list((topic) => this._assignedPartitions(topic))
  }

  seek(target) {
    const { topic, partition, offset } = validateSeek(target)
    this._requireRunning()
    this._runner.seek(topic, partition, offset, true)
  }

  /**
   * Also while `stop`/`disconnect` wait for the handlers in flight: a handler that commits by hand
   * (Nest's KafkaContext#getConsumer().commitOffsets during app.close()) has its offset committed,
   * where kafkajs resolves without committing once its runner stopped.
   */
  async commitOffsets(topicPartitions = []) {
    const list = validateCommits(topicPartitions)
    const offsets = this._runner === null && this._native && this._ending ? this._ending : null
    if (!offsets) this._requireRunning()
    await (offsets || this._offsets).commitOffsets({ topics: byTopic(list, (partition) => partition) })
  }

  async describeGroup() {
    if (!this._native) throw new KafkaJSNonRetriableError('The consumer is not connected')
    return describeGroup(this._native, this._client.requestTimeout)
  }
}

module.exports = { Consumer }
