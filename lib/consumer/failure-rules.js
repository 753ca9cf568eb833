'use strict'
/*
 * What the run loop does with an error, as kafkajs decides it: crash at once, retry with
 * kafkajs's backoff, or (a commit refused because the group moved on) neither; and after a
 * crash, whether the consumer restarts.
 */
const { KafkaJSNonRetriableError } = require('../errors')

/** A commit refused with these: the group moved on, not a handler failure (see `loop`). */
const GROUP_MOVED = new Set([
  'REBALANCE_IN_PROGRESS',
  'ILLEGAL_GENERATION',
  'UNKNOWN_MEMBER_ID',
  'NOT_COORDINATOR_FOR_GROUP',
  'NOT_COORDINATOR',
  'COORDINATOR_NOT_AVAILABLE',
  'GROUP_COORDINATOR_NOT_AVAILABLE',
  'COORDINATOR_LOAD_IN_PROGRESS',
  'GROUP_LOAD_IN_PROGRESS',
])
/** kafkajs's retrier never retries these (nor an error whose `retriable` is false). */
const UNRECOVERABLE = new Set(['RangeError', 'ReferenceError', 'SyntaxError', 'TypeError'])

/** The crash for `e` now, or null when kafkajs would retry it. */
function unrecoverable(e) {
  if (e === null || e === undefined || (typeof e !== 'object' && typeof e !== 'function')) return null
  if (e.retriable !== false && !UNRECOVERABLE.has(e.name)) return null
  return new KafkaJSNonRetriableError(e, { cause: e.cause || e })
}

/** kafkajs's retry delay for the `count`-th retry (randomised exponential backoff). */
function retryDelay(retry, count) {
  const base = Math.min(retry.initialRetryTime * retry.multiplier ** (count - 1), retry.maxRetryTime)
  const jitter = base * retry.factor * (Math.random() * 2 - 1)
  return Math.max(1, Math.round(Math.min(base + jitter, retry.maxRetryTime)))
}

/**
 * After a crash, whether kafkajs restarts the consumer: only when the crash is retriable (its
 * retries ran out, or its root cause is retriable), and `retry.restartOnFailure(e)` did not say
 * no (one that throws counts as yes).
 */
async function restartAfter(e, retry) {
  let cause = e
  while (cause && cause.cause) cause = cause.cause
  const retriable = e.name === 'KafkaJSNumberOfRetriesExceeded' || (cause && cause.retriable === true)
  if (!retriable || typeof retry.restartOnFailure !== 'function') return Boolean(retriable)
  const restart = await Promise.resolve()
    .then(() => retry.restartOnFailure(e))
    .catch(() => true)
  return Boolean(restart)
}

module.exports = { restartAfter, GROUP_MOVED, UNRECOVERABLE, unrecoverable, retryDelay }
