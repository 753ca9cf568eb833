'use strict'
/*
 * Differential (issue #14 §1): stop() then run() again, and describeGroup() of a running member,
 * through kafkajs and through this package.
 */
const {
  differential,
  makeFixture,
  consumerOf,
  committed,
  produce,
  until,
  settle,
  subject,
} = require('../helpers/consumer-harness')

const N = 10
const fixture = () => makeFixture({ messages: Array.from({ length: N }, (_, i) => ({ partition: 0, value: `m${i}` })) })

describe(`stop and describeGroup match kafkajs (subject: ${subject.name})`, () => {
  test('stop() commits and stops; run() again resumes at the committed offset with nothing redelivered', async () => {
    const { expected, actual } = await differential(async (Kafka, ctx) => {
      const consumer = consumerOf(Kafka, ctx)
      const calls = []
      let stops = 0
      consumer.on(consumer.events.STOP, () => {
        stops++
      })
      const eachMessage = async ({ message }) => {
        calls.push(message.offset)
      }
      await consumer.connect()
      try {
        await consumer.subscribe({ topic: ctx.topic, fromBeginning: true })
        await consumer.run({ eachMessage })
        await until('the first ten', () => calls.length === N)
        await settle(consumer.stop(), 30000, 'stop')
        const afterStop = { stops, committed: await committed(ctx.groupId, ctx.topic) }
        await produce(
          [ctx.topic],
          [0, 1, 2].map((i) => ({ partition: 0, value: `late${i}` })),
        )
        await consumer.run({ eachMessage })
        await until('the three produced after stop', () => calls.length >= N + 3)
        return { afterStop, calls }
      } finally {
        await settle(consumer.disconnect(), 30000, 'disconnect')
      }
    }, fixture)
    expect(actual).toEqual(expected)
    expect(expected).toEqual({
      afterStop: { stops: 1, committed: { 0: String(N) } },
      calls: Array.from({ length: N + 3 }, (_, i) => String(i)),
    })
  })

  test('connect(), subscribe() and run() called without awaiting each other: every message is read', async () => {
    const { expected, actual } = await differential(async (Kafka, ctx) => {
      const consumer = consumerOf(Kafka, ctx)
      const seen = []
      try {
        // An app that forgot its awaits: kafkajs records the topics before subscribe's first await.
        const calls = [
          consumer.connect(),
          consumer.subscribe({ topic: ctx.topic, fromBeginning: true }),
          consumer.run({ eachMessage: async ({ message }) => seen.push(String(message.value)) }),
        ]
        const outcomes = await settle(
          Promise.all(
            calls.map((c) =>
              c.then(
                () => 'resolved',
                (e) => `${e.name}: ${e.message}`,
              ),
            ),
          ),
          45000,
          'connect, subscribe and run',
        )
        await until(`${N} messages`, () => seen.length >= N || outcomes[2] !== 'resolved', 45000)
        return { outcomes, seen }
      } finally {
        await settle(consumer.disconnect(), 45000, 'disconnect')
      }
    }, fixture)
    expect(actual).toEqual(expected)
    expect(expected.seen).toHaveLength(N)
  })

  test('describeGroup() of a running single member: state, protocol type and member fields', async () => {
    const { expected, actual } = await differential(async (Kafka, ctx) => {
      const consumer = consumerOf(Kafka, ctx)
      let count = 0
      await consumer.connect()
      try {
        await consumer.subscribe({ topic: ctx.topic, fromBeginning: true })
        await consumer.run({
          eachMessage: async () => {
            count++
          },
        })
        await until('every message', () => count === N)
        const group = await settle(consumer.describeGroup(), 30000, 'describeGroup')
        return {
          keys: Object.keys(group).sort(),
          groupId: group.groupId,
          state: group.state,
          protocolType: group.protocolType,
          protocol: typeof group.protocol,
          errorCode: group.errorCode,
          members: group.members.map((m) => ({
            keys: Object.keys(m).sort(),
            memberId: typeof m.memberId,
            clientId: m.clientId,
            memberMetadata: Buffer.isBuffer(m.memberMetadata),
            memberAssignment: Buffer.isBuffer(m.memberAssignment),
          })),
        }
      } finally {
        await settle(consumer.disconnect(), 30000, 'disconnect')
      }
    }, fixture)
    expect(actual).toEqual(expected)
    expect(expected).toMatchObject({ groupId: '<group>', state: 'Stable', protocolType: 'consumer', errorCode: 0 })
    expect(expected.members).toHaveLength(1)
  })

  test('a second member joins, then leaves: the partitions are shared 2 and 2, every message handled exactly once', async () => {
    const P = 4
    const { expected, actual } = await differential(
      async (Kafka, ctx) => {
        const handled = new Map() // "partition/offset" -> times
        const joins = { a: [], b: [] }
        const member = (name) => {
          const c = consumerOf(Kafka, ctx, { heartbeatInterval: 500 })
          c.on(c.events.GROUP_JOIN, ({ payload }) => {
            joins[name].push(Object.values(payload.memberAssignment).flat().length)
          })
          return c
        }
        const run = async (c) => {
          await c.connect()
          await c.subscribe({ topic: ctx.topic, fromBeginning: true })
          await c.run({
            eachMessage: async ({ partition, message }) => {
              const k = `${partition}/${message.offset}`
              handled.set(k, (handled.get(k) || 0) + 1)
            },
          })
        }
        const batch = (from) => Array.from({ length: 4 * P }, (_, i) => ({ partition: i % P, value: `v${from + i}` }))
        const a = member('a')
        const b = member('b')
        try {
          await run(a)
          await until('the first messages', () => handled.size === 4 * P)
          await run(b)
          await until('both members to hold 2 partitions', () => joins.b.at(-1) === 2 && joins.a.at(-1) === 2)
          await produce([ctx.topic], batch(100))
          await until('the messages produced while both run', () => handled.size === 8 * P)
          await settle(b.disconnect(), 30000, 'b leaves')
          await until('a to hold every partition again', () => joins.a.at(-1) === P)
          await produce([ctx.topic], batch(200))
          await until('the messages produced after b left', () => handled.size === 12 * P)
        } finally {
          await settle(b.disconnect(), 30000, 'b disconnect')
          await settle(a.disconnect(), 30000, 'a disconnect')
        }
        return {
          handled: handled.size,
          duplicates: [...handled.values()].filter((n) => n > 1).length,
          sharedWhileBoth: [joins.a.includes(2), joins.b[0]],
          committed: await committed(ctx.groupId, ctx.topic),
        }
      },
      () =>
        makeFixture({
          partitions: P,
          messages: Array.from({ length: 4 * P }, (_, i) => ({ partition: i % P, value: `v${i}` })),
        }),
    )
    expect(actual).toEqual(expected)
    expect(expected).toEqual({
      handled: 12 * P,
      duplicates: 0,
      sharedWhileBoth: [true, 2],
      committed: { 0: '12', 1: '12', 2: '12', 3: '12' },
    })
  })
})
