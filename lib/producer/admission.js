'use strict'
/*
 * Step 3 of a send: room in the enqueue path. The native core copies every send it cannot hand
 * to librdkafka at once (a large send, or librdkafka's queue full) into its ordered enqueue path;
 * `maxEnqueueBytes` bounds those copies. While the backlog is over the bound, a send waits here,
 * in call order (unpacked: the app's own objects, no copy), for the backlog to fall to half the
 * bound, at most `maxBlockMs`; past that it rejects with a typed, retriable error, and its
 * messages are reported and recorded like any failure.
 */
const { KafkaJSError } = require('../errors')

const POLL_MS = 2

class Admission {
  constructor({ limit, maxBlockMs }) {
    this.limit = limit
    this.maxBlockMs = maxBlockMs
    this.waiting = []
    this.timer = null
    this.native = null
    /**
     * The backlog the last native send reported. Until the next one it can only shrink (the
     * enqueuer drains it), so a send admitted against it is never admitted wrongly, and the
     * common case costs no native call; only when it is over the limit is the live value read.
     */
    this.backlog = 0
  }

  /** The backlog after a native send (`SendTracker.onBacklog`). */
  noteBacklog(bytes) {
    this.backlog = bytes
  }

  /** The native producer whose backlog counts (null: disconnected, nobody waits). */
  attach(native) {
    this.native = native
    this.backlog = 0
    if (native === null) this._release()
  }

  /** null when a send may go now; else a Promise that resolves when it may (or rejects). */
  room() {
    if (this.waiting.length === 0 && (this.native === null || this.backlog <= this.limit || this._live() <= this.limit))
      return null
    return new Promise((resolve, reject) => {
      this.waiting.push({ resolve, reject, deadline: Date.now() + this.maxBlockMs })
      if (this.timer === null) this.timer = setInterval(() => this._check(), POLL_MS)
    })
  }

  _check() {
    const native = this.native
    if (native === null || this._live() <= this.limit / 2) {
      this._release()
      return
    }
    const now = Date.now()
    while (this.waiting.length > 0 && this.waiting[0].deadline <= now) {
      const w = this.waiting.shift()
      w.reject(
        new KafkaJSError(
          `Local producer queue is full: ${native.enqueueBacklogBytes()} bytes wait to be enqueued (maxEnqueueBytes ${this.limit}) and no room came within maxBlockMs (${this.maxBlockMs} ms)`,
          { retriable: true },
        ),
      )
    }
    if (this.waiting.length === 0) this._stop()
  }

  _live() {
    this.backlog = this.native.enqueueBacklogBytes()
    return this.backlog
  }

  _release() {
    const waiting = this.waiting
    this.waiting = []
    this._stop()
    for (const w of waiting) w.resolve()
  }

  _stop() {
    if (this.timer !== null) {
      clearInterval(this.timer)
      this.timer = null
    }
  }
}

module.exports = { Admission }
