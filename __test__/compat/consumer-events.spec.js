'use strict'
/*
 * Differential (issue #14 §3, events of §1): which consumer events fire and the shapes of their
 * payloads, through kafkajs and through this package. What depends on timing is reduced to what
 * does not: how many batches and commits happen is the client's business, so the comparison is on
 * which events fire, their order where kafkajs defines it (CONNECT first, GROUP_JOIN before any
 * batch, STOP then DISCONNECT last), each event's shape (keys and value types, recursively), the
 * batches' totals per partition and the last committed offset the COMMIT_OFFSETS events report.
 * HEARTBEAT, REBALANCING and the request events depend on timing and are not compared.
 */
const {
  differential,
  makeFixture,
  consumerOf,
  committed,
  recordEvents,
  until,
  settle,
  subject,
} = require('../helpers/consumer-harness')
const { kafkajs } = require('../helpers/kafka')

const N = 5 // per partition
const fixture = () =>
  makeFixture({
    partitions: 2,
    messages: Array.from({ length: 2 * N }, (_, i) => ({ partition: i % 2, value: `m${i}` })),
  })
const NAMES = [
  'CONNECT',
  'GROUP_JOIN',
  'FETCH_START',
  'FETCH',
  'START_BATCH_PROCESS',
  'END_BATCH_PROCESS',
  'COMMIT_OFFSETS',
  'STOP',
  'DISCONNECT',
  'CRASH',
]

/** The shape of a value: typeof for primitives, keys (sorted) for objects, recursively; Buffer and null by name. */
function shape(v) {
  if (v === null) return 'null'
  if (Buffer.isBuffer(v)) return 'Buffer'
  if (Array.isArray(v)) return v.length ? [shape(v[0])] : []
  if (v instanceof Error) return `Error ${v.name}`
  if (typeof v !== 'object') return typeof v
  return Object.fromEntries(
    Object.keys(v)
      .sort()
      .map((k) => [k, shape(v[k])]),
  )
}

/** Distinct event names in order of first occurrence, and one shape per name (the first event's). */
function summary(seen) {
  const order = []
  const shapes = {}
  for (const { name, event } of seen) {
    if (!order.includes(name)) {
      order.push(name)
      shapes[name] = shape(event)
    }
  }
  return { order, shapes }
}

/**
 * The differences from kafkajs that MIGRATION.md documents for kafka-napi's events (the rows
 * "GROUP_JOIN payload" and "FETCH_START, FETCH"), applied to kafkajs's outcome: the subject must
 * show exactly the documented values. Other subjects (kafkajs itself, a test double) get none.
 */
function documented(outcome) {
  if (subject.name !== 'kafka-napi') return outcome
  const out = structuredClone(outcome)
  out.join.isLeader = false // librdkafka does not tell a member who leads
  out.join.leaderIsMember = false // leaderId: null
  out.shapes.GROUP_JOIN.payload.leaderId = 'null'
  for (const name of ['FETCH_START', 'FETCH']) {
    const payload = out.shapes[name] && out.shapes[name].payload
    if (payload && typeof payload === 'object') delete payload.nodeId // per poll, no nodeId
  }
  return out
}

