#!/usr/bin/env node
'use strict'
/*
 * Smoke test of the INSTALLED package, run on every platform before publishing:
 *
 *   node scripts/dist/smoke.js <dir-with-tarballs>      (e.g. `node scripts/dist/smoke.js dist`)
 *
 * In a fresh app in the temp dir it runs `npm install` of the root tarball (kafka-napi-<version>.tgz)
 * and of this platform's tarball (kafka-napi-<platform>-<version>.tgz), exactly as a user would get
 * them from the registry, then, in a child process of that app, `require('kafka-napi')`, starts
 * librdkafka's in-process mock broker, and sends 2 x 100 messages with an idempotent producer.
 *
 * It proves that, on this OS / CPU / libc and this Node version:
 * - the packages install (os/cpu/libc fields, the root's optionalDependencies, its install hook),
 * - the prebuilt `.node` from the platform package is the one loaded (not a source build),
 * - that binary loads here (glibc floor, musl, macOS/Windows runtime libraries) and its statically
 *   built librdkafka works end to end: connect, idempotent produce with acks=-1, the delivery
 *   metadata (partition 0, baseOffset '0' then '100'), disconnect, mock close.
 * Prints `smoke ok: <platform> node <version>` and exits 0; any failure exits non-zero with the
 * error. The temp app is removed on success and kept (its path printed) on failure.
 * Node's standard library only.
 */
const { spawnSync } = require('node:child_process')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')

const IS_WINDOWS = process.platform === 'win32'
const STEP_TIMEOUT_MS = 10 * 60 * 1000
const RUN_TIMEOUT_MS = 2 * 60 * 1000

function fail(message) {
  console.error(`smoke: ${message}`)
  process.exit(1)
}

/** The napi platform name of this machine (the `npm/<platform>` dirs). */
function napiPlatform() {
  const { platform, arch } = process
  if (platform === 'linux') {
    process.report.excludeNetwork = true
    const header = process.report.getReport().header
    return `linux-${arch}-${header.glibcVersionRuntime ? 'gnu' : 'musl'}`
  }
  if (platform === 'darwin') return `darwin-${arch}`
  if (platform === 'win32') return `win32-${arch}-msvc`
  return `${platform}-${arch}`
}

/** Finds kafka-napi-<version>.tgz and kafka-napi-<platform>-<version>.tgz in `dir`. */
function findTarballs(dir, platform) {
  if (!fs.existsSync(dir)) fail(`no such directory: ${dir}`)
  const files = fs.readdirSync(dir)
  // A version starts with a digit; a platform name never does.
  const roots = files.filter((f) => /^kafka-napi-\d[^/\\]*\.tgz$/.test(f))
  const candidates = roots.map((f) => {
    const version = f.slice('kafka-napi-'.length, -'.tgz'.length)
    return { version, root: f, native: `kafka-napi-${platform}-${version}.tgz` }
  })
  const complete = candidates.filter((c) => files.includes(c.native))
  if (complete.length === 1) return complete[0]
  if (roots.length === 0) fail(`no kafka-napi-<version>.tgz in ${dir} (files: ${files.join(', ') || 'none'})`)
  if (complete.length === 0)
    fail(`no tarball for this platform in ${dir}: expected ${candidates.map((c) => c.native).join(' or ')}`)
  fail(`more than one version in ${dir}: ${complete.map((c) => c.version).join(', ')}; keep one`)
}

/** Runs npm with `args` in `cwd`; on Windows npm is npm.cmd, which only a shell can start. */
function npm(args, cwd, { quiet = false } = {}) {
  console.log(`$ npm ${args.join(' ')}`)
  const options = { cwd, stdio: ['ignore', quiet ? 'ignore' : 'inherit', 'inherit'], timeout: STEP_TIMEOUT_MS }
  // One command line for cmd.exe (args beside `shell: true` are deprecated); ours need no quoting.
  const r = IS_WINDOWS
    ? spawnSync(`npm ${args.join(' ')}`, { ...options, shell: true })
    : spawnSync('npm', args, options)
  if (r.error) throw new Error(`npm ${args[0]}: ${r.error.message}`)
  if (r.status !== 0) throw new Error(`npm ${args[0]} exited with ${r.status === null ? r.signal : r.status}`)
}

