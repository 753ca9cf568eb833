'use strict'
/*
 * Packs sends for the native core (layout documented on `Reader` in src/producer.rs): every send
 * made in one turn of the event loop is written, one after the other, into one reusable buffer
 * that crosses to Rust in one call. No per-field property reads across napi, no Buffer per send.
 *
 * Per send: `start(topics)`, then `add(...)` per message, then `finish()` -> { offset, length }
 * (or `cancel()` to drop a send that failed half-way). After the native call has consumed the
 * buffer (it copies whatever it keeps), `reset()` makes it reusable.
 *
 * Message fields: topic index, partition (-1 = let librdkafka choose), timestamp (0 = now),
 * key/value (Buffer | string | null), headers (null or [[name, Buffer | string | null], ...]).
 * Strings are written as UTF-8 (lone surrogates become U+FFFD, as Buffer.from does).
 */

const INITIAL = 64 * 1024
/**
 * A buffer grown past this for one big send is dropped afterwards rather than kept. Below it the
 * grown buffer is reused: dropping it after every turn made each turn regrow it by doubling from
 * 64 KB (garbage and copies, +25 MB of peak RSS in W3 at 1 KB). The tracker hands a turn's sends
 * over once 1 MB is packed (FLUSH_BYTES in producer/send-tracker.js), so the buffer grows past
 * 2 MB only for a send larger than that.
 */
const KEEP_AT_MOST = 16 * 1024 * 1024
/** Every this many turns, a buffer more than 4x larger than the turns used is shrunk. */
const SHRINK_CHECK_TURNS = 256

/** Little-endian 32-bit store; the caller has ensured room (Buffer#writeInt32LE re-checks). */
function int32(buf, o, v) {
  buf[o] = v
  buf[o + 1] = v >>> 8
  buf[o + 2] = v >>> 16
  buf[o + 3] = v >>> 24
}

function maxBytes(v) {
  if (v == null) return 0
  return typeof v === 'string' ? v.length * 3 : v.length
}

/**
 * A little-endian int64 at `o` as a decimal string (offsets and timestamps in the completion
 * buffer), exact at any size; plain Number arithmetic while the value fits in 53 bits.
 */
function int64String(b, o) {
  const lo = b.readUInt32LE(o)
  const hi = b.readInt32LE(o + 4)
  if (hi === 0) return String(lo)
  if (hi > -0x200000 && hi < 0x200000) return String(hi * 0x100000000 + lo)
  return b.readBigInt64LE(o).toString()
}

class Packer {
  constructor() {
    this.buf = Buffer.allocUnsafeSlow(INITIAL)
    this.o = 0
    this.sendStart = -1
    this.countAt = 0
    this.count = 0
    this.turns = 0
    this.peak = 0
  }

  /** Bytes written since the last reset (finished sends, and the one being written). */
  get size() {
    return this.o
  }

  /** True while a send is being written (a send started from inside another one is refused). */
  get writing() {
    return this.sendStart >= 0
  }

  ensure(n) {
    if (this.o + n <= this.buf.length) return
    const next = Buffer.allocUnsafeSlow(Math.max(this.buf.length * 2, this.o + n))
    this.buf.copy(next, 0, 0, this.o)
    this.buf = next
  }

  str(s) {
    const n = this.buf.write(s, this.o + 4, 'utf8')
    this.buf.writeUInt32LE(n, this.o)
    this.o += 4 + n
  }

  bytes(v) {
    const buf = this.buf
    if (v == null) {
      int32(buf, this.o, -1)
      this.o += 4
    } else if (typeof v === 'string') {
      const n = buf.write(v, this.o + 4, 'utf8')
      int32(buf, this.o, n)
      this.o += 4 + n
    } else {
      // TypedArray#set: a plain memcpy, cheaper than Buffer#copy's argument handling.
      int32(buf, this.o, v.length)
      buf.set(v, this.o + 4)
      this.o += 4 + v.length
    }
  }

  start(topics) {
    this.sendStart = this.o
    let size = 8
    for (const t of topics) size += 4 + t.length * 3
    this.ensure(size)
    this.buf.writeUInt32LE(topics.length, this.o)
    this.o += 4
    for (const t of topics) this.str(t)
    this.countAt = this.o
    this.o += 4
    this.count = 0
  }

  add(topic, partition, timestamp, key, value, headers) {
    let size = 4 + 4 + 8 + 4 + maxBytes(key) + 4 + maxBytes(value) + 4
    if (headers) for (const [k, v] of headers) size += 4 + k.length * 3 + 4 + maxBytes(v)
    this.ensure(size)
    const buf = this.buf
    const o = this.o
    int32(buf, o, topic)
    int32(buf, o + 4, partition)
    if (timestamp === 0) {
      // Buffer#fill's argument handling cost more than the packing of a small message.
      int32(buf, o + 8, 0)
      int32(buf, o + 12, 0)
    } else buf.writeDoubleLE(timestamp, o + 8)
    this.o += 16
    this.bytes(key)
    this.bytes(value)
    if (headers) {
      buf.writeUInt32LE(headers.length, this.o)
      this.o += 4
      for (const [k, v] of headers) {
        this.str(k)
        this.bytes(v)
      }
    } else {
      int32(buf, this.o, 0)
      this.o += 4
    }
    this.count++
  }

  finish() {
    this.buf.writeUInt32LE(this.count, this.countAt)
    const offset = this.sendStart
    this.sendStart = -1
    return { offset, length: this.o - offset, count: this.count }
  }

  cancel() {
    if (this.sendStart >= 0) this.o = this.sendStart
    this.sendStart = -1
  }

  /** What the native call reads: every finished send of this turn. */
  view() {
    return this.buf.subarray(0, this.o)
  }

  reset() {
    if (this.o > this.peak) this.peak = this.o
    this.o = 0
    this.sendStart = -1
    if (this.buf.length > KEEP_AT_MOST) {
      this.buf = Buffer.allocUnsafeSlow(INITIAL)
      this.turns = 0
      this.peak = 0
    } else if (++this.turns >= SHRINK_CHECK_TURNS) {
      // The sends got smaller: give back what the last turns did not need.
      if (this.buf.length > INITIAL && this.peak * 4 < this.buf.length) {
        this.buf = Buffer.allocUnsafeSlow(Math.max(INITIAL, this.peak * 2))
      }
      this.turns = 0
      this.peak = 0
    }
  }
}

module.exports = { Packer, int64String }
