'use strict'
/*
 * Step 4 of a send: track it to completion. One Promise per send, settled in bulk from the
 * completion buffer the native core fills (layout: src/producer/wire.rs, `write_completion`).
 */
const { KafkaJSError } = require('../errors')
const { Packer, int64String } = require('../pack')
const { PendingSends } = require('./pending-sends')

const FAILED = 0xffffffff
/**
 * Finished sends are settled in slices of about this many messages per turn of the event loop
 * (at least one send per turn). Each settled send resumes its caller, whose continuation often
 * packs the next send of the same size within the same turn: four 1,000-message sends settled
 * together held the loop for 6-9 ms. The rest follow in the next turns (setImmediate), in order.
 */
const SETTLE_PER_TURN = 1000
/**
 * Sends are handed over as soon as this many bytes of them are packed, not only at the end of the
 * turn: the pack buffer then holds about this much plus one send. Four 1,000 x 1 KB sends in one
 * turn grew it to 8 MB, kept for the next turns (and 16 MB while it grew).
 */
const FLUSH_BYTES = 1024 * 1024

/** A send in flight: how to settle it, and what its metadata and failure reports need. */
class PendingSend {
  constructor(id, resolve, acks, sent, profile) {
    this.id = id
    this.resolve = resolve
    this.acks = acks
    this.sent = sent
    this.profile = profile
  }
}

/** kafkajs's RecordMetadata, one per partition a send reached. */
class RecordMetadata {
  constructor(topicName, partition, baseOffset, logAppendTime) {
    this.topicName = topicName
    this.partition = partition
    this.errorCode = 0
    this.baseOffset = baseOffset
    this.logAppendTime = logAppendTime
    this.logStartOffset = '-1'
  }
}
/**
 * The JS half of the send path: one Promise per send, settled in bulk when the native core says
 * sends have finished (one wake-up per burst, one `takeCompletions()` call per wake-up).
 *
 * Sends are handed to the native core once per turn of the event loop: the first send of a turn
 * queues a microtask, and every send made until it runs (e.g. the 1,000 loops a drain resumes)
 * goes over in that one call, in call order; large sends go over sooner, whenever FLUSH_BYTES of
 * them are packed. Anything else that talks to the native producer (disconnect, transaction
 * calls) calls `flush()` first, so order is kept there too.
 *
 * While sends are pending it holds the event loop open with one timer, since the native wake-up
 * itself is weak (an idle producer never keeps the process alive).
 */
class SendTracker {
  constructor(native) {
    this.native = native
    this.pending = new PendingSends()
    this.nextId = 0
    this.keepAlive = null
    this.packer = new Packer()
    this.queuedMeta = []
    this.flushQueued = () => this.flush()
    /** Finished sends not settled yet (flat: id, error, RecordMetadata[]), from `readyAt` on. */
    this.ready = []
    this.readyAt = 0
    this.settleLater = null
    /** Told the enqueue backlog (bytes) after each native send: the admission step reads it. */
    this.onBacklog = () => {}
    /**
     * A send failed (`error`: the native error, or a KafkaJSError when it can never finish):
     * returns the Promise its caller's Promise takes on (the producer reports, then rejects).
     */
    this.onFailed = (error) => Promise.reject(error)
    this.resolveNext = null
    this.capture = (resolve) => {
      this.resolveNext = resolve
    }
    native.setCompletionListener(() => this.drain())
  }

  /**
   * A send just packed (`sent`, route.js's Sent): its Promise, which resolves with the send's
   * RecordMetadata[] (kafkajs's shape; [] with acks 0), or settles as `onFailed` says.
   */
  send(profile, acks, sent) {
    const id = this.nextId
    this.nextId = (this.nextId + 1) >>> 0
    // `capture` stores the resolving functions: no executor closure per send.
    const promise = new Promise(this.capture)
    this.pending.add(new PendingSend(id, this.resolveNext, acks, sent, profile))
    if (this.queuedMeta.length === 0) queueMicrotask(this.flushQueued)
    this.queuedMeta.push(profile, id, sent.offset, sent.length)
    if (this.keepAlive === null) this.keepAlive = setInterval(() => {}, 1 << 30)
    if (this.packer.size >= FLUSH_BYTES) this.flush()
    return promise
  }

