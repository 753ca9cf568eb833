'use strict'
/*
 * How a consumer's run and connection end (lib/consumer.js delegates here): the end of a run
 * (handlers in flight, the final commit), stop (also leaves the group), disconnect (also closes
 * the native consumer), and kafkajs's crash path (disconnect, report, restart when retriable).
 *
 * These may overlap: an unawaited stop() then disconnect(), a crash during stop, a restart timer
 * pending while the app disconnects. Each waits for what is already ending (`_runEnding`,
 * `_stopping`, `_disconnecting` on the consumer) instead of starting it twice.
 */
const { CONSUMER_EVENTS } = require('./events')
const { leaveGroup } = require('./session')
const { restartAfter } = require('./failure-rules')
const { fromNative } = require('../errors')

/**
 * Ends the run loop (bounded by rebalanceTimeout for handlers in flight) and commits what was
 * handled. A call while another is ending the run waits for it: disconnect() right after an
 * unawaited stop() must not close the consumer under stop's final commit.
 */
function endRun(c) {
  if (!c._runner) return c._runEnding || Promise.resolve()
  c._runEnding = endRunNow(c).finally(() => {
    c._runEnding = null
  })
  return c._runEnding
}

async function endRunNow(c) {
  const runner = c._runner
  c._runner = null
  // Handlers still running may commit their own offsets until the run has ended (see commitOffsets).
  c._ending = c._offsets
  try {
    await runner.stop(c._settings.values.rebalanceTimeout)
  } finally {
    c._ending = null
  }
  // A handler still running past the bound must not hold a revocation any longer.
  if (c._native) c._native.setBusy(false)
  if (c._runConfig.autoCommit) {
    c._offsets.flushStore()
    await c._offsets
      .commitOffsets()
      .catch((e) => c._logger.warn(`Committing offsets on stop failed: ${e.message}`, { groupId: c._groupId }))
  }
}

/** consumer.stop(): ends the run, then leaves the group. */
function stop(c) {
  cancelRestart(c)
  if (!c._runner) return c._stopping || endRun(c)
  // Kept until it is done, so that a disconnect() meanwhile closes the consumer only after the
  // group was left (closing under leaveGroup made it fail with 'The consumer is disconnected').
  c._stopping = (async () => {
    await endRun(c)
    if (c._native) await leaveGroup({ native: c._native, chunks: c._chunks }, c._logger, c._groupId)
    c._emitter.emit(CONSUMER_EVENTS.STOP)
    c._logger.info('Stopped', { groupId: c._groupId })
  })().finally(() => {
    c._stopping = null
  })
  return c._stopping
}

/** consumer.disconnect(): also cancels a restart the crash path has planned. */
function disconnect(c) {
  cancelRestart(c)
  return close(c)
}

/**
 * The app stopped or disconnected the consumer: no restart, not even one a crash is deciding on
 * right now (kafkajs's crash path would still restart it after restartOnFailure resolved).
 */
function cancelRestart(c) {
  c._crashDeciding = false
  clearTimeout(c._restartTimer)
}

/** Ends the run (if any), waits for a stop in progress, and closes the native consumer. */
function close(c) {
  if (c._state === 'disconnected') {
    // kafkajs reports every disconnect, even of a disconnected consumer.
    c._emitter.emit(CONSUMER_EVENTS.DISCONNECT)
    return Promise.resolve()
  }
  if (c._state === 'disconnecting') return c._disconnecting
  if (c._state === 'connecting')
    return c._connecting.then(
      () => close(c),
      () => {},
    )
  c._state = 'disconnecting'
  c._disconnecting = (async () => {
    try {
      const running = c._runner !== null
      await endRun(c)
      if (running) c._emitter.emit(CONSUMER_EVENTS.STOP)
      if (c._stopping) await c._stopping.catch(() => {})
      await c._closeNative()
    } catch (e) {
      throw fromNative(e)
    } finally {
      c._state = 'disconnected'
      c._disconnecting = null
      c._emitter.emit(CONSUMER_EVENTS.DISCONNECT)
    }
  })()
  return c._disconnecting
}

/** kafkajs's crash path: disconnect, report, and restart after retryTime when retriable. */
async function crash(c, e) {
  c._logger.error(`Crash: ${e.name}: ${e.message}`, { groupId: c._groupId, retryCount: e.retryCount })
  c._crashDeciding = true
  const runConfig = c._runConfig
  const wasRunning = c._runner !== null
  c._runner = null
  try {
    if (runConfig.autoCommit) {
      c._offsets.flushStore()
      await c._offsets.commitOffsets().catch(() => {})
    }
    // kafkajs's crash path disconnects, which stops the run first.
    if (wasRunning) c._emitter.emit(CONSUMER_EVENTS.STOP)
    await close(c)
  } catch {
    // Already reported through the crash.
  }
  const restart = (await restartAfter(e, c._settings.retry)) && c._crashDeciding
  c._crashDeciding = false
  c._emitter.emit(CONSUMER_EVENTS.CRASH, { error: e, groupId: c._groupId, restart })
  if (restart) {
    const retryTime = e.retryTime || c._settings.retry.initialRetryTime
    c._restartTimer = setTimeout(() => {
      c._runConfig = runConfig
      c.connect()
        .then(() => c._start())
        .catch((err) => crash(c, err))
    }, retryTime)
  }
}

module.exports = { stop, disconnect, crash }
