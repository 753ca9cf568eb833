#!/usr/bin/env node
'use strict'
/*
 * `npm run bench`: kafka-napi against its peers and against the floor (a pure-Rust producer on
 * the same librdkafka build), in one sitting. See bench/README.md for the method.
 *
 *   node bench/run.js [--brokers host:port] [--quick] [--clients a,b,c] [--out bench/results]
 *                     [--reinstall] [--kafka-version 4.1.1] [--rounds n]
 *                     [--workloads W1,W2,W3,W4,C1,C2,N1] [--sizes 100,1024] [--acks 1,-1]
 *
 * Each client runs in its own child process (bench/child.js, the floor binary, or the Java
 * producer of bench/java.js), one after the other, against its own fresh topics (1 partition for
 * W1-W3, 3 and 12 partitions for W4). The consumer workloads (C1, C2) read topics that this
 * process fills once per run with kafka-napi's producer, each repetition in a new group. Progress goes to stderr; the markdown table goes to stdout
 * and, with the raw JSON and an SVG chart, to --out (latest.* plus timestamped copies).
 */
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { hasZigbuild, zigTarget, zigToolchain } = require('../scripts/dist/zig')
const crypto = require('node:crypto')
const { spawn } = require('node:child_process')
const { renderMarkdown, renderSvg, w3PeakKb } = require('./report')
const { median } = require('./clients/util')
const { prepareJava } = require('./java')
const { runNest, nestMarkdown } = require('./nest')

const BENCH = __dirname
const ROOT = path.resolve(BENCH, '..')

/**
 * Every client, in report order. `packages`: what it needs from the bench workspace. `optIn`:
 * runs only when --clients names it.
 */
const CLIENTS = [
  { id: 'floor', label: 'floor (Rust, no JS)', kind: 'floor', method: 'produce_batch', packages: [] },
  {
    id: 'floor-future',
    label: 'floor, earlier method (a FutureProducer future per message)',
    kind: 'floor',
    method: 'future',
    optIn: true,
    packages: [],
  },
  { id: 'kafka-napi', label: 'kafka-napi', kind: 'js', consumer: true, packages: [] },
  { id: 'kafkajs', label: 'kafkajs', kind: 'js', consumer: true, packages: [] },
  {
    id: 'platformatic',
    label: '@platformatic/kafka',
    kind: 'js',
    consumer: true,
    packages: ['@platformatic/kafka'],
  },
  { id: 'kafka-crab-js', label: 'kafka-crab-js', kind: 'js', packages: ['kafka-crab-js'] },
  {
    id: 'confluent',
    label: '@confluentinc/kafka-javascript',
    kind: 'js',
    consumer: true,
    packages: ['@confluentinc/kafka-javascript'],
  },
  { id: 'node-rdkafka', label: 'node-rdkafka', kind: 'js', consumer: true, packages: ['node-rdkafka'] },
  { id: 'nestjs', label: 'NestJS ClientKafka.emit', kind: 'js', packages: [] },
  // The label gets the Kafka version in main().
  { id: 'java', label: 'Java (kafka-clients, ProducerPerformance)', kind: 'java', packages: [] },
]

const PRODUCER_WORKLOADS = ['w1', 'w2', 'w3', 'w4']
const CONSUMER_WORKLOADS = ['c1', 'c2']
// N1: the NestJS microservice on kafkajs and on kafka-napi (bench/nest.js), when both or either is selected.
const WORKLOADS = [...PRODUCER_WORKLOADS, ...CONSUMER_WORKLOADS, 'n1']

const COMBOS = [
  { size: 100, acks: 1 },
  { size: 100, acks: -1 },
  { size: 1024, acks: 1 },
  { size: 1024, acks: -1 },
]

/** Repetition plans. Workloads 2 and 3 run for a fixed time per repetition (capped in payload bytes). */
const PLANS = {
  full: {
    w1: { warmup: 200, warmupSeconds: 2, n: 1000, seconds: 5, reps: 3 },
    w2: { warmupSeconds: 0.75, seconds: 1.5, maxBytes: 400e6, reps: 3, concurrency: 1000 },
    w3: { warmupSeconds: 0.75, seconds: 1.5, maxBytes: 400e6, reps: 3, batch: 1000, inflight: 4 },
    w4: {
      warmupSeconds: 0.75,
      seconds: 1.5,
      maxBytes: 400e6,
      reps: 3,
      batch: 1000,
      inflight: 4,
      keys: 10000,
      partitions: [3, 12],
    },
    idle: { seconds: 2 },
    // C1/C2: every repetition reads a whole pre-filled topic in a new group; time to first
    // message: a new group on a fresh topic of `ttfm.messages` messages, once per repetition.
    consumer: {
      messages: { 100: 300000, 1024: 100000 },
      partitions: [1, 3],
      reps: 2,
      ttfm: { reps: 3, messages: 10, size: 100 },
      timeoutSeconds: 180,
    },
    eldResolutionMs: 1,
    clientTimeoutSeconds: 900,
  },
  quick: {
    w1: { warmup: 20, warmupSeconds: 0.5, n: 100, seconds: 1, reps: 2 },
    w2: { warmupSeconds: 0.2, seconds: 0.3, maxBytes: 20e6, reps: 2, concurrency: 1000 },
    w3: { warmupSeconds: 0.2, seconds: 0.3, maxBytes: 20e6, reps: 2, batch: 1000, inflight: 4 },
    w4: {
      warmupSeconds: 0.2,
      seconds: 0.3,
      maxBytes: 20e6,
      reps: 2,
      batch: 1000,
      inflight: 4,
      keys: 10000,
      partitions: [3, 12],
    },
    idle: { seconds: 0.5 },
    consumer: {
      messages: { 100: 3000 },
      partitions: [1],
      reps: 1,
      ttfm: { reps: 1, messages: 10, size: 100 },
      timeoutSeconds: 60,
    },
    eldResolutionMs: 1,
    clientTimeoutSeconds: 120,
  },
}

