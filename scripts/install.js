#!/usr/bin/env node
'use strict'
/*
 * `npm install` hook of kafka-napi. Makes sure a native module this machine can load exists:
 *
 * 1. A prebuilt one loads (the platform package `kafka-napi-<platform>`, or a `.node` beside the
 *    package in a checkout): nothing to do. This is every supported platform, with no Rust.
 * 2. None loads and `cargo` is on PATH: build the Rust core from the shipped sources with cargo
 *    alone (no napi CLI, no cmake, no libcurl headers: librdkafka's own configure + make), and put
 *    `kafka-napi.<platform>.node` beside the package, where the loader looks first.
 * 3. None loads and there is no cargo: fail the install with one paragraph naming the platform,
 *    what is missing and how to get it (npm shows a failed script's output; a warning on success
 *    would be hidden, and the app would only learn of it when it loads kafka-napi).
 *
 * KAFKA_NAPI_FORCE_BUILD=1 builds from source even when a prebuilt module loads;
 * KAFKA_NAPI_SKIP_BUILD=1 skips everything (the module then fails when loaded, with the same advice).
 */
const { spawnSync } = require('node:child_process')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { currentPlatform, binaryName, cargoLibraryName, missingBinaryAdvice } = require('../lib/platform')

const root = path.resolve(__dirname, '..')
const platform = currentPlatform()

function say(line) {
  console.error(`kafka-napi: ${line}`)
}

/** Loads the binding in a child process, so a crash or a bad binary cannot take this one down. */
function loads() {
  const r = spawnSync(process.execPath, ['-e', "console.log(require('./binding.js').librdkafkaVersion())"], {
    cwd: root,
    encoding: 'utf8',
  })
  return { ok: r.status === 0, out: (r.stdout || '').trim(), err: (r.stderr || '').trim() }
}

function hasCargo() {
  const r = spawnSync('cargo', ['--version'], { encoding: 'utf8', shell: process.platform === 'win32' })
  return r.status === 0
}

/**
 * `cargo build --release --lib`; returns where. An installed package builds in a throw-away
 * target dir (about 1 GB of intermediate files); a git checkout keeps `target/` for the next build.
 */
function buildFromSource() {
  const checkout = fs.existsSync(path.join(root, '.git')) ? path.join(root, 'target') : undefined
  const keep = process.env.CARGO_TARGET_DIR || checkout
  const targetDir = keep || fs.mkdtempSync(path.join(os.tmpdir(), 'kafka-napi-build-'))
  say(`building the native module from source with cargo for ${platform} (a few minutes)...`)
  const started = Date.now()
  const r = spawnSync('cargo', ['build', '--release', '--lib', '--locked'], {
    cwd: root,
    stdio: ['ignore', 'inherit', 'inherit'],
    env: { ...process.env, CARGO_TARGET_DIR: targetDir },
    shell: process.platform === 'win32',
  })
  if (r.status !== 0) return { ok: false, targetDir, keep }
  const dest = path.join(root, binaryName(platform))
  fs.copyFileSync(path.join(targetDir, 'release', cargoLibraryName()), dest)
  say(`built ${path.basename(dest)} in ${Math.round((Date.now() - started) / 1000)} s`)
  if (!keep) fs.rmSync(targetDir, { recursive: true, force: true })
  return { ok: true }
}

function main() {
  if (process.env.KAFKA_NAPI_SKIP_BUILD === '1') return 0
  const force = process.env.KAFKA_NAPI_FORCE_BUILD === '1'
  if (!force) {
    const before = loads()
    if (before.ok) {
      say(`using the prebuilt native module for ${platform} (librdkafka ${before.out})`)
      return 0
    }
  }
  if (!hasCargo()) {
    console.error(missingBinaryAdvice(platform, false))
    return 1
  }
  const built = buildFromSource()
  if (!built.ok) {
    say(`the source build failed (output above). ${missingBinaryAdvice(platform, undefined)}`)
    if (!built.keep) fs.rmSync(built.targetDir, { recursive: true, force: true })
    return 1
  }
  const after = loads()
  if (!after.ok) {
    say(`the module built from source does not load:\n${after.err}`)
    return 1
  }
  say(`librdkafka ${after.out}, built from source`)
  return 0
}

process.exitCode = main()
