'use strict'
/*
 * Turns the results of bench/run.js into a markdown report and an SVG chart (no dependency).
 *
 * Ratios, in every table: "× kafkajs" is how many times better than kafkajs (rates: client /
 * kafkajs; latency and CPU: kafkajs / client), so above 1 is better. "% floor" is the fraction
 * of the floor's performance reached (rates: client / floor; latency and CPU: floor / client),
 * so 100 % is as good as the floor.
 */

const COLORS = ['#4e79a7', '#a0cbe8', '#f28e2b', '#ffbe7d']

const comboName = (c) => `${c.size >= 1024 ? `${c.size / 1024} KB` : `${c.size} B`}, acks=${c.acks}`

function fmtNum(v, digits) {
  if (v === null || v === undefined || !Number.isFinite(v)) return '—'
  return v.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits })
}

/** 3 significant digits for small numbers (ms), grouping for large ones. */
function fmtSig(v) {
  if (v === null || v === undefined || !Number.isFinite(v)) return '—'
  if (v >= 100) return fmtNum(v, 0)
  if (v >= 10) return fmtNum(v, 1)
  if (v >= 1) return fmtNum(v, 2)
  return fmtNum(v, 3)
}

function comboOf(result, combo) {
  return (result.combos || []).find((c) => c.size === combo.size && c.acks === combo.acks)
}

/** The metric of one result/combination, or null. `path`: ['w3', 'msgsPerSec']. */
function metric(result, combo, [w, k]) {
  const c = result && comboOf(result, combo)
  const v = c && c[w] && c[w][k]
  return typeof v === 'number' && Number.isFinite(v) ? v : null
}

function fmtPct(fraction) {
  const pct = fraction * 100
  if (pct < 0.1) return '<0.1 %'
  return `${fmtNum(pct, pct < 10 ? 1 : 0)} %`
}

function ratio(v, ref, higherIsBetter) {
  if (v === null || ref === null || v === 0 || ref === 0) return null
  return higherIsBetter ? v / ref : ref / v
}

function withRatios(text, v, kjs, floor, higherIsBetter, isFloor, isKafkajs) {
  if (v === null) return text
  const parts = []
  const rk = isKafkajs ? 1 : ratio(v, kjs, higherIsBetter)
  parts.push(rk === null ? '—' : `${fmtSig(rk)}×`)
  const rf = isFloor ? null : ratio(v, floor, higherIsBetter)
  parts.push(isFloor ? 'floor' : rf === null ? '—' : fmtPct(rf))
  return `${text} (${parts.join(', ')})`
}

function workloadError(result, combo, w) {
  const c = result && comboOf(result, combo)
  return c && c[w] && c[w].error ? c[w].error : null
}

/** The W4 result keys of the plan: `w4p3`, `w4p12`. */
const keyedKeys = (plan) =>
  plan.w4 && (plan.workloads || ['w4']).includes('w4') ? plan.w4.partitions.map((n) => `w4p${n}`) : []

/** Clients that are not measured against themselves: kafka-napi and the floors. */
const isPeer = (r) => r.id !== 'kafka-napi' && r.id !== 'floor' && r.id !== 'floor-future'

const FLOOR_SETTINGS = {
  floor:
    "kafka-napi's default librdkafka properties (linger.ms 0, 5 requests in flight, murmur2_random, acks per profile); ThreadedProducer, rd_kafka_produce_batch per send of W3/W4, deliveries counted in atomics",
  'floor-future': "kafka-napi's default librdkafka properties; FutureProducer, one awaited future per message",
}

/** The highest peak RSS (KB) of a client's W3 runs (each measured alone), or undefined. */
function w3PeakKb(result) {
  const peaks = (result.combos || []).map((c) => c.w3 && c.w3.peakRssKb).filter((v) => typeof v === 'number')
  return peaks.length ? Math.max(...peaks) : undefined
}

function escapeMd(s) {
  return String(s).replace(/\|/g, '\\|').replace(/\n/g, ' ')
}