/** The script run inside the app: everything it uses comes from the installed packages. */
function appScript(platform) {
  return `'use strict'
const assert = require('node:assert')
const path = require('node:path')
const PLATFORM = ${JSON.stringify(platform)}

async function main() {
  const { Kafka, MockCluster } = require('kafka-napi')

  // The native module must be the platform package's prebuilt file, not anything else.
  const loaded = Object.keys(require.cache).filter((f) => f.endsWith('.node'))
  const expected = path.join('node_modules', 'kafka-napi-' + PLATFORM, 'kafka-napi.' + PLATFORM + '.node')
  assert.ok(loaded.some((f) => f.endsWith(expected)), 'expected ' + expected + ' to be loaded; loaded: ' + JSON.stringify(loaded))

  const mock = new MockCluster({ brokers: 1 })
  try {
    const topic = 'smoke'
    mock.createTopic(topic, { partitions: 1 })
    const kafka = new Kafka({ clientId: 'smoke', brokers: mock.brokers, logLevel: 0 })
    const producer = kafka.producer({ idempotent: true })
    await producer.connect()
    try {
      const messages = (n) => Array.from({ length: 100 }, (_, i) => ({ key: 'k' + i, value: 'smoke ' + n + ' ' + i }))
      const first = await producer.send({ topic, acks: -1, messages: messages(1) })
      assert.deepStrictEqual(
        first.map((m) => ({ topicName: m.topicName, partition: m.partition, errorCode: m.errorCode, baseOffset: m.baseOffset })),
        [{ topicName: topic, partition: 0, errorCode: 0, baseOffset: '0' }],
      )
      const second = await producer.send({ topic, acks: -1, messages: messages(2) })
      assert.strictEqual(second.length, 1, 'second send metadata: ' + JSON.stringify(second))
      assert.strictEqual(second[0].partition, 0)
      assert.strictEqual(second[0].baseOffset, '100')
    } finally {
      await producer.disconnect()
    }
  } finally {
    mock.close()
  }
  console.log('smoke ok: ' + PLATFORM + ' node ' + process.version)
}

const watchdog = setTimeout(() => {
  console.error('smoke: timed out after ${RUN_TIMEOUT_MS / 1000} s')
  process.exit(2)
}, ${RUN_TIMEOUT_MS})
main().then(
  () => {
    clearTimeout(watchdog)
    process.exit(0)
  },
  (e) => {
    console.error(e)
    process.exit(1)
  },
)
`
}

function main() {
  const dirArg = process.argv[2]
  if (!dirArg) fail('usage: node scripts/dist/smoke.js <dir-with-tarballs>')
  const dir = path.resolve(dirArg)
  const platform = napiPlatform()
  const { version, root, native } = findTarballs(dir, platform)
  console.log(`smoke: kafka-napi ${version} on ${platform}, node ${process.version}`)

  const app = fs.mkdtempSync(path.join(os.tmpdir(), 'kafka-napi-smoke-'))
  let ok = false
  try {
    // Copies beside the app: relative, space-free paths for npm (and cmd.exe on Windows).
    fs.copyFileSync(path.join(dir, root), path.join(app, root))
    fs.copyFileSync(path.join(dir, native), path.join(app, native))
    npm(['init', '-y'], app, { quiet: true })
    npm(['install', '--no-audit', '--no-fund', '--foreground-scripts', `./${root}`, `./${native}`], app)

    const script = path.join(app, 'smoke-app.cjs')
    fs.writeFileSync(script, appScript(platform))
    console.log(`$ node smoke-app.cjs (in ${app})`)
    const r = spawnSync(process.execPath, [script], { cwd: app, stdio: 'inherit', timeout: RUN_TIMEOUT_MS + 30000 })
    if (r.error) throw new Error(`smoke-app.cjs: ${r.error.message}`)
    if (r.status !== 0) throw new Error(`smoke-app.cjs exited with ${r.status === null ? r.signal : r.status}`)
    ok = true
  } catch (e) {
    console.error(`smoke: FAILED on ${platform}, node ${process.version}: ${e.message}`)
    console.error(`smoke: the app is kept in ${app}`)
    process.exitCode = 1
  } finally {
    if (ok) fs.rmSync(app, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 })
  }
}

main()
