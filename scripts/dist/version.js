#!/usr/bin/env node
'use strict'
/*
 * Pins the platform packages to the root package's version, as `napi prepublish` does: writes
 * npm/<platform>/package.json (and its README) for every platform in lib/platform.js at the root
 * package.json's version.
 *
 * The root's `optionalDependencies` on them exist only in the published package: the `prepack`
 * script adds them at exactly the root's version and `postpack` takes them out again, so the
 * repository's package.json and lockfile never name packages a checkout cannot install (`npm ci`
 * refuses a lockfile that lacks them, and an unpublished version is not on the registry).
 *
 *   node scripts/dist/version.js                    write npm/<platform>/
 *   node scripts/dist/version.js --check            exit 1 if npm/<platform>/ differs (CI, release)
 *   node scripts/dist/version.js --add-optional     prepack: add the root's optionalDependencies
 *   node scripts/dist/version.js --remove-optional  postpack: remove them
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

/** Every platform package file, with the content it should have. */
function expected(rootPkg) {
  const files = new Map()
  for (const platform of Object.keys(PLATFORMS)) {
    const dir = path.join(root, 'npm', platform)
    files.set(path.join(dir, 'package.json'), json(platformPackage(rootPkg, platform)))
    files.set(path.join(dir, 'README.md'), platformReadme(platform))
  }
  return files
}

/** The root package.json with (or without) its optionalDependencies on every platform package. */
function setOptional(rootPkg, add) {
  const { optionalDependencies: _, ...rest } = rootPkg
  if (!add) return rest
  const optional = {}
  for (const platform of Object.keys(PLATFORMS)) optional[packageName(platform)] = rootPkg.version
  return { ...rest, optionalDependencies: optional }
}

function main() {
  const args = process.argv.slice(2)
  const rootPkg = JSON.parse(fs.readFileSync(rootPkgPath, 'utf8'))
  if (args.includes('--add-optional') || args.includes('--remove-optional')) {
    fs.writeFileSync(rootPkgPath, json(setOptional(rootPkg, args.includes('--add-optional'))))
    return
  }
  const check = args.includes('--check')
  const stale = []
  for (const [file, content] of expected(rootPkg)) {
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
