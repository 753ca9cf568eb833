'use strict'
/*
 * The run loop of one `consumer.run()`: poll a chunk, hand its messages to eachMessage/eachBatch
 * (per partition, in order, up to partitionsConsumedConcurrently partitions at a time), apply its
 * group events in order, commit as kafkajs does, and poll again. Polls never overlap the handlers:
 * librdkafka runs rebalances inside a poll, so every message handled before a revocation has its
 * offset stored by then, and the commit made before the revocation covers it.
 *
 * Never losing a message: librdkafka's fetch position moves past every message it hands over.
 * A message that is handed over but not handled (its partition paused, its handler failed, a
 * batch left unresolved, a later message of a failed chunk) is fetched again: the partition is
 * sought back to its first unhandled offset, and its messages are dropped until the seek is
 * applied (the chunk's `seeked` record marks the point).
 */
const { decodeChunk } = require('./decode')
const { Batch, batchEventPayload } = require('./batch')
const { key } = require('./offsets')
const { KafkaJSNumberOfRetriesExceeded, errorForCode } = require('../errors')
const { GROUP_MOVED, unrecoverable, retryDelay } = require('./failure-rules')
const { CONSUMER_EVENTS: E } = require('./events')
const { onAssign, onRevoke } = require('./assignment')
const { seek, onSeeked, seekBack } = require('./seeks')
const { validateOffsetsToCommit, validateResolvedOffset } = require('./validate')
const { BatchCommits } = require('./batch-commits')

/**
 * The most one chunk holds: its messages are decoded and handled in one turn of the event loop
 * (an eachMessage handler that awaits nothing real runs the whole chunk in microtasks), so the
 * chunk bounds how long timers and I/O wait. 2,000 messages or 1 MiB (and `maxBytes`) keep a
 * turn at a few ms; the next chunk is polled while one is handled, so throughput stays.
 */
const CHUNK_MESSAGES = 2000
const CHUNK_BYTES = 1 << 20
const POLL_WAIT_MS = 500

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))
/** Lets timers and I/O run between chunks (the next chunk is often ready: awaiting it would not). */
const yieldToEventLoop = () => new Promise((resolve) => setImmediate(resolve))

class Runner {
  constructor(opts) {
    Object.assign(this, opts) // consumer, native, chunks, offsets, emitter, logger, groupId, handlers, settings
    this.running = false
    this.assignment = new Map() // key -> { topic, partition }
    this.pendingSeeks = new Map() // key -> [{ offset, user }]
    this.memberId = ''
    this.generation = 0
    this.failures = 0
    this.lastHeartbeat = 0
    this.inFlight = 0
    this.polling = null // the poll in flight (see loop)
    this.commits = new BatchCommits({
      offsets: this.offsets,
      logger: this.logger,
      groupId: this.groupId,
      isRunning: () => this.running,
    })
    this.joinStarted = Date.now()
  }

  /**
   * Starts the loop; resolves once the group is joined, or the loop ended first, or `bound` ms
   * passed (the group unreachable: the loop goes on joining in the background, as kafkajs's
   * restarts do, and run() still settles).
   */
  async start(bound) {
    this.running = true
    let joined
    this.joined = new Promise((resolve) => {
      joined = resolve
    })
    this.onJoined = joined
    this.loopDone = this.loop()
    let timer
    const late = new Promise((resolve) => {
      timer = setTimeout(() => resolve(true), bound)
    })
    try {
      const timedOut = await Promise.race([this.joined, this.loopDone, late])
      if (timedOut === true)
        this.logger.warn(`The group was not joined within ${bound} ms; consuming starts when it is`, {
          groupId: this.groupId,
        })
    } finally {
      clearTimeout(timer)
    }
  }

  /** Ends the loop: waits for the handlers in flight up to `bound` ms. */
  async stop(bound) {
    this.running = false
    this.onJoined()
    let timer
    await Promise.race([this.loopDone, new Promise((r) => (timer = setTimeout(r, bound)))])
    clearTimeout(timer)
  }

  /** One poll; its Promise never rejects unhandled (the loop may leave it behind when stopping). */
  pollNext() {
    this.emitter.emit(E.FETCH_START, {})
    const started = Date.now()
    const polled = this.chunks
      .next(CHUNK_MESSAGES, Math.min(CHUNK_BYTES, this.settings.values.maxBytes), POLL_WAIT_MS)
      .then((chunk) => ({ chunk, started }))
    polled.catch(() => {})
    return polled
  }

