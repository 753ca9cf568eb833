'use strict'
/*
 * Step 3 of a send: room in the enqueue path. The native core copies every send it cannot hand
 * to librdkafka at once (a large send, or librdkafka's queue full) into its ordered enqueue path;
 * `maxEnqueueBytes` bounds those copies. A send goes on when the backlog plus its packed size
 * fits the bound (one larger than the bound goes on only into an empty backlog, so it cannot
 * wait forever); otherwise it waits here, unpacked (the app's own objects, no copy), and waiting
 * sends are let in one by one, in call order, as room frees. Each waits at most `maxBlockMs`;
 * past that it rejects with a typed, retriable error, and its messages are reported and recorded
 * like any failure.
 */
const { KafkaJSError } = require('../errors')

const POLL_MS = 2

/** Bytes of a string in the packed send: exactly, or at most (3 per UTF-16 unit, no scan). */
const utf8 = (s, exact) => (exact ? Buffer.byteLength(s) : 3 * s.length)

/** Bytes of a key, value or header value in the packed send (null: none). */
function bytesOf(v, exact) {
  if (v == null) return 0
  if (typeof v === 'string') return utf8(v, exact)
  const n = v.byteLength
  return typeof n === 'number' ? n : 0
}

/**
 * The size a validated send will have once packed (lib/pack.js's layout, which is also what the
 * native enqueue path copies and counts): 8 bytes, each topic's name, and per message 28 bytes,
 * its key and value, and 8 bytes plus name and value per header value. Not `exact`: strings are
 * counted at their largest UTF-8 size, an upper bound that needs no scan of their characters.
 * (Indexed loops: this runs once per send, before packing.)
 */
function packedSize(topicMessages, exact = true) {
  let size = 8
  const topics = topicMessages.length === 1 ? null : new Set()
  for (let t = 0; t < topicMessages.length; t++) {
    const { topic, messages } = topicMessages[t]
    if (topics === null || !topics.has(topic)) {
      if (topics !== null) topics.add(topic)
      size += 4 + utf8(topic, exact)
    }
    for (let i = 0; i < messages.length; i++) {
      const m = messages[i]
      size += 28 + bytesOf(m.key, exact) + bytesOf(m.value, exact)
      const headers = m.headers
      if (headers != null && typeof headers === 'object') size += headersSize(headers, exact)
    }
  }
  return size
}

function headersSize(headers, exact) {
  let size = 0
  for (const name of Object.keys(headers)) {
    const v = headers[name]
    if (v === undefined) continue
    const n = 8 + utf8(name, exact)
    if (Array.isArray(v)) for (const item of v) size += n + bytesOf(item, exact)
    else size += n + bytesOf(v, exact)
  }
  return size
}

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
     * common case costs no native call; only when it does not fit is the live value read.
     */
    this.backlog = 0
    /**
     * Bytes of sends let in since that report: they reach the native core together at the end
     * of the turn (send-tracker.js), and the next report counts whatever of them it kept.
     */
    this.reserved = 0
  }

  /** The backlog after a native send (`SendTracker.onBacklog`). */
  noteBacklog(bytes) {
    this.backlog = bytes
    this.reserved = 0
  }

  /** The native producer whose backlog counts (null: disconnected, nobody waits). */
  attach(native) {
    this.native = native
    this.backlog = 0
    this.reserved = 0
    if (native === null) this._release()
  }

  /**
   * null when the send (its validated `topicMessages`) may go now; else a Promise that resolves
   * when it may (or rejects).
   */
  room(topicMessages) {
    if (this.native === null) return null
    if (this.waiting.length === 0) {
      // The common case: an upper bound that fits needs no scan of the strings (it is reserved
      // only until the end of the turn); the exact size only when the bound does not fit.
      const bound = packedSize(topicMessages, false)
      if (this._fits(this.backlog, bound)) {
        this.reserved += bound
        return null
      }
    }
    const size = packedSize(topicMessages)
    if (this.waiting.length === 0 && (this._fits(this.backlog, size) || this._fits(this._live(), size))) {
      this.reserved += size
      return null
    }
    return new Promise((resolve, reject) => {
      this.waiting.push({ size, resolve, reject, deadline: Date.now() + this.maxBlockMs })
      if (this.timer === null) this.timer = setInterval(() => this._check(), POLL_MS)
    })
  }

  _fits(backlog, size) {
    const used = backlog + this.reserved
    return used === 0 || used + size <= this.limit
  }

  _check() {
    const native = this.native
    if (native === null) {
      this._release()
      return
    }
    // A timer runs after the turns that let sends in have handed them to the native core: what
    // was reserved for them is in the live backlog now (or already drained).
    this.reserved = 0
    const backlog = this._live()
    const now = Date.now()
    while (this.waiting.length > 0) {
      const w = this.waiting[0]
      if (this._fits(backlog, w.size)) {
        this.waiting.shift()
        this.reserved += w.size
        w.resolve()
      } else if (w.deadline <= now) {
        this.waiting.shift()
        w.reject(
          new KafkaJSError(
            `Local producer queue is full: ${backlog} bytes wait to be enqueued (maxEnqueueBytes ${this.limit}) and no room for this send's ${w.size} bytes came within maxBlockMs (${this.maxBlockMs} ms)`,
            { retriable: true },
          ),
        )
      } else break
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

module.exports = { Admission, packedSize }
