'use strict'
/*
 * Runs every workload for ONE client, in its own process (started by bench/run.js).
 *
 *   node bench/child.js <client id> <plan.json> <result.json>
 *
 * Progress ticks (`@@tick <label>`) go to stderr; everything the client library logs goes to
 * stdout/stderr and ends up in bench/results/logs/<client>.log. The result JSON is rewritten
 * after every (size, acks) combination, so a client that hangs or crashes still leaves what it
 * measured. Nothing here asserts a timing.
 */
const fs = require('node:fs')
const path = require('node:path')
const { monitorEventLoopDelay } = require('node:perf_hooks')
const { median } = require('./clients/util')

const [clientId, planFile, resultFile] = process.argv.slice(2)
const plan = JSON.parse(fs.readFileSync(planFile, 'utf8'))

function tick(label) {
  process.stderr.write(`@@tick ${label}\n`)
}

/** Nearest-rank percentile of sorted samples. */
function percentile(sorted, p) {
  const rank = Math.ceil((p / 100) * sorted.length)
  return sorted[Math.min(Math.max(rank, 1), sorted.length) - 1]
}

function cpuSeconds() {
  const u = process.cpuUsage()
  return (u.user + u.system) / 1e6
}

const now = () => Number(process.hrtime.bigint()) / 1e9

/** Workload 1: `n` awaited sends (or as many as fit in `seconds`), one at a time. Latencies in ms. */
async function oneAtATime(c, value, acks, n, seconds) {
  const lat = []
  const t0 = now()
  while (lat.length < n && now() - t0 < seconds) {
    const t = process.hrtime.bigint()
    await c.sendOne(value, acks)
    lat.push(Number(process.hrtime.bigint() - t) / 1e6)
  }
  return lat
}

/**
 * Runs `workers` loops of `send()` until `seconds` have passed or `max` messages were started
 * (`per` messages per call); waits for every started send. Returns { messages, seconds }.
 */
async function saturate(send, workers, per, seconds, max) {
  const t0 = now()
  let started = 0
  const loop = async () => {
    while (started + per <= max && now() - t0 < seconds) {
      started += per
      await send()
    }
  }
  await Promise.all(Array.from({ length: workers }, loop))
  return { messages: started, seconds: now() - t0 }
}

/** The same payload bytes in every client (and in the floor and the Java producer). */
function payloadOf(size) {
  return Buffer.alloc(size, 0).map((_, i) => (i * 31) % 251)
}

const on = (w) => !plan.workloads || plan.workloads.includes(w)

/** Workload 1: awaited single-message sends, one at a time. */
async function w1(c, value, acks, label) {
  const p = plan.w1
  await oneAtATime(c, value, acks, p.warmup, p.warmupSeconds)
  tick(`${label} w1 warm-up`)
  const reps = []
  for (let r = 0; r < p.reps; r++) {
    const lat = (await oneAtATime(c, value, acks, p.n, p.seconds)).sort((a, b) => a - b)
    reps.push({ p50: percentile(lat, 50), p99: percentile(lat, 99), max: lat[lat.length - 1], samples: lat.length })
    tick(`${label} w1 rep ${r + 1}`)
  }
  const out = {}
  for (const k of ['p50', 'p99', 'max', 'samples']) out[k] = median(reps.map((r) => r[k]))
  out.reps = reps
  return out
}

/** Workload 2: single-message sends, `concurrency` in flight. */
async function w2(c, value, acks, label) {
  const p = plan.w2
  const send = () => c.sendOne(value, acks)
  const max = Math.floor(p.maxBytes / value.length)
  await saturate(send, p.concurrency, 1, p.warmupSeconds, max)
  tick(`${label} w2 warm-up`)
  const reps = []
  for (let r = 0; r < p.reps; r++) {
    const c0 = cpuSeconds()
    const { messages, seconds } = await saturate(send, p.concurrency, 1, p.seconds, max)
    const cpu = cpuSeconds() - c0
    reps.push({ msgsPerSec: messages / seconds, messages, seconds, cpuPerMillion: (cpu / messages) * 1e6 })
    tick(`${label} w2 rep ${r + 1}`)
  }
  return {
    msgsPerSec: median(reps.map((r) => r.msgsPerSec)),
    cpuPerMillion: median(reps.map((r) => r.cpuPerMillion)),
    reps,
  }
}

/**
 * Workloads 3 and 4: `send()` sends `batch` messages, `inflight` sends in flight, with CPU and
 * event-loop delay measured over each timed repetition.
 */