  /**
   * Polls and handles chunks. The next poll runs while a chunk is handled (JS is "busy"); a
   * revocation that poll meets waits natively until the chunk is done and its offsets stored.
   */
  async loop() {
    try {
      await this.pollAndHandle()
    } finally {
      // The poll started while the last chunk was handled ends the loop once it answers. Left
      // running, it would take what comes next: after stop(), the revocation of leaveGroup, which
      // then waited out its 5 s bound.
      const left = this.polling
      this.polling = null
      if (left !== null) await left.catch(() => {})
    }
  }

  async pollAndHandle() {
    while (this.running) {
      try {
        if (this.polling === null) {
          this.offsets.flushStore()
          this.polling = this.pollNext()
        }
        // Taken before it is awaited: a poll that failed is not awaited again by the retry.
        const polled = this.polling
        this.polling = null
        const { chunk, started } = await polled
        if (!this.running) return
        const records = decodeChunk(chunk)
        this.native.setBusy(true)
        this.polling = this.pollNext()
        try {
          await this.process(records, started)
        } finally {
          this.offsets.flushStore()
          this.native.setBusy(false)
        }
        await yieldToEventLoop()
      } catch (e) {
        if (!this.running) return
        if (GROUP_MOVED.has(e && e.type)) {
          // A commit (autoCommitThreshold/Interval, or eachBatch's commitOffsetsIfNecessary) met
          // the group moving on. Not a handler failure, and no crash: kafkajs rejoins on these,
          // and librdkafka does so by itself. The chunk stops there, as it would in kafkajs: its
          // unhandled messages are sought back, so a member whose commits are refused does not
          // handle more and more uncommitted messages (the at-least-once window) meanwhile. The
          // handled ones stay stored: a later commit, or the one before the revocation, covers
          // them. Then a pause of kafkajs's first retry delay, for the rebalance to come.
          this.logger.warn(`The group is rebalancing: ${e.message}`, { groupId: this.groupId, type: e.type })
          await sleep(retryDelay(this.settings.retry, 1))
          continue
        }
        const fatal = unrecoverable(e)
        if (fatal) {
          this.running = false
          this.onJoined()
          this.consumer._onCrash(fatal)
          return
        }
        this.failures++
        const retry = this.settings.retry
        if (this.failures > retry.retries) {
          const retryTime = retryDelay(retry, this.failures)
          this.running = false
          this.onJoined()
          this.consumer._onCrash(new KafkaJSNumberOfRetriesExceeded(e, { retryCount: this.failures - 1, retryTime }))
          return
        }
        const delay = retryDelay(retry, this.failures)
        this.logger.error(`Error when handling messages, retrying in ${delay} ms`, {
          groupId: this.groupId,
          error: e && e.message !== undefined ? e.message : String(e),
          retryCount: this.failures,
        })
        await sleep(delay)
      }
    }
  }

  /** The records of one chunk, in order. Throws the first handler failure, after the rest is applied. */
  async process(records, started) {
    // Messages of a partition revoked later in the same chunk were already given up.
    const revoked = new Set()
    for (let i = records.length - 1; i >= 0; i--) {
      const r = records[i]
      if (r.kind === 'revoke') for (const p of r.partitions) revoked.add(key(p.topic, p.partition))
      else if (r.kind === 'assign') for (const p of r.partitions) revoked.delete(key(p.topic, p.partition))
      else if (r.kind === 'messages' && revoked.size > 0) r.batches = r.batches.filter((b) => !revoked.has(b.key))
    }
    let failure = null
    let handled = false
    for (const r of records) {
      if (r.kind !== 'messages') {
        await this.onGroupEvent(r)
        continue
      }
      const batches = []
      for (const b of r.batches) {
        if (failure || !this.accept(b)) this.drop(b)
        else batches.push(b)
      }
      if (batches.length === 0) continue
      try {
        await this.handle(batches, started)
        handled = true
      } catch (e) {
        failure = failure || { error: e }
      }
    }
    if (failure) throw failure.error
    // Retries count consecutive failures: messages handled without one end the streak.
    if (handled) this.failures = 0
  }

  /** Whether the messages of a decoded batch ({ topic, partition, key }) may be handled now. */
  accept(b) {
    if (!this.assignment.has(b.key) || this.pendingSeeks.has(b.key)) return false
    return !this.consumer._isPaused(b.topic, b.partition)
  }

  /** Messages of a decoded batch handed over but not handled: fetch them again later. */
  drop(b) {
    if (!this.assignment.has(b.key) || this.pendingSeeks.has(b.key)) return
    this.seek(b.topic, b.partition, b.messages[0].offset, false)
  }

  /** The app's seek (`user`), or the loop's own; see seeks.js. */
  seek(topic, partition, offset, user) {
    seek(this, topic, partition, offset, user)
  }

  /** The partition was revoked, or sought, since `generation`: its messages in hand are stale. */
  isMoved(k, generation) {
    return this.pendingSeeks.has(k) || !this.assignment.has(k) || generation !== this.generation
  }

