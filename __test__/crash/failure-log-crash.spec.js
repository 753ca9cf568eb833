'use strict'
/*
 * kill -9 at 20 random points while failures are recorded, and at 20 random points while a log
 * is replayed to a real broker: no acknowledged record is lost, none is recorded twice, every
 * record reaches the topic, and re-deliveries stay within the documented window of
 * concurrency x batchSize records per crash.
 */
const { spawn } = require('node:child_process')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { FailureLog } = require('../..')
const { brokers, createTopic, readToEnd, uniqueTopic } = require('../helpers/kafka')
const { waitFor } = require('../helpers/wait')
const { seededRandom: random } = require('../helpers/random')

const CHILD = path.join(__dirname, 'failure-log-child.js')
const KILLS = 20

/** Starts the child, waits until it says it is working, lets it run `ms`, then SIGKILLs it. */
async function runAndKill(args, ms) {
  const child = spawn(process.execPath, [CHILD, ...args], { stdio: ['ignore', 'pipe', 'inherit'] })
  let out = ''
  child.stdout.on('data', (d) => {
    out += d
  })
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })))
  await waitFor(() => out.includes('ready\n') || child.exitCode !== null, {
    timeout: 30000,
    what: 'the child to start',
  })
  await new Promise((r) => setTimeout(r, ms)) // the random crash point is the scenario
  child.kill('SIGKILL')
  const end = await exited
  return { ...end, out }
}

const dir = () => fs.mkdtempSync(path.join(os.tmpdir(), 'kn-crash-'))
const seed = Number(process.env.CRASH_SEED || Date.now() % 100000)

test(`kill -9 at ${KILLS} random points while recording loses no acknowledged record (seed ${seed})`, async () => {
  const rnd = random(seed)
  const d = dir()
  const logPath = path.join(d, 'failed.jsonl')
  const acksPath = path.join(d, 'acks')
  let next = 0
  for (let k = 0; k < KILLS; k++) {
    await runAndKill(['record', logPath, acksPath, String(next)], 20 + Math.floor(rnd() * 300))
    next += 1_000_000 // each child numbers its records in its own range
  }
  const acked = fs.readFileSync(acksPath, 'utf8').split('\n').filter(Boolean)
  const values = new FailureLog({ path: logPath }).entries().map((e) => e.value.toString())
  const stored = new Set(values)
  expect(acked.length).toBeGreaterThan(KILLS) // every child got some records acknowledged
  expect(acked.filter((s) => !stored.has(`record-${s}`))).toEqual([]) // 0 lost
  expect(values.length - stored.size).toBe(0) // 0 recorded twice
}, 300000)

test(`kill -9 at ${KILLS} random points while replaying loses nothing and re-delivers within the window (seed ${seed})`, async () => {
  const rnd = random(seed + 1)
  const topic = uniqueTopic('crash-replay')
  await createTopic({ topic, partitions: 3 })
  const d = dir()
  const logPath = path.join(d, 'failed.jsonl')
  // Enough that 20 kills at most 40 ms into their replay cannot reach the end (a run that replays
  // the rest leaves nothing for the next kills): 60,000 ran out after 19 kills once the producer
  // got faster.
  const n = 200000
  const log = new FailureLog({ path: logPath })
  await Promise.all(
    Array.from({ length: n }, (_, i) =>
      log.record({ topic, message: { key: `k${i % 97}`, value: `r-${i}` }, error: new Error('x') }),
    ),
  )
  await log.close()
  // Until 20 runs were killed in the middle of their replay (a run that finished first does not count).
  let killed = 0
  for (let runs = 0; killed < KILLS && runs < 3 * KILLS; runs++) {
    const r = await runAndKill(['replay', logPath, brokers().join(',')], Math.floor(rnd() * 40))
    if (!r.out.includes('{')) killed++
  }
  expect(killed).toBe(KILLS)
  // Whatever is left is replayed to the end by a last, uninterrupted run.
  const last = await new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CHILD, 'replay', logPath, brokers().join(',')], {
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    let out = ''
    child.stdout.on('data', (x) => {
      out += x
    })
    child.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`final replay exited ${code}`))))
  })
  expect(last).toMatch(/"failed":0/)
  expect(new FailureLog({ path: logPath }).entries()).toEqual([])
  const { messages } = await readToEnd(topic, { count: n, timeout: 120000 })
  const counts = new Map()
  for (const m of messages) counts.set(m.value.toString(), (counts.get(m.value.toString()) || 0) + 1)
  const missing = []
  for (let i = 0; i < n; i++) if (!counts.has(`r-${i}`)) missing.push(i)
  expect(missing).toEqual([]) // 0 lost
  const duplicates = messages.length - counts.size
  console.log(`replay crash test: ${killed} runs killed mid-replay; ${duplicates} re-deliveries of ${n}`)
  expect(duplicates).toBeLessThanOrEqual(killed * 4 * 200)
}, 600000)
