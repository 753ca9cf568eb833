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

const root = path.resolve(__dirname, '..', '..')
const GLIBC_FLOOR = '2.17'

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
 * cargo-zigbuild points cc-rs at zig (CC_<target>), but librdkafka's own configure script reads
 * plain CC/AR and would compile with the host's gcc against the host's headers: wrong for arm64,
 * and for -gnu it would compile against a newer glibc's headers than the one linked. These
 * wrappers make configure and make use zig for the target too. Nothing in the build compiles C
 * for the host, but HOST_CC keeps such a thing on the host compiler should it appear.
 */
function zigToolchain(platform) {
  const p = PLATFORMS[platform]
  const zigTriple = `${p.triple.replace('-unknown-', '-')}${p.libc === 'glibc' ? `.${GLIBC_FLOOR}` : ''}`
  const dir = path.join(process.env.CARGO_TARGET_DIR || path.join(root, 'target'), 'zig-wrappers', platform)
  fs.mkdirSync(dir, { recursive: true })
  const script = (name, body) => {
    const file = path.join(dir, name)
    fs.writeFileSync(file, `#!/bin/sh\n${body}\n`, { mode: 0o755 })
    return file
  }
  // librdkafka's make also links shared libraries (unused here) whose version script names
  // symbols of optional parts; lld refuses that unless told the names may be undefined.
  const compiler = (zig) =>
    script(
      zig,
      [
        'case " $* " in *" -shared "*) set -- "$@" -Wl,--undefined-version ;; esac',
        `exec cargo-zigbuild zig ${zig} -- -g -fno-sanitize=all -target ${zigTriple} "$@"`,
      ].join('\n'),
    )
  return {
    CC: compiler('cc'),
    // make also builds librdkafka++ (C++), unused here but built all the same.
    CXX: compiler('c++'),
    AR: script('ar', 'exec cargo-zigbuild zig ar -- "$@"'),
    RANLIB: script('ranlib', 'exec cargo-zigbuild zig ranlib -- "$@"'),
    HOST_CC: 'cc',
    HOST_CXX: 'c++',
    HOST_AR: 'ar',
  }
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
    const zigTarget = p.libc === 'glibc' ? `${p.triple}.${GLIBC_FLOOR}` : p.triple
    Object.assign(env, zigToolchain(platform))
    run('cargo', ['zigbuild', '--release', '--lib', '--locked', '--target', zigTarget], env)
  } else {
    run('cargo', ['build', '--release', '--lib', '--locked', '--target', p.triple], env)
  }
  const targetDir = process.env.CARGO_TARGET_DIR || path.join(root, 'target')
  const built = path.join(targetDir, p.triple, 'release', cargoLibraryName(p.os))
  const dest = path.join(root, 'npm', platform, binaryName(platform))
  fs.copyFileSync(built, dest)
  if (local && platform === currentPlatform()) fs.copyFileSync(built, path.join(root, binaryName(platform)))
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
