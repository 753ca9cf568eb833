'use strict'
/*
 * Runs a scenario script in a child Node process (outside Jest's module registry, so that
 * ./resolve-hook.js applies) and resolves with the one message it sends over IPC. The child's
 * output is kept and shown only if it fails.
 */
const { fork } = require('node:child_process')

/**
 * @param {string} script absolute path of the scenario
 * @param {Record<string, string>} [env] added to the environment
 * @returns {Promise<any>} what the child passed to process.send
 */
function runChild(script, env = {}) {
  return new Promise((resolve, reject) => {
    const child = fork(script, { env: { ...process.env, ...env }, silent: true })
    let output = ''
    child.stdout.on('data', (d) => (output += d))
    child.stderr.on('data', (d) => (output += d))
    let result
    child.on('message', (m) => (result = m))
    child.on('error', reject)
    child.on('exit', (code) => {
      if (code === 0 && result !== undefined) resolve(result)
      else reject(new Error(`${script} exited with ${code}:\n${output}`))
    })
  })
}

/** In a scenario: sends `fn()`'s result to the parent and exits; exits 1 with the error on failure. */
function scenario(fn) {
  fn().then(
    (result) => process.send(result, () => process.exit(0)),
    (e) => {
      console.error(e)
      process.exit(1)
    },
  )
}

module.exports = { runChild, scenario }
