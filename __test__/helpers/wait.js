'use strict'
/*
 * Polling instead of fixed sleeps: wait for a condition, not for a guess of how long it takes.
 * Plain Node (no Jest), so child scripts can use it too.
 */

const sleep = (ms) => new Promise((r) => setTimeout(r, ms))

/**
 * Calls `condition` (sync or async) every `interval` ms until it returns a truthy value, and
 * resolves with that value. Rejects once `timeout` ms have passed without one, with an error
 * that names `what` (a string, or a function called at that moment to describe the state) and
 * the last value seen. An error thrown by `condition` rejects at once, unless `ignoreErrors`:
 * then it counts as "not yet" and the last one is named on timeout.
 */
async function waitFor(
  condition,
  { timeout = 30000, interval = 100, what = 'a condition', ignoreErrors = false } = {},
) {
  const started = Date.now()
  let last
  for (;;) {
    try {
      last = await condition()
      if (last) return last
    } catch (e) {
      if (!ignoreErrors) throw e
      last = `error: ${e && e.message}`
    }
    if (Date.now() - started >= timeout) {
      const description = typeof what === 'function' ? what() : what
      throw new Error(`timed out after ${timeout} ms waiting for ${description} (last: ${JSON.stringify(last)})`)
    }
    await sleep(interval)
  }
}

module.exports = { waitFor }
