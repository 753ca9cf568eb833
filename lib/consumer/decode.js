'use strict'
/*
 * Decodes one chunk from the native poll (layout in src/consumer/chunk.rs) into records, in order:
 *   { kind: 'message', topic, partition, message }      message shaped as kafkajs gives it
 *   { kind: 'assign', memberId, partitions: [{ topic, partition }] }
 *   { kind: 'revoke', partitions: [{ topic, partition }] }
 *   { kind: 'error', code, name, message, topic, partition }
 *   { kind: 'seeked', topic, partition, offset }
 * Keys, values and header values are views into the chunk (no copy), as kafkajs's are views into
 * its fetch response.
 */

const TAG_TOPIC = 0
const TAG_MESSAGE = 1
const TAG_ASSIGN = 2
const TAG_REVOKE = 3
const TAG_ERROR = 4
const TAG_SEEKED = 5
const NO_TOPIC = 0xffff
const TIMESTAMP_TYPES = [-1, 0, 1]

function int64(buf, p) {
  // Offsets and timestamps stay far below 2^53.
  return buf.readInt32LE(p + 4) * 4294967296 + buf.readUInt32LE(p)
}

function decodeChunk(buf) {
  const records = []
  const topics = []
  let p = 0
  const bytes = () => {
    const len = buf.readInt32LE(p)
    p += 4
    if (len < 0) return null
    const b = buf.subarray(p, p + len)
    p += len
    return b
  }
  const str16 = () => {
    const len = buf.readUInt16LE(p)
    p += 2
    const s = buf.toString('utf8', p, p + len)
    p += len
    return s
  }
  const partitions = () => {
    const n = buf.readUInt32LE(p)
    p += 4
    const list = []
    for (let i = 0; i < n; i++) {
      list.push({ topic: topics[buf.readUInt16LE(p)], partition: buf.readInt32LE(p + 2) })
      p += 6
    }
    return list
  }
  while (p < buf.length) {
    const tag = buf[p++]
    switch (tag) {
      case TAG_TOPIC:
        topics.push(str16())
        break
      case TAG_MESSAGE: {
        const topic = topics[buf.readUInt16LE(p)]
        const partition = buf.readInt32LE(p + 2)
        const offset = int64(buf, p + 6)
        const timestampType = buf[p + 14]
        const timestamp = int64(buf, p + 15)
        p += 23
        const key = bytes()
        const value = bytes()
        const count = buf.readUInt16LE(p)
        p += 2
        const headers = {}
        for (let i = 0; i < count; i++) {
          const k = str16()
          const v = bytes()
          const prev = headers[k]
          // kafkajs: a repeated header key gives an array of its values.
          headers[k] = prev === undefined ? v : Array.isArray(prev) ? prev.concat([v]) : [prev, v]
        }
        records.push({
          kind: 'message',
          topic,
          partition,
          timestampType: TIMESTAMP_TYPES[timestampType],
          message: {
            magicByte: 2,
            attributes: 0,
            timestamp: String(timestamp),
            offset: String(offset),
            key,
            value,
            headers,
            isControlRecord: false,
            batchContext: null,
          },
        })
        break
      }
      case TAG_ASSIGN: {
        const memberId = str16()
        records.push({ kind: 'assign', memberId, partitions: partitions() })
        break
      }
      case TAG_REVOKE:
        records.push({ kind: 'revoke', partitions: partitions() })
        break
      case TAG_ERROR: {
        const code = buf.readInt32LE(p)
        p += 4
        const name = str16()
        const len = buf.readUInt32LE(p)
        p += 4
        const message = buf.toString('utf8', p, p + len)
        p += len
        const t = buf.readUInt16LE(p)
        const partition = buf.readInt32LE(p + 2)
        p += 6
        records.push({ kind: 'error', code, name, message, topic: t === NO_TOPIC ? null : topics[t], partition })
        break
      }
      case TAG_SEEKED: {
        const topic = topics[buf.readUInt16LE(p)]
        const partition = buf.readInt32LE(p + 2)
        const offset = int64(buf, p + 6)
        p += 14
        records.push({ kind: 'seeked', topic, partition, offset: String(offset) })
        break
      }
      default:
        throw new Error(`kafka-napi: unknown chunk record tag ${tag} at byte ${p - 1}`)
    }
  }
  return records
}

module.exports = { decodeChunk }
