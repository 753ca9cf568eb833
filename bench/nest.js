'use strict'
/*
 * Workload N1 of `npm run bench`: the NestJS microservice of examples/nest-microservice (hybrid
 * app: ServerKafka + ClientKafka) on the real kafkajs and on kafka-napi through the `kafkajs`
 * alias, same broker, one process per app and round, the two alternated (reversed every other
 * round). Nothing of the app differs between the two but what `require('kafkajs')` resolves to.
 *
 *   request/reply, sequential  round trips/s, p50, p99 (ClientKafka.send() awaited one at a time)
 *   request/reply, in flight   round trips/s with `inflight` loops each awaiting its reply
 *   mean of 32                 send() (cold, subscribed, to its reply), emit() (to its
 *                              RecordMetadata[]) and event delivery (emit() until the app's
 *                              @EventPattern handler has handled it), 32 calls each timed with
 *                              performance.now(); emit()'s means compared by a rank test
 *   events                     events/s handled by an @EventPattern handler that only counts
 *
 * Exported for bench/run.js: runNest(options) -> results, nestMarkdown(results) -> a report section.
 */
const crypto = require('node:crypto')
const path = require('node:path')
const { TOPIC_NAMES } = require('../examples/nest-microservice/config')
const { startPart } = require('../examples/nest-microservice/remote')

const PLANS = {
  full: {
    sequential: { warmup: 50, n: 1000 },
    concurrent: { n: 4000, inflight: 16 },
    // 12 means of 32 per round: one mean of 32 emit() calls moves by half from one to the next (a
    // single 3-4 ms call among the 32 is enough), and three could not tell the libraries apart.
    mean32: { warmup: 5, calls: 32, reps: 12 },
    events: { n: 20000, batch: 500, timeoutMs: 120000 },
  },
  quick: {
    sequential: { warmup: 3, n: 20 },
    concurrent: { n: 40, inflight: 4 },
    mean32: { warmup: 2, calls: 32, reps: 1 },
    events: { n: 200, batch: 100, timeoutMs: 60000 },
  },
}

const LIBS = [
  { id: 'kafkajs', label: 'kafkajs', kafkajs: true },
  { id: 'kafka-napi', label: 'kafka-napi (kafkajs alias)', kafkajs: false },
]

const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length

/**
 * Mann-Whitney rank-sum test of `a` against `b`, normal approximation (ties take their average
 * rank): z below 0 when `a`'s values rank lower. |z| >= 1.96: a difference at the 5 % level.
 */
function rankTest(a, b) {
  const all = [...a.map((v) => [v, 0]), ...b.map((v) => [v, 1])].sort((x, y) => x[0] - y[0])
  let rankA = 0
  let tieTerm = 0
  for (let i = 0; i < all.length; ) {
    let j = i
    while (j < all.length && all[j][0] === all[i][0]) j++
    const rank = (i + 1 + j) / 2
    for (let k = i; k < j; k++) if (all[k][1] === 0) rankA += rank
    tieTerm += (j - i) ** 3 - (j - i)
    i = j
  }
  const [n, m] = [a.length, b.length]
  const u = rankA - (n * (n + 1)) / 2
  const sd = Math.sqrt(((n * m) / 12) * (n + m + 1 - tieTerm / ((n + m) * (n + m - 1))))
  return { z: sd > 0 ? (u - (n * m) / 2) / sd : 0, n, m }
}

function quantile(xs, q) {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))]
}

/** One app on one library: start, the four measures, stop. */
async function runOne(lib, { brokers, plan, prefix, createTopics, deleteTopics, log }) {
  const topics = TOPIC_NAMES.map((name) => prefix + name)
  await createTopics(topics)
  const env = {
    KAFKA_BROKERS: brokers,
    ORDERS_TOPIC_PREFIX: prefix,
    ORDERS_GROUP: `${prefix}group`,
    DRIVER_OPS: path.join(__dirname, 'nest-ops.js'),
  }
  let app = null
  try {
    app = await startPart({ role: 'app', kafkajs: lib.kafkajs, env })
    if (lib.kafkajs !== app.info.kafkajs || lib.kafkajs === app.info.kafkaNapi)
      throw new Error(`the app did not load ${lib.id} (${JSON.stringify(app.info)})`)
    log(`${lib.label}: request/reply, sequential`)
    const seq = await app.call('sequential', plan.sequential)
    log(`${lib.label}: request/reply, ${plan.concurrent.inflight} in flight`)
    const conc = await app.call('concurrent', plan.concurrent)
    log(`${lib.label}: mean of 32`)
    const m32 = []
    for (let r = 0; r < plan.mean32.reps; r++) m32.push(await app.call('mean32', plan.mean32))
    log(`${lib.label}: events`)
    const ev = await app.call('events', plan.events)
    return {
      sequential: { n: plan.sequential.n, ms: seq.ms, latencies: seq.latencies },
      concurrent: { n: plan.concurrent.n, inflight: plan.concurrent.inflight, ms: conc.ms },
      mean32: m32,
      events: { n: plan.events.n, ms: ev.ms, producedMs: ev.producedMs },
    }
  } finally {
    if (app) await app.stop()
    await deleteTopics(topics).catch(() => {})
  }
}

