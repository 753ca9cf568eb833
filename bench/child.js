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

async function runCombo(c, combo) {
  const { size, acks } = combo
  const label = `${size}B acks=${acks}`
  const value = Buffer.alloc(size, 0).map((_, i) => (i * 31) % 251)
  const values = new Array(plan.w3.batch).fill(value)
  const out = { size, acks }

  // 1. awaited single-message sends, one at a time
  try {
    const p = plan.w1
    await oneAtATime(c, value, acks, p.warmup, p.warmupSeconds)
    tick(`${label} w1 warm-up`)
    const reps = []
    for (let r = 0; r < p.reps; r++) {
      const lat = (await oneAtATime(c, value, acks, p.n, p.seconds)).sort((a, b) => a - b)
      reps.push({ p50: percentile(lat, 50), p99: percentile(lat, 99), max: lat[lat.length - 1], samples: lat.length })
      tick(`${label} w1 rep ${r + 1}`)
    }
    out.w1 = {}
    for (const k of ['p50', 'p99', 'max', 'samples']) out.w1[k] = median(reps.map((r) => r[k]))
    out.w1.reps = reps
  } catch (e) {
    out.w1 = { error: errorText(e) }
  }

  // 2. single-message sends, `concurrency` in flight
  try {
    const p = plan.w2
    const send = () => c.sendOne(value, acks)
    const max = Math.floor(p.maxBytes / size)
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
    out.w2 = {
      msgsPerSec: median(reps.map((r) => r.msgsPerSec)),
      cpuPerMillion: median(reps.map((r) => r.cpuPerMillion)),
      reps,
    }
  } catch (e) {
    out.w2 = { error: errorText(e) }
  }

  // 3. batched sends (`batch` messages per send, `inflight` sends in flight), with CPU and
  // event-loop delay (5.) measured over each timed repetition
  try {
    const p = plan.w3
    const send = () => c.sendBatch(values, acks)
    const max = Math.floor(p.maxBytes / size)
    await saturate(send, p.inflight, p.batch, p.warmupSeconds, max)
    tick(`${label} w3 warm-up`)
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
      tick(`${label} w3 rep ${r + 1}`)
    }
    out.w3 = {}
    for (const k of ['msgsPerSec', 'mbPerSec', 'cpuPerMillion', 'eldP99', 'eldMax'])
      out.w3[k] = median(reps.map((r) => r[k]))
    out.w3.reps = reps
  } catch (e) {
    out.w3 = { error: errorText(e) }
  }
  return out
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

async function main() {
  const result = { client: clientId, combos: [] }
  let c
  try {
    const adapter = require(path.join(__dirname, 'clients', `${clientId}.js`))
    c = await adapter.create({ brokers: plan.brokers, topic: plan.topic })
    result.version = c.version
    result.settings = c.settings
    await c.connect()
  } catch (e) {
    result.error = `cannot load or connect: ${errorText(e)}`
    save(result)
    return 1
  }
  save(result)
  for (const combo of plan.combos) {
    result.combos.push(await runCombo(c, combo))
    save(result)
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