function renderMarkdown(report) {
  const { results, plan, machine } = report
  const byId = Object.fromEntries(results.map((r) => [r.id, r]))
  const kjs = byId.kafkajs
  const floor = byId.floor
  const out = []
  out.push('# kafka-napi benchmark')
  out.push('')
  out.push(
    `Run ${report.started} (${report.mode} mode${report.mode === 'quick' ? ': tiny counts, for tests only — do not read the figures' : ''}). ` +
      `Kafka ${report.kafka} at ${report.brokers}; ${report.topic}. ` +
      `Machine: ${machine.cores} cores (${machine.cpu}), ${machine.ramGiB} GiB RAM, ${machine.os}, Node ${machine.node}; load average at the end ${machine.loadavg}.`,
  )
  out.push('')
  const workloads = plan.workloads || ['w1', 'w2', 'w3']
  const producing = plan.combos.length > 0 && workloads.length > 0
  const keyed = keyedKeys(plan)
  const described = {
    w1: `**W1** awaited single-message sends one at a time (${plan.w1.warmup} warm-up sends, then ${plan.w1.reps} × ${plan.w1.n}; a repetition stops after ${plan.w1.seconds} s, and [n] then gives the sends it measured)`,
    w2: `**W2** single-message sends with ${plan.w2.concurrency} in flight (${plan.w2.warmupSeconds} s warm-up, then ${plan.w2.reps} × ${plan.w2.seconds} s)`,
    w3: `**W3** sends of ${plan.w3.batch} messages with ${plan.w3.inflight} in flight (${plan.w3.warmupSeconds} s warm-up, then ${plan.w3.reps} × ${plan.w3.seconds} s)`,
    w4: plan.w4
      ? `**W4** the same with keys (\`key-<i mod ${plan.w4.keys}>\`, each client's Java-compatible murmur2 partitioner) on a ${plan.w4.partitions.join('- and a ')}-partition topic`
      : '',
  }
  const consumer = plan.consumer
  out.push(
    `${producing ? `Workloads, for each message size and acks: ${workloads.map((w) => described[w]).join('; ')}. ` : ''}` +
      `${consumer ? `Consumer workloads: ${consumerDescription(consumer)}. ` : ''}` +
      `${plan.rounds > 1 ? `The whole sequence ran ${plan.rounds} times (every other time in reverse client order); every figure is the median of the repetitions of all rounds. ` : 'Every figure is the median of the repetitions. '}CPU is user+system time of the whole client process (all threads) per million messages; ` +
      `event-loop delay is the p99 of \`monitorEventLoopDelay\` (${plan.eldResolutionMs} ms resolution) during ${producing ? `W3 and W4${consumer ? ', and during each consume' : ''}` : 'each consume'}. Method: bench/README.md.`,
  )
  out.push('')
  out.push('## Clients')
  out.push('')
  out.push(
    '| client | version | settings | status | wall time | peak RSS | peak RSS before W4 | peak RSS during W3 | peak RSS of W3 alone | idle producer RSS |',
  )
  out.push('|---|---|---|---|---:|---:|---:|---:|---:|---:|')
  for (const r of results) {
    const partial =
      !r.error &&
      ((r.combos || []).some((c) => Object.keys(c).some((w) => /^w\d/.test(w) && c[w] && c[w].error)) ||
        (r.consumer &&
          (r.consumer.error || (r.consumer.ttfm && r.consumer.ttfm.error) || r.consumer.runs.some((x) => x.error))))
    const status = r.error
      ? ran(r)
        ? `partial: ${r.error}`
        : `**failed**: ${r.error}`
      : partial
        ? 'ran, some workloads failed (see tables)'
        : 'ran'
    const rss = typeof r.maxRssKb === 'number' && ran(r) ? `${fmtNum(r.maxRssKb / 1024, 0)} MB` : '—'
    const mb = (kb) => (typeof kb === 'number' && kb > 0 && ran(r) ? `${fmtNum(kb / 1024, 0)} MB` : '—')
    const idle = r.idle ? (r.idle.error ? `error: ${r.idle.error.slice(0, 60)}` : mb(r.idle.rssKb)) : '—'
    const w3Alone = r.w3Alone
      ? r.w3Alone.error
        ? `error: ${escapeMd(r.w3Alone.error.slice(0, 60))}`
        : mb(r.w3Alone.rssKb)
      : '—'
    const settings = FLOOR_SETTINGS[r.id] || r.settings || '—'
    out.push(
      `| ${escapeMd(r.label)} | ${escapeMd(r.version || '—')} | ${escapeMd(settings)} | ${escapeMd(status)} | ${r.wallSeconds ? `${fmtNum(r.wallSeconds, 0)} s` : '—'} | ${rss} | ${mb(r.maxRssKbW1W3)} | ${mb(r.maxRssKbW3 || w3PeakKb(r))} | ${w3Alone} | ${escapeMd(idle)} |`,
    )
  }
  out.push('')
  out.push(
    `Peak RSS is the client process's maximum over all its workloads; *before W4* over W1-W3 only (the workloads run in that order); *during W3* the highest of the peaks measured over each W3 run (the kernel's peak mark is reset before each: what W1 and W2 left in the heap still counts); *of W3 alone*: a process of its own that runs only W3, every combination, and nothing before it. Idle producer RSS: a separate process that only creates and connects the client's producer, waits ${plan.idle ? plan.idle.seconds : 2} s and reads its RSS.`,
  )
  if (producing) {
    out.push('')
    out.push(
      "Cells read *value (× kafkajs, % floor)*: × kafkajs above 1 is better than kafkajs; % floor is the share of the floor's performance reached (100 % = as good as the floor). For latency and CPU the ratios are inverted (lower value = better).",
    )
  }
  const showW123 = workloads.some((w) => w !== 'w4')
  for (const combo of plan.combos) {
    out.push('')
    out.push(`## ${comboName(combo)}`)
    if (showW123) {
      out.push('')
      if (keyed.length) out.push('Keyless sends, 1 partition:')
      if (keyed.length) out.push('')
      const n0 = (v) => fmtNum(v, 0)
      // [header, metric, format, higher is better, with ratios]; only the workloads that ran
      const cols = [
        ['W1 p50 ms', ['w1', 'p50'], fmtSig, false, true],
        ['W1 p99 ms', ['w1', 'p99'], fmtSig, false, false],
        ['W1 max ms', ['w1', 'max'], fmtSig, false, false],
        ['W2 msg/s', ['w2', 'msgsPerSec'], n0, true, true],
        ['W3 msg/s', ['w3', 'msgsPerSec'], n0, true, true],
        ['W3 MB/s', ['w3', 'mbPerSec'], (v) => fmtNum(v, 1), true, false],
        ['W3 CPU s / 1M msgs', ['w3', 'cpuPerMillion'], (v) => fmtNum(v, 2), false, true],
        ['W2 CPU s / 1M msgs', ['w2', 'cpuPerMillion'], (v) => fmtNum(v, 2), false, false],
        ['W3 event-loop p99 ms', ['w3', 'eldP99'], fmtSig, false, false],
      ].filter(([, [w]]) => workloads.includes(w))
      out.push(`| client | ${cols.map(([h]) => h).join(' | ')} |`)
      out.push(`|---|${cols.map(() => '---:').join('|')}|`)
      for (const r of results) {
        if (r.error && !(r.combos && r.combos.length)) {
          out.push(
            `| ${escapeMd(r.label)} | failed (see Clients) |${cols
              .slice(1)
              .map(() => ' |')
              .join('')}`,
          )
          continue
        }
        const isFloor = r.id === 'floor'
        const isK = r.id === 'kafkajs'
        const cell = (path, fmt, higher, ratios) => {
          const err = workloadError(r, combo, path[0])
          if (err) return `error: ${escapeMd(err.slice(0, 80))}`
          if (r.id === 'java' && (path[0] === 'w1' || path[0] === 'w2')) return 'n/a'
          if ((r.id.startsWith('floor') || r.id === 'java') && path[1] === 'eldP99') return 'n/a (no event loop)'
          const v = metric(r, combo, path)
          if (v === null) return '—'
          let text = fmt(v)
          const samples = path[0] === 'w1' && path[1] === 'p50' ? metric(r, combo, ['w1', 'samples']) : null
          if (samples !== null && samples < plan.w1.n) text += ` [${fmtNum(samples, 0)}]`
          return ratios
            ? withRatios(text, v, metric(kjs, combo, path), metric(floor, combo, path), higher, isFloor, isK)
            : text
        }
        out.push(`| ${escapeMd(r.label)} | ${cols.map(([, path, ...rest]) => cell(path, ...rest)).join(' | ')} |`)
      }
    }
    if (keyed.length) renderKeyed(out, results, combo, keyed, kjs, floor)
  }
  const napi = byId['kafka-napi']
  if (napi && (napi.combos || []).length) renderPeers(out, results, plan, napi)
  const old = byId['floor-future']
  if (floor && old && !floor.error && !old.error) renderFloors(out, plan, floor, old)
  if (napi && floor && !floor.error && (napi.combos || []).length && showW123) {
    out.push('')
    out.push('## kafka-napi against the floor')
    out.push('')
    const on = (w) => workloads.includes(w)
    const cols = [
      ...(on('w1') ? ['W1 p50: kafka-napi / floor', 'W1 p50 added'] : []),
      ...(on('w2') ? ['W2 msg/s share'] : []),
      ...(on('w3') ? ['W3 msg/s share'] : []),
      ...keyed.map((w) => `W4 ${partitionsOf(w)}p msg/s share`),
      ...(on('w3') ? ['W3 CPU per msg × floor'] : []),
      ...keyed.map((w) => `W4 ${partitionsOf(w)}p CPU per msg × floor`),
      ...(on('w2') ? ['W2 CPU per msg × floor'] : []),
    ]
    out.push(`| size, acks | ${cols.join(' | ')} |`)
    out.push(`|---|${cols.map(() => '---:').join('|')}|`)
    for (const combo of plan.combos) {
      const g = (p, r) => metric(r, combo, p)
      const p50n = g(['w1', 'p50'], napi)
      const p50f = g(['w1', 'p50'], floor)
      const share = (w) =>
        g([w, 'msgsPerSec'], napi) !== null && g([w, 'msgsPerSec'], floor)
          ? fmtPct(g([w, 'msgsPerSec'], napi) / g([w, 'msgsPerSec'], floor))
          : '—'
      const times = (w) =>
        g([w, 'cpuPerMillion'], napi) !== null && g([w, 'cpuPerMillion'], floor)
          ? `${fmtSig(g([w, 'cpuPerMillion'], napi) / g([w, 'cpuPerMillion'], floor))}×`
          : '—'
      const cells = [
        ...(on('w1')
          ? [
              p50n !== null && p50f ? `${fmtSig(p50n)} / ${fmtSig(p50f)} ms` : '—',
              p50n !== null && p50f !== null ? `${fmtNum((p50n - p50f) * 1000, 0)} µs` : '—',
            ]
          : []),
        ...(on('w2') ? [share('w2')] : []),
        ...(on('w3') ? [share('w3')] : []),
        ...keyed.map(share),
        ...(on('w3') ? [times('w3')] : []),
        ...keyed.map(times),
        ...(on('w2') ? [times('w2')] : []),
      ]
      out.push(`| ${comboName(combo)} | ${cells.join(' | ')} |`)
    }
  }
  if (consumer) renderConsumers(out, results, plan)
  out.push('')
  out.push('Timings depend on the machine and on whatever else runs on it; no test asserts them.')
  out.push('')
  return out.join('\n')
}

