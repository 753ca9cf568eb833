'use strict'
/*
 * A durable record of messages that could not be delivered, for later replay.
 *
 * `new FailureLog({ path })` appends one JSON line per failed message and fsyncs it before
 * returning, so a crash right after a failure does not lose the record. Keys, values and header
 * values are stored as base64 so any bytes survive. `replay(producer)` sends every recorded
 * message again (same topic, key, value, headers, partition when one was set) and keeps in the
 * file only those that fail again.
 *
 * Any object with a `record(report)` method can stand in (a database table, a queue): pass it
 * as the producer's `failureLog` option.
 */
const fs = require('node:fs')

function enc(v) {
  if (v === null || v === undefined) return null
  return Buffer.isBuffer(v) ? v.toString('base64') : Buffer.from(String(v)).toString('base64')
}

function dec(v) {
  return v === null || v === undefined ? null : Buffer.from(v, 'base64')
}

class FailureLog {
  constructor({ path } = {}) {
    if (typeof path !== 'string' || path.length === 0) throw new TypeError('FailureLog needs a file path')
    this.path = path
  }

  /** Appends one failed message (a delivery-failure report) and syncs it to disk. */
  record(report) {
    const m = report.message || {}
    const headers = {}
    if (m.headers && typeof m.headers === 'object') {
      for (const [k, v] of Object.entries(m.headers)) if (v !== undefined) headers[k] = v
    }
    const e = report.error || {}
    const entry = encodeEntry({
      failedAt: new Date().toISOString(),
      topic: report.topic,
      partition: m.partition ?? null,
      key: m.key,
      value: m.value,
      headers,
      timestamp: m.timestamp ?? null,
      error: { name: e.name, type: e.type, code: e.code, message: e.message, retriable: e.retriable },
      attempts: report.attempts ?? null,
    })
    const fd = fs.openSync(this.path, 'a')
    try {
      fs.writeSync(fd, `${JSON.stringify(entry)}\n`)
      fs.fdatasyncSync(fd)
    } finally {
      fs.closeSync(fd)
    }
  }

  /** Every recorded entry, with key/value/headers decoded back to Buffers. */
  entries() {
    if (!fs.existsSync(this.path)) return []
    return fs
      .readFileSync(this.path, 'utf8')
      .split('\n')
      .filter((l) => l.trim())
      .map((line) => {
        const e = JSON.parse(line)
        const headers = {}
        for (const [k, v] of Object.entries(e.headers || {})) headers[k] = Array.isArray(v) ? v.map(dec) : dec(v)
        return { ...e, key: dec(e.key), value: dec(e.value), headers }
      })
  }

  /**
   * Sends every recorded message again through `producer` (connected), one at a time, in the
   * order they failed. Entries delivered are removed and those that fail again are kept, with
   * their new error. Progress is journalled (`<path>.replayed`, one synced line per delivered
   * entry), so a replay interrupted by a crash resumes where it stopped: nothing is lost and,
   * short of a crash between a send's acknowledgement and its journal line, nothing delivered
   * by the interrupted replay is sent twice. Returns `{ replayed, failed }`.
   */
  async replay(producer, { acks = -1 } = {}) {
    const entries = this.entries()
    const journal = `${this.path}.replayed`
    const done = new Set(
      fs.existsSync(journal) ? fs.readFileSync(journal, 'utf8').split('\n').filter(Boolean).map(Number) : [],
    )
    const remaining = []
    let replayed = 0
    const fd = fs.openSync(journal, 'a')
    try {
      for (let i = 0; i < entries.length; i++) {
        const e = entries[i]
        if (done.has(i)) {
          replayed++
          continue
        }
        const message = { key: e.key, value: e.value, headers: e.headers }
        if (e.partition !== null) message.partition = e.partition
        if (e.timestamp !== null) message.timestamp = e.timestamp
        try {
          await producer.send({ topic: e.topic, acks, messages: [message] })
          fs.writeSync(fd, `${i}\n`)
          fs.fdatasyncSync(fd)
          replayed++
        } catch (err) {
          remaining.push({
            ...e,
            failedAt: new Date().toISOString(),
            error: { name: err.name, type: err.type, code: err.code, message: err.message, retriable: err.retriable },
          })
        }
      }
    } finally {
      fs.closeSync(fd)
    }
    const tmp = `${this.path}.tmp-${process.pid}`
    fs.writeFileSync(tmp, remaining.map((e) => `${JSON.stringify(encodeEntry(e))}\n`).join(''))
    const tfd = fs.openSync(tmp, 'r')
    fs.fsyncSync(tfd)
    fs.closeSync(tfd)
    fs.renameSync(tmp, this.path)
    fs.rmSync(journal, { force: true })
    return { replayed, failed: remaining.length }
  }
}

function encodeEntry(e) {
  const headers = {}
  for (const [k, v] of Object.entries(e.headers || {})) headers[k] = Array.isArray(v) ? v.map(enc) : enc(v)
  return { ...e, key: enc(e.key), value: enc(e.value), headers }
}

/** Replays the failure log at `path` through `producer`; see FailureLog#replay. */
function replayFailures(path, producer, options) {
  return new FailureLog({ path }).replay(producer, options)
}

module.exports = { FailureLog, replayFailures }