  /** Hands every queued send to the native core (a send refused there completes as failed). */
  flush() {
    if (this.queuedMeta.length === 0) return
    const meta = Uint32Array.from(this.queuedMeta)
    this.queuedMeta = []
    try {
      this.onBacklog(this.native.send(meta, this.packer.view()))
    } catch (e) {
      // Only a broken call itself lands here; settle what it carried rather than lose it.
      for (let i = 1; i < meta.length; i += 4) this.settle(meta[i], e, null)
      this.release()
    }
    // The native side has copied whatever it keeps: the buffer is free for the next turn
    // (unless this flush runs from inside a send being written; that one stays for later).
    if (!this.packer.writing) this.packer.reset()
  }

  /** Settles send `id`: `metadata` is its RecordMetadata[] when `error` is null. */
  settle(id, error, metadata) {
    const p = this.pending.take(id)
    if (p === undefined) return
    p.resolve(error === null ? metadata : this.failed(error, p))
  }

  failed(error, p) {
    try {
      return this.onFailed(error, p.sent, p.profile)
    } catch (e) {
      return Promise.reject(e)
    }
  }

  /** Takes every finished send (buffer layout: `write_completion` in src/producer.rs) and settles a slice of them. */
  drain() {
    const b = this.native.takeCompletions()
    let o = 0
    while (o + 8 <= b.length) {
      const id = b.readUInt32LE(o)
      const n = b.readUInt32LE(o + 4)
      o += 8
      let error = null
      let metadata = null
      if (n === FAILED) {
        const len = b.readUInt32LE(o)
        error = new Error(b.toString('utf8', o + 4, o + 4 + len))
        o += 4 + len
      } else {
        const p = this.pending.get(id)
        metadata = p === undefined || p.acks === 0 ? [] : new Array(n)
        if (metadata.length > 0) {
          for (let i = 0; i < n; i++, o += 24) {
            metadata[i] = new RecordMetadata(
              p.sent.topics[b.readUInt32LE(o)],
              b.readInt32LE(o + 4),
              int64String(b, o + 8),
              int64String(b, o + 16),
            )
          }
        } else o += 24 * n
      }
      this.ready.push(id, error, metadata)
    }
    this.settleReady(SETTLE_PER_TURN)
  }

  /** Settles finished sends, in order, until about `budget` messages; schedules the rest. */
  settleReady(budget) {
    const ready = this.ready
    let i = this.readyAt
    while (i < ready.length && budget > 0) {
      const p = this.pending.get(ready[i])
      if (p) budget -= p.sent.messages.length || 1
      this.settle(ready[i], ready[i + 1], ready[i + 2])
      i += 3
    }
    if (i < ready.length) {
      this.readyAt = i
      if (this.settleLater === null) {
        this.settleLater = setImmediate(() => {
          this.settleLater = null
          this.settleReady(SETTLE_PER_TURN)
        })
      }
    } else {
      this.ready = []
      this.readyAt = 0
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
    // Every send that finished is settled as such before the rest are failed.
    if (this.settleLater !== null) clearImmediate(this.settleLater)
    this.settleLater = null
    this.settleReady(Number.POSITIVE_INFINITY)
    const left = this.pending.ids()
    for (const id of left) {
      const e = new KafkaJSError('The producer was disconnected before the send completed', { retriable: false })
      // Its messages' fate is unknown: they may have reached the broker.
      e.possiblyPersisted = true
      this.settle(id, e, null)
    }
    this.release()
  }
}

module.exports = { SendTracker }