const partitionsOf = (w) => w.slice(3)

/** Whether a client measured anything: producer combinations or consumer runs. */
const ran = (r) => Boolean((r.combos && r.combos.length) || (r.consumer && (r.consumer.runs.length || r.consumer.ttfm)))

const sizeName = (size) => (size >= 1024 ? `${size / 1024} KB` : `${size} B`)
const topicName = (t) => `${sizeName(t.size)}, ${t.partitions} partition${t.partitions > 1 ? 's' : ''}`

function consumerDescription(c) {
  const names = { c1: '**C1** eachMessage', c2: '**C2** eachBatch' }
  return (
    `${c.workloads.map((w) => names[w]).join(' and ')}: a consumer in a new group reads a pre-filled topic from the beginning ` +
    `(${c.topics.map((t) => `${topicName(t)}: ${fmtNum(t.messages, 0)} messages`).join('; ')}), ${c.reps} repetition${c.reps > 1 ? 's' : ''} per client and round, ` +
    'the handler only adds up `message.value.length`; msg/s from the first message to the last, CPU and event-loop delay over the same span. ' +
    `**Time to first message**: from \`subscribe()\` + \`run()\` (or the library's equivalent) to the first message, a new group on a fresh 1-partition topic of ${c.ttfm.messages} messages, ${c.ttfm.reps} repetition${c.ttfm.reps > 1 ? 's' : ''}`
  )
}

