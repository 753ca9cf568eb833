'use strict'
/*
 * The PostgreSQL failure sink (examples/pg-failure-sink) on a real PostgreSQL (scripts/pg/pg.js,
 * started here unless KAFKA_NAPI_PG_URL names one; stopped afterwards if started here) and the
 * real broker, with this package's producer. What reaches Kafka is read back with kafkajs's own
 * consumer up to the high watermark, never after a sleep.
 */
const { spawnSync } = require('node:child_process')
const crypto = require('node:crypto')
const path = require('node:path')
const { Pool } = require('pg')
const { Kafka } = require('../../index.js')
const { PgFailureSink } = require('../../examples/pg-failure-sink/pg-failure-sink')
const pgTestBed = require('../../scripts/pg/pg')
const { createTopic, readToEnd } = require('../helpers/kafka')

const LAUNCHER = path.resolve(__dirname, '../../scripts/pg/pg.js')

let startedHere = false
let pgUrl
let pool
const tables = []
const producers = []
const sinks = []
const unhandled = []
const onUnhandled = (e) => unhandled.push(e)

beforeAll(() => {
  process.on('unhandledRejection', onUnhandled)
  pgUrl = process.env.KAFKA_NAPI_PG_URL
  if (!pgUrl) {
    const running = spawnSync(process.execPath, [LAUNCHER, 'status'], { encoding: 'utf8' }).status === 0
    const r = spawnSync(process.execPath, [LAUNCHER, 'start'], { encoding: 'utf8' })
    if (r.status !== 0) throw new Error(`could not start the PostgreSQL test bed:\n${r.stdout}${r.stderr}`)
    startedHere = !running
    pgUrl = pgTestBed.url()
  }
  pool = new Pool({ connectionString: pgUrl, max: 12 })
})

afterEach(async () => {
  await Promise.all(producers.splice(0).map((p) => p.disconnect().catch(() => {})))
  await Promise.all(sinks.splice(0).map((s) => s.close().catch(() => {})))
})

afterAll(async () => {
  process.off('unhandledRejection', onUnhandled)
  if (pool) {
    for (const t of tables) await pool.query(`DROP TABLE IF EXISTS ${t}`).catch(() => {})
    await pool.end()
  }
  if (startedHere) spawnSync(process.execPath, [LAUNCHER, 'stop'], { stdio: 'inherit' })
})

const kafka = () => new Kafka({ brokers: process.env.KAFKA_BROKERS.split(','), logLevel: 0 })

function producer(options = {}, client = kafka()) {
  const p = client.producer(options)
  producers.push(p)
  return p
}

async function newSink(options = {}) {
  const table = `kafka_failures_${crypto.randomBytes(5).toString('hex')}`
  tables.push(table)
  const sink = new PgFailureSink({ pool, table, ...options })
  sinks.push(sink)
  await sink.init()
  return sink
}

/** Messages with every shape the sink must carry: null and binary keys, string/Buffer/array headers. */
function messages(n, tag = 'm') {
  return Array.from({ length: n }, (_, i) => ({
    key: i % 3 === 0 ? null : i % 3 === 1 ? `${tag}-key-${i}` : Buffer.from([0, i & 255, 255]),
    value: i % 2 === 0 ? `${tag}-value-${i}` : Buffer.concat([Buffer.from(tag), Buffer.from([i & 255, 0, 1, 2, 254])]),
    headers:
      i % 4 === 0 ? { seq: String(i), bin: Buffer.from([1, 0, i & 255]), multi: ['a', `b${i}`] } : { seq: String(i) },
    timestamp: String(1700000000000 + i),
  }))
}

const asBuffer = (v) => (v === null || v === undefined ? null : Buffer.isBuffer(v) ? v : Buffer.from(String(v)))

/** A message as kafkajs's consumer will return it: Buffers, a repeated header as an array. */
function expected(m) {
  const headers = {}
  for (const [k, v] of Object.entries(m.headers || {})) headers[k] = Array.isArray(v) ? v.map(asBuffer) : asBuffer(v)
  return { key: asBuffer(m.key), value: asBuffer(m.value), headers, timestamp: m.timestamp }
}

/** The topic read up to its high watermarks (helpers/kafka.js), sorted by partition and offset. */
async function readToHighWatermark(topic, { timeout = 60000 } = {}) {
  const { messages } = await readToEnd(topic, { timeout })
  return messages.sort((a, b) => a.partition - b.partition || Number(BigInt(a.offset) - BigInt(b.offset)))
}

