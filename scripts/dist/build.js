#!/usr/bin/env node
'use strict'
/*
 * Builds the native module for one or more platforms into npm/<platform>/kafka-napi.<platform>.node.
 *
 *   node scripts/dist/build.js linux-x64-gnu linux-arm64-gnu   those platforms
 *   node scripts/dist/build.js --linux                         the four Linux platforms
 *   node scripts/dist/build.js                                 this machine's platform
 *   --local   also copy this machine's platform's result beside the package (where a checkout's
 *             loader finds it first: the tests then run on the binary that ships)
 *
 * Linux targets are built with cargo-zigbuild (`pip install ziglang cargo-zigbuild`), from any
 * Linux or macOS host: zig links -gnu builds against glibc 2.17's symbols, so one binary loads on
 * every glibc distribution since 2014, and -musl builds against musl for Alpine. The Rust target
 * must be installed (`rustup target add <triple>`). macOS and Windows build with plain cargo on
 * their own runners (see .github/workflows/release.yml).
 */
const { spawnSync } = require('node:child_process')
const fs = require('node:fs')
const path = require('node:path')
const { PLATFORMS, binaryName, cargoLibraryName, currentPlatform } = require('../../lib/platform')
const { zigTarget, zigToolchain } = require('./zig')

const root = path.resolve(__dirname, '..', '..')

function run(cmd, args, env) {
  console.log(`$ ${cmd} ${args.join(' ')}`)
  const r = spawnSync(cmd, args, {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, ...env },
    shell: process.platform === 'win32',
  })
  if (r.status !== 0)
    throw new Error(`${cmd} ${args.join(' ')} failed (${r.error ? r.error.message : `exit ${r.status}`})`)
}

/**
 * Copies a built library to `dest` through a temporary file and a rename: a process that has
 * the old file loaded (a test, a bench) keeps its own copy instead of crashing with SIGBUS when
 * the pages it mapped are rewritten under it.
 */
function install(built, dest) {
  const tmp = `${dest}.${process.pid}.tmp`
  fs.copyFileSync(built, tmp)
  fs.renameSync(tmp, dest)
}

function build(platform, { local }) {
  const p = PLATFORMS[platform]
  if (!p) throw new Error(`unknown platform ${platform}; known: ${Object.keys(PLATFORMS).join(', ')}`)
  const started = Date.now()
  const env = {}
  if (p.os === 'linux') {
    // A cdylib loaded by a dynamically linked musl node must itself link musl dynamically.
    if (p.libc === 'musl')
      env[`CARGO_TARGET_${p.triple.toUpperCase().replace(/-/g, '_')}_RUSTFLAGS`] = '-C target-feature=-crt-static'
    Object.assign(env, zigToolchain(platform))
    run('cargo', ['zigbuild', '--release', '--lib', '--locked', '--target', zigTarget(platform)], env)
  } else {
    run('cargo', ['build', '--release', '--lib', '--locked', '--target', p.triple], env)
  }
  const targetDir = process.env.CARGO_TARGET_DIR || path.join(root, 'target')
  const built = path.join(targetDir, p.triple, 'release', cargoLibraryName(p.os))
  const dest = path.join(root, 'npm', platform, binaryName(platform))
  install(built, dest)
  if (local && platform === currentPlatform()) install(built, path.join(root, binaryName(platform)))
  const size = (fs.statSync(dest).size / 1048576).toFixed(1)
  console.log(`built ${path.relative(root, dest)} (${size} MiB) in ${Math.round((Date.now() - started) / 1000)} s`)
}

function main() {
  const args = process.argv.slice(2)
  const local = args.includes('--local')
  let platforms = args.filter((a) => !a.startsWith('--'))
  if (args.includes('--linux')) platforms.push(...Object.keys(PLATFORMS).filter((n) => PLATFORMS[n].os === 'linux'))
  if (platforms.length === 0) platforms = [currentPlatform()]
  for (const platform of new Set(platforms)) build(platform, { local })
}

try {
  main()
} catch (e) {
  console.error(`build: ${e.message}`)
  process.exit(1)
}
