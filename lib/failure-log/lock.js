'use strict'
/*
 * One process owns a failure log at a time. Two processes appending and replaying one file
 * would each compact it under the other, so the second is refused with a clear error instead.
 *
 * The lock is `<log>.lock`, created exclusively (O_EXCL), holding the owner's pid and host. A
 * lock whose process is gone (kill -9, a crash) is stale and taken over; a live owner on this
 * host refuses. A lock written by another host (a shared volume) is never taken over: the error
 * says which host holds it, and deleting the file is the operator's call.
 */
const fs = require('node:fs')
const os = require('node:os')
const { KafkaJSNonRetriableError } = require('../errors')

class FailureLogLockedError extends KafkaJSNonRetriableError {
  constructor(message, { path, pid, host }) {
    super(message)
    this.name = 'FailureLogLockedError'
    this.code = 'KAFKA_NAPI_FAILURE_LOG_LOCKED'
    this.path = path
    this.pid = pid
    this.host = host
  }
}

function alive(pid) {
  try {
    process.kill(pid, 0)
    return true
  } catch (e) {
    return e.code === 'EPERM'
  }
}

function readOwner(lockPath) {
  try {
    const [pid, host] = fs.readFileSync(lockPath, 'utf8').split('\n')
    return { pid: Number(pid), host }
  } catch {
    return null
  }
}

const held = new Set()
let exitHook = false

/** Takes the lock of the log at `logPath` for this process, or throws FailureLogLockedError. */
function acquire(logPath) {
  const lockPath = `${logPath}.lock`
  const me = `${process.pid}\n${os.hostname()}\n`
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      fs.writeFileSync(lockPath, me, { flag: 'wx' })
      held.add(lockPath)
      if (!exitHook) {
        exitHook = true
        process.on('exit', () => {
          for (const p of held) release(p)
        })
      }
      return lockPath
    } catch (e) {
      if (e.code !== 'EEXIST') throw e
    }
    const owner = readOwner(lockPath)
    if (owner === null) continue // removed meanwhile, or being written: try again
    if (owner.pid === process.pid && owner.host === os.hostname()) {
      // Left by this very process (an earlier instance not closed): ours already.
      held.add(lockPath)
      return lockPath
    }
    if (owner.host !== os.hostname()) {
      throw new FailureLogLockedError(
        `The failure log ${logPath} is locked by process ${owner.pid} on host ${owner.host}. ` +
          `Only one process may use a failure log at a time; if that process is gone, delete ${lockPath}.`,
        { path: logPath, ...owner },
      )
    }
    if (alive(owner.pid)) {
      throw new FailureLogLockedError(
        `The failure log ${logPath} is in use by process ${owner.pid} on this host. ` +
          'Only one process may record to or replay a failure log at a time: stop that process, or replay from it.',
        { path: logPath, ...owner },
      )
    }
    // Stale: its process died without releasing it.
    try {
      fs.rmSync(lockPath)
    } catch {}
  }
  throw new FailureLogLockedError(`Could not lock the failure log ${logPath} (the lock kept changing)`, {
    path: logPath,
  })
}

function release(lockPath) {
  held.delete(lockPath)
  try {
    const owner = readOwner(lockPath)
    if (owner && owner.pid === process.pid) fs.rmSync(lockPath)
  } catch {}
}

module.exports = { acquire, release, FailureLogLockedError }
