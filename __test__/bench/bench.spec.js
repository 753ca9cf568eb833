'use strict'
/*
 * `npm run bench` at small N: kafka-napi, kafkajs and the floor (the pure-Rust producer, built
 * by bench/run.js when missing), producer and consumer workloads (the floor only produces).
 * Asserts that the run completes, prints tables listing those clients and writes its result
 * files, and that each consumer read its topic exactly. Never a timing: those depend on the
 * machine.
 */
const { execFile } = require('node:child_process')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')

const ROOT = path.resolve(__dirname, '../..')
const CLIENTS = ['kafka-napi', 'kafkajs', 'floor']
const CONSUMERS = ['kafka-napi', 'kafkajs']
const LABELS = { 'kafka-napi': 'kafka-napi', kafkajs: 'kafkajs', floor: 'floor (Rust, no JS)' }

function run(args, timeout) {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      args,
      { cwd: ROOT, timeout, maxBuffer: 64 * 1024 * 1024, env: { ...process.env } },
      (error, stdout, stderr) => {
        resolve({ code: error ? (error.code ?? error.signal) : 0, stdout, stderr })
      },
    )
  })
}

describe('npm run bench --quick', () => {
  let out
  let result

  beforeAll(async () => {
    out = fs.mkdtempSync(path.join(os.tmpdir(), 'kafka-napi-bench-spec-'))
    const brokers = process.env.KAFKA_BROKERS || '127.0.0.1:19092'
    // About a minute of benchmark (W1-W4, 3 clients, then C1/C2 and N1 for 2 of them); building the
    // floor on a fresh checkout adds about a minute.
    result = await run(
      ['bench/run.js', '--quick', '--clients', CLIENTS.join(','), '--brokers', brokers, '--out', out],
      270000,
    )
  }, 300000)

  afterAll(() => {
    if (out) fs.rmSync(out, { recursive: true, force: true })
  })

  test('completes', () => {
    if (result.code !== 0) throw new Error(`bench/run.js exited with ${result.code}:\n${result.stderr.slice(-3000)}`)
    expect(result.code).toBe(0)
  })

  test('prints a markdown table that lists every client', () => {
    const md = result.stdout
    expect(md).toMatch(/^# kafka-napi benchmark/m)
    expect(md).toMatch(/^\| client \| version \| settings \| status/m)
    expect(md).toMatch(/^## 100 B, acks=1$/m)
    expect(md).toMatch(/^W4, keyed sends on 3 and 12 partitions/m)
    expect(md).toMatch(/^## kafka-napi against its peers/m)
    for (const id of CLIENTS) {
      const rows = md.split('\n').filter((l) => l.startsWith(`| ${LABELS[id]} |`))
      // One row in the clients table and two per (size, acks): W1-W3 and W4.
      expect(rows.length).toBeGreaterThanOrEqual(9)
    }
  })

  test('measures the peak RSS during W3 and of W3 alone, for the JS clients', () => {
    expect(result.stdout).toMatch(
      /^\| client \| .* \| peak RSS during W3 \| peak RSS of W3 alone \| idle producer RSS \|$/m,
    )
    const json = JSON.parse(fs.readFileSync(path.join(out, 'latest.json'), 'utf8'))
    for (const r of json.results.filter((x) => x.id !== 'floor')) {
      const peaks = r.combos.map((c) => c.w3 && c.w3.peakRssKb)
      expect(peaks.every((kb) => kb > 10 * 1024)).toBe(true)
      expect(r.w3Alone.rssKb).toBeGreaterThan(10 * 1024)
    }
  })

  test('prints the Consumers section: time to first message, C1 and C2 for the clients that consume', () => {
    const md = result.stdout
    const section = md.slice(md.indexOf('\n## Consumers\n'))
    expect(md).toContain('\n## Consumers\n')
    expect(section).toMatch(/^\| client \| consumer settings \| time to first message, ms/m)
    expect(section).toMatch(/^### 100 B, 1 partition \(3,000 messages\)$/m)
    expect(section).toMatch(/^\| client \| C1 eachMessage msg\/s \| .* \| C2 eachBatch msg\/s \|/m)
    expect(section).toMatch(/^### kafka-napi against its peers \(consumers, msg\/s\)$/m)
    for (const id of CONSUMERS) {
      // The time-to-first-message table and the C1/C2 table.
      expect(section.split('\n').filter((l) => l.startsWith(`| ${LABELS[id]} |`))).toHaveLength(2)
    }
    expect(section).not.toContain(`| ${LABELS.floor} |`)
  })

  test('every consumer read its topic exactly, in every workload', () => {
    const json = JSON.parse(fs.readFileSync(path.join(out, 'latest.json'), 'utf8'))
    expect(json.plan.consumer.workloads).toEqual(['c1', 'c2'])
    const [topic] = json.plan.consumer.topics
    expect(topic).toMatchObject({ size: 100, partitions: 1, messages: 3000 })
    for (const id of CONSUMERS) {
      const { consumer } = json.results.find((r) => r.id === id)
      expect(consumer.ttfm.reps).toHaveLength(1)
      expect(consumer.ttfm.reps[0]).toMatchObject({ received: 10, messages: 10 })
      expect(consumer.runs.map((r) => [r.workload, r.error])).toEqual([
        ['c1', undefined],
        ['c2', undefined],
      ])
      for (const run of consumer.runs) {
        expect(run.reps).toHaveLength(1)
        expect(run.reps[0]).toMatchObject({ received: 3000, messages: 3000, bytesOk: true })
      }
    }
    expect(json.results.find((r) => r.id === 'floor').consumer).toBeUndefined()
  })

  test('prints the NestJS microservice section (N1): kafkajs and kafka-napi, every measure, none failed', () => {
    const md = result.stdout
    const section = md.slice(md.indexOf('\n## NestJS microservice (N1)\n'))
    expect(md).toContain('\n## NestJS microservice (N1)\n')
    expect(section).toMatch(/^\| measure \| kafkajs \| kafka-napi \(kafkajs alias\) \| kafka-napi vs kafkajs \|$/m)
    for (const measure of [
      'request/reply, sequential: round trips/s',
      'send() mean of 32 calls',
      'emit() mean of 32 calls',
      'emit(), every one of those calls: p50 ms',
      'emit(), every one of those calls: p90 ms',
      'event delivery, emit() until its @EventPattern handler ran',
      'events handled/s',
    ])
      expect(section).toContain(`| ${measure}`)
    // One mean of 32 per library in --quick: the rank test declines to compare.
    expect(section).toMatch(
      /^emit\(\), 1 and 1 means of 32 \(kafka-napi, kafkajs\), Mann-Whitney z = .*too few means to compare\.$/m,
    )
    expect(section).not.toContain('failed')
    const json = JSON.parse(fs.readFileSync(path.join(out, 'latest.json'), 'utf8'))
    for (const r of json.nest.results) {
      expect(r.rounds).toBe(1)
      expect(r.sequential.p50).toBeGreaterThan(0)
      expect(r.mean32.sendMeans).toHaveLength(1)
      expect(r.mean32.emitCalls.n).toBe(32)
      // Event delivery: every call awaits its emit() and then its handler.
      expect(r.mean32.eventMeans).toHaveLength(1)
      expect(r.mean32.event).toBeGreaterThan(0)
    }
  })

  test('writes the results files', () => {
    const files = fs.readdirSync(out)
    for (const f of ['latest.md', 'latest.svg', 'latest.json']) expect(files).toContain(f)
    expect(files.filter((f) => /^\d{8}-\d{6}\.md$/.test(f))).toHaveLength(1)
    expect(files.filter((f) => /^\d{8}-\d{6}\.svg$/.test(f))).toHaveLength(1)
    expect(fs.readFileSync(path.join(out, 'latest.md'), 'utf8')).toBe(result.stdout)
    const svg = fs.readFileSync(path.join(out, 'latest.svg'), 'utf8')
    expect(svg).toMatch(/^<\?xml[^>]*>\s*<svg /)
    for (const id of CLIENTS) expect(svg).toContain(LABELS[id].replace(/&/g, '&amp;'))
    const json = JSON.parse(fs.readFileSync(path.join(out, 'latest.json'), 'utf8'))
    expect(json.mode).toBe('quick')
    expect(json.results.map((r) => r.id)).toEqual(expect.arrayContaining(CLIENTS))
    const napi = json.results.find((r) => r.id === 'kafka-napi')
    expect(Object.keys(napi.combos[0])).toEqual(expect.arrayContaining(['w1', 'w2', 'w3', 'w4p3', 'w4p12']))
    expect(napi.idle.rssKb).toBeGreaterThan(0)
  })
})

describe('bench rounds', () => {
  const { mergeRounds, parseArgs } = require('../../bench/run')

  test('--workloads, --sizes and --acks select what runs', () => {
    const a = parseArgs(['--workloads', 'W3,w4', '--sizes', '100', '--acks', '1,-1'])
    expect(a.workloads).toEqual(['w3', 'w4'])
    expect(a.sizes).toEqual([100])
    expect(a.acks).toEqual([1, -1])
    expect(parseArgs([]).workloads).toEqual(['w1', 'w2', 'w3', 'w4', 'c1', 'c2', 'n1'])
    expect(parseArgs(['--workloads', 'C1,c2']).workloads).toEqual(['c1', 'c2'])
    expect(() => parseArgs(['--workloads', 'W5'])).toThrow('--workloads')
    expect(() => parseArgs(['--sizes', '512'])).toThrow('--sizes')
    expect(() => parseArgs(['--acks', '0'])).toThrow('--acks')
  })

  test('--rounds is a small positive integer', () => {
    expect(parseArgs(['--rounds', '2']).rounds).toBe(2)
    expect(parseArgs([]).rounds).toBe(1)
    expect(() => parseArgs(['--rounds', '0'])).toThrow('--rounds')
  })

  test('rounds pool their repetitions and report the median of all of them', () => {
    const round = (rates, rss, error) => ({
      client: 'x',
      maxRssKb: rss,
      wallSeconds: 10,
      error,
      combos: error
        ? []
        : [
            {
              size: 100,
              acks: 1,
              w2: {
                msgsPerSec: rates[1],
                reps: rates.map((msgsPerSec) => ({ msgsPerSec, cpuPerMillion: 1e6 / msgsPerSec })),
              },
            },
          ],
    })
    const merged = mergeRounds([round([10, 20, 30], 100), round([40, 50, 60], 300)])
    expect(merged.rounds).toBe(2)
    expect(merged.maxRssKb).toBe(300)
    expect(merged.wallSeconds).toBe(20)
    expect(merged.combos[0].w2.reps).toHaveLength(6)
    expect(merged.combos[0].w2.msgsPerSec).toBe(35)
    // A failed round leaves the others' figures, with a note.
    const partial = mergeRounds([round([10, 20, 30], 100), round([], 0, 'timed out')])
    expect(partial.combos[0].w2.msgsPerSec).toBe(20)
    expect(partial.note).toMatch(/1 of 2 rounds failed: timed out/)
    expect(mergeRounds([round([1, 2, 3], 1)]).combos[0].w2.msgsPerSec).toBe(2)
  })

  test('consumer rounds pool their repetitions per workload and topic, time to first message included', () => {
    const round = (rates, firsts) => ({
      client: 'x',
      combos: [],
      consumer: {
        ttfm: { toFirstMs: firsts[0], reps: firsts.map((toFirstMs) => ({ toFirstMs, received: 10, messages: 10 })) },
        runs: [
          {
            workload: 'c1',
            size: 100,
            partitions: 1,
            settings: 's',
            msgsPerSec: rates[0],
            reps: rates.map((msgsPerSec) => ({ msgsPerSec, received: 5, messages: 5 })),
          },
        ],
      },
    })
    const merged = mergeRounds([round([10, 20], [300, 100]), round([30, 40], [200, 400])])
    expect(merged.consumer.ttfm.toFirstMs).toBe(250)
    expect(merged.consumer.ttfm.reps).toHaveLength(4)
    expect(merged.consumer.runs).toHaveLength(1)
    expect(merged.consumer.runs[0]).toMatchObject({ workload: 'c1', size: 100, partitions: 1, msgsPerSec: 25 })
    expect(merged.consumer.runs[0].reps).toHaveLength(4)
  })
})
