'use strict'
/*
 * How the Linux binaries are built with zig (cargo-zigbuild): the target names and the C
 * toolchain environment. Shared by scripts/dist/build.js and the benchmark's floor, which must
 * link the very librdkafka build that ships.
 */
const fs = require('node:fs')
const path = require('node:path')
const { PLATFORMS } = require('../../lib/platform')

const root = path.resolve(__dirname, '..', '..')
const GLIBC_FLOOR = '2.17'

/** cargo-zigbuild's target: the Rust triple, with the glibc version to link against for -gnu. */
function zigTarget(platform) {
  const p = PLATFORMS[platform]
  return p.libc === 'glibc' ? `${p.triple}.${GLIBC_FLOOR}` : p.triple
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

/** Whether cargo-zigbuild is installed (`pip install ziglang cargo-zigbuild`). */
function hasZigbuild() {
  const { spawnSync } = require('node:child_process')
  return spawnSync('cargo-zigbuild', ['--version'], { stdio: 'ignore' }).status === 0
}

module.exports = { GLIBC_FLOOR, zigTarget, zigToolchain, hasZigbuild }