const TOPIC_PREFIX = 'kafka-napi-bench-'
/** A path for messages: relative to the repository when inside it. */
const shown = (p) => (path.relative(ROOT, p).startsWith('..') ? p : path.relative(ROOT, p))
const FLOOR_BIN = path.join(ROOT, 'target', 'x86_64-unknown-linux-gnu', 'release', 'examples', 'bench-floor')
const INSTALL_MARKER = path.join(BENCH, 'node_modules', '.bench-install.json')
const INSTALL_LOG = path.join(BENCH, 'node_modules', '.bench-install.log')

function parseArgs(argv) {
  const args = {
    brokers: process.env.KAFKA_BROKERS || '127.0.0.1:19092',
    quick: false,
    clients: null,
    out: path.join(BENCH, 'results'),
    reinstall: false,
    kafkaVersion: null,
    installTimeout: 1800,
    rounds: 1,
    workloads: WORKLOADS,
    sizes: null,
    acks: null,
  }
  const list = (v) =>
    v
      .split(',')
      .map((x) => x.trim())
      .filter(Boolean)
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]
    const value = () => {
      const v = a.includes('=') ? a.slice(a.indexOf('=') + 1) : argv[++i]
      if (v === undefined) throw new Error(`${a} needs a value`)
      return v
    }
    const name = a.split('=')[0]
    if (name === '--brokers') args.brokers = value()
    else if (name === '--quick') args.quick = true
    else if (name === '--clients')
      args.clients = value()
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean)
    else if (name === '--out') args.out = path.resolve(value())
    else if (name === '--reinstall') args.reinstall = true
    else if (name === '--kafka-version') args.kafkaVersion = value()
    else if (name === '--install-timeout') args.installTimeout = Number(value())
    else if (name === '--rounds') {
      args.rounds = Number(value())
      if (!Number.isInteger(args.rounds) || args.rounds < 1 || args.rounds > 10)
        throw new Error('--rounds must be an integer from 1 to 10')
    } else if (name === '--workloads') {
      args.workloads = list(value()).map((w) => w.toLowerCase())
      const unknown = args.workloads.filter((w) => !WORKLOADS.includes(w))
      if (unknown.length || !args.workloads.length)
        throw new Error(
          `--workloads takes a list of W1, W2, W3, W4, C1, C2, N1 (got ${unknown.join(', ') || 'nothing'})`,
        )
    } else if (name === '--sizes') {
      args.sizes = list(value()).map(Number)
      if (!args.sizes.length || args.sizes.some((n) => !COMBOS.some((c) => c.size === n)))
        throw new Error('--sizes takes a list of 100, 1024')
    } else if (name === '--acks') {
      args.acks = list(value()).map((a) => (a === 'all' ? -1 : Number(a)))
      if (!args.acks.length || args.acks.some((n) => !COMBOS.some((c) => c.acks === n)))
        throw new Error('--acks takes a list of 1, -1')
    } else if (name === '--help' || name === '-h') {
      process.stdout.write(
        `usage: node bench/run.js [--brokers host:port] [--quick] [--clients ${CLIENTS.map((c) => c.id).join(',')}] [--out dir] [--reinstall] [--kafka-version v] [--install-timeout s] [--rounds n] [--workloads W1,W2,W3,W4,C1,C2,N1] [--sizes 100,1024] [--acks 1,-1]\n`,
      )
      process.exit(0)
    } else throw new Error(`unknown option ${a}`)
  }
  if (args.clients) {
    const known = new Set(CLIENTS.map((c) => c.id))
    const unknown = args.clients.filter((c) => !known.has(c))
    if (unknown.length) throw new Error(`unknown client(s) ${unknown.join(', ')}; known: ${[...known].join(', ')}`)
  }
  return args
}

// ---------------------------------------------------------------------------------------------
// progress bar (stderr)

class Progress {
  constructor(total) {
    this.total = total
    this.done = 0
    this.label = ''
    this.tty = process.stderr.isTTY
    this.lastPrinted = -1
    this.t0 = Date.now()
  }

  set(label) {
    this.label = label
    this.draw(true)
  }

  tick(label, n = 1) {
    this.done = Math.min(this.total, this.done + n)
    if (label) this.label = label
    this.draw(false)
  }