const shape = (m) => ({ key: m.key, value: m.value, headers: m.headers, timestamp: m.timestamp })

/** Wraps a sink so a test sees when each record's row is committed (its Promise resolved). */
function observed(sink) {
  const state = { committed: 0, records: 0 }
  state.sink = {
    record(report) {
      state.records++
      return sink.record(report).then(() => {
        state.committed++
      })
    },
  }
  return state
}

test('the test bed serves a PostgreSQL that answers as the test user', async () => {
  const r = await pool.query('SELECT current_user AS u, current_setting($1) AS v', ['server_version_num'])
  expect(r.rows[0].u).toBe(new URL(pgUrl).username)
  expect(Number(r.rows[0].v)).toBeGreaterThanOrEqual(120000)
})

test('(a) each failed message is committed to the table before its send rejects', async () => {
  const sink = await newSink()
  const topic = await createTopic({ partitions: 1 })
  const seen = observed(sink)
  const p = producer({ failureLog: seen.sink, failureLogTimeout: 10000 })
  const batch = messages(5, 'a')

  // Not connected: the whole batch fails before reaching librdkafka.
  let atRejection = null
  await expect(
    p.sendBatch({ topicMessages: [{ topic, messages: batch }] }).catch((e) => {
      atRejection = seen.committed
      throw e
    }),
  ).rejects.toMatchObject({ name: 'KafkaJSError', message: 'The producer is disconnected' })
  expect(atRejection).toBe(5)
  expect(await sink.count()).toBe(5)

  // Connected, a partition the topic does not have: refused by librdkafka for that message.
  await p.connect()
  atRejection = null
  await expect(
    p.send({ topic, messages: [{ key: 'k', value: 'v', partition: 7 }] }).catch((e) => {
      atRejection = seen.committed
      throw e
    }),
  ).rejects.toMatchObject({ type: 'UNKNOWN_TOPIC_OR_PARTITION' })
  expect(atRejection).toBe(6)
  expect(await sink.count()).toBe(6)

  const rows = await sink.entries()
  expect(rows.map((r) => shape(r))).toEqual([
    ...batch.map((m) => expected(m)),
    { key: Buffer.from('k'), value: Buffer.from('v'), headers: {}, timestamp: null },
  ])
  expect(rows[0]).toMatchObject({
    topic,
    partition: null,
    error: { name: 'KafkaJSError', message: 'The producer is disconnected', retriable: expect.any(Boolean) },
    possiblyPersisted: false,
    replays: 0,
  })
  expect(rows[5]).toMatchObject({
    topic,
    partition: 7,
    error: { name: 'KafkaJSProtocolError', type: 'UNKNOWN_TOPIC_OR_PARTITION', code: 3, retriable: false },
    possiblyPersisted: false,
  })
})

