'use strict'
/*
 * The last step of a failed send: one report per failed message, recorded durably, then told.
 *
 * A report is `{ topic, partition, message, error, attempts, possiblyPersisted }`. The failure
 * sink (`failureLog`: our FailureLog, or any object with `record(report)`) gets every report
 * first; when `record` returns a Promise, it is awaited (at most `failureLogTimeout` ms) before
 * the failure is reported to the app: the DELIVERY_FAILURE event, `onDeliveryFailure`, and the
 * send's rejection. A sink that throws, rejects or hangs does not stop the report: its error is
 * attached (`report.recordError`, and `failureLogError` on the rejection) and logged once per
 * batch. So an app that saw a failure can count on its record, and no failure is silent. A sink
 * with `recordBatch(reports)` (our FailureLog) gets a failed send's reports in one call.
 *
 * `possiblyPersisted` is true when librdkafka says the message may have been stored (it was in
 * flight when it timed out or was purged): a replay could duplicate it (see FailureLog#replay).
 */
const { KafkaJSError, errorForCode } = require('../errors')
const { RETRIABLE } = require('../protocol-errors')
const { topicOf } = require('./route')
const { asTyped } = require('./validate')

/** Marks an error whose messages were already reported (so no path reports them twice). */
const REPORTED = Symbol('kafka-napi.reported')

/**
 * How many produce attempts a failed message had. librdkafka does not report it per message, so
 * this is what its rules imply: a retriable broker error that ends delivery means the retries
 * ran out (retries + 1); a non-retriable one fails the first attempt; a local failure (queue
 * full, unknown partition) never reached a broker; a delivery timeout leaves it unknown (null).
 */
function attemptsFor(failure, retries) {
  if (failure.code > 0) return RETRIABLE.has(failure.code) ? retries + 1 : 1
  if (failure.name === 'MESSAGE_TIMED_OUT') return null
  return 0
}

/** Reports for a send refused whole before it reached librdkafka (validation, disconnected). */
function reportsForRejection(batch, error) {
  const reports = []
  const topicMessages = batch && Array.isArray(batch.topicMessages) ? batch.topicMessages : []
  for (const tm of topicMessages) {
    if (!tm || !Array.isArray(tm.messages)) continue
    for (const message of tm.messages) {
      reports.push({
        topic: tm.topic,
        partition: message && Number.isInteger(message.partition) ? message.partition : undefined,
        message,
        error,
        attempts: 0,
        possiblyPersisted: false,
      })
    }
  }
  return reports
}

/**
 * Reports for a send that failed in the native core. `err` is the decoded error: with
 * `failures` (per message: index, topic, partition, code, name, message, persisted) or without
 * (refused whole, or never completed: `possiblyPersisted` then says which).
 */
function reportsForDelivery(err, sent, { retries, context, possiblyPersisted = false }) {
  if (!err.failures) {
    return sent.messages.map((message, i) => ({
      topic: topicOf(sent, i),
      partition: Number.isInteger(message.partition) ? message.partition : undefined,
      message,
      error: err,
      attempts: null,
      possiblyPersisted,
    }))
  }
  const failures = err.failures
  return failures.map((f) => {
    const message = sent.messages[f.index]
    const error =
      failures.length === 1 || f.code === failures[0].code ? err : errorForCode(f.code, f.name, f.message, context)
    return {
      topic: message ? topicOf(sent, f.index) : sent.topics[f.topic],
      partition: f.partition >= 0 ? f.partition : undefined,
      message,
      error,
      attempts: attemptsFor(f, retries),
      possiblyPersisted: f.persisted === 'possibly',
    }
  })
}

class FailureReporter {
  constructor({ emitter, event, onDeliveryFailure, failureLog, failureLogTimeout, logger }) {
    this.emitter = emitter
    this.event = event
    this.callback = onDeliveryFailure || null
    this.sink = failureLog || null
    this.timeout = failureLogTimeout
    this.logger = logger
  }

  /** Whether anyone takes reports (building them is skipped otherwise). */
  get active() {
    return this.sink !== null || this.callback !== null || this.emitter.hasListeners(this.event)
  }

