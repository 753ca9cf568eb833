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
const { median, payloadOf } = require('./clients/util')

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
  const w3Peak = resetPeakRss()
  await attempt('w3', () => batched(plan.w3, () => c.sendBatch(values, acks), size, `${label} w3`))
  if (w3Peak && out.w3 && !out.w3.error) out.w3.peakRssKb = peakRssKb()
  return out
}

/** The highest peak-RSS mark seen before a reset (KB). */
let peakBeforeReset = 0

/** The process's peak RSS over its whole run so far (KB), resets of the peak mark included. */
function wholePeakKb() {
  return Math.max(process.resourceUsage().maxRSS, peakRssKb() || 0, peakBeforeReset)
}

/**
 * Resets the kernel's peak-RSS mark of this process (Linux: 5 written to /proc/self/clear_refs),
 * so that peakRssKb() reads the peak of what runs after. False where that is not possible.
 */
function resetPeakRss() {
  try {
    // The process's peak so far stays in the whole-run figures (save() and maxRssKbW1W3).
    peakBeforeReset = Math.max(peakBeforeReset, peakRssKb() || 0)
    fs.writeFileSync('/proc/self/clear_refs', '5')
    return true
  } catch {
    return false
  }
}

/** VmHWM of this process, in KB. */
function peakRssKb() {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync('/proc/self/status', 'utf8'))
    return m ? Number(m[1]) : undefined
  } catch {
    return undefined
  }
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

// ---------------------------------------------------------------------------------------------
// consumer workloads (plan.consumer): C1 eachMessage, C2 eachBatch, time to first message

let groups = 0

/**
 * One consumer in a new group reads `topic` from the beginning until it has `expected` messages.
 * Timed from `start()` (subscribe + run) to the first message (toFirstMs), and from the first
 * message to the last (msgsPerSec; CPU and event-loop delay over the same span). `received`
 * counts everything the handler got until the consumer was closed: more than `expected` means
 * duplicates (the topic holds exactly `expected`).
 */
async function consumeOnce(adapter, { topic, expected, batch, size }) {
  const p = plan.consumer
  const groupId = `${p.groupPrefix}-${++groups}`
  const c = await adapter.createConsumer({ brokers: plan.brokers, topic, groupId, batch })
  const h = monitorEventLoopDelay({ resolution: plan.eldResolutionMs })
  let count = 0
  let bytes = 0
  let finished = false
  const t = {}
  try {
    await new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        finished = true
        reject(new Error(`${count} of ${expected} messages after ${p.timeoutSeconds} s`))
      }, p.timeoutSeconds * 1000)
      const onMessages = (n, b) => {
        if (count === 0) {
          t.firstCount = n
          t.first = now()
          t.cpu0 = cpuSeconds()
          h.enable()
        }
        count += n
        bytes += b
        if (count >= expected && !finished) {
          t.last = now()
          t.cpu1 = cpuSeconds()
          finished = true
          clearTimeout(timer)
          // The histogram records a delay when its timer finally runs: let it run once more, so
          // a handler loop that blocks the event loop to the last message is counted too.
          setTimeout(resolve, 5)
        }
      }
      t.start = now()
      Promise.resolve()
        .then(() => c.start(onMessages))
        .catch((e) => {
          if (finished) return
          finished = true
          clearTimeout(timer)
          reject(e)
        })
    })
  } finally {
    h.disable()
    await Promise.race([
      Promise.resolve()
        .then(() => c.close())
        .catch(() => {}),
      new Promise((resolve) => setTimeout(resolve, 30000).unref()),
    ])
  }
  // The clock starts when the first message (C2: the first batch) reaches the handler, so the
  // messages counted are those after it: what arrived during the measured span.
  const seconds = t.last - t.first
  const measured = expected - t.firstCount
  const valid = measured > 0 && seconds > 0
  return {
    settings: c.settings,
    msgsPerSec: valid ? measured / seconds : null,
    mbPerSec: valid ? (measured * size) / seconds / 1e6 : null,
    cpuPerMillion: valid ? ((t.cpu1 - t.cpu0) / measured) * 1e6 : null,
    eldP99: h.percentile(99) / 1e6,
    eldMax: h.max / 1e6,
    toFirstMs: (t.first - t.start) * 1000,
    seconds,
    firstBatch: t.firstCount,
    messages: expected,
    received: count,
    bytesOk: bytes >= expected * size,
  }
}