test('(b) replay delivers the recorded messages identical, empties the table, and keeps what fails again', async () => {
  const sink = await newSink()
  const topic = await createTopic({ partitions: 3 })
  const p = producer({ failureLog: sink, failureLogTimeout: 10000, idempotent: true })
  const batch = messages(300, 'b')
  await expect(p.sendBatch({ topicMessages: [{ topic, messages: batch }] })).rejects.toThrow('disconnected')
  await p.connect()
  await expect(p.send({ topic, messages: [{ key: 'bad', value: 'partition 9', partition: 9 }] })).rejects.toMatchObject(
    {
      type: 'UNKNOWN_TOPIC_OR_PARTITION',
    },
  )
  // Two records as a timed-out in-flight message would leave them (the broker may have them).
  const maybe = [
    { key: 'pp-1', value: 'maybe stored 1', headers: { seq: 'pp1' } },
    { key: 'pp-2', value: 'maybe stored 2', headers: { seq: 'pp2' } },
  ]
  for (const m of maybe) {
    await sink.record({
      topic,
      partition: 0,
      message: m,
      error: Object.assign(new Error('Message timed out in flight'), { name: 'KafkaJSRequestTimeoutError' }),
      attempts: 3,
      possiblyPersisted: true,
    })
  }
  await sink.flush()
  expect(await sink.count()).toBe(303)

  // Small claims so that several are in flight at once.
  const r1 = await sink.replay(p, { batchSize: 40, concurrency: 3 })
  expect(r1).toEqual({ replayed: 300, failed: 1, kept: 2, dropped: 0 })
  const after1 = await sink.entries()
  expect(after1.map((e) => e.key.toString())).toEqual(['bad', 'pp-1', 'pp-2'])
  expect(after1[0]).toMatchObject({
    partition: 9,
    replays: 1,
    error: { type: 'UNKNOWN_TOPIC_OR_PARTITION' },
    possiblyPersisted: false,
  })
  expect(after1[1]).toMatchObject({ replays: 0, possiblyPersisted: true, attempts: 3 })

  // "Already stored?" pp-1 yes (dropped unsent), pp-2 no (sent).
  const asked = []
  const r2 = await sink.replay(p, {
    possiblyPersisted: async (entry) => {
      asked.push(entry.key.toString())
      return entry.key.toString() === 'pp-1'
    },
  })
  expect(asked).toEqual(['pp-1', 'pp-2'])
  expect(r2).toEqual({ replayed: 1, failed: 1, kept: 0, dropped: 1 })
  const after2 = await sink.entries()
  expect(after2.map((e) => [e.key.toString(), e.replays])).toEqual([['bad', 2]])

  const got = await readToHighWatermark(topic)
  expect(got).toHaveLength(301)
  const bySeq = new Map(got.map((m) => [m.headers.seq.toString(), m]))
  expect(bySeq.size).toBe(301)
  for (let i = 0; i < batch.length; i++) expect(shape(bySeq.get(String(i)))).toEqual(expected(batch[i]))
  expect(shape(bySeq.get('pp2'))).toMatchObject({ key: Buffer.from('pp-2'), value: Buffer.from('maybe stored 2') })
  // Per partition, the replayed messages arrive in the order they failed.
  for (const part of [0, 1, 2]) {
    const seqs = got
      .filter((m) => m.partition === part && /^\d+$/.test(m.headers.seq.toString()))
      .map((m) => Number(m.headers.seq))
    expect(seqs).toEqual([...seqs].sort((x, y) => x - y))
  }

  await sink.replay(p, { possiblyPersisted: 'send' }) // nothing possibly persisted is left
  expect(await sink.count()).toBe(1)
})

test('(c) rows recorded while a replay runs are not lost, and concurrent replays send each row once', async () => {
  const sink = await newSink()
  const other = new PgFailureSink({ pool, table: sink.table }) // a second replayer on the same table
  sinks.push(other)
  const topic = await createTopic({ partitions: 2 })
  const client = kafka()
  const down = producer({ failureLog: sink, failureLogTimeout: 10000 }, client) // never connected: every send fails
  const up = producer({ failureLog: sink, failureLogTimeout: 10000 }, client)
  await up.connect()

  const first = messages(400, 'c1')
  await expect(down.sendBatch({ topicMessages: [{ topic, messages: first }] })).rejects.toThrow('disconnected')
  await sink.flush()
  expect(await sink.count()).toBe(400)

  // The replay's first send waits until 150 more failures are recorded (and committed) while its
  // first claim holds rows locked; the replay's sends then go out in the order it issued them.
  const during = messages(150, 'c2')
  let gate = null
  const gated = {
    events: up.events,
    on: (...args) => up.on(...args),
    send(record) {
      if (!gate) {
        gate = Promise.all(during.map((m) => down.send({ topic, messages: [m] }).catch(() => {}))).then(() =>
          sink.flush(),
        )
      }
      return gate.then(() => up.send(record))
    },
  }
  const r = await sink.replay(gated, { batchSize: 50, concurrency: 2 })
  expect(r).toEqual({ replayed: 400, failed: 0, kept: 0, dropped: 0 })
  const left = await sink.entries()
  expect(left).toHaveLength(150)
  expect(left.map((e) => shape(e))).toEqual(during.map((m) => expected(m)))

  // Two replays at once on the same rows: each row is claimed by one of them only.
  const [x, y] = await Promise.all([
    sink.replay(up, { batchSize: 10, concurrency: 2 }),
    other.replay(up, { batchSize: 10, concurrency: 2 }),
  ])
  expect(x.replayed + y.replayed).toBe(150)
  expect(x.failed + y.failed).toBe(0)
  expect(await sink.count()).toBe(0)

  const got = await readToHighWatermark(topic)
  expect(got).toHaveLength(550)
  const seen = new Map()
  for (const m of got) seen.set(`${m.value.toString('hex')}/${m.headers.seq}`, m)
  expect(seen.size).toBe(550)
  for (const m of [...first, ...during]) {
    const e = expected(m)
    expect(shape(seen.get(`${e.value.toString('hex')}/${m.headers.seq}`))).toEqual(e)
  }
})