  line() {
    const width = 30
    const frac = this.total ? this.done / this.total : 1
    const filled = Math.round(frac * width)
    const secs = Math.round((Date.now() - this.t0) / 1000)
    return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${String(Math.floor(frac * 100)).padStart(3)}% ${String(secs).padStart(4)}s  ${this.label}`
  }

  draw(force) {
    if (this.tty) {
      const cols = process.stderr.columns || 120
      process.stderr.write(`\r${this.line().slice(0, cols - 1)}\x1b[K`)
      return
    }
    // Not a terminal: one line per 10 % step, and whenever a new client starts.
    const step = Math.floor((this.done / (this.total || 1)) * 10)
    if (force || step !== this.lastPrinted) {
      this.lastPrinted = step
      process.stderr.write(`${this.line()}\n`)
    }
  }

  message(text) {
    if (this.tty) process.stderr.write(`\r\x1b[K${text}\n`)
    else process.stderr.write(`${text}\n`)
    this.draw(true)
  }

  end() {
    if (this.tty) process.stderr.write('\n')
  }
}

// ---------------------------------------------------------------------------------------------
// bench workspace (optional peer clients)

function packageJsonHash() {
  return crypto
    .createHash('sha256')
    .update(fs.readFileSync(path.join(BENCH, 'package.json')))
    .digest('hex')
    .slice(0, 16)
}

function resolvable(pkg) {
  try {
    require.resolve(`${pkg}/package.json`, { paths: [BENCH] })
    return true
  } catch {
    try {
      require.resolve(pkg, { paths: [BENCH] })
      return true
    } catch {
      return false
    }
  }
}

function readMarker() {
  try {
    return JSON.parse(fs.readFileSync(INSTALL_MARKER, 'utf8'))
  } catch {
    return null
  }
}

/** Why `pkg`'s install step failed, from npm's --foreground-scripts log. */
function installFailureOf(log, pkg) {
  const lines = log.split('\n')
  const start = lines.findIndex(
    (l) => l.startsWith(`npm info run ${pkg}@`) && / install /.test(l) && !l.includes('{ code'),
  )
  if (start < 0) return null
  let end = lines.findIndex((l, i) => i > start && l.startsWith(`npm info run ${pkg}@`) && l.includes('{ code'))
  if (end < 0) end = lines.length
  const codeMatch = end < lines.length ? lines[end].match(/code: (\w+)/) : null
  if (codeMatch && codeMatch[1] === '0') return null
  // biome-ignore lint/suspicious/noControlCharactersInRegex: strips ANSI escape sequences (ESC) from npm's log
  const block = lines.slice(start, end).map((l) => l.replace(/\x1b\[[0-9;]*m|\x1b\(B/g, '').trim())
  // The most telling line first: a failed source download or compile beats the failed prebuilt
  // download that made the package build from source in the first place.
  const priorities = [
    /Failed to install dependency|ERROR: Download of/,
    /fatal error|\berror:|No rule to make target|Error: Cannot find/,
    /gyp ERR! (configure|build) error|gyp ERR! stack Error/,
    /ENOTFOUND|ECONNREFUSED|ETIMEDOUT|EAI_AGAIN/,
  ]
  let first = null
  for (const re of priorities) {
    first = block.find((l) => re.test(l))
    if (first) break
  }
  first = first || block.filter(Boolean).pop() || 'install script failed'
  return `install script exited with ${codeMatch ? codeMatch[1] : 'no result'}: ${first.slice(0, 220)}`
}

/** Runs a command, its output appended to `logFile`, with a heartbeat on the progress bar. */
function runLogged(cmd, argv, { cwd, env, timeoutMs, logFile, progress, label }) {
  return new Promise((resolve) => {
    const log = fs.createWriteStream(logFile)
    const t0 = Date.now()
    const child = spawn(cmd, argv, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] })
    let timedOut = false
    const timer = setTimeout(() => {
      timedOut = true
      child.kill('SIGKILL')
    }, timeoutMs)
    const beat = setInterval(
      () => progress.set(`${label} (${Math.round((Date.now() - t0) / 1000)} s)`),
      progress.tty ? 1000 : 30000,
    )
    child.stdout.pipe(log, { end: false })
    child.stderr.pipe(log, { end: false })
    const done = (status, error) => {
      clearTimeout(timer)
      clearInterval(beat)
      log.end(() => resolve({ status, error, timedOut, seconds: Math.round((Date.now() - t0) / 1000) }))
    }
    child.on('error', (e) => done(null, e))
    child.on('close', (code, signal) => done(code ?? signal, null))
  })
}

/** Installs the bench workspace when a selected client needs a package it lacks (once per package.json). */
async function ensureWorkspace(selected, args, progress) {
  const needed = [...new Set(selected.flatMap((c) => c.packages))]
  const missing = needed.filter((p) => !resolvable(p))
  const marker = readMarker()
  const hash = packageJsonHash()
  if (missing.length === 0 && !args.reinstall) return marker
  if (!args.reinstall && marker && marker.hash === hash) return marker // tried already; failures are in the marker
  progress.message(
    `bench workspace: npm install --prefix bench (${missing.join(', ') || 'reinstall'}); builds from source where npm has no prebuilt binary, up to ${args.installTimeout} s; log: ${shown(INSTALL_LOG)}`,
  )
  const env = { ...process.env }
  const nodeDir = path.resolve(process.execPath, '..', '..')
  // node-gyp downloads Node headers unless told where they are; use the installed ones.
  if (!env.npm_config_nodedir && fs.existsSync(path.join(nodeDir, 'include', 'node', 'node.h')))
    env.npm_config_nodedir = nodeDir
  // @confluentinc/kafka-javascript's source build otherwise downloads zlib/OpenSSL/zstd/curl
  // sources; linking librdkafka dynamically against the system libraries needs no download.
  if (!env.CKJS_LINKING) env.CKJS_LINKING = 'dynamic'
  fs.mkdirSync(path.dirname(INSTALL_LOG), { recursive: true })
  const r = await runLogged(
    'npm',
    ['install', '--prefix', BENCH, '--no-audit', '--no-fund', '--foreground-scripts', '--loglevel=info'],
    {
      cwd: BENCH,
      env,
      timeoutMs: args.installTimeout * 1000,
      logFile: INSTALL_LOG,
      progress,
      label: 'installing the bench workspace',
    },
  )
  const log = fs.readFileSync(INSTALL_LOG, 'utf8')
  const failures = {}
  for (const pkg of CLIENTS.flatMap((c) => c.packages)) {
    const why = installFailureOf(log, pkg)
    if (why) failures[pkg] = why
  }
  const result = {
    hash,
    at: new Date().toISOString(),
    seconds: r.seconds,
    status: r.timedOut ? `timed out after ${args.installTimeout} s` : r.error ? String(r.error.message) : r.status,
    failures,
    log: shown(INSTALL_LOG),
  }
  fs.writeFileSync(INSTALL_MARKER, JSON.stringify(result, null, 2))
  progress.message(`bench workspace: npm install finished in ${result.seconds} s (status ${result.status})`)
  return result
}

// ---------------------------------------------------------------------------------------------
// the floor binary

function floorStale() {
  if (!fs.existsSync(FLOOR_BIN)) return true
  return fs.statSync(path.join(BENCH, 'floor.rs')).mtimeMs > fs.statSync(FLOOR_BIN).mtimeMs
}

async function buildFloor(progress, logDir) {
  if (!floorStale()) return null
  const logFile = path.join(logDir, 'floor-build.log')
  // The floor links the librdkafka build that ships: with zig, as scripts/dist/build.js builds
  // linux-x64-gnu (reusing its artifacts), else with plain cargo on this machine's toolchain.
  const zig = hasZigbuild()
  const cargoArgs = zig
    ? ['zigbuild', '--release', '--example', 'bench-floor', '--target', zigTarget('linux-x64-gnu')]
    : ['build', '--release', '--example', 'bench-floor', '--target', 'x86_64-unknown-linux-gnu']
  progress.message(`floor: cargo ${cargoArgs.join(' ')} (log: ${shown(logFile)})`)
  const r = await runLogged('cargo', cargoArgs, {
    cwd: ROOT,
    env: zig ? { ...process.env, ...zigToolchain('linux-x64-gnu') } : process.env,
    timeoutMs: 20 * 60 * 1000,
    logFile,
    progress,
    label: 'building the floor',
  })
  if (r.error) return `cargo could not run: ${r.error.message}`
  if (r.timedOut) return 'cargo build timed out after 20 min'
  if (r.status !== 0) {
    const err =
      fs
        .readFileSync(logFile, 'utf8')
        .split('\n')
        .find((l) => /^error/.test(l)) || `exit ${r.status}`
    return `cargo build failed: ${err}`
  }
  return fs.existsSync(FLOOR_BIN) ? null : 'cargo build produced no binary'
}

// ---------------------------------------------------------------------------------------------
// Kafka (kafkajs admin from the root devDependencies)

async function withAdmin(brokers, fn) {
  const { Kafka, logLevel } = require('kafkajs')
  const admin = new Kafka({
    clientId: 'kafka-napi-bench-admin',
    brokers: brokers.split(','),
    logLevel: logLevel.NOTHING,
    retry: { retries: 3 },
  }).admin()
  await admin.connect()
  try {
    return await fn(admin)
  } finally {
    await admin.disconnect()
  }
}

async function createTopic(admin, topic, numPartitions = 1) {
  // Not kafkajs's own waitForLeaders (on unless turned off): it gives up when the broker's
  // metadata does not list the new topic yet (UNKNOWN_TOPIC_OR_PARTITION, seen in clean CI runs).
  // Poll until every partition has a leader instead.
  await admin.createTopics({
    topics: [{ topic, numPartitions, replicationFactor: 1 }],
    timeout: 30000,
    waitForLeaders: false,
  })
  const deadline = Date.now() + 30000
  for (;;) {
    try {
      const { topics } = await admin.fetchTopicMetadata({ topics: [topic] })
      if (topics[0] && topics[0].partitions.length > 0 && topics[0].partitions.every((p) => p.leader >= 0)) return
    } catch (e) {
      if (e.type !== 'UNKNOWN_TOPIC_OR_PARTITION' && e.type !== 'LEADER_NOT_AVAILABLE') throw e
    }
    if (Date.now() > deadline) throw new Error(`topic ${topic} has no leader 30 s after it was created`)
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}

/**
 * Makes the cluster's group coordinator ready before any client is measured. On a new cluster the
 * first group lookup makes the broker create `__consumer_offsets`, and the client asking first
 * waits for it (librdkafka asks again every 0.5-1 s: 1-3 s seen in the first client's first
 * time-to-first-message). Asks for a group's description until the coordinator answers.
 */
async function warmGroupCoordinator(admin) {
  const deadline = Date.now() + 60000
  for (;;) {
    try {
      await admin.describeGroups(['kafka-napi-bench-warm-up'])
      return
    } catch (e) {
      if (Date.now() > deadline) throw new Error(`the group coordinator did not answer within 60 s: ${e.message}`)
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
  }
}

/** Deletes `topics`, trying twice; returns the error message if they could not be deleted. */
async function deleteTopics(admin, topics) {
  if (!topics.length) return null
  let last = null
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      await admin.deleteTopics({ topics, timeout: 30000 })
      return null
    } catch (e) {
      last = e
      await new Promise((resolve) => setTimeout(resolve, 1000))
    }
  }
  return last ? last.message : null
}

// ---------------------------------------------------------------------------------------------
// running one client

function librdkafkaOfLock() {
  try {
    const lock = fs.readFileSync(path.join(ROOT, 'Cargo.lock'), 'utf8')
    const m = lock.match(/name = "rdkafka-sys"\nversion = "[^"+]+\+([^"]+)"/)
    const r = lock.match(/name = "rdkafka"\nversion = "([^"]+)"/)
    return { librdkafka: m ? m[1] : 'unknown', rdkafka: r ? r[1] : 'unknown' }
  } catch {
    return { librdkafka: 'unknown', rdkafka: 'unknown' }
  }
}

/** The librdkafka properties kafka-napi uses with no producer options (for the floor). */
function kafkaNapiDefaults(brokers) {
  const { producerProperties, profileProperties } = require(path.join(ROOT, 'lib', 'config.js'))
  const { logLevel } = require(path.join(ROOT, 'lib', 'logger.js'))
  const shared = producerProperties(
    { clientId: 'bench', brokers: brokers.split(',') },
    {},
    { warn() {}, level: logLevel.INFO },
  )
  const profiles = {}
  for (const acks of [1, -1])
    profiles[String(acks)] = profileProperties({ acks, timeout: 30000, compression: 0 }, shared).overrides
  return { props: shared.props, profiles }
}

/** `logTag`: the log file's suffix (default: `idle` for an idle-RSS run, none otherwise). */
function runChild(client, plan, progress, logDir, java, logTag = plan.idle ? 'idle' : '') {
  return new Promise((resolve) => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'kafka-napi-bench-'))
    const planFile = path.join(tmp, 'plan.json')
    const resultFile = path.join(tmp, 'result.json')
    fs.writeFileSync(planFile, JSON.stringify(plan))
    let cmd
    let argv
    if (client.kind === 'floor') {
      cmd = FLOOR_BIN
      argv = [JSON.stringify(plan)]
    } else if (client.kind === 'java') {
      cmd = java.cmd
      argv = [...java.args, planFile, resultFile]
    } else {
      cmd = process.execPath
      argv = [path.join(BENCH, 'child.js'), client.id, planFile, resultFile]
    }
    const logFile = path.join(logDir, `${client.id}${logTag ? `-${logTag}` : ''}.log`)
    const log = fs.createWriteStream(logFile)
    const env = { ...process.env, KAFKAJS_NO_PARTITIONER_WARNING: '1' }
    const child = spawn(cmd, argv, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] })
    const t0 = Date.now()
    let stdout = ''
    let ticks = 0
    let timedOut = false
    const timer = setTimeout(() => {
      timedOut = true
      child.kill('SIGKILL')
    }, plan.clientTimeoutSeconds * 1000)
    child.stdout.on('data', (d) => {
      if (client.kind === 'floor') stdout += d
      log.write(d)
    })
    let pending = ''
    child.stderr.on('data', (d) => {
      pending += d
      for (let i = pending.indexOf('\n'); i >= 0; i = pending.indexOf('\n')) {
        const line = pending.slice(0, i)
        pending = pending.slice(i + 1)
        if (line.startsWith('@@tick ')) {
          ticks++
          progress.tick(`${client.label}: ${line.slice(7)}`)
        } else log.write(`${line}\n`)
      }
    })
    child.on('error', (e) => log.write(`spawn error: ${e.message}\n`))
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      log.end()
      let result = null
      try {
        if (client.kind === 'floor') {
          const line = stdout
            .split('\n')
            .filter((l) => l.trim().startsWith('{'))
            .pop()
          if (line) result = JSON.parse(line)
        } else if (fs.existsSync(resultFile)) {
          result = JSON.parse(fs.readFileSync(resultFile, 'utf8'))
        }
      } catch {
        result = null
      }
      fs.rmSync(tmp, { recursive: true, force: true })
      result = result || { client: client.id, combos: [] }
      result.wallSeconds = (Date.now() - t0) / 1000
      result.log = shown(logFile)
      if (timedOut) result.error = `timed out after ${plan.clientTimeoutSeconds}s (partial results kept)`
      else if (!result.error && code !== 0) {
        const tail = fs.existsSync(logFile)
          ? fs
              .readFileSync(logFile, 'utf8')
              .trim()
              .split('\n')
              .filter((l) => /error|panick|Error/.test(l))
              .pop()
          : ''
        result.error = `exited with ${signal || code}${tail ? `: ${tail.trim().slice(0, 200)}` : ''}`
      }
      resolve({ result, ticks })
    })
  })
}

// ---------------------------------------------------------------------------------------------

function machine() {
  const cpus = os.cpus()
  return {
    cores: cpus.length,
    cpu: cpus[0] ? cpus[0].model.trim() : 'unknown',
    ramGiB: Math.round((os.totalmem() / 1024 ** 3) * 10) / 10,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    loadavg: os
      .loadavg()
      .map((x) => x.toFixed(2))
      .join(' '),
  }
}

function kafkaVersion(args) {
  if (args.kafkaVersion) return args.kafkaVersion
  try {
    const pom = fs.readFileSync(path.join(ROOT, 'scripts', 'kafka', 'pom.xml'), 'utf8')
    const m = pom.match(/<kafka\.version>([^<]+)<\/kafka\.version>/)
    if (m) return `${m[1]} (from scripts/kafka/pom.xml; --kafka-version overrides)`
  } catch {}
  return 'unknown (pass --kafka-version)'
}

/**
 * One client's results of several rounds as one: every workload's repetitions pooled, and each
 * figure the median over all of them (as a single round reports the median of its own).
 */
function mergeRounds(list) {
  const ok = list.filter(
    (r) => !r.error && ((r.combos && r.combos.length) || (r.consumer && (r.consumer.runs.length || r.consumer.ttfm))),
  )
  if (list.length === 1 || ok.length === 0) return list[0]
  const merged = {
    ...ok[0],
    rounds: list.length,
    maxRssKb: Math.max(...ok.map((r) => r.maxRssKb || 0)),
    maxRssKbW1W3: Math.max(...ok.map((r) => r.maxRssKbW1W3 || 0)) || undefined,
    maxRssKbW3: Math.max(...ok.map((r) => w3PeakKb(r) || 0)) || undefined,
    wallSeconds: ok.reduce((n, r) => n + (r.wallSeconds || 0), 0),
  }
  if (ok.length < list.length)
    merged.note = `${list.length - ok.length} of ${list.length} rounds failed: ${list.find((r) => r.error).error}`
  merged.combos = ok[0].combos.map((combo) => {
    const same = ok.map((r) => r.combos.find((c) => c.size === combo.size && c.acks === combo.acks)).filter(Boolean)
    const out = { ...combo }
    const workloads = new Set(ok.flatMap((r) => r.combos.flatMap((c) => Object.keys(c))).filter((k) => /^w\d/.test(k)))
    for (const w of workloads) {
      const reps = same.flatMap((c) => (c[w] && c[w].reps) || [])
      if (reps.length === 0) continue
      const figures = { reps }
      for (const key of new Set(reps.flatMap((r) => Object.keys(r)))) figures[key] = median(reps.map((r) => r[key]))
      out[w] = { ...combo[w], ...figures }
    }
    return out
  })
  if (ok.some((r) => r.consumer)) merged.consumer = mergeConsumer(ok.map((r) => r.consumer).filter(Boolean))
  return merged
}

/** Medians of every numeric figure over pooled repetitions, the repetitions kept. */
function pooled(base, reps) {
  const out = { ...base, reps }
  for (const key of new Set(reps.flatMap((r) => Object.keys(r))))
    if (reps.some((r) => typeof r[key] === 'number')) out[key] = median(reps.map((r) => r[key]))
  return out
}

/** The consumer results of several rounds: repetitions pooled per (workload, size, partitions). */
function mergeConsumer(list) {
  const ttfmReps = list.flatMap((c) => (c.ttfm && c.ttfm.reps) || [])
  const ttfm = ttfmReps.length ? pooled({}, ttfmReps) : list.map((c) => c.ttfm).find(Boolean) || null
  const runs = []
  for (const run of list.flatMap((c) => c.runs)) {
    if (runs.some((r) => r.workload === run.workload && r.size === run.size && r.partitions === run.partitions))
      continue
    const same = list
      .flatMap((c) => c.runs)
      .filter((r) => r.workload === run.workload && r.size === run.size && r.partitions === run.partitions)
    const reps = same.flatMap((r) => r.reps || [])
    const { workload, size, partitions, settings } = run
    const merged = reps.length ? pooled({ workload, size, partitions, settings }, reps) : { ...run }
    const failed = same.find((r) => r.error)
    if (failed && reps.length) merged.note = `a round failed: ${failed.error}`
    const dup = same.find((r) => r.duplicates)
    if (dup) merged.duplicates = dup.duplicates
    runs.push(merged)
  }
  return { ttfm, runs, ...(list.find((c) => c.error) ? { error: list.find((c) => c.error).error } : {}) }
}

function stamp(d) {
  const p = (n) => String(n).padStart(2, '0')
  return `${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}-${p(d.getHours())}${p(d.getMinutes())}${p(d.getSeconds())}`
}

/** The timed steps (progress ticks) of one client: a warm-up and the repetitions per workload. */
function ticksOf(plan, combos, workloads, consumerTopics, consumerWorkloads) {
  const per = { w1: plan.w1.reps + 1, w2: plan.w2.reps + 1, w3: plan.w3.reps + 1 }
  per.w4 = (plan.w4.reps + 1) * plan.w4.partitions.length
  const producing = combos.length * workloads.reduce((n, w) => n + (per[w] || 0), 0)
  const consuming = consumerWorkloads.length
    ? plan.consumer.ttfm.reps + consumerWorkloads.length * consumerTopics * plan.consumer.reps
    : 0
  return { producing, consuming }
}

/**
 * Fills `topic` with `count` messages of the bench payload of `size` bytes, with kafka-napi's
 * producer (sends of 1,000, 8 in flight, acks -1), and returns how many the topic holds (the sum
 * of its high watermarks: what a consumer from the beginning must read).
 */
async function fillTopic(brokers, topic, count, size) {
  const { Kafka, logLevel } = require(ROOT)
  const { payloadOf } = require('./clients/util')
  const producer = new Kafka({
    clientId: 'bench-fill',
    brokers: brokers.split(','),
    logLevel: logLevel.NOTHING,
  }).producer()
  await producer.connect()
  try {
    const value = payloadOf(size)
    const full = Array.from({ length: 1000 }, () => ({ value }))
    const inFlight = new Set()
    for (let sent = 0; sent < count; sent += full.length) {
      const messages = count - sent >= full.length ? full : full.slice(0, count - sent)
      const p = producer.send({ topic, acks: -1, messages })
      inFlight.add(p)
      p.then(
        () => inFlight.delete(p),
        () => inFlight.delete(p),
      )
      if (inFlight.size >= 8) await Promise.race(inFlight)
    }
    await Promise.all(inFlight)
  } finally {
    await producer.disconnect()
  }
  return withAdmin(brokers, async (admin) =>
    (await admin.fetchTopicOffsets(topic)).reduce((n, p) => n + Number(p.high), 0),
  )
}

/** Runs one client alone on its own topic: connect, wait, RSS (JS clients only). */
async function idleRss(client, args, planBase, runId, progress, logDir) {
  const topic = `${TOPIC_PREFIX}${runId}-${client.id}-idle`
  try {
    await withAdmin(args.brokers, (admin) => createTopic(admin, topic))
  } catch (e) {
    return { error: `could not create its topic: ${e.message}` }
  }
  const plan = { ...planBase, brokers: args.brokers, topic, combos: [], idle: planBase.idle }
  const { result } = await runChild(client, plan, progress, logDir)
  await withAdmin(args.brokers, (admin) => deleteTopics(admin, [topic])).catch(() => {})
  return result.idle ? result.idle : { error: result.error || 'no result' }
}

/**
 * Runs W3 alone (every combination, nothing before it) in a process of its own and returns its
 * peak RSS: the memory of batched sends themselves, without what W1 and W2 left in the heap.
 */
async function w3AloneRss(client, args, planBase, combos, runId, progress, logDir) {
  const topic = `${TOPIC_PREFIX}${runId}-${client.id}-w3alone`
  try {
    await withAdmin(args.brokers, (admin) => createTopic(admin, topic))
  } catch (e) {
    return { error: `could not create its topic: ${e.message}` }
  }
  const plan = {
    ...planBase,
    brokers: args.brokers,
    topic,
    combos,
    workloads: ['w3'],
    w4: { ...planBase.w4, topics: [] },
    consumer: undefined,
    idle: undefined,
  }
  const { result } = await runChild(client, plan, progress, logDir, null, 'w3alone')
  await withAdmin(args.brokers, (admin) => deleteTopics(admin, [topic])).catch(() => {})
  return typeof result.maxRssKb === 'number' && !result.error
    ? { rssKb: result.maxRssKb }
    : { error: result.error || 'no result' }
}

async function main() {
  const args = parseArgs(process.argv.slice(2))
  const mode = args.quick ? 'quick' : 'full'
  const planBase = PLANS[mode]
  const workloads = PRODUCER_WORKLOADS.filter((w) => args.workloads.includes(w))
  let consumerWorkloads = CONSUMER_WORKLOADS.filter((w) => args.workloads.includes(w))
  let selected = args.clients ? CLIENTS.filter((c) => args.clients.includes(c.id)) : CLIENTS.filter((c) => !c.optIn)
  // Only consumer workloads: the clients without a consumer have nothing to run.
  if (!workloads.length) selected = selected.filter((c) => c.consumer)
  if (!selected.length) throw new Error('none of the selected clients runs the selected workloads')
  const combos = workloads.length
    ? COMBOS.filter((c) => (!args.sizes || args.sizes.includes(c.size)) && (!args.acks || args.acks.includes(c.acks)))
    : []
  // The consumer topics: one per (size, partitions), shared by every client and round.
  const consumerPlan = planBase.consumer
  const consumerTopics = consumerWorkloads.length
    ? [...new Set(COMBOS.map((c) => c.size))]
        .filter((size) => consumerPlan.messages[size] && (!args.sizes || args.sizes.includes(size)))
        .flatMap((size) => consumerPlan.partitions.map((partitions) => ({ size, partitions })))
    : []
  if (consumerWorkloads.length && !consumerTopics.length) {
    process.stderr.write(`bench: the ${mode} plan has no consumer topic of the selected sizes: no C1/C2\n`)
    consumerWorkloads = []
  }
  const nestLibs = args.workloads.includes('n1')
    ? ['kafkajs', 'kafka-napi'].filter((id) => selected.some((c) => c.id === id))
    : []
  if (!workloads.length && !consumerWorkloads.length && !nestLibs.length) throw new Error('nothing to run')
  // N1 alone: no client runs the W/C workloads.
  if (!workloads.length && !consumerWorkloads.length) selected = []
  const ticks = ticksOf(planBase, combos, workloads, consumerTopics.length, consumerWorkloads)
  const ticksFor = (client) => ticks.producing + (client.consumer ? ticks.consuming : 0)
  const progress = new Progress(args.rounds * selected.reduce((n, c) => n + ticksFor(c), 0))
  const started = new Date()
  const runId = `${stamp(started)}-${process.pid}`
  fs.mkdirSync(args.out, { recursive: true })
  const logDir = path.join(args.out, 'logs')
  fs.mkdirSync(logDir, { recursive: true })

  progress.set(`preparing (${mode}, clients: ${selected.map((c) => c.id).join(', ')})`)
  // The broker must answer before anything else is worth doing.
  try {
    await withAdmin(args.brokers, async (admin) => {
      // Topics of earlier runs that were interrupted (older than 6 h, so never a concurrent run's).
      const stale = (await admin.listTopics()).filter((t) => {
        const m =
          t.startsWith(TOPIC_PREFIX) && t.slice(TOPIC_PREFIX.length).match(/^(\d{4})(\d\d)(\d\d)-(\d\d)(\d\d)(\d\d)-/)
        return m && Date.now() - new Date(+m[1], m[2] - 1, +m[3], +m[4], +m[5], +m[6]).getTime() > 6 * 3600 * 1000
      })
      await deleteTopics(admin, stale)
    })
  } catch (e) {
    progress.end()
    process.stderr.write(`bench: cannot reach Kafka at ${args.brokers}: ${e.message}\n`)
    process.exit(2)
  }

  const install = selected.some((c) => c.packages.length)
    ? await ensureWorkspace(selected, args, progress)
    : readMarker()
  const floorError = selected.some((c) => c.kind === 'floor') ? await buildFloor(progress, logDir) : null
  const kafka = kafkaVersion(args)
  const kafkaV = kafka.split(' ')[0]
  let java = null
  if (selected.some((c) => c.kind === 'java')) {
    progress.set('preparing the Java producer')
    java = prepareJava({
      kafkaVersion: kafkaV,
      log: (text) => progress.message(text),
      logFile: path.join(logDir, 'java-build.log'),
    })
    if (java.error) progress.message(`Java: ${java.error}`)
  }
  const defaults = kafkaNapiDefaults(args.brokers)
  const lock = librdkafkaOfLock()

  if (consumerWorkloads.length || nestLibs.length) {
    progress.set('waiting for the group coordinator')
    await withAdmin(args.brokers, warmGroupCoordinator)
  }
  // The consumer topics, filled once; every client reads each in a new group per repetition.
  for (const t of consumerTopics) {
    t.topic = `${TOPIC_PREFIX}${runId}-consume-${t.size}-p${t.partitions}`
    const wanted = consumerPlan.messages[t.size]
    progress.set(`filling ${t.topic} with ${wanted} messages of ${t.size} B`)
    await withAdmin(args.brokers, (admin) => createTopic(admin, t.topic, t.partitions))
    t.messages = await fillTopic(args.brokers, t.topic, wanted, t.size)
  }

  // Rounds: the whole sequence again, in reverse order every other round, so that a broker that
  // drifts during the run (page cache, log cleaning of the deleted topics) favours no client.
  const rounds = selected.map(() => [])
  for (let round = 0; round < args.rounds; round++) {
    const order = round % 2 ? [...selected].reverse() : selected
    for (const client of order) {
      const startTicks = progress.done
      const ticksPerClient = ticksFor(client)
      const tag = args.rounds > 1 ? ` (round ${round + 1}/${args.rounds})` : ''
      progress.set(`${client.label}${tag}: starting`)
      let result
      const notInstalled = (p) => {
        const why =
          (install && install.failures && install.failures[p]) ||
          `npm install did not provide it (npm status ${install ? install.status : 'unknown'})`
        return `${p} is not installed: ${why} (log: ${install ? install.log : 'none'})`
      }
      const unavailable =
        client.kind === 'floor'
          ? floorError
          : client.kind === 'java'
            ? java.error
            : client.packages.filter((p) => !resolvable(p)).map(notInstalled)[0]
      if (unavailable) {
        result = { client: client.id, combos: [], error: unavailable }
      } else {
        const topic = `${TOPIC_PREFIX}${runId}-${client.id}-${round}`
        const keyed = workloads.includes('w4')
          ? planBase.w4.partitions.map((partitions) => ({ partitions, topic: `${topic}-p${partitions}` }))
          : []
        const consuming = client.consumer && consumerWorkloads.length > 0
        // Time to first message: a fresh topic per repetition, filled before the client starts.
        const ttfm = consuming ? Array.from({ length: consumerPlan.ttfm.reps }, (_, i) => `${topic}-first${i}`) : []
        const own = [...(combos.length ? [topic] : []), ...keyed.map((t) => t.topic), ...ttfm]
        // A client whose topics cannot be created fails alone; the run goes on.
        const created = await withAdmin(args.brokers, async (admin) => {
          if (combos.length) await createTopic(admin, topic)
          for (const t of keyed) await createTopic(admin, t.topic, t.partitions)
          for (const t of ttfm) await createTopic(admin, t)
        })
          .then(async () => {
            for (const t of ttfm) await fillTopic(args.brokers, t, consumerPlan.ttfm.messages, consumerPlan.ttfm.size)
          })
          .then(
            () => null,
            (e) => `could not create its topics: ${e.message}`,
          )
        const plan = {
          ...planBase,
          brokers: args.brokers,
          topic,
          combos,
          workloads,
          w4: { ...planBase.w4, topics: keyed },
          consumer: consuming
            ? {
                ...consumerPlan,
                workloads: consumerWorkloads,
                topics: consumerTopics,
                ttfm: { ...consumerPlan.ttfm, topics: ttfm },
                groupPrefix: `${TOPIC_PREFIX}${runId}-${client.id}-${round}`,
              }
            : undefined,
          idle: undefined,
          ...(client.kind === 'floor' ? { ...defaults, method: client.method } : {}),
        }
        if (created) result = { client: client.id, combos: [], error: created }
        else ({ result } = await runChild(client, plan, progress, logDir, java))
        const left = await withAdmin(args.brokers, async (admin) => {
          // The groups of its consumers too (best effort): each holds committed offsets.
          if (consuming) {
            const prefix = plan.consumer.groupPrefix
            const { groups } = await admin.listGroups()
            const mine = groups.map((g) => g.groupId).filter((g) => g.startsWith(`${prefix}-`))
            if (mine.length) await admin.deleteGroups(mine).catch(() => {})
          }
          return deleteTopics(admin, own)
        }).catch((e) => e.message)
        if (left)
          progress.message(`could not delete topic ${topic} (${left}); a later run deletes it once it is 6 h old`)
      }
      rounds[selected.indexOf(client)].push(result)
      // Whatever was not ticked (failure, timeout) still counts as done for the bar.
      progress.tick(
        `${client.label}${tag}: ${result.error ? 'failed' : 'done'}`,
        Math.max(0, startTicks + ticksPerClient - progress.done),
      )
      if (result.error) progress.message(`${client.label}${tag}: ${result.error}`)
    }
  }
  const results = selected.map((client, i) => {
    const result = mergeRounds(rounds[i])
    if (client.id === 'kafka-napi' && result.version)
      result.version += `, rust-rdkafka ${lock.rdkafka}, librdkafka ${lock.librdkafka}`
    result.id = client.id
    result.consumes = Boolean(client.consumer) && consumerWorkloads.length > 0
    result.label = client.kind === 'java' ? `Java (kafka-clients ${kafkaV}, ProducerPerformance)` : client.label
    return result
  })
  if (consumerTopics.length) {
    const left = await withAdmin(args.brokers, (admin) =>
      deleteTopics(
        admin,
        consumerTopics.map((t) => t.topic),
      ),
    ).catch((e) => e.message)
    if (left) progress.message(`could not delete the consumer topics (${left}); a later run deletes them once 6 h old`)
  }
  // The memory of one idle connected producer, each JS client in a process of its own.
  for (const [i, client] of selected.entries()) {
    if (client.kind !== 'js' || results[i].error || !combos.length) continue
    progress.set(`${client.label}: idle producer RSS`)
    results[i].idle = await idleRss(client, args, planBase, runId, progress, logDir)
  }
  // The peak RSS of W3 alone, each JS client in a process of its own.
  if (workloads.includes('w3'))
    for (const [i, client] of selected.entries()) {
      if (client.kind !== 'js' || results[i].error || !combos.length) continue
      progress.set(`${client.label}: W3 alone (peak RSS)`)
      results[i].w3Alone = await w3AloneRss(client, args, planBase, combos, runId, progress, logDir)
    }
  let nest
  if (nestLibs.length) {
    progress.set(`NestJS microservice (N1): ${nestLibs.join(' and ')}`)
    nest = await runNest({
      brokers: args.brokers,
      quick: args.quick,
      rounds: args.rounds,
      libs: nestLibs,
      prefix: `${TOPIC_PREFIX}${runId}`,
      createTopics: (topics) =>
        withAdmin(args.brokers, async (admin) => {
          for (const t of topics) await createTopic(admin, t)
        }),
      deleteTopics: (topics) => withAdmin(args.brokers, (admin) => deleteTopics(admin, topics)),
      log: (text) => progress.set(`N1: ${text}`),
    })
  }
  progress.end()

  const report = {
    mode,
    started: started.toISOString(),
    finished: new Date().toISOString(),
    brokers: args.brokers,
    kafka,
    topic: `${combos.length ? 'W1-W3: 1 partition, W4: 3 and 12 partitions; ' : ''}${consumerWorkloads.length ? 'C1/C2: topics filled once per run, read by every client; ' : ''}replication factor 1, fresh topics per client (deleted afterwards)`,
    machine: machine(),
    plan: {
      combos,
      workloads,
      w1: planBase.w1,
      w2: planBase.w2,
      w3: planBase.w3,
      w4: planBase.w4,
      idle: planBase.idle,
      consumer: consumerWorkloads.length
        ? {
            workloads: consumerWorkloads,
            topics: consumerTopics,
            reps: consumerPlan.reps,
            ttfm: consumerPlan.ttfm,
            timeoutSeconds: consumerPlan.timeoutSeconds,
          }
        : undefined,
      eldResolutionMs: planBase.eldResolutionMs,
      rounds: args.rounds,
    },
    floorSettings: defaults,
    results,
    nest,
  }
  const md = (results.length ? renderMarkdown(report) : '# kafka-napi benchmark\n') + (nest ? nestMarkdown(nest) : '')
  const svg = renderSvg(report)
  const base = stamp(started)
  for (const name of ['latest', base]) {
    fs.writeFileSync(path.join(args.out, `${name}.md`), md)
    fs.writeFileSync(path.join(args.out, `${name}.svg`), svg)
    fs.writeFileSync(path.join(args.out, `${name}.json`), JSON.stringify(report, null, 2))
  }
  process.stdout.write(md)
  process.stderr.write(
    `bench: wrote ${path.join(args.out, 'latest.md')}, latest.svg, latest.json and ${base}.{md,svg,json}\n`,
  )
}

if (require.main === module) {
  main().catch((e) => {
    process.stderr.write(`\nbench: ${e && e.stack}\n`)
    process.exit(1)
  })
}

module.exports = { installFailureOf, parseArgs, mergeRounds, PLANS }