/** A run's figures: the median of each numeric figure over its repetitions. */
function summarise(reps) {
  const out = {}
  for (const k of Object.keys(reps[0] || {}))
    if (reps.some((r) => typeof r[k] === 'number')) out[k] = median(reps.map((r) => r[k]))
  out.reps = reps.map(({ settings, ...r }) => r)
  if (reps[0] && reps[0].settings) out.settings = reps[0].settings
  const extra = reps.find((r) => r.received > r.messages)
  if (extra) out.duplicates = `received ${extra.received} of ${extra.messages} messages (duplicates)`
  return out
}

/** Time to first message, then C1/C2 for every (size, partitions) topic; results into `result.consumer`. */
async function runConsumers(result) {
  const p = plan.consumer
  const adapter = require(path.join(__dirname, 'clients', `${clientId}.js`))
  const out = { ttfm: null, runs: [] }
  result.consumer = out
  if (!adapter.createConsumer) {
    out.error = 'this client has no consumer adapter'
    return
  }
  if (!result.version) {
    // The version (and the library's label) come from the producer side of the adapter, which
    // is created here without connecting.
    try {
      result.version = (await adapter.create({ brokers: plan.brokers, topic: p.ttfm.topics[0] })).version
    } catch (e) {
      out.error = `cannot load: ${errorText(e)}`
      return
    }
  }
  const reps = []
  try {
    for (const topic of p.ttfm.topics) {
      const r = await consumeOnce(adapter, { topic, expected: p.ttfm.messages, batch: false, size: p.ttfm.size })
      reps.push({ toFirstMs: r.toFirstMs, received: r.received, messages: r.messages })
      tick('time to first message')
    }
    out.ttfm = summarise(reps)
  } catch (e) {
    out.ttfm = { error: errorText(e), reps }
  }
  save(result)
  for (const w of p.workloads)
    for (const { size, partitions, topic, messages } of p.topics) {
      const run = { workload: w, size, partitions }
      const label = `${w.toUpperCase()} ${size}B ${partitions}p`
      const list = []
      try {
        for (let r = 0; r < p.reps; r++) {
          list.push(await consumeOnce(adapter, { topic, expected: messages, batch: w === 'c2', size }))
          tick(`${label} rep ${r + 1}`)
        }
        Object.assign(run, summarise(list))
      } catch (e) {
        Object.assign(run, { error: errorText(e), reps: list })
      }
      out.runs.push(run)
      save(result)
    }
}

function errorText(e) {
  const msg = (e && (e.message || String(e))) || 'unknown error'
  return msg.split('\n')[0].slice(0, 300)
}

function save(result) {
  result.maxRssKb = wholePeakKb()
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
  const producing = plan.idle || (plan.combos && plan.combos.length > 0)
  let c
  if (producing) {
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
  }
  if (producing && !plan.idle) {
    for (const combo of plan.combos) {
      result.combos.push(await runCombo(c, combo))
      save(result)
    }
    result.maxRssKbW1W3 = wholePeakKb()
    if (on('w4') && plan.w4)
      for (const out of result.combos) {
        await runKeyed(c, out)
        save(result)
      }
  }
  if (c) {
    try {
      await Promise.race([c.disconnect(), new Promise((resolve) => setTimeout(resolve, 30000).unref())])
    } catch (e) {
      result.disconnectError = errorText(e)
    }
    save(result)
  }
  if (plan.consumer && !plan.idle) {
    try {
      await runConsumers(result)
    } catch (e) {
      result.consumer = { ...(result.consumer || { runs: [] }), error: errorText(e) }
    }
    save(result)
  }
  return 0
}

main().then(
  (code) => process.exit(code),
  (e) => {
    process.stderr.write(`${e && e.stack}\n`)
    process.exit(1)
  },
)
