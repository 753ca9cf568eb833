'use strict'
/*
 * The parent side of driver.js: starts a part of the example in a child process and calls its ops.
 *
 *   const server = await startPart({ role: 'server', kafkajs: false, env: { ORDERS_TOPIC_PREFIX } })
 *   await server.call('log'); await server.stop()
 */
const { fork } = require('node:child_process')
const path = require('node:path')

/**
 * @param {{ role: 'app' | 'server' | 'client', kafkajs?: boolean, env?: Record<string, string>, startTimeout?: number }} opts
 * @returns {Promise<{ info: any, call(op: string, ...args: any[]): Promise<any>, stop(): Promise<number | null>, output(): string }>}
 */
function startPart({ role, kafkajs = false, env = {}, startTimeout = 120000 }) {
  const child = fork(path.join(__dirname, 'driver.js'), {
    env: { ...process.env, ...env, ROLE: role, KAFKAJS: kafkajs ? 'kafkajs' : 'kafka-napi' },
    silent: true,
  })
  let output = ''
  child.stdout.on('data', (d) => (output += d))
  child.stderr.on('data', (d) => (output += d))
  const calls = new Map()
  let nextId = 1
  const exited = new Promise((resolve) => child.on('exit', (code) => resolve(code)))
  exited.then((code) => {
    for (const { reject } of calls.values()) reject(new Error(`${role} exited (${code}) during a call:\n${output}`))
    calls.clear()
  })
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`${role} did not start within ${startTimeout} ms:\n${output}`))
    }, startTimeout)
    exited.then((code) => {
      clearTimeout(timer)
      reject(new Error(`${role} exited (${code}) while starting:\n${output}`))
    })
    child.on('message', (m) => {
      if (m && m.ready) {
        clearTimeout(timer)
        resolve(part(m))
        return
      }
      const call = calls.get(m.id)
      if (!call) return
      calls.delete(m.id)
      if (m.error) {
        const e = new Error(`${m.error.name}: ${m.error.message}`)
        e.remote = m.error
        call.reject(e)
      } else call.resolve(m.result)
    })
  })

  function part(info) {
    return {
      info,
      pid: child.pid,
      call(op, ...args) {
        return new Promise((resolve, reject) => {
          const id = nextId++
          calls.set(id, { resolve, reject })
          child.send({ id, op, args })
        })
      },
      /**
       * Closes the app (if still open) and waits for the process to end: its exit code, or null when
       * it had to be killed after 60 s (a handle kept it alive).
       */
      async stop() {
        if (child.exitCode !== null) return child.exitCode
        const timer = setTimeout(() => child.kill('SIGKILL'), 60000)
        try {
          await this.call('close').catch(() => {})
          child.disconnect()
          return await exited
        } finally {
          clearTimeout(timer)
        }
      },
      output: () => output,
    }
  }
}

module.exports = { startPart }
