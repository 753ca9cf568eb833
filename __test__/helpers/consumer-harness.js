'use strict'
/*
 * The consumer's differential harness. A scenario is one async function `(Kafka, ctx) => outcome`:
 * it gets a `Kafka` class (kafkajs's or the one under test) and its own fixture (unique topics and
 * group, the same input produced by the reference client), and returns what an app could observe.
 * `differential(scenario, fixture)` runs it on kafkajs and on the subject, each on a fresh fixture,
 * and returns both outcomes for an exact `toEqual`.
 *
 * The subject is this package's entry unless CONSUMER_UNDER_TEST names another: `kafkajs` runs
 * kafkajs on both sides (the harness proves itself: every scenario must pass), any other value is
 * a module path exporting `{ Kafka, logLevel }` (e.g. a deliberately broken wrapper, which must fail).
 *
 * Topic and group names differ between the two runs; `normalize` replaces them by placeholders
 * (`<topic>`, `<topic2>`, `<group>`) wherever they appear in an outcome. Everything else is
 * compared as it is: the scenarios choose their input so that the outcome is deterministic
 * (explicit partitions, explicit CreateTime timestamps, one partition where a failure stops a
 * partition's progress).
 */
const crypto = require('node:crypto')
const path = require('node:path')
const { brokers, createTopic, kafkajs, referenceClient, topicOffsets, uniqueTopic } = require('./kafka')
const { waitFor } = require('./wait')

function subjectModule() {
  const name = process.env.CONSUMER_UNDER_TEST
  if (!name) return { name: 'kafka-napi', module: require('../..') }
  if (name === 'kafkajs') return { name: 'kafkajs', module: kafkajs }
  return { name, module: require(path.resolve(name)) }
}
const subject = subjectModule()

/** A client of `Kafka` (either library) on the given brokers, silent. */
function client(Kafka, brokerList = brokers(), clientId = 'consumer-diff') {
  return new Kafka({ clientId, brokers: brokerList, logLevel: 0 })
}

const uniqueGroup = (prefix = 'group') => `${prefix}-${crypto.randomBytes(6).toString('hex')}`

/**
 * Creates the fixture's topics and produces `messages` (kafkajs's producer, one send per topic, in
 * order): `spec = { partitions, topics: 1|2, messages: [{ topicIndex?, partition, key, value,
 * headers, timestamp }] }`. Returns `{ topic, topics, groupId, brokers }`.
 */
async function makeFixture({ partitions = 1, topics: topicCount = 1, messages = [], configs = {} } = {}) {
  const topics = []
  for (let i = 0; i < topicCount; i++)
    topics.push(await createTopic({ topic: uniqueTopic('cdiff'), partitions, configs }))
  if (messages.length) await produce(topics, messages)
  return { topic: topics[0], topics, groupId: uniqueGroup('cdiff'), brokers: brokers() }
}

/**
 * Sends `messages` (each with its `topicIndex` into `topics`) with kafkajs's idempotent producer,
 * so that a retried request cannot store a message twice (a non-idempotent retry under load did:
 * a fixture partition held 40 messages for 10 sent), then checks that each partition grew by
 * exactly what was sent to it.
 */
async function produce(topics, messages) {
  const before = await Promise.all(topics.map((t) => topicOffsets(t)))
  const producer = referenceClient().producer({ idempotent: true, maxInFlightRequests: 1 })
  await producer.connect()
  try {
    for (let t = 0; t < topics.length; t++) {
      const mine = messages.filter((m) => (m.topicIndex || 0) === t).map(({ topicIndex, ...m }) => m)
      if (mine.length) await producer.send({ topic: topics[t], acks: -1, messages: mine })
    }
  } finally {
    await producer.disconnect()
  }
  for (let t = 0; t < topics.length; t++) {
    const sent = {}
    for (const m of messages) if ((m.topicIndex || 0) === t) sent[m.partition] = (sent[m.partition] || 0) + 1
    const after = await topicOffsets(topics[t])
    for (const p of after) {
      const grown = Number(p.high) - Number(before[t].find((b) => b.partition === p.partition).high)
      if (grown !== (sent[p.partition] || 0))
        throw new Error(`fixture: ${topics[t]}[${p.partition}] grew by ${grown} for ${sent[p.partition] || 0} sent`)
    }
  }
}

/** The group's committed offsets for `topic` (kafkajs admin `fetchOffsets`), by partition: `{ 0: '5' }`. */
async function committed(groupId, topic) {
  const admin = referenceClient().admin()
  await admin.connect()
  try {
    const [entry] = await admin.fetchOffsets({ groupId, topics: [topic] })
    return Object.fromEntries(entry.partitions.map((p) => [p.partition, p.offset]))
  } finally {
    await admin.disconnect()
  }
}

/** Replaces the fixture's names in `value` (deeply, including object keys) by placeholders. */
function normalize(value, ctx) {
  const names = [...ctx.topics.map((t, i) => [t, i === 0 ? '<topic>' : `<topic${i + 1}>`]), [ctx.groupId, '<group>']]
  const str = (s) => {
    let out = s
    for (const [from, to] of names) out = out.split(from).join(to)
    return out
  }
  const walk = (v) => {
    if (typeof v === 'string') return str(v)
    if (Buffer.isBuffer(v) || v === null || typeof v !== 'object') return v
    if (Array.isArray(v)) return v.map(walk)
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [str(k), walk(x)]))
  }
  return walk(value)
}

/**
 * Runs `scenario` on kafkajs, then on the subject, each with a fixture of its own made by
 * `fixture()`, and returns `{ expected, actual }` (normalized outcomes).
 */
async function differential(scenario, fixture) {
  const out = {}
  for (const [side, Kafka] of [
    ['expected', kafkajs.Kafka],
    ['actual', subject.module.Kafka],
  ]) {
    const ctx = await fixture()
    out[side] = normalize(await scenario(Kafka, ctx), ctx)
  }
  return out
}

/**
 * Records every event of `consumer` whose name (a key of `consumer.events`) is in `names`, as
 * `{ name, event }` in the order they fire.
 */
function recordEvents(consumer, names) {
  const seen = []
  for (const name of names) consumer.on(consumer.events[name], (event) => seen.push({ name, event }))
  return seen
}

/** What a message looks like through kafkajs's public type (RecordBatchEntry): the typed fields. */
function messageView(partition, message) {
  return {
    partition,
    offset: message.offset,
    key: message.key,
    value: message.value,
    headers: message.headers,
    timestamp: message.timestamp,
    attributes: message.attributes,
  }
}

/** Waits until `fn()` is truthy (30 s by default), naming `what` (a string or a function) on timeout. */
const until = (what, fn, timeout = 30000) => waitFor(fn, { what, timeout, interval: 20 })

/** A consumer of `Kafka` with short fetch waits, so a scenario does not idle. */
function consumerOf(Kafka, ctx, options = {}) {
  return client(Kafka, ctx.brokers).consumer({ groupId: ctx.groupId, maxWaitTimeInMs: 100, ...options })
}

/** Disconnects, swallowing nothing: a disconnect that rejects fails the scenario. Bounded. */
async function settle(promise, ms, what) {
  let timer
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not settle within ${ms} ms`)), ms)
  })
  try {
    return await Promise.race([promise, timeout])
  } finally {
    clearTimeout(timer)
  }
}

module.exports = {
  subject,
  client,
  uniqueGroup,
  makeFixture,
  produce,
  committed,
  normalize,
  differential,
  recordEvents,
  messageView,
  until,
  consumerOf,
  settle,
}