/** A consumer run of one client, or null. */
function consumerRun(r, w, t) {
  const runs = r && r.consumer ? r.consumer.runs : []
  return runs.find((x) => x.workload === w && x.size === t.size && x.partitions === t.partitions) || null
}

function consumerMetric(r, w, t, k) {
  const run = consumerRun(r, w, t)
  const v = run && run[k]
  return typeof v === 'number' && Number.isFinite(v) ? v : null
}

/** The Consumers section: time to first message, C1/C2 per topic, kafka-napi against its peers. */
function renderConsumers(out, results, plan) {
  const c = plan.consumer
  const rows = results.filter((r) => r.consumes)
  const consumers = results.filter((r) => r.consumer)
  const byId = Object.fromEntries(results.map((r) => [r.id, r]))
  const kjs = byId.kafkajs
  out.push('')
  out.push('## Consumers')
  out.push('')
  out.push(
    `${consumerDescription(c)}. Cells read *value (× kafkajs)*; for CPU and time the ratio is inverted (above 1 is better).`,
  )
  out.push('')
  out.push('| client | consumer settings | time to first message, ms | repetitions, ms |')
  out.push('|---|---|---:|---|')
  const ttfmOf = (r) => {
    const t = r && r.consumer && r.consumer.ttfm
    return t && typeof t.toFirstMs === 'number' ? t.toFirstMs : null
  }
  for (const r of rows) {
    const con = r.consumer
    if (!con) {
      out.push(`| ${escapeMd(r.label)} | failed (see Clients) | | |`)
      continue
    }
    const t = con.ttfm
    const settings = (con.runs.find((x) => x.settings) || {}).settings || '—'
    const v = ttfmOf(r)
    const cell =
      con.error && !t
        ? `error: ${escapeMd(con.error.slice(0, 80))}`
        : t && t.error
          ? `error: ${escapeMd(t.error.slice(0, 80))}`
          : v === null
            ? '—'
            : `${fmtSig(v)} (${r.id === 'kafkajs' ? '1.00×' : ratio(v, ttfmOf(kjs), false) === null ? '—' : `${fmtSig(ratio(v, ttfmOf(kjs), false))}×`})`
    const reps = t && t.reps ? t.reps.map((x) => fmtSig(x.toFirstMs)).join(', ') : ''
    out.push(
      `| ${escapeMd(r.label)} | ${escapeMd(settings.replace(/; run\(\{ each\w+ \}\)$/, ''))} | ${cell} | ${reps} |`,
    )
  }
  const names = { c1: 'C1 eachMessage', c2: 'C2 eachBatch' }
  for (const t of c.topics) {
    out.push('')
    out.push(`### ${topicName(t)} (${fmtNum(t.messages, 0)} messages)`)
    out.push('')
    const head = c.workloads.flatMap((w) => [
      `${names[w]} msg/s`,
      `${w.toUpperCase()} MB/s`,
      `${w.toUpperCase()} CPU s / 1M msgs`,
      `${w.toUpperCase()} event-loop p99 ms`,
    ])
    out.push(`| client | ${head.join(' | ')} |`)
    out.push(`|---|${head.map(() => '---:').join('|')}|`)
    for (const r of rows) {
      if (!r.consumer) {
        out.push(
          `| ${escapeMd(r.label)} | failed (see Clients) |${head
            .slice(1)
            .map(() => ' |')
            .join('')}`,
        )
        continue
      }
      const cells = c.workloads.flatMap((w) => {
        const run = consumerRun(r, w, t)
        if (!run) return ['—', '', '', '']
        if (run.error && !(run.reps && run.reps.length))
          return [`error: ${escapeMd(run.error.slice(0, 80))}`, '', '', '']
        const v = (k) => consumerMetric(r, w, t, k)
        const withK = (k, higher, text) => {
          const x = v(k)
          if (x === null) return '—'
          const rk = r.id === 'kafkajs' ? 1 : ratio(x, consumerMetric(kjs, w, t, k), higher)
          return `${text(x)} (${rk === null ? '—' : `${fmtSig(rk)}×`})`
        }
        const flag = run.duplicates ? ` **${escapeMd(run.duplicates)}**` : ''
        return [
          withK('msgsPerSec', true, (x) => fmtNum(x, 0)) + flag,
          v('mbPerSec') === null ? '—' : fmtNum(v('mbPerSec'), 1),
          withK('cpuPerMillion', false, (x) => fmtNum(x, 2)),
          v('eldP99') === null ? '—' : fmtSig(v('eldP99')),
        ]
      })
      out.push(`| ${escapeMd(r.label)} | ${cells.join(' | ')} |`)
    }
  }
  const napi = byId['kafka-napi']
  if (!napi || !napi.consumer) return
  out.push('')
  out.push('### kafka-napi against its peers (consumers, msg/s)')
  out.push('')
  out.push(
    "Per cell: kafka-napi, the best peer (kafkajs, @platformatic/kafka, Confluent's KafkaJS API, node-rdkafka), kafka-napi as a multiple of it and of kafkajs. #14's targets: at least 3× kafkajs in eachMessage, at least the best peer in eachBatch, time to first message no slower than kafkajs.",
  )
  out.push('')
  out.push('| workload | topic | kafka-napi | best peer | × best peer | × kafkajs |')
  out.push('|---|---|---:|---|---:|---:|')
  const peers = consumers.filter((r) => r.id !== 'kafka-napi')
  for (const w of c.workloads)
    for (const t of c.topics) {
      const v = consumerMetric(napi, w, t, 'msgsPerSec')
      let best = null
      for (const r of peers) {
        const x = consumerMetric(r, w, t, 'msgsPerSec')
        if (x !== null && (!best || x > best.v)) best = { v: x, label: r.label }
      }
      const times = (ref) => (v !== null && ref ? `${fmtSig(v / ref)}×` : '—')
      out.push(
        `| ${names[w]} | ${topicName(t)} | ${v === null ? '—' : fmtNum(v, 0)} | ${best ? `${fmtNum(best.v, 0)} (${escapeMd(best.label)})` : '—'} | ${times(best && best.v)} | ${times(consumerMetric(kjs, w, t, 'msgsPerSec'))} |`,
      )
    }
  const tn = ttfmOf(napi)
  const tk = ttfmOf(kjs)
  let bestT = null
  for (const r of peers) {
    const x = ttfmOf(r)
    if (x !== null && (!bestT || x < bestT.v)) bestT = { v: x, label: r.label }
  }
  const faster = (ref) => (tn !== null && ref ? `${fmtSig(ref / tn)}×` : '—')
  out.push(
    `| time to first message (ms, lower is better) | a fresh topic | ${tn === null ? '—' : fmtSig(tn)} | ${bestT ? `${fmtSig(bestT.v)} (${escapeMd(bestT.label)})` : '—'} | ${faster(bestT && bestT.v)} | ${faster(tk)} |`,
  )
}