describe(`consumer events match kafkajs (subject: ${subject.name})`, () => {
  test("consumer.events has kafkajs's names (kafkajs's are a subset of ours)", () => {
    const client = (Kafka) => new Kafka({ brokers: ['127.0.0.1:1'], logLevel: 0 })
    const theirs = client(kafkajs.Kafka).consumer({ groupId: 'g' }).events
    expect(client(subject.module.Kafka).consumer({ groupId: 'g' }).events).toMatchObject(theirs)
  })

  test('a run to the end and disconnect: the same events, order and payload shapes', async () => {
    const { expected, actual } = await differential(async (Kafka, ctx) => {
      const consumer = consumerOf(Kafka, ctx)
      const seen = recordEvents(consumer, NAMES)
      let count = 0
      await consumer.connect()
      try {
        await consumer.subscribe({ topic: ctx.topic, fromBeginning: true })
        await consumer.run({
          eachMessage: async () => {
            count++
          },
        })
        await until('every message', () => count === 2 * N)
        // A batch's END_BATCH_PROCESS comes after its last message's handler: wait for it too.
        const batched = () =>
          seen.filter((e) => e.name === 'END_BATCH_PROCESS').reduce((n, e) => n + e.event.payload.batchSize, 0)
        await until('the END_BATCH_PROCESS of every message', () => batched() === 2 * N)
      } finally {
        await settle(consumer.disconnect(), 30000, 'disconnect')
      }
      const { order, shapes } = summary(seen)
      const names = seen.map((e) => e.name)
      const join = seen.find((e) => e.name === 'GROUP_JOIN').event.payload
      const firstBatch = names.indexOf('START_BATCH_PROCESS')
      const batches = { START_BATCH_PROCESS: {}, END_BATCH_PROCESS: {} }
      for (const { name, event } of seen) {
        if (!(name in batches)) continue
        const p = event.payload
        const b = batches[name][p.partition] || { messages: 0, highWatermarks: [], lags: [] }
        b.messages += p.batchSize
        if (!b.highWatermarks.includes(p.highWatermark)) b.highWatermarks.push(p.highWatermark)
        const lagOk =
          p.offsetLag === String(BigInt(p.highWatermark) - 1n - BigInt(p.lastOffset)) &&
          p.offsetLagLow === String(BigInt(p.highWatermark) - 1n - BigInt(p.firstOffset))
        if (!b.lags.includes(lagOk)) b.lags.push(lagOk)
        batches[name][p.partition] = b
      }
      const lastCommitted = {}
      for (const { name, event } of seen) {
        if (name !== 'COMMIT_OFFSETS') continue
        for (const t of event.payload.topics)
          for (const p of t.partitions) lastCommitted[`${t.topic}/${p.partition}`] = p.offset
      }
      return {
        names: [...new Set(names)].sort(),
        first: order[0],
        last: names.slice(-2),
        joinBeforeBatches: names.indexOf('GROUP_JOIN') < firstBatch,
        commitsOnlyAfterABatch: names.indexOf('COMMIT_OFFSETS') > firstBatch,
        join: {
          groupId: join.groupId,
          isLeader: join.isLeader,
          leaderIsMember: join.leaderId === join.memberId,
          memberAssignment: join.memberAssignment,
        },
        shapes,
        batches,
        lastCommitted,
        committed: await committed(ctx.groupId, ctx.topic),
      }
    }, fixture)
    expect(actual).toEqual(documented(expected))
    expect(expected).toMatchObject({
      first: 'CONNECT',
      last: ['STOP', 'DISCONNECT'],
      join: { groupId: '<group>', isLeader: true, leaderIsMember: true, memberAssignment: { '<topic>': [0, 1] } },
      lastCommitted: { '<topic>/0': String(N), '<topic>/1': String(N) },
      committed: { 0: String(N), 1: String(N) },
    })
    expect(expected.names).toEqual([...NAMES.filter((n) => n !== 'CRASH')].sort())
  })

  const fatal = () => {
    const e = new Error('not retriable')
    e.retriable = false
    return e
  }
  test.each([
    ['an Error with retriable: false', fatal],
    ['a TypeError', () => new TypeError('a bug in the handler')],
  ])(
    'the handler throws %s: CRASH (restart false), the consumer stops; committed stays before it',
    async (_what, error) => {
      const { expected, actual } = await differential(async (Kafka, ctx) => {
        const consumer = consumerOf(Kafka, ctx, { retry: { initialRetryTime: 100, retries: 3 } })
        const seen = recordEvents(consumer, NAMES)
        const calls = []
        await consumer.connect()
        try {
          await consumer.subscribe({ topic: ctx.topic, fromBeginning: true })
          await consumer.run({
            eachMessage: async ({ partition, message }) => {
              calls.push(`${partition}/${message.offset}`)
              if (partition === 0 && message.offset === '2') throw error()
            },
          })
          await until('CRASH', () => seen.some((e) => e.name === 'CRASH'))
        } finally {
          await settle(consumer.disconnect(), 30000, 'disconnect after the crash')
        }
        const crash = seen.find((e) => e.name === 'CRASH').event.payload
        const names = seen.map((e) => e.name)
        return {
          crash: {
            error: crash.error.name,
            message: crash.error.message,
            cause: crash.error.cause && crash.error.cause.message,
            groupId: crash.groupId,
            restart: crash.restart,
          },
          attemptsAtTheFailure: calls.filter((c) => c === '0/2').length,
          // kafkajs stops and disconnects a crashed consumer before it emits CRASH; the spec's own
          // disconnect afterwards emits DISCONNECT again.
          lifecycle: names.filter((n) => ['STOP', 'DISCONNECT', 'CRASH'].includes(n)),
          partition0: (await committed(ctx.groupId, ctx.topic))[0],
        }
      }, fixture)
      expect(actual).toEqual(expected)
      expect(expected).toMatchObject({
        crash: { error: 'KafkaJSNonRetriableError', groupId: '<group>', restart: false },
        attemptsAtTheFailure: 1,
        lifecycle: ['STOP', 'DISCONNECT', 'CRASH', 'DISCONNECT'],
        partition0: '2',
      })
    },
  )
})