  /** kafkajs's isStale(), and the check before each message: stopped, or moved. */
  isStale(k, generation) {
    return !this.running || this.isMoved(k, generation)
  }

  async onGroupEvent(r) {
    switch (r.kind) {
      case 'assign':
        onAssign(this, r)
        break
      case 'revoke':
        onRevoke(this, r)
        break
      case 'seeked':
        await onSeeked(this, r)
        break
      case 'error': {
        const error = errorForCode(r.code, r.name, r.message)
        this.logger.warn(`Consumer error: ${r.name}: ${r.message}`, { groupId: this.groupId, code: r.code })
        if (r.name === 'FATAL') throw error
        break
      }
    }
  }

  /** One run of messages, as decoded batches: handled per partition, then kafkajs's commit after the batches. */
  async handle(list, started) {
    const hw = this.native.highWatermarks(
      list.map((b) => b.topic),
      list.map((b) => b.partition),
    )
    this.emitter.emit(E.FETCH, { numberOfBatches: list.length, duration: Date.now() - started })
    let failure = null
    let next = 0
    const worker = async () => {
      while (next < list.length) {
        const i = next++
        const b = list[i]
        if (failure) {
          this.drop(b)
          continue
        }
        try {
          await this.handleBatch(
            new Batch(b.topic, b.partition, b.messages, String(hw[i])),
            b.key,
            () => failure !== null,
          )
        } catch (e) {
          failure = failure || { error: e }
        }
      }
    }
    const workers = []
    for (let i = 0; i < Math.min(this.concurrency, list.length); i++) workers.push(worker())
    await Promise.all(workers)
    if (failure) {
      await this.commits.now()
      throw failure.error
    }
    this.commits.behind()
  }

  /** `k`: key(topic, partition). */
  async handleBatch(batch, k, failedElsewhere) {
    const { topic, partition } = batch
    const generation = this.generation
    const startedAt = Date.now()
    if (this.emitter.hasListeners(E.START_BATCH_PROCESS))
      this.emitter.emit(E.START_BATCH_PROCESS, batchEventPayload(batch))
    const pause = () => {
      this.consumer.pause([{ topic, partitions: [partition] }])
      return () => this.consumer.resume([{ topic, partitions: [partition] }])
    }
    const heartbeat = () => this.heartbeat()
    this.inFlight++
    try {
      if (this.handlers.eachMessage) {
        for (const message of batch.messages) {
          if (this.isStale(k, generation) || failedElsewhere()) break
          await this.handlers.eachMessage({ topic, partition, message, heartbeat, pause })
          // A handled message counts even if the consumer stopped meanwhile (kafkajs resolves it).
          if (this.isMoved(k, generation)) break
          this.offsets.resolveNext(k, topic, partition, Number(message.offset) + 1)
          const committing = this.offsets.commitOffsetsIfNecessary()
          if (committing !== undefined) await committing
          if (this.consumer._isPaused(topic, partition)) break
        }
      } else {
        await this.handlers.eachBatch({
          batch,
          resolveOffset: (offset) => {
            const next = validateResolvedOffset(offset) + 1
            if (!this.isMoved(k, generation)) this.offsets.resolveNext(k, topic, partition, next)
          },
          heartbeat,
          pause,
          commitOffsetsIfNecessary: async (offsets) =>
            offsets
              ? this.offsets.commitOffsets(validateOffsetsToCommit(offsets))
              : this.offsets.commitOffsetsIfNecessary(true),
          uncommittedOffsets: () => this.offsets.uncommittedOffsets(),
          isRunning: () => this.running,
          isStale: () => this.isMoved(k, generation),
        })
        if (this.handlers.eachBatchAutoResolve && !this.isMoved(k, generation) && !batch.isEmpty())
          this.offsets.resolveOffset({ topic, partition, offset: batch.lastOffset() })
      }
    } finally {
      this.inFlight--
      seekBack(this, batch, k, generation)
    }
    if (this.emitter.hasListeners(E.END_BATCH_PROCESS))
      this.emitter.emit(E.END_BATCH_PROCESS, batchEventPayload(batch, Date.now() - startedAt))
  }

  /** librdkafka heartbeats on its own; kafkajs's heartbeat() only reports (at most once per interval). */
  async heartbeat() {
    const now = Date.now()
    if (now - this.lastHeartbeat < this.settings.values.heartbeatInterval) return
    this.lastHeartbeat = now
    this.emitter.emit(E.HEARTBEAT, {
      groupId: this.groupId,
      memberId: this.memberId,
      groupGenerationId: this.generation,
    })
  }
}

module.exports = { Runner }
