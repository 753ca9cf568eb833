'use strict'
/*
 * Which prebuilt native module fits this machine, and what to say when none does.
 *
 * One table of the platforms kafka-napi ships, in napi-rs's naming (`<os>-<cpu>[-<abi>]`): the
 * npm package `kafka-napi-<name>` holds `kafka-napi.<name>.node`. The install script, the loader's
 * error, the packing scripts and the release workflow all read it from here.
 */

/** Prebuilt platforms. `floor`: the oldest C library the binary runs on. */
const PLATFORMS = {
  'linux-x64-gnu': { triple: 'x86_64-unknown-linux-gnu', os: 'linux', cpu: 'x64', libc: 'glibc', floor: 'glibc 2.17' },
  'linux-x64-musl': { triple: 'x86_64-unknown-linux-musl', os: 'linux', cpu: 'x64', libc: 'musl', floor: 'musl 1.2.3' },
  'linux-arm64-gnu': {
    triple: 'aarch64-unknown-linux-gnu',
    os: 'linux',
    cpu: 'arm64',
    libc: 'glibc',
    floor: 'glibc 2.17',
  },
  'linux-arm64-musl': {
    triple: 'aarch64-unknown-linux-musl',
    os: 'linux',
    cpu: 'arm64',
    libc: 'musl',
    floor: 'musl 1.2.3',
  },
  'darwin-x64': { triple: 'x86_64-apple-darwin', os: 'darwin', cpu: 'x64', floor: 'macOS 10.13' },
  'darwin-arm64': { triple: 'aarch64-apple-darwin', os: 'darwin', cpu: 'arm64', floor: 'macOS 11' },
  'win32-x64-msvc': { triple: 'x86_64-pc-windows-msvc', os: 'win32', cpu: 'x64', floor: 'Windows 10' },
}

/** 'glibc', 'musl', or null off Linux. */
function libcFamily() {
  if (process.platform !== 'linux') return null
  try {
    const header = process.report.getReport().header
    if (header.glibcVersionRuntime) return 'glibc'
  } catch {
    // no report: fall through to the file check
  }
  try {
    return require('node:fs').readFileSync('/usr/bin/ldd', 'utf8').includes('musl') ? 'musl' : 'glibc'
  } catch {
    return 'musl'
  }
}

/** This machine's platform name, whether or not kafka-napi ships a binary for it. */
function currentPlatform() {
  const libc = libcFamily()
  const abi = libc === null ? (process.platform === 'win32' ? '-msvc' : '') : libc === 'musl' ? '-musl' : '-gnu'
  return `${process.platform}-${process.arch}${abi}`
}

function binaryName(platform) {
  return `kafka-napi.${platform}.node`
}

/** The file cargo writes for the crate's cdylib on `os` (a process.platform value). */
function cargoLibraryName(os = process.platform) {
  return { win32: 'kafka_napi.dll', darwin: 'libkafka_napi.dylib' }[os] || 'libkafka_napi.so'
}

function packageName(platform) {
  return `kafka-napi-${platform}`
}

/**
 * The paragraph shown when no native module loads: the platform, what is missing, how to get it.
 * `hasCargo`: whether a Rust toolchain was found (the install script knows; the loader does not).
 */
function missingBinaryAdvice(platform = currentPlatform(), hasCargo = undefined) {
  const shipped = Object.hasOwn(PLATFORMS, platform)
  const lines = []
  if (shipped) {
    lines.push(
      `kafka-napi: the prebuilt package ${packageName(platform)} for this platform (${platform}) is not installed or does not load.`,
      'It is an optional dependency of kafka-napi, installed automatically unless optional dependencies were omitted',
      '(--omit=optional, --no-optional) or the lockfile was made on another platform (npm bug #4828).',
      `Reinstall with optional dependencies, or add it explicitly: npm install ${packageName(platform)}@<same version as kafka-napi>.`,
    )
  } else {
    lines.push(
      `kafka-napi: no prebuilt binary for this platform (${platform}).`,
      `Prebuilt packages exist for: ${Object.keys(PLATFORMS).join(', ')}.`,
    )
  }
  const needs =
    process.platform === 'win32'
      ? 'Rust (https://rustup.rs, MSVC toolchain), Visual Studio Build Tools and CMake'
      : 'Rust (https://rustup.rs: cargo and rustc), a C and C++ compiler, make and perl ' +
        '(Debian/Ubuntu: apt-get install build-essential perl; Alpine: apk add build-base perl linux-headers; ' +
        'macOS: xcode-select --install)'
  if (hasCargo === false) {
    lines.push(`cargo was not found, so it was not built from source. That needs ${needs};`)
    lines.push('then run `npm rebuild kafka-napi` (a few minutes).')
    lines.push('Set KAFKA_NAPI_SKIP_BUILD=1 to install without a native module (kafka-napi then fails when loaded).')
  } else if (hasCargo === undefined) {
    lines.push(`Or build it from source: install ${needs}, then run \`npm rebuild kafka-napi\`.`)
    lines.push(
      "npm 11.19+ skips dependencies' install scripts unless allowed: `npm install-scripts approve kafka-napi` first.",
    )
  }
  return lines.join('\n')
}

module.exports = {
  PLATFORMS,
  currentPlatform,
  libcFamily,
  binaryName,
  cargoLibraryName,
  packageName,
  missingBinaryAdvice,
}
