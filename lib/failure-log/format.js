'use strict'
/*
 * The failure log's record format: one JSON object per line, `\n`-terminated.
 *
 *   { "id", "failedAt", "topic", "partition", "key", "value", "headers", "timestamp",
 *     "error": { name, type, code, message, retriable }, "attempts", "possiblyPersisted",
 *     "replays" }
 *
 * Keys, values and header values are base64 so any bytes survive; null stays null. `id` names a
 * failed message for its whole life in the log: a replay that fails again appends the record anew
 * under the same id, and a reader keeps only the last record of an id (see `latestById`).
 *
 * A line is complete only with its `\n`. Whatever follows the last `\n` is a torn tail (a crash
 * mid-write); a complete line that does not parse is corrupt. Both are set aside by the writer,
 * and skipped (and reported) by readers, never fatal.
 */
const crypto = require('node:crypto')

function enc(v) {
  if (v === null || v === undefined) return null
  if (Buffer.isBuffer(v)) return v.toString('base64')
  if (ArrayBuffer.isView(v)) return Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64')
  return Buffer.from(String(v)).toString('base64')
}

function dec(v) {
  return v === null || v === undefined ? null : Buffer.from(v, 'base64')
}

let counter = 0
const prefix = crypto.randomBytes(6).toString('hex')

/** A process-unique, time-ordered id for a new record. */
function newId() {
  counter = (counter + 1) % 0x100000000
  return `${Date.now().toString(36)}-${prefix}-${counter.toString(36)}`
}

function errorFields(e) {
  const err = e || {}
  return {
    name: err.name,
    type: err.type,
    code: err.code,
    message: err.message,
    retriable: err.retriable,
  }
}

let isoAt = 0
let iso = ''
/** The time as an ISO string, computed once per millisecond (Date#toISOString costs ~2 µs). */
function nowIso() {
  const now = Date.now()
  if (now !== isoAt) {
    isoAt = now
    iso = new Date(now).toISOString()
  }
  return iso
}

/** A producer's failure report (lib/producer/failures.js) as a record, encoded. */
function recordOf(report, id = newId()) {
  const m = (report && report.message) || {}
  const headers = {}
  if (m.headers && typeof m.headers === 'object') {
    for (const [k, v] of Object.entries(m.headers)) {
      if (v !== undefined) headers[k] = Array.isArray(v) ? v.map(enc) : enc(v)
    }
  }
  return {
    id,
    failedAt: nowIso(),
    topic: report.topic,
    partition: Number.isInteger(m.partition)
      ? m.partition
      : Number.isInteger(report.partition)
        ? report.partition
        : null,
    key: enc(m.key),
    value: enc(m.value),
    headers,
    timestamp: m.timestamp ?? null,
    error: errorFields(report.error),
    attempts: report.attempts ?? null,
    possiblyPersisted: report.possiblyPersisted === true,
    replays: 0,
  }
}

/** A record as readers see it: key, value and header values back as Buffers. */
function decodeRecord(r) {
  const headers = {}
  for (const [k, v] of Object.entries(r.headers || {})) headers[k] = Array.isArray(v) ? v.map(dec) : dec(v)
  return { ...r, key: dec(r.key), value: dec(r.value), headers }
}

function lineOf(record) {
  return `${JSON.stringify(record)}\n`
}

/**
 * Parses the complete lines of `buf` (bytes of the log starting at file offset `base`).
 * Returns `{ records, corrupt, end, torn }`: each record with its byte range `{ start, end }`,
 * the corrupt lines (unparsable, or not a record) with their ranges, `end` = the file offset just
 * past the last complete line, and `torn` = the bytes after it (a torn tail) or null.
 */
function parseLines(buf, base = 0) {
  const records = []
  const corrupt = []
  let pos = 0
  for (;;) {
    const nl = buf.indexOf(10, pos)
    if (nl < 0) break
    const start = base + pos
    const end = base + nl + 1
    if (nl > pos) {
      const text = buf.toString('utf8', pos, nl)
      let r = null
      try {
        r = JSON.parse(text)
      } catch {}
      if (r && typeof r === 'object' && typeof r.topic === 'string') {
        records.push({ record: r, start, end })
      } else if (text.trim() !== '') {
        corrupt.push({ start, end, text })
      }
    }
    pos = nl + 1
  }
  return { records, corrupt, end: base + pos, torn: pos < buf.length ? buf.subarray(pos) : null }
}

/**
 * Drops every record that a later record of the same id supersedes (a replay re-recorded it),
 * keeping log order. Records from before ids existed (no `id`) are all kept.
 */
function latestById(records) {
  const last = new Map()
  records.forEach((r, i) => {
    if (r.record.id !== undefined) last.set(r.record.id, i)
  })
  return records.filter((r, i) => r.record.id === undefined || last.get(r.record.id) === i)
}

module.exports = { enc, dec, newId, recordOf, decodeRecord, lineOf, parseLines, latestById, errorFields }
