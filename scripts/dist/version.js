#!/usr/bin/env node
'use strict'
/*
 * Pins the platform packages to the root package's version, as `napi prepublish` does: writes
 * npm/<platform>/package.json (and its README) for every platform in lib/platform.js, and the
 * root's `optionalDependencies` on them at exactly the root's version.
 *
 *   node scripts/dist/version.js           write them
 *   node scripts/dist/version.js --check   exit 1 if anything on disk differs (CI, release)
 *
 * To release a new version: change `version` in the root package.json, then run this.
 */
const fs = require('node:fs')
const path = require('node:path')
const { PLATFORMS, binaryName, packageName } = require('../../lib/platform')

const root = path.resolve(__dirname, '..', '..')
const rootPkgPath = path.join(root, 'package.json')

function json(value) {
  return `${JSON.stringify(value, null, 2)}\n`
}

function platformPackage(rootPkg, platform) {
  const p = PLATFORMS[platform]
  const pkg = {
    name: packageName(platform),
    version: rootPkg.version,
    description: `The ${p.triple} native module of kafka-napi (${p.floor} or newer)`,
    license: rootPkg.license,
    repository: rootPkg.repository,
    main: binaryName(platform),
    files: [binaryName(platform)],
    os: [p.os],
    cpu: [p.cpu],
  }
  if (p.libc) pkg.libc = [p.libc]
  pkg.engines = rootPkg.engines
  if (!pkg.repository) delete pkg.repository
  return pkg
}

function platformReadme(platform) {
  const p = PLATFORMS[platform]
  return [
    `# \`${packageName(platform)}\``,
    '',
    `The **${p.triple}** native module of [kafka-napi](https://www.npmjs.com/package/kafka-napi), for ${p.floor} or newer.`,
    'Do not install it directly: `npm install kafka-napi` picks the package that fits the machine.',
    '',
  ].join('\n')
}

/** Every file this script owns, with the content it should have. */
function expected() {
  const rootPkg = JSON.parse(fs.readFileSync(rootPkgPath, 'utf8'))
  const files = new Map()
  const optional = {}
  for (const platform of Object.keys(PLATFORMS)) {
    const dir = path.join(root, 'npm', platform)
    files.set(path.join(dir, 'package.json'), json(platformPackage(rootPkg, platform)))
    files.set(path.join(dir, 'README.md'), platformReadme(platform))
    optional[packageName(platform)] = rootPkg.version
  }
  files.set(rootPkgPath, json({ ...rootPkg, optionalDependencies: optional }))
  return files
}

function main() {
  const check = process.argv.includes('--check')
  const stale = []
  for (const [file, content] of expected()) {
    const now = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : null
    if (now === content) continue
    stale.push(path.relative(root, file))
    if (!check) {
      fs.mkdirSync(path.dirname(file), { recursive: true })
      fs.writeFileSync(file, content)
    }
  }
  if (check && stale.length) {
    console.error(`not pinned to the root version (run node scripts/dist/version.js): ${stale.join(', ')}`)
    process.exit(1)
  }
  if (!check) console.log(stale.length ? `updated: ${stale.join(', ')}` : 'all platform packages pinned')
}

main()
