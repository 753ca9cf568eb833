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
  out.push(
    `Workloads, for each message size and acks: **W1** awaited single-message sends one at a time (${plan.w1.warmup} warm-up sends, then ${plan.w1.reps} × ${plan.w1.n}; a repetition stops after ${plan.w1.seconds} s, and [n] then gives the sends it measured); ` +
      `**W2** single-message sends with ${plan.w2.concurrency} in flight (${plan.w2.warmupSeconds} s warm-up, then ${plan.w2.reps} × ${plan.w2.seconds} s); ` +
      `**W3** sends of ${plan.w3.batch} messages with ${plan.w3.inflight} in flight (${plan.w3.warmupSeconds} s warm-up, then ${plan.w3.reps} × ${plan.w3.seconds} s). ` +
      `${plan.rounds > 1 ? `The whole sequence ran ${plan.rounds} times (every other time in reverse client order); every figure is the median of the repetitions of all rounds. ` : 'Every figure is the median of the repetitions. '}CPU is user+system time of the whole client process (all threads) per million messages; ` +
      `event-loop delay is the p99 of \`monitorEventLoopDelay\` (${plan.eldResolutionMs} ms resolution) during W3. Method: bench/README.md.`,
  )
  out.push('')
  out.push('## Clients')
  out.push('')
  out.push('| client | version | settings | status | wall time | peak RSS |')
  out.push('|---|---|---|---|---:|---:|')
  for (const r of results) {
    const partial = !r.error && (r.combos || []).some((c) => ['w1', 'w2', 'w3'].some((w) => c[w] && c[w].error))
    const status = r.error
      ? r.combos && r.combos.length
        ? `partial: ${r.error}`
        : `**failed**: ${r.error}`
      : partial
        ? 'ran, some workloads failed (see tables)'
        : 'ran'
    const rss =
      typeof r.maxRssKb === 'number' && r.combos && r.combos.length ? `${fmtNum(r.maxRssKb / 1024, 0)} MB` : '—'
    const settings =
      r.id === 'floor'
        ? "kafka-napi's default librdkafka properties (linger.ms 0, acks per profile), FutureProducer"
        : r.settings || '—'
    out.push(
      `| ${escapeMd(r.label)} | ${escapeMd(r.version || '—')} | ${escapeMd(settings)} | ${escapeMd(status)} | ${r.wallSeconds ? `${fmtNum(r.wallSeconds, 0)} s` : '—'} | ${rss} |`,
    )
  }
  out.push('')
  out.push(
    "Cells read *value (× kafkajs, % floor)*: × kafkajs above 1 is better than kafkajs; % floor is the share of the floor's performance reached (100 % = as good as the floor). For latency and CPU the ratios are inverted (lower value = better).",
  )
  for (const combo of plan.combos) {
    out.push('')
    out.push(`## ${comboName(combo)}`)
    out.push('')
    out.push(
      '| client | W1 p50 ms | W1 p99 ms | W1 max ms | W2 msg/s | W3 msg/s | W3 MB/s | W3 CPU s / 1M msgs | W2 CPU s / 1M msgs | W3 event-loop p99 ms |',
    )
    out.push('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|')
    for (const r of results) {
      if (r.error && !(r.combos && r.combos.length)) {
        out.push(`| ${escapeMd(r.label)} | failed (see Clients) | | | | | | | | |`)
        continue
      }
      const isFloor = r.id === 'floor'
      const isK = r.id === 'kafkajs'
      const cell = (path, fmt, higher, ratios) => {
        const err = workloadError(r, combo, path[0])
        if (err) return `error: ${escapeMd(err.slice(0, 80))}`
        if (isFloor && path[1] === 'eldP99') return 'n/a (no event loop)'
        const v = metric(r, combo, path)
        if (v === null) return '—'
        let text = fmt(v)
        const samples = path[0] === 'w1' && path[1] === 'p50' ? metric(r, combo, ['w1', 'samples']) : null
        if (samples !== null && samples < plan.w1.n) text += ` [${fmtNum(samples, 0)}]`
        return ratios
          ? withRatios(text, v, metric(kjs, combo, path), metric(floor, combo, path), higher, isFloor, isK)
          : text
      }
      out.push(
        `| ${escapeMd(r.label)} | ${[
          cell(['w1', 'p50'], fmtSig, false, true),
          cell(['w1', 'p99'], fmtSig, false, false),
          cell(['w1', 'max'], fmtSig, false, false),
          cell(['w2', 'msgsPerSec'], (v) => fmtNum(v, 0), true, true),
          cell(['w3', 'msgsPerSec'], (v) => fmtNum(v, 0), true, true),
          cell(['w3', 'mbPerSec'], (v) => fmtNum(v, 1), true, false),
          cell(['w3', 'cpuPerMillion'], (v) => fmtNum(v, 2), false, true),
          cell(['w2', 'cpuPerMillion'], (v) => fmtNum(v, 2), false, false),
          cell(['w3', 'eldP99'], fmtSig, false, false),
        ].join(' | ')} |`,
      )
    }
  }
  const napi = byId['kafka-napi']
  if (napi && floor && !floor.error && (napi.combos || []).length) {
    out.push('')
    out.push('## kafka-napi against the floor')
    out.push('')
    out.push(
      '| size, acks | W1 p50: kafka-napi / floor | W1 p50 added | W2 msg/s share | W3 msg/s share | W3 CPU per msg × floor | W2 CPU per msg × floor |',
    )
    out.push('|---|---:|---:|---:|---:|---:|---:|')
    for (const combo of plan.combos) {
      const g = (p, r) => metric(r, combo, p)
      const p50n = g(['w1', 'p50'], napi)
      const p50f = g(['w1', 'p50'], floor)
      const share = (p) => (g(p, napi) !== null && g(p, floor) ? fmtPct(g(p, napi) / g(p, floor)) : '—')
      const times = (p) => (g(p, napi) !== null && g(p, floor) ? `${fmtSig(g(p, napi) / g(p, floor))}×` : '—')
      out.push(
        `| ${comboName(combo)} | ${p50n !== null && p50f ? `${fmtSig(p50n)} / ${fmtSig(p50f)} ms` : '—'} | ${p50n !== null && p50f !== null ? `${fmtNum((p50n - p50f) * 1000, 0)} µs` : '—'} | ${share(['w2', 'msgsPerSec'])} | ${share(['w3', 'msgsPerSec'])} | ${times(['w3', 'cpuPerMillion'])} | ${times(['w2', 'cpuPerMillion'])} |`,
      )
    }
  }
  out.push('')
  out.push('Timings depend on the machine and on whatever else runs on it; no test asserts them.')
  out.push('')
  return out.join('\n')
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
function panel({ title, unit, results, combos, get, fmt, y0, width, log = false }) {
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
        `<rect x="${left}" y="${by}" width="${w.toFixed(1)}" height="${barH - 2}" fill="${COLORS[i % COLORS.length]}"><title>${xmlEscape(`${r.label}, ${comboName(c)}: ${fmt(v)} ${unit}`)}</title></rect>`,
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
  const head = []
  head.push(
    `<text x="16" y="26" font-size="18" font-weight="bold">kafka-napi benchmark (${xmlEscape(report.mode)}), ${xmlEscape(report.started.slice(0, 16).replace('T', ' '))} UTC</text>`,
  )
  combos.forEach((c, i) => {
    const x = 16 + i * 150
    head.push(`<rect x="${x}" y="${legendY - 10}" width="12" height="12" fill="${COLORS[i % COLORS.length]}"/>`)
    head.push(`<text x="${x + 18}" y="${legendY}" font-size="12">${xmlEscape(comboName(c))}</text>`)
  })
  const p1 = panel({
    title: `W3: batched sends (${plan.w3.batch} messages per send, ${plan.w3.inflight} in flight), messages/s — higher is better`,
    unit: 'msg/s',
    results,
    combos,
    get: get(['w3', 'msgsPerSec']),
    fmt: (v) => (v >= 1e6 ? `${fmtSig(v / 1e6)}M` : v >= 1e3 ? `${fmtSig(v / 1e3)}k` : fmtSig(v)),
    y0: 64,
    width,
  })
  const p2 = panel({
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
  const height = 64 + p1.height + 16 + p2.height + 24
  const foot = `<text x="16" y="${height - 10}" font-size="10" fill="#666">${xmlEscape(`Kafka ${report.kafka.split(' ')[0]}, ${report.machine.cores} cores, Node ${report.machine.node}. Medians of ${plan.w3.reps * (plan.rounds || 1)} repetitions. Timings are never asserted in tests.`)}</text>`
  return `<?xml version="1.0" encoding="UTF-8"?>
<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif">
<rect width="100%" height="100%" fill="#fff"/>
${head.join('\n')}
${p1.svg}
${p2.svg}
${foot}
</svg>
`
}

module.exports = { renderMarkdown, renderSvg }
