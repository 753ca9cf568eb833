'use strict'
/*
 * Decodes one chunk from the native poll (layout in src/consumer/chunk.rs) into records, in order:
 *   { kind: 'messages', batches: [{ topic, partition, key, messages }] }
 *       a run of messages between two other records, per partition in fetch order; `key` is
 *       key(topic, partition) from ./offsets, made once per partition and chunk; each message
 *       is shaped as kafkajs gives it
 *   { kind: 'assign', memberId, partitions: [{ topic, partition }] }
 *   { kind: 'revoke', partitions: [{ topic, partition }] }
 *   { kind: 'error', code, name, message, topic, partition }
 *   { kind: 'seeked', topic, partition, offset }
 * Keys, values and header values are views into the chunk (no copy), as kafkajs's are views into
 * its fetch response. Grouping here, with the partition keys made once, keeps the per-message
 * work of the run loop to the message itself: a chunk holds up to thousands of messages.
 */
const { key: partitionKey } = require('./offsets')

const TAG_TOPIC = 0
const TAG_MESSAGE = 1
const TAG_ASSIGN = 2
const TAG_REVOKE = 3
const TAG_ERROR = 4
const TAG_SEEKED = 5
const NO_TOPIC = 0xffff

function int64(buf, p) {
  // Offsets and timestamps stay far below 2^53.
  return buf.readInt32LE(p + 4) * 4294967296 + buf.readUInt32LE(p)
}

function decodeChunk(buf) {
  const records = []
  const topics = []
  // The current run of messages: its record, and its batches by topic index, then partition.
  let run = null
  let runBatches = null
  const ab = buf.buffer
  const base = buf.byteOffset
  let p = 0
  const bytes = () => {
    const len = buf.readInt32LE(p)
    p += 4
    if (len < 0) return null
    // A view like subarray(), made without its species lookup (this runs per key and value).
    const b = Buffer.from(ab, base + p, len)
    p += len
    return b
  }
  const batchOf = (t, partition) => {
    if (run === null) {
      run = { kind: 'messages', batches: [] }
      runBatches = []
      records.push(run)
    }
    let byPartition = runBatches[t]
    if (byPartition === undefined) {
      byPartition = new Map()
      runBatches[t] = byPartition
    }
    let batch = byPartition.get(partition)
    if (batch === undefined) {
      const topic = topics[t]
      batch = { topic, partition, key: partitionKey(topic, partition), messages: [] }
      byPartition.set(partition, batch)
      run.batches.push(batch)
    }
    return batch
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
    // Any record but a message or a topic ends the run of messages.
    if (tag !== TAG_MESSAGE && tag !== TAG_TOPIC) run = null
    switch (tag) {
      case TAG_TOPIC:
        topics.push(str16())
        break
      case TAG_MESSAGE: {
        const batch = batchOf(buf.readUInt16LE(p), buf.readInt32LE(p + 2))
        const offset = int64(buf, p + 6)
        // The timestamp type (p + 14) is not part of kafkajs's message.
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
        batch.messages.push({
          magicByte: 2,
          attributes: 0,
          timestamp: String(timestamp),
          offset: String(offset),
          key,
          value,
          headers,
          isControlRecord: false,
          batchContext: null,
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