/** Pools the rounds of one library into the reported figures. */
function summarize(runs) {
  const ok = runs.filter((r) => !r.error)
  if (!ok.length) return { error: runs.map((r) => r.error).join('; ') }
  const latencies = ok.flatMap((r) => r.sequential.latencies)
  const seqMs = ok.reduce((a, r) => a + r.sequential.ms, 0)
  const seqN = ok.reduce((a, r) => a + r.sequential.n, 0)
  const concMs = ok.reduce((a, r) => a + r.concurrent.ms, 0)
  const concN = ok.reduce((a, r) => a + r.concurrent.n, 0)
  const sends = ok.flatMap((r) => r.mean32.map((m) => mean(m.send)))
  const emits = ok.flatMap((r) => r.mean32.map((m) => mean(m.emit)))
  const emitCalls = ok.flatMap((r) => r.mean32.flatMap((m) => m.emit))
  const deliveries = ok.flatMap((r) => r.mean32.map((m) => mean(m.event)))
  const evMs = ok.reduce((a, r) => a + r.events.ms, 0)
  const evN = ok.reduce((a, r) => a + r.events.n, 0)
  return {
    rounds: ok.length,
    errors: runs.filter((r) => r.error).map((r) => r.error),
    sequential: {
      perSec: (seqN / seqMs) * 1000,
      p50: quantile(latencies, 0.5),
      p99: quantile(latencies, 0.99),
      max: Math.max(...latencies),
    },
    concurrent: { perSec: (concN / concMs) * 1000, inflight: ok[0].concurrent.inflight },
    // Each repetition's mean of 32; the reported figure is the median of those means.
    mean32: {
      send: median(sends),
      emit: median(emits),
      event: median(deliveries),
      sendMeans: sends,
      emitMeans: emits,
      emitCalls: { n: emitCalls.length, p50: quantile(emitCalls, 0.5), p90: quantile(emitCalls, 0.9) },
      eventMeans: deliveries,
    },
    events: { perSec: (evN / evMs) * 1000 },
  }
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2
}

/**
 * Runs N1 for the selected libraries, `rounds` times, alternating them.
 * @param {{ brokers: string, quick: boolean, rounds: number, libs: string[], prefix: string,
 *   createTopics(topics: string[]): Promise<void>, deleteTopics(topics: string[]): Promise<void>, log(text: string): void }} o
 */
async function runNest(o) {
  const plan = PLANS[o.quick ? 'quick' : 'full']
  const libs = LIBS.filter((l) => o.libs.includes(l.id))
  const runs = libs.map(() => [])
  for (let round = 0; round < o.rounds; round++) {
    const order = round % 2 ? [...libs].reverse() : libs
    for (const lib of order) {
      const prefix = `${o.prefix}-nest-${lib.id}-${round}-${crypto.randomBytes(2).toString('hex')}-`
      const result = await runOne(lib, { ...o, plan, prefix }).catch((e) => ({ error: e.message.split('\n')[0] }))
      if (result.error) o.log(`${lib.label}: ${result.error}`)
      runs[libs.indexOf(lib)].push(result)
    }
  }
  return { plan, results: libs.map((lib, i) => ({ id: lib.id, label: lib.label, ...summarize(runs[i]) })) }
}

const f = (x, digits = 2) => (x === undefined ? '—' : x.toFixed(digits))
const int = (x) => (x === undefined ? '—' : Math.round(x).toLocaleString('en-US'))