async function batched(p, send, size, label) {
  const max = Math.floor(p.maxBytes / size)
  await saturate(send, p.inflight, p.batch, p.warmupSeconds, max)
  tick(`${label} warm-up`)
  const reps = []
  for (let r = 0; r < p.reps; r++) {
    const h = monitorEventLoopDelay({ resolution: plan.eldResolutionMs })
    h.enable()
    const c0 = cpuSeconds()
    const { messages, seconds } = await saturate(send, p.inflight, p.batch, p.seconds, max)
    const cpu = cpuSeconds() - c0
    h.disable()
    reps.push({
      msgsPerSec: messages / seconds,
      mbPerSec: (messages * size) / seconds / 1e6,
      messages,
      seconds,
      cpuPerMillion: (cpu / messages) * 1e6,
      eldP99: h.percentile(99) / 1e6,
      eldMax: h.max / 1e6,
    })
    tick(`${label} rep ${r + 1}`)
  }
  const out = {}
  for (const k of ['msgsPerSec', 'mbPerSec', 'cpuPerMillion', 'eldP99', 'eldMax'])
    out[k] = median(reps.map((r) => r[k]))
  out.reps = reps
  return out
}

/** Workloads 1-3 of one (size, acks) combination; a workload that throws is reported as such. */
async function runCombo(c, combo) {
  const { size, acks } = combo
  const label = `${size}B acks=${acks}`
  const value = payloadOf(size)
  const values = new Array(plan.w3.batch).fill(value)
  const out = { size, acks }
  const attempt = async (w, fn) => {
    if (!on(w)) return
    try {
      out[w] = await fn()
    } catch (e) {
      out[w] = { error: errorText(e) }
    }
  }
  await attempt('w1', () => w1(c, value, acks, label))
  await attempt('w2', () => w2(c, value, acks, label))
  await attempt('w3', () => batched(plan.w3, () => c.sendBatch(values, acks), size, `${label} w3`))
  return out
}

/**
 * Workload 4 of one combination, on each keyed topic: sends of `batch` keyed messages. Keys
 * `key-<i mod keys>` as Buffers, i counting messages: the `keys / batch` groups of one topic are
 * sent in turn, each the same object every time (adapters build their message arrays once).
 */
async function runKeyed(c, out) {
  const combo = out
  const p = plan.w4
  const value = payloadOf(combo.size)
  for (const { partitions, topic } of p.topics) {
    const w = `w4p${partitions}`
    const groups = Array.from({ length: Math.max(1, Math.ceil(p.keys / p.batch)) }, (_, g) => ({
      keys: Array.from({ length: p.batch }, (_, i) => Buffer.from(`key-${(g * p.batch + i) % p.keys}`)),
      values: new Array(p.batch).fill(value),
    }))
    let next = 0
    const send = () => c.sendKeyed(topic, groups[next++ % groups.length], combo.acks)
    try {
      if (!c.sendKeyed) throw new Error('this client cannot send keyed messages')
      out[w] = await batched(p, send, combo.size, `${combo.size}B acks=${combo.acks} w4 ${partitions}p`)
    } catch (e) {
      out[w] = { error: errorText(e) }
    }
  }
}

function errorText(e) {
  const msg = (e && (e.message || String(e))) || 'unknown error'
  return msg.split('\n')[0].slice(0, 300)
}

function save(result) {
  result.maxRssKb = process.resourceUsage().maxRSS
  const tmp = `${resultFile}.tmp`
  fs.writeFileSync(tmp, JSON.stringify(result, null, 2))
  fs.renameSync(tmp, resultFile)
}

/** `plan.idle`: connect, wait, report the RSS of one idle connected producer. */
async function idle(c, result) {
  const before = process.memoryUsage().rss
  await c.connect()
  await new Promise((resolve) => setTimeout(resolve, plan.idle.seconds * 1000))
  result.idle = { seconds: plan.idle.seconds, rssKb: Math.round(process.memoryUsage().rss / 1024) }
  result.idle.rssKbBeforeConnect = Math.round(before / 1024)
}

async function main() {
  const result = { client: clientId, combos: [] }
  let c
  try {
    const adapter = require(path.join(__dirname, 'clients', `${clientId}.js`))
    c = await adapter.create({ brokers: plan.brokers, topic: plan.topic })
    result.version = c.version
    result.settings = c.settings
    if (plan.idle) await idle(c, result)
    else await c.connect()
  } catch (e) {
    result.error = `cannot load or connect: ${errorText(e)}`
    save(result)
    return 1
  }
  save(result)
  if (!plan.idle) {
    for (const combo of plan.combos) {
      result.combos.push(await runCombo(c, combo))
      save(result)
    }
    result.maxRssKbW1W3 = process.resourceUsage().maxRSS
    if (on('w4') && plan.w4)
      for (const out of result.combos) {
        await runKeyed(c, out)
        save(result)
      }
  }
  try {
    await Promise.race([c.disconnect(), new Promise((resolve) => setTimeout(resolve, 30000).unref())])
  } catch (e) {
    result.disconnectError = errorText(e)
  }
  save(result)
  return 0
}

main().then(
  (code) => process.exit(code),
  (e) => {
    process.stderr.write(`${e && e.stack}\n`)
    process.exit(1)
  },
)