/** The W4 table of one combination: per keyed topic, msg/s (ratios), MB/s, CPU (ratios), event-loop p99. */
function renderKeyed(out, results, combo, keyed, kjs, floor) {
  out.push('')
  out.push(
    `W4, keyed sends on ${keyed.map((w) => `${partitionsOf(w)}`).join(' and ')} partitions (columns per partition count):`,
  )
  out.push('')
  const head = keyed.flatMap((w) => {
    const n = partitionsOf(w)
    return [`${n}p msg/s`, `${n}p MB/s`, `${n}p CPU s / 1M msgs`, `${n}p event-loop p99 ms`]
  })
  out.push(`| client | ${head.join(' | ')} |`)
  out.push(`|---|${head.map(() => '---:').join('|')}|`)
  for (const r of results) {
    if (r.error && !(r.combos && r.combos.length)) {
      out.push(
        `| ${escapeMd(r.label)} | failed (see Clients) |${head
          .slice(1)
          .map(() => ' |')
          .join('')}`,
      )
      continue
    }
    const isFloor = r.id === 'floor'
    const cells = keyed.flatMap((w) => {
      const err = workloadError(r, combo, w)
      if (err) return [`error: ${escapeMd(err.slice(0, 80))}`, '', '', '']
      const v = (k) => metric(r, combo, [w, k])
      const ratios = (k, higher, text) =>
        withRatios(
          text,
          v(k),
          metric(kjs, combo, [w, k]),
          metric(floor, combo, [w, k]),
          higher,
          isFloor,
          r.id === 'kafkajs',
        )
      const eld = r.id === 'java' || r.id.startsWith('floor') ? 'n/a' : v('eldP99') === null ? '—' : fmtSig(v('eldP99'))
      return [
        v('msgsPerSec') === null ? '—' : ratios('msgsPerSec', true, fmtNum(v('msgsPerSec'), 0)),
        v('mbPerSec') === null ? '—' : fmtNum(v('mbPerSec'), 1),
        v('cpuPerMillion') === null ? '—' : ratios('cpuPerMillion', false, fmtNum(v('cpuPerMillion'), 2)),
        eld,
      ]
    })
    out.push(`| ${escapeMd(r.label)} | ${cells.join(' | ')} |`)
  }
}