  /**
   * A send refused whole (validation, producer disconnected, no room in time): reports each of
   * its messages, then rejects with the typed error. An error whose messages were already
   * reported (a failed delivery) only rejects.
   */
  refuse(batch, e) {
    if (e && e[REPORTED]) return Promise.reject(e)
    const err = asTyped(e)
    if (!this.active) return Promise.reject(err)
    let reports
    try {
      reports = reportsForRejection(batch, err)
    } catch (hostile) {
      // The batch itself is hostile (throwing getters): the rejection still reaches the caller.
      this.logger.error('Could not report a rejected send', { error: hostile && hostile.message })
      return Promise.reject(err)
    }
    return this.report(reports).then((sinkError) => Promise.reject(withSinkError(err, sinkError)))
  }

  /**
   * A send that failed in the native core (`err`: the decoded error): reports its failed
   * messages, then throws `err`, marked so that `refuse` does not report them again.
   */
  async failDelivery(err, sent, { retries, context }) {
    Object.defineProperty(err, REPORTED, { value: true })
    const reports = reportsForDelivery(err, sent, {
      retries,
      context,
      possiblyPersisted: err.possiblyPersisted === true,
    })
    // Not in kafkajs: true when some of the send's messages may have been stored anyway.
    if (reports.some((r) => r.possiblyPersisted)) err.possiblyPersisted = true
    if (!this.active) throw err
    throw withSinkError(err, await this.report(reports))
  }

  /**
   * Records `reports` (bounded), then emits and calls back for each, in order. Never rejects.
   * Resolves with the sink's error, if any report could not be recorded.
   */
  async report(reports) {
    let sinkError = null
    if (this.sink !== null && reports.length > 0) sinkError = await this._record(reports)
    for (const r of reports) {
      this.emitter.emit(this.event, r)
      if (this.callback) {
        try {
          const p = this.callback(r)
          if (p && typeof p.catch === 'function')
            p.catch((e) => this.logger.error('onDeliveryFailure rejected', { error: e && e.message }))
        } catch (e) {
          this.logger.error('onDeliveryFailure threw', { error: e && e.message })
        }
      }
    }
    return sinkError
  }

  async _record(reports) {
    const waits = []
    const recorded = new Set()
    let failed = 0
    let firstError = null
    let over = false
    const fail = (r, e) => {
      if (over) return // a late answer after the timeout: the report has gone out already
      r.recordError = e
      failed++
      if (firstError === null) firstError = e
    }
    if (typeof this.sink.recordBatch === 'function') {
      // One call and one Promise for the whole send (our FailureLog): per-report errors back.
      try {
        const p = Promise.resolve(this.sink.recordBatch(reports)).then(
          (errors) =>
            reports.forEach((r, i) => {
              const e = Array.isArray(errors) ? errors[i] : null
              if (e) fail(r, e)
              else recorded.add(r)
            }),
          (e) => {
            for (const r of reports) fail(r, e)
          },
        )
        waits.push(p)
      } catch (e) {
        for (const r of reports) fail(r, e)
      }
    } else {
      this._recordEach(reports, waits, recorded, fail)
    }
    if (waits.length > 0) {
      let timer
      const timedOut = new Promise((resolve) => {
        timer = setTimeout(resolve, this.timeout, 'timeout')
      })
      const outcome = await Promise.race([Promise.all(waits), timedOut])
      clearTimeout(timer)
      if (outcome === 'timeout') {
        const e = new KafkaJSError(`The failure log did not confirm the record within ${this.timeout} ms`, {
          retriable: false,
        })
        for (const r of reports) if (!recorded.has(r) && !r.recordError) fail(r, e)
      }
    }
    over = true
    if (firstError !== null) {
      this.logger.error(`The failure log could not record ${failed} of ${reports.length} failed messages`, {
        error: firstError && firstError.message,
      })
    }
    return firstError
  }

  /** Any sink: `record(report)` per report, each maybe a Promise. */
  _recordEach(reports, waits, recorded, fail) {
    for (const r of reports) {
      try {
        const p = this.sink.record(r)
        if (p && typeof p.then === 'function') {
          waits.push(
            Promise.resolve(p).then(
              () => recorded.add(r),
              (e) => fail(r, e),
            ),
          )
        } else recorded.add(r)
      } catch (e) {
        fail(r, e)
      }
    }
  }
}

/** The failure log's error, when it could not record the send's failures. */
function withSinkError(err, sinkError) {
  if (sinkError) err.failureLogError = sinkError
  return err
}

module.exports = { FailureReporter, reportsForRejection, reportsForDelivery, attemptsFor }