/** The report's section: one row per measure, kafkajs and kafka-napi side by side. */
function nestMarkdown({ plan, results }) {
  const js = results.find((r) => r.id === 'kafkajs')
  const napi = results.find((r) => r.id === 'kafka-napi')
  const cols = [js, napi].filter(Boolean)
  const ratio = (a, b, higherIsBetter) => {
    if (!a || !b || a.error || b.error) return '—'
    if (higherIsBetter) return `${(b / a).toFixed(2)}×`
    // A time: how many times faster kafka-napi is, or slower when it is.
    return b <= a ? `${(a / b).toFixed(2)}× faster` : `${(b / a).toFixed(2)}× slower`
  }
  const rows = [
    ['request/reply, sequential: round trips/s', (r) => int(r.sequential.perSec), (r) => r.sequential.perSec, true],
    ['request/reply, sequential: p50 ms', (r) => f(r.sequential.p50), (r) => r.sequential.p50, false],
    ['request/reply, sequential: p99 ms', (r) => f(r.sequential.p99), (r) => r.sequential.p99, false],
    [
      `request/reply, ${plan.concurrent.inflight} in flight: round trips/s`,
      (r) => int(r.concurrent.perSec),
      (r) => r.concurrent.perSec,
      true,
    ],
    ['send() mean of 32 calls, ms (cold Observable, subscribed)', (r) => f(r.mean32.send), (r) => r.mean32.send, false],
    ['emit() mean of 32 calls, ms', (r) => f(r.mean32.emit), (r) => r.mean32.emit, false],
    [
      'emit(), every one of those calls: p50 ms',
      (r) => f(r.mean32.emitCalls.p50),
      (r) => r.mean32.emitCalls.p50,
      false,
    ],
    [
      'emit(), every one of those calls: p90 ms',
      (r) => f(r.mean32.emitCalls.p90),
      (r) => r.mean32.emitCalls.p90,
      false,
    ],
    [
      'event delivery, emit() until its @EventPattern handler ran: mean of 32, ms',
      (r) => f(r.mean32.event),
      (r) => r.mean32.event,
      false,
    ],
    ['events handled/s (@EventPattern, counting only)', (r) => int(r.events.perSec), (r) => r.events.perSec, true],
  ]
  const lines = [
    '',
    '## NestJS microservice (N1)',
    '',
    'examples/nest-microservice (hybrid app: ServerKafka + ClientKafka, one process) on the real kafkajs and on kafka-napi through the `kafkajs` alias; ' +
      `sequential: ${plan.sequential.n} round trips after ${plan.sequential.warmup} untimed; in flight: ${plan.concurrent.n}; ` +
      `mean of 32: ${plan.mean32.warmup} untimed calls first, ${plan.mean32.reps} means per round, the median of every round's means reported; events: ${plan.events.n} emitted in batches of ${plan.events.batch}, timed until all handled.`,
    '',
    `| measure | ${cols.map((r) => r.label).join(' | ')} | kafka-napi vs kafkajs |`,
    `|---|${cols.map(() => '---:').join('|')}|---:|`,
  ]
  for (const [name, show, value, higher] of rows) {
    const cells = cols.map((r) => (r.error ? 'failed' : show(r)))
    const ratioCell = js && napi && !js.error && !napi.error ? ratio(value(js), value(napi), higher) : '—'
    lines.push(`| ${name} | ${cells.join(' | ')} | ${ratioCell} |`)
  }
  if (js && napi && !js.error && !napi.error) lines.push('', emitVerdict(napi.mean32.emitMeans, js.mean32.emitMeans))
  for (const r of cols) if (r.error) lines.push('', `${r.label}: failed: ${r.error}`)
  return `${lines.join('\n')}\n`
}

/** One sentence on whether emit()'s means of 32 tell kafka-napi (`napi`) and kafkajs (`js`) apart. */
function emitVerdict(napi, js) {
  const { z, n, m } = rankTest(napi, js)
  const head = `emit(), ${n} and ${m} means of 32 (kafka-napi, kafkajs), Mann-Whitney z = ${z.toFixed(2)}: `
  if (n < 4 || m < 4) return `${head}too few means to compare.`
  if (Math.abs(z) < 1.96) return `${head}not told apart (|z| < 1.96).`
  return `${head}kafka-napi's means rank ${z < 0 ? 'lower (faster)' : 'higher (slower)'} at the 5 % level.`
}

module.exports = { runNest, nestMarkdown, PLANS, summarize, rankTest, emitVerdict }
