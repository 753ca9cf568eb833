'use strict'
/*
 * Packs a whole send into one Buffer for the native core (layout documented on `Reader` in
 * src/producer.rs). One native call per send, no per-field property reads across napi.
 *
 * Input: `topics` (array of names) and `messages`, each
 *   { topic: index, partition: int (-1 = let librdkafka choose), timestamp: number (0 = now),
 *     key: Buffer|string|null, value: Buffer|string|null, headers: [[name, Buffer|string|null], ...] }
 * Strings are written as UTF-8 (lone surrogates become U+FFFD, as Buffer.from does).
 */

function maxBytes(v) {
  if (v == null) return 0
  return typeof v === 'string' ? v.length * 3 : v.length
}

function pack(topics, messages) {
  let size = 8
  for (const t of topics) size += 4 + t.length * 3
  for (const m of messages) {
    size += 4 + 4 + 8 + 4 + maxBytes(m.key) + 4 + maxBytes(m.value) + 4
    if (m.headers) for (const [k, v] of m.headers) size += 4 + k.length * 3 + 4 + maxBytes(v)
  }
  const buf = Buffer.allocUnsafe(size)
  let o = 0
  const str = (s) => {
    const n = buf.write(s, o + 4, 'utf8')
    buf.writeUInt32LE(n, o)
    o += 4 + n
  }
  const bytes = (v) => {
    if (v == null) {
      buf.writeInt32LE(-1, o)
      o += 4
    } else if (typeof v === 'string') {
      const n = buf.write(v, o + 4, 'utf8')
      buf.writeInt32LE(n, o)
      o += 4 + n
    } else {
      buf.writeInt32LE(v.length, o)
      o += 4
      o += v.copy(buf, o)
    }
  }
  buf.writeUInt32LE(topics.length, o)
  o += 4
  for (const t of topics) str(t)
  buf.writeUInt32LE(messages.length, o)
  o += 4
  for (const m of messages) {
    buf.writeUInt32LE(m.topic, o)
    buf.writeInt32LE(m.partition, o + 4)
    buf.writeDoubleLE(m.timestamp, o + 8)
    o += 16
    bytes(m.key)
    bytes(m.value)
    const headers = m.headers
    if (headers) {
      buf.writeUInt32LE(headers.length, o)
      o += 4
      for (const [k, v] of headers) {
        str(k)
        bytes(v)
      }
    } else {
      buf.writeUInt32LE(0, o)
      o += 4
    }
  }
  return buf.subarray(0, o)
}

module.exports = { pack }
