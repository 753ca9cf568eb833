'use strict'
/*
 * A durable record of messages that could not be delivered, for later replay.
 *
 * `new FailureLog({ path })` is a journal (failure-log/journal.js): `record(report)` queues the
 * failed message and returns a Promise that resolves once it is on disk (group-committed: one
 * write and one fdatasync per batch, off the event-loop thread). The producer awaits it before it
 * reports the failure, so a rejection the app has seen is never lost to a crash. Keys, values and
 * header values are stored as base64 so any bytes survive.
 *
 * `replay(producer)` sends every unconsumed record again, pipelined (failure-log/replay.js), and
 * never loses a record written while it runs. One process uses a log at a time
 * (failure-log/lock.js); a second gets FailureLogLockedError.
 *
 * Any object with a `record(report)` method (sync or returning a Promise) can stand in (a
 * database table, a queue): pass it as the producer's `failureLog` option.
 */
const { Journal, readUnconsumedSync } = require('./failure-log/journal')
const { decodeRecord, latestById } = require('./failure-log/format')
const { replay, REPLAY_TAG } = require('./failure-log/replay')
const { FailureLogLockedError } = require('./failure-log/lock')

class FailureLog {
  /**
   * `path`: the log file. `onCorruption(info)`: called when a torn tail or corrupt line is set
   * aside (default: a process warning).
   */
  constructor({ path, onCorruption } = {}) {
    if (typeof path !== 'string' || path.length === 0) throw new TypeError('FailureLog needs a file path')
    this.path = path
    this._options = { onCorruption }
    this._journal = null
  }

  _j() {
    if (!this._journal || this._journal.closed) this._journal = Journal.for(this.path, this._options)
    return this._journal
  }

  /** Records one failed message (a delivery-failure report); resolves once it is durable. */
  record(report) {
    const message = report && report.message
    const j = this._j()
    // A replay of this log re-records its own failures itself (same id): skip the copy.
    if (message && typeof message === 'object' && message[REPLAY_TAG] === j) return Promise.resolve()
    return j.append({ report })
  }

  /**
   * Records several reports at once (what the producer uses: one Promise per failed send).
   * Resolves once they are durable, with null or an encoding error per report.
   */
  recordBatch(reports) {
    const j = this._j()
    const mine = []
    const at = []
    reports.forEach((report, i) => {
      const message = report && report.message
      if (message && typeof message === 'object' && message[REPLAY_TAG] === j) return
      mine.push({ report })
      at.push(i)
    })
    const errors = new Array(reports.length).fill(null)
    if (mine.length === 0) return Promise.resolve(errors)
    return j.appendBatch(mine).then((errs) => {
      errs.forEach((e, k) => {
        errors[at[k]] = e
      })
      return errors
    })
  }

  /** Resolves once every record so far is durable. */
  flush() {
    return this._j().settled()
  }

  /**
   * Every unconsumed entry, in failure order, with key/value/headers decoded back to Buffers.
   * Synchronous and lock-free: it reads what is on disk now (a torn tail is skipped).
   */
  entries() {
    const { records } = readUnconsumedSync(this.path)
    return latestById(records).map((r) => decodeRecord(r.record))
  }

  /**
   * Sends every unconsumed record again through `producer` (connected). Options: `acks` (-1),
   * `concurrency` (4 batches in flight), `batchSize` (500), `possiblyPersisted` ('keep' | 'send' |
   * (entry) => alreadyStored). Returns `{ replayed, failed, kept, skipped }`.
   */
  replay(producer, options) {
    return replay(this._j(), producer, options)
  }

  /** Finishes pending records and releases the file (and its lock, when no one else uses it). */
  async close() {
    const j = this._journal
    this._journal = null
    if (j && !j.closed) await j.close()
  }
}

/** Replays the failure log at `path` through `producer`; see FailureLog#replay. */
async function replayFailures(path, producer, options) {
  const log = new FailureLog({ path })
  try {
    return await log.replay(producer, options)
  } finally {
    await log.close()
  }
}

module.exports = { FailureLog, FailureLogLockedError, replayFailures }
