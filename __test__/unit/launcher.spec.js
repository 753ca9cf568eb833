'use strict'
// The broker launcher's command line: bad input gets usage and exit code 2, missing tools are named.
const { spawnSync } = require('node:child_process')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')

const LAUNCHER = path.resolve(__dirname, '../../scripts/kafka/kafka.js')
const run = (args, env = process.env) => spawnSync(process.execPath, [LAUNCHER, ...args], { encoding: 'utf8', env })

test.each([[['frobnicate']], [['start', 'galaxy']], [['kill-node', '7']], [[]]])(
  '%j prints usage and exits 2',
  (args) => {
    const r = run(args)
    expect(r.status).toBe(2)
    expect(r.stderr).toMatch(/usage: npm run kafka -- <command>/)
  },
)

test('without java on PATH, start says what is missing and how to get it', () => {
  // A PATH with only node: no java, no mvn.
  const bin = fs.mkdtempSync(path.join(os.tmpdir(), 'kn-path-'))
  fs.symlinkSync(process.execPath, path.join(bin, 'node'))
  const r = run(['start', 'single'], {
    ...process.env,
    PATH: bin,
    KAFKA_NAPI_STATE_DIR: fs.mkdtempSync(path.join(os.tmpdir(), 'kn-state-')),
  })
  expect(r.status).toBe(1)
  expect(r.stderr).toMatch(/`java` was not found on PATH\. Install a JDK 17 or newer/)
})

test('env prints the variables the tests use', () => {
  const r = run(['env'])
  expect(r.status).toBe(0)
  expect(r.stdout).toMatch(/^KAFKA_BROKERS=127\.0\.0\.1:19092$/m)
  expect(r.stdout).toMatch(/^KAFKA_CLUSTER_BROKERS=127\.0\.0\.1:29092,127\.0\.0\.1:29093,127\.0\.0\.1:29094$/m)
  expect(r.stdout).toMatch(/^KAFKA_SASL_BROKERS=127\.0\.0\.1:19094$/m)
})
