#!/usr/bin/env node
'use strict'
/*
 * Writes the release tarballs into dist/: kafka-napi-<version>.tgz (JS, types, loader, install
 * script, Rust sources for the source fallback) and kafka-napi-<platform>-<version>.tgz for every
 * platform whose npm/<platform>/ holds its .node (scripts/dist/build.js puts it there).
 *
 * Before packing it checks that the versions are pinned (scripts/dist/version.js --check) and that
 * each Linux binary is what its package says: the right CPU, a glibc floor no newer than 2.17 for
 * -gnu, no glibc symbol at all for -musl. Then it prints each artifact's size and floor.
 *
 *   node scripts/dist/pack.js [--out dir]
 */
const { spawnSync } = require('node:child_process')
const fs = require('node:fs')
const path = require('node:path')
const { PLATFORMS, binaryName } = require('../../lib/platform')
const { inspectElf, compareVersions } = require('./elf')

const root = path.resolve(__dirname, '..', '..')
const MAX_GLIBC = '2.17'
const ELF_MACHINE = { x64: 'x86-64', arm64: 'aarch64' }

function npmPack(dir, out) {
  const r = spawnSync('npm', ['pack', '--json', '--pack-destination', out], {
    cwd: dir,
    encoding: 'utf8',
    shell: process.platform === 'win32',
  })
  if (r.status !== 0) throw new Error(`npm pack in ${dir} failed:\n${r.stderr}`)
  const [info] = JSON.parse(r.stdout)
  return info
}

/** What the binary needs of the machine, checked against what its package promises. */
function checkBinary(platform, file) {
  const p = PLATFORMS[platform]
  if (p.os !== 'linux') return p.floor
  const elf = inspectElf(file)
  const problems = []
  if (elf.machine !== ELF_MACHINE[p.cpu]) problems.push(`ELF machine ${elf.machine}, expected ${ELF_MACHINE[p.cpu]}`)
  if (p.libc === 'glibc') {
    if (!elf.glibcFloor) problems.push('needs no GLIBC_ version: not a glibc build')
    else if (compareVersions(elf.glibcFloor, MAX_GLIBC) > 0)
      problems.push(`needs GLIBC_${elf.glibcFloor}, above ${MAX_GLIBC}`)
  } else {
    if (elf.glibcFloor) problems.push(`a musl build that needs GLIBC_${elf.glibcFloor}`)
    if (elf.needed.some((n) => /^(libc\.so\.6|ld-linux)/.test(n)))
      problems.push(`links glibc (${elf.needed.join(', ')})`)
  }
  if (problems.length) throw new Error(`${path.relative(root, file)}: ${problems.join('; ')}`)
  return p.libc === 'glibc'
    ? `glibc ${elf.glibcFloor} (${elf.machine})`
    : `musl, needs ${elf.needed.join(' ')} (${elf.machine})`
}

function mib(bytes) {
  return `${(bytes / 1048576).toFixed(1)} MiB`
}

function main() {
  const args = process.argv.slice(2)
  const out = path.resolve(args.includes('--out') ? args[args.indexOf('--out') + 1] : path.join(root, 'dist'))
  const pinned = spawnSync(process.execPath, [path.join(__dirname, 'version.js'), '--check'], { stdio: 'inherit' })
  if (pinned.status !== 0) process.exit(1)

  fs.mkdirSync(out, { recursive: true })
  for (const f of fs.readdirSync(out)) if (f.endsWith('.tgz')) fs.rmSync(path.join(out, f))

  const rows = []
  for (const platform of Object.keys(PLATFORMS)) {
    const dir = path.join(root, 'npm', platform)
    const file = path.join(dir, binaryName(platform))
    if (!fs.existsSync(file)) continue
    const floor = checkBinary(platform, file)
    const info = npmPack(dir, out)
    rows.push({ artifact: info.filename, size: info.size, unpacked: info.unpackedSize, floor })
  }
  const info = npmPack(root, out)
  rows.unshift({
    artifact: info.filename,
    size: info.size,
    unpacked: info.unpackedSize,
    floor: 'any (JS, types, Rust sources)',
  })

  const width = Math.max(...rows.map((r) => r.artifact.length))
  console.log(`\n${'artifact'.padEnd(width)}  ${'packed'.padStart(9)}  ${'unpacked'.padStart(9)}  runs on`)
  for (const r of rows) {
    console.log(`${r.artifact.padEnd(width)}  ${mib(r.size).padStart(9)}  ${mib(r.unpacked).padStart(9)}  ${r.floor}`)
  }
  console.log(`\n${rows.length} tarballs in ${path.relative(process.cwd(), out) || '.'}`)
  if (rows.length === 1) console.log('no platform package: build one first (node scripts/dist/build.js)')
}

try {
  main()
} catch (e) {
  console.error(`pack: ${e.message}`)
  process.exit(1)
}