/** Batch throughput: kafka-napi against the best peer, @platformatic/kafka and Java, per cell. */
function renderPeers(out, results, plan, napi) {
  const cols = [
    ...((plan.workloads || ['w3']).includes('w3') ? [['w3', 'W3 (1 partition)']] : []),
    ...keyedKeys(plan).map((w) => [w, `W4 ${partitionsOf(w)} partitions`]),
  ]
  if (!cols.length) return
  const peers = results.filter((r) => isPeer(r) && !(r.error && !(r.combos && r.combos.length)))
  const byId = Object.fromEntries(results.map((r) => [r.id, r]))
  out.push('')
  out.push('## kafka-napi against its peers (batched sends, msg/s)')
  out.push('')
  out.push(
    'Per cell: kafka-napi, the best peer (every client but kafka-napi and the floors, the Java producer included) and kafka-napi as a multiple of it, of @platformatic/kafka and of Java.',
  )
  out.push('')
  out.push('| size, acks | workload | kafka-napi | best peer | × best peer | × platformatic | × Java |')
  out.push('|---|---|---:|---|---:|---:|---:|')
  for (const combo of plan.combos) {
    for (const [w, name] of cols) {
      const v = metric(napi, combo, [w, 'msgsPerSec'])
      let best = null
      for (const r of peers) {
        const x = metric(r, combo, [w, 'msgsPerSec'])
        if (x !== null && (!best || x > best.v)) best = { v: x, label: r.label }
      }
      const times = (ref) => (v !== null && ref ? `${fmtSig(v / ref)}×` : '—')
      out.push(
        `| ${comboName(combo)} | ${name} | ${v === null ? '—' : fmtNum(v, 0)} | ${best ? `${fmtNum(best.v, 0)} (${escapeMd(best.label)})` : '—'} | ${times(best && best.v)} | ${times(metric(byId.platformatic, combo, [w, 'msgsPerSec']))} | ${times(metric(byId.java, combo, [w, 'msgsPerSec']))} |`,
      )
    }
  }
}

