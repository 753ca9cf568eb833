'use strict'
/*
 * What a Linux shared object asks of the machine that loads it, read from its ELF headers with no
 * binutils: the CPU (e_machine), the libraries it needs (DT_NEEDED) and the newest symbol version
 * it needs from glibc (the highest GLIBC_x.y in .gnu.version_r): its glibc floor. A musl build
 * needs no GLIBC_ version at all.
 */
const fs = require('node:fs')

const MACHINES = { 3: 'x86', 62: 'x86-64', 40: 'arm', 183: 'aarch64' }
const SHT_DYNAMIC = 6
const SHT_GNU_VERNEED = 0x6ffffffe
const DT_NEEDED = 1

function compareVersions(a, b) {
  const pa = a.split('.').map(Number)
  const pb = b.split('.').map(Number)
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] || 0) - (pb[i] || 0)
    if (d !== 0) return d
  }
  return 0
}

function inspectElf(file) {
  const b = fs.readFileSync(file)
  if (b.readUInt32BE(0) !== 0x7f454c46) throw new Error(`${file} is not an ELF file`)
  if (b[4] !== 2 || b[5] !== 1) throw new Error(`${file}: only 64-bit little-endian ELF is read here`)
  const machine = MACHINES[b.readUInt16LE(18)] || `e_machine ${b.readUInt16LE(18)}`
  const shoff = Number(b.readBigUInt64LE(40))
  const shentsize = b.readUInt16LE(58)
  const shnum = b.readUInt16LE(60)
  const sections = []
  for (let i = 0; i < shnum; i++) {
    const o = shoff + i * shentsize
    sections.push({
      type: b.readUInt32LE(o + 4),
      offset: Number(b.readBigUInt64LE(o + 24)),
      size: Number(b.readBigUInt64LE(o + 32)),
      link: b.readUInt32LE(o + 40),
      info: b.readUInt32LE(o + 44),
    })
  }
  const str = (section, at) => {
    const start = section.offset + at
    return b.toString('latin1', start, b.indexOf(0, start))
  }

  const needed = []
  for (const s of sections.filter((x) => x.type === SHT_DYNAMIC)) {
    const strtab = sections[s.link]
    for (let o = s.offset; o + 16 <= s.offset + s.size; o += 16) {
      const tag = Number(b.readBigInt64LE(o))
      if (tag === 0) break
      if (tag === DT_NEEDED) needed.push(str(strtab, Number(b.readBigUInt64LE(o + 8))))
    }
  }

  const versions = []
  for (const s of sections.filter((x) => x.type === SHT_GNU_VERNEED)) {
    const strtab = sections[s.link]
    let o = s.offset
    for (let n = 0; n < s.info; n++) {
      const cnt = b.readUInt16LE(o + 2)
      let a = o + b.readUInt32LE(o + 8)
      for (let k = 0; k < cnt; k++) {
        versions.push(str(strtab, b.readUInt32LE(a + 8)))
        a += b.readUInt32LE(a + 12)
      }
      const next = b.readUInt32LE(o + 12)
      if (next === 0) break
      o += next
    }
  }
  const glibc = versions
    .filter((v) => /^GLIBC_\d+(\.\d+)*$/.test(v))
    .map((v) => v.slice(6))
    .sort(compareVersions)
  return { machine, needed, glibcFloor: glibc.length ? glibc[glibc.length - 1] : null }
}

module.exports = { inspectElf, compareVersions }