test('(d) a sink that cannot record: the send still rejects with the Kafka error, the sink error attached and logged', async () => {
  const logs = []
  const logCreator = () => (entry) => logs.push(entry)
  const client = new Kafka({ brokers: process.env.KAFKA_BROKERS.split(','), logLevel: 1, logCreator })
  const cases = [
    // Nothing listens on port 1: the pool cannot connect.
    [
      new PgFailureSink({ connectionString: 'postgres://kafka_napi@127.0.0.1:1/kafka_napi', logger: { error() {} } }),
      'ECONNREFUSED',
    ],
    // The database answers, but the table was never created: the INSERT fails (undefined_table).
    [new PgFailureSink({ pool, table: `never_created_${crypto.randomBytes(4).toString('hex')}` }), '42P01'],
  ]
  sinks.push(...cases.map(([sink]) => sink))
  const topic = await createTopic()
  for (const [sink, code] of cases) {
    const reports = []
    logs.length = 0
    const p = producer(
      { failureLog: sink, failureLogTimeout: 10000, onDeliveryFailure: (rep) => reports.push(rep) },
      client,
    )
    let sinkError = null
    const record = sink.record.bind(sink)
    sink.record = (rep) =>
      record(rep).catch((e) => {
        sinkError = e
        throw e
      })
    const err = await p.send({ topic, messages: [{ key: 'k', value: 'v' }] }).then(
      () => null,
      (e) => e,
    )
    expect(err).toMatchObject({ name: 'KafkaJSError', message: 'The producer is disconnected' })
    expect(sinkError).toMatchObject({ code, message: expect.any(String) }) // pg's error (another realm's Error)
    expect(err).not.toBe(sinkError)
    expect(reports).toHaveLength(1)
    expect(reports[0].error).toBe(err)
    expect(reports[0].recordError).toBe(sinkError)
    const logged = logs.filter(
      (l) => l.level === 1 && Object.values(l.log).some((v) => typeof v === 'string' && v.includes(sinkError.message)),
    )
    expect(logged.length).toBeGreaterThanOrEqual(1)
  }
  expect(unhandled).toEqual([])
})

test('100,000 failures are group-committed (not one INSERT each) and replayed to Kafka, in order per key', async () => {
  const sink = await newSink({ maxBatch: 1000 })
  const topic = await createTopic({ partitions: 4 })
  const spy = jest.spyOn(pool, 'query')
  const n = 100000
  const error = Object.assign(new Error('The producer is disconnected'), { name: 'KafkaJSError', retriable: true })
  const recorded = []
  for (let i = 0; i < n; i++) {
    recorded.push(sink.record({ topic, message: { key: `key-${i % 16}`, value: String(i) }, error, attempts: 0 }))
  }
  await Promise.all(recorded)
  const inserts = spy.mock.calls.filter(([sql]) => typeof sql === 'string' && /^\s*INSERT/.test(sql)).length
  spy.mockRestore()
  expect(inserts).toBeLessThanOrEqual(Math.ceil(n / 1000) + 1)
  expect(await sink.count()).toBe(n)

  const p = producer({ idempotent: true, failureLog: sink })
  await p.connect()
  expect(await sink.replay(p, { concurrency: 4, batchSize: 1000 })).toEqual({
    replayed: n,
    failed: 0,
    kept: 0,
    dropped: 0,
  })
  expect(await sink.count()).toBe(0)
  const got = await readToHighWatermark(topic, { timeout: 120000 })
  expect(got).toHaveLength(n)
  const perKey = new Map()
  for (const m of got) {
    const k = m.key.toString()
    if (!perKey.has(k)) perKey.set(k, [])
    perKey.get(k).push(Number(m.value.toString()))
  }
  expect(perKey.size).toBe(16)
  let total = 0
  for (const [k, values] of perKey) {
    const i = Number(k.slice(4))
    expect(values).toEqual(Array.from({ length: n / 16 }, (_, j) => j * 16 + i))
    total += values.length
  }
  expect(total).toBe(n)
}, 300000)