/** The floor against the floor of earlier reports (the `floor-future` client), W3 and W4. */
function renderFloors(out, plan, floor, old) {
  const cols = [
    ...((plan.workloads || ['w3']).includes('w3') ? ['w3'] : []),
    ...keyedKeys(plan),
    ...((plan.workloads || []).includes('w2') ? ['w2'] : []),
  ]
  out.push('')
  out.push('## The floor: rd_kafka_produce_batch against a future per message')
  out.push('')
  out.push('| size, acks | workload | floor msg/s | earlier floor msg/s | × | floor CPU s / 1M | earlier CPU s / 1M |')
  out.push('|---|---|---:|---:|---:|---:|---:|')
  for (const combo of plan.combos)
    for (const w of cols) {
      const a = metric(floor, combo, [w, 'msgsPerSec'])
      const b = metric(old, combo, [w, 'msgsPerSec'])
      const name = w === 'w3' ? 'W3' : w === 'w2' ? 'W2' : `W4 ${partitionsOf(w)}p`
      out.push(
        `| ${comboName(combo)} | ${name} | ${a === null ? '—' : fmtNum(a, 0)} | ${b === null ? '—' : fmtNum(b, 0)} | ${a !== null && b ? `${fmtSig(a / b)}×` : '—'} | ${fmtNum(metric(floor, combo, [w, 'cpuPerMillion']), 2)} | ${fmtNum(metric(old, combo, [w, 'cpuPerMillion']), 2)} |`,
      )
    }
}

// ---------------------------------------------------------------------------------------------
// SVG

function xmlEscape(s) {
  return String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')
}

function niceMax(v) {
  if (!(v > 0)) return 1
  const p = 10 ** Math.floor(Math.log10(v))
  for (const m of [1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10]) if (m * p >= v) return m * p
  return 10 * p
}

/** One horizontal grouped bar panel: a group per client, a bar per (size, acks). `log`: log10 axis. */
function panel({ title, unit, results, combos, get, fmt, y0, width, log = false, name = comboName }) {
  const left = 230
  const right = 90
  const barH = 11
  const groupGap = 12
  const top = y0 + 46
  const plotW = width - left - right
  const values = results.flatMap((r) => combos.map((c) => get(r, c))).filter((v) => v !== null && (!log || v > 0))
  const max = log ? 10 ** Math.ceil(Math.log10(Math.max(...values, 1e-9))) : niceMax(Math.max(0, ...values))
  const min = log ? Math.min(10 ** Math.floor(Math.log10(Math.min(...values, max))), max / 10) : 0
  // Axis position (0..1) of a value.
  const at = (v) => (log ? (Math.log10(v) - Math.log10(min)) / (Math.log10(max) - Math.log10(min)) : v / max)
  const ticks = log
    ? Array.from({ length: Math.round(Math.log10(max / min)) + 1 }, (_, i) => min * 10 ** i)
    : [0, 1, 2, 3, 4].map((i) => (max * i) / 4)
  const parts = []
  parts.push(`<text x="16" y="${y0 + 18}" font-size="14" font-weight="bold">${xmlEscape(title)}</text>`)
  let y = top
  const gridBottom = top + results.length * (combos.length * barH + groupGap)
  for (const t of ticks) {
    const x = left + plotW * at(t)
    parts.push(`<line x1="${x}" y1="${top - 6}" x2="${x}" y2="${gridBottom - groupGap + 4}" stroke="#ddd"/>`)
    parts.push(
      `<text x="${x}" y="${top - 10}" font-size="10" text-anchor="middle" fill="#666">${xmlEscape(t === 0 ? '0' : fmt(t))}</text>`,
    )
  }
  parts.push(`<text x="${left + plotW + 36}" y="${top - 10}" font-size="10" fill="#666">${xmlEscape(unit)}</text>`)
  for (const r of results) {
    const groupH = combos.length * barH
    parts.push(
      `<text x="${left - 8}" y="${y + groupH / 2 + 4}" font-size="12" text-anchor="end">${xmlEscape(r.label)}</text>`,
    )
    combos.forEach((c, i) => {
      const v = get(r, c)
      const by = y + i * barH
      if (v === null) {
        const why = r.error ? `n/a: ${r.error}` : 'n/a'
        parts.push(
          `<text x="${left + 4}" y="${by + barH - 2}" font-size="9" fill="#a00">${xmlEscape(i === 0 ? why.slice(0, 110) : '')}</text>`,
        )
        return
      }
      const w = Math.max(1, at(Math.max(v, min)) * plotW)
      parts.push(
        `<rect x="${left}" y="${by}" width="${w.toFixed(1)}" height="${barH - 2}" fill="${COLORS[i % COLORS.length]}"><title>${xmlEscape(`${r.label}, ${name(c)}: ${fmt(v)} ${unit}`)}</title></rect>`,
      )
      parts.push(
        `<text x="${(left + w + 4).toFixed(1)}" y="${by + barH - 2}" font-size="9" fill="#333">${xmlEscape(fmt(v))}</text>`,
      )
    })
    y += groupH + groupGap
  }
  return { svg: parts.join('\n'), height: y - y0 + 10 }
}

