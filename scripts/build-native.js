#!/usr/bin/env node
'use strict'
/*
 * `npm install` hook: make sure a native module this machine can load exists. A prebuilt one
 * (local `.node` or the per-platform npm package) is used as is; otherwise the Rust core is built
 * from source with the napi CLI (needs Rust, cmake, a C compiler; see README).
 * Set KAFKA_NAPI_FORCE_BUILD=1 to rebuild anyway, KAFKA_NAPI_SKIP_BUILD=1 to skip.
 */
const { spawnSync } = require('node:child_process')
const path = require('node:path')

const root = path.resolve(__dirname, '..')
if (process.env.KAFKA_NAPI_SKIP_BUILD === '1') process.exit(0)

function loads() {
  const r = spawnSync(process.execPath, ['-e', "require('./binding.js').librdkafkaVersion()"], { cwd: root, stdio: 'ignore' })
  return r.status === 0
}

if (process.env.KAFKA_NAPI_FORCE_BUILD !== '1' && loads()) process.exit(0)

console.log('kafka-napi: no loadable native module; building the Rust core from source (a few minutes the first time)...')
const napi = path.join(root, 'node_modules', '.bin', 'napi')
const r = spawnSync(napi, ['build', '--platform', '--release', '--js', 'binding.js', '--dts', 'binding.d.ts'], { cwd: root, stdio: 'inherit' })
if (r.error && r.error.code === 'ENOENT') {
  console.error('kafka-napi: the napi CLI (@napi-rs/cli) is not installed; run `npm install` with dev dependencies, or install a prebuilt platform package')
  process.exit(1)
}
if (r.status !== 0 || !loads()) {
  console.error('kafka-napi: building the native module failed. It needs Rust (rustup), cmake, a C/C++ compiler and libcurl headers (Debian: apt-get install cmake libcurl4-openssl-dev).')
  process.exit(1)
}