function renderSvg(report) {
  const { results, plan } = report
  const combos = plan.combos
  const width = 960
  const get = (path) => (r, c) => metric(r, c, path)
  const legendY = 48
  const p1fmt = (v) => (v >= 1e6 ? `${fmtSig(v / 1e6)}M` : v >= 1e3 ? `${fmtSig(v / 1e3)}k` : fmtSig(v))
  const head = []
  head.push(
    `<text x="16" y="26" font-size="18" font-weight="bold">kafka-napi benchmark (${xmlEscape(report.mode)}), ${xmlEscape(report.started.slice(0, 16).replace('T', ' '))} UTC</text>`,
  )
  combos.forEach((c, i) => {
    const x = 16 + i * 150
    head.push(`<rect x="${x}" y="${legendY - 10}" width="12" height="12" fill="${COLORS[i % COLORS.length]}"/>`)
    head.push(`<text x="${x + 18}" y="${legendY}" font-size="12">${xmlEscape(comboName(c))}</text>`)
  })
  const none = { svg: '', height: -16 }
  const producing = plan.combos.length > 0
  const p1 = !producing
    ? none
    : panel({
        title: `W3: batched sends (${plan.w3.batch} messages per send, ${plan.w3.inflight} in flight), messages/s — higher is better`,
        unit: 'msg/s',
        results,
        combos,
        get: get(['w3', 'msgsPerSec']),
        fmt: p1fmt,
        y0: 64,
        width,
      })
  const p2 = !producing
    ? none
    : panel({
        title: 'W1: awaited single-message send, p50 latency (ms, log scale) — lower is better',
        unit: 'ms',
        results,
        combos,
        get: get(['w1', 'p50']),
        fmt: (v) => Number(v.toPrecision(3)).toLocaleString('en-US'),
        log: true,
        y0: 64 + p1.height + 16,
        width,
      })
  const keyed = keyedKeys(plan)
  const w4 = keyed[keyed.length - 1]
  const p3 =
    w4 && producing
      ? panel({
          title: `W4: keyed batched sends, ${partitionsOf(w4)} partitions, messages/s — higher is better`,
          unit: 'msg/s',
          results,
          combos,
          get: get([w4, 'msgsPerSec']),
          fmt: p1fmt,
          y0: 64 + p1.height + 16 + p2.height + 16,
          width,
        })
      : none
  // Consumers: C1 and C2 msg/s, a bar per topic (its own legend), below the producer panels.
  const c = plan.consumer
  const consumers = c ? results.filter((r) => r.consumes) : []
  let y = 64 + p1.height + 16 + p2.height + 16 + p3.height + 16
  const extra = []
  if (consumers.length) {
    extra.push(`<text x="16" y="${y + 12}" font-size="12" font-weight="bold">Consumer topics:</text>`)
    c.topics.forEach((t, i) => {
      const x = 140 + i * 170
      extra.push(`<rect x="${x}" y="${y + 2}" width="12" height="12" fill="${COLORS[i % COLORS.length]}"/>`)
      extra.push(`<text x="${x + 18}" y="${y + 12}" font-size="12">${xmlEscape(topicName(t))}</text>`)
    })
    y += 20
    const names = { c1: 'C1: eachMessage', c2: 'C2: eachBatch' }
    for (const w of c.workloads) {
      const p = panel({
        title: `${names[w]}, a new group reads a pre-filled topic, messages/s — higher is better`,
        unit: 'msg/s',
        results: consumers,
        combos: c.topics,
        get: (r, t) => consumerMetric(r, w, t, 'msgsPerSec'),
        fmt: p1fmt,
        y0: y,
        width,
        name: topicName,
      })
      extra.push(p.svg)
      y += p.height + 16
    }
  }
  const height = y + 8
  const foot = `<text x="16" y="${height - 10}" font-size="10" fill="#666">${xmlEscape(`Kafka ${report.kafka.split(' ')[0]}, ${report.machine.cores} cores, Node ${report.machine.node}. Medians of ${plan.w3.reps * (plan.rounds || 1)} repetitions${c ? ` (consumers: ${c.reps * (plan.rounds || 1)})` : ''}. Timings are never asserted in tests.`)}</text>`
  return `<?xml version="1.0" encoding="UTF-8"?>
<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif">
<rect width="100%" height="100%" fill="#fff"/>
${head.join('\n')}
${p1.svg}
${p2.svg}
${p3.svg}
${extra.join('\n')}
${foot}
</svg>
`
}

module.exports = { renderMarkdown, renderSvg, w3PeakKb }
