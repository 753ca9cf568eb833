'use strict'
/*
 * Differential (issue #14 §3): the same committed offsets (kafkajs admin fetchOffsets, after
 * disconnect) and the same handler calls after the same handler failures, through kafkajs and
 * through this package. One partition of ten messages, so a failure stops the only partition and
 * the outcome does not depend on how two partitions interleave.
 *
 * Each scenario also states the at-least-once rule it pins: the committed offset never passes a
 * message whose handler did not complete.
 */
const { referenceClient } = require('../helpers/kafka')
const {
  differential,
  makeFixture,
  consumerOf,
  committed,
  until,
  settle,
  subject,
} = require('../helpers/consumer-harness')

const N = 10
const fixture = () => makeFixture({ messages: Array.from({ length: N }, (_, i) => ({ partition: 0, value: `m${i}` })) })
const RETRY = { initialRetryTime: 100, maxRetryTime: 500, retries: 5 }
const all = (from = 0) => Array.from({ length: N - from }, (_, i) => String(from + i))

/**
 * Subscribes from the beginning, runs `run(consumer, record)` (which returns the run options),
 * waits until `done(calls)` and disconnects; returns the handler calls (offsets, in order), the
 * committed offsets after disconnect and whatever `record` collected.
 */
async function scenario(Kafka, ctx, { consumer: options = {}, run, done, extra = () => ({}) }) {
  const consumer = consumerOf(Kafka, ctx, { retry: RETRY, ...options })
  const calls = []
  const state = { calls, consumer, topic: ctx.topic }
  await consumer.connect()
  try {
    await consumer.subscribe({ topic: ctx.topic, fromBeginning: true })
    await consumer.run(run(state))
    await until('the scenario to reach its end', () => done(state))
  } finally {
    await settle(consumer.disconnect(), 30000, 'disconnect')
  }
  return { calls, committed: await committed(ctx.groupId, ctx.topic), ...extra(state) }
}

describe(`committed offsets after handler failures match kafkajs (subject: ${subject.name})`, () => {
  test('eachMessage throws once on offset 3: retried, then everything is committed', async () => {
    const { expected, actual } = await differential(
      (Kafka, ctx) =>
        scenario(Kafka, ctx, {
          run: ({ calls }) => ({
            eachMessage: async ({ message }) => {
              calls.push(message.offset)
              if (message.offset === '3' && calls.filter((o) => o === '3').length === 1) throw new Error('once')
            },
          }),
          done: ({ calls }) => calls.includes(String(N - 1)),
        }),
      fixture,
    )
    expect(actual).toEqual(expected)
    expect(expected).toEqual({ calls: ['0', '1', '2', '3', ...all(3)], committed: { 0: String(N) } })
  })

  test('eachMessage always throws on offset 3 with retry.retries 2: 3 attempts, CRASH, committed stays at 3', async () => {
    const { expected, actual } = await differential((Kafka, ctx) => {
      let crash = null
      return scenario(Kafka, ctx, {
        consumer: { retry: { ...RETRY, retries: 2 } },
        run: ({ calls, consumer }) => {
          consumer.on(consumer.events.CRASH, ({ payload }) => {
            // The calls up to the first crash: kafkajs restarts a consumer after a retriable crash.
            crash = crash || {
              calls: calls.slice(),
              error: payload.error.name,
              cause: payload.error.cause && payload.error.cause.message,
              restart: payload.restart,
            }
          })
          return {
            eachMessage: async ({ message }) => {
              calls.push(message.offset)
              if (message.offset === '3') throw new Error('always')
            },
          }
        },
        done: () => crash,
        extra: () => ({ crash }),
      }).then(({ crash, committed }) => ({ crash, committed }))
    }, fixture)
    expect(actual).toEqual(expected)
    expect(expected).toEqual({
      crash: {
        calls: ['0', '1', '2', '3', '3', '3'],
        error: 'KafkaJSNumberOfRetriesExceeded',
        cause: 'always',
        restart: true,
      },
      committed: { 0: '3' },
    })
  })

  test('autoCommit false and no commit: nothing is committed', async () => {
    const { expected, actual } = await differential(
      (Kafka, ctx) =>
        scenario(Kafka, ctx, {
          run: ({ calls }) => ({
            autoCommit: false,
            eachMessage: async ({ message }) => {
              calls.push(message.offset)
            },
          }),
          done: ({ calls }) => calls.length === N,
        }),
      fixture,
    )
    expect(actual).toEqual(expected)
    expect(expected).toEqual({ calls: all(), committed: { 0: '-1' } })
  })

  test('autoCommit false, commitOffsets from the handler at offset 5: exactly that offset is committed', async () => {
    const { expected, actual } = await differential(
      (Kafka, ctx) =>
        scenario(Kafka, ctx, {
          run: ({ calls, consumer, topic }) => ({
            autoCommit: false,
            eachMessage: async ({ message }) => {
              calls.push(message.offset)
              if (message.offset === '5') await consumer.commitOffsets([{ topic, partition: 0, offset: '6' }])
            },
          }),
          done: ({ calls }) => calls.length === N,
        }),
      fixture,
    )
    expect(actual).toEqual(expected)
    expect(expected).toEqual({ calls: all(), committed: { 0: '6' } })
  })

  test('eachBatch, eachBatchAutoResolve false, offsets resolved up to 3 then return: redelivered from 4', async () => {
    const { expected, actual } = await differential(
      (Kafka, ctx) =>
        scenario(Kafka, ctx, {
          run: ({ calls }) => {
            let partialDone = false
            let firstAfterPartial = null
            return {
              eachBatchAutoResolve: false,
              eachBatch: async ({ batch, resolveOffset }) => {
                if (partialDone && firstAfterPartial === null) {
                  firstAfterPartial = batch.firstOffset()
                  calls.push(`batch after the partial one starts at ${firstAfterPartial}`)
                }
                for (const m of batch.messages) {
                  if (m.offset === '4' && !partialDone) {
                    partialDone = true
                    return // 4 and the rest of this batch are neither processed nor resolved
                  }
                  calls.push(m.offset)
                  resolveOffset(m.offset)
                }
              },
            }
          },
          done: ({ calls }) => calls.includes(String(N - 1)),
        }),
      fixture,
    )
    expect(actual).toEqual(expected)
    expect(expected).toEqual({
      calls: ['0', '1', '2', '3', 'batch after the partial one starts at 4', ...all(4)],
      committed: { 0: String(N) },
    })
  })

  test('eachBatch resolves 0..3 then throws at 4 once: the retry starts at 4, 0..3 are not redelivered', async () => {
    const { expected, actual } = await differential(
      (Kafka, ctx) =>
        scenario(Kafka, ctx, {
          run: ({ calls }) => {
            let thrown = false
            return {
              eachBatch: async ({ batch, resolveOffset }) => {
                calls.push(`batch from ${batch.firstOffset()}`)
                for (const m of batch.messages) {
                  calls.push(m.offset)
                  if (m.offset === '4' && !thrown) {
                    thrown = true
                    throw new Error('batch failure at 4')
                  }
                  resolveOffset(m.offset)
                }
              },
            }
          },
          done: ({ calls }) => calls.includes(String(N - 1)),
          // Only where batches start after the failure is deterministic: the first batch may end anywhere.
        }).then(({ calls, committed }) => {
          const failed = calls.indexOf('4')
          return {
            before: calls.slice(0, failed + 1).filter((c) => !c.startsWith('batch')),
            after: calls.slice(failed + 1, failed + 2),
            processedAfter: calls.slice(failed + 1).filter((c) => !c.startsWith('batch')),
            committed,
          }
        }),
      fixture,
    )
    expect(actual).toEqual(expected)
    expect(expected).toEqual({
      before: ['0', '1', '2', '3', '4'],
      after: ['batch from 4'],
      processedAfter: all(4),
      committed: { 0: String(N) },
    })
  })

  test('eachBatch with autoCommit false: uncommittedOffsets() after each resolveOffset, commitOffsetsIfNecessary() at threshold 3', async () => {
    const { expected, actual } = await differential(
      (Kafka, ctx) =>
        scenario(Kafka, ctx, {
          run: ({ calls }) => ({
            autoCommit: false,
            autoCommitThreshold: 3,
            autoCommitInterval: 600000,
            eachBatchAutoResolve: false,
            eachBatch: async ({ batch, resolveOffset, uncommittedOffsets, commitOffsetsIfNecessary }) => {
              for (const m of batch.messages) {
                resolveOffset(m.offset)
                calls.push({ offset: m.offset, uncommitted: uncommittedOffsets() })
                await commitOffsetsIfNecessary()
              }
            },
          }),
          done: ({ calls }) => calls.length === N,
        }),
      fixture,
    )
    expect(actual).toEqual(expected)
    expect(expected.committed).toEqual({ 0: '9' }) // commits at 3, 6 and 9 resolved offsets; none on disconnect
    // kafkajs's uncommittedOffsets names the partition as a string.
    expect(expected.calls[3]).toEqual({
      offset: '3',
      uncommitted: { topics: [{ topic: '<topic>', partitions: [{ partition: '0', offset: '4' }] }] },
    })
  })

  test('partitionsConsumedConcurrently 3 on 4 partitions: order within each partition is kept', async () => {
    const { expected, actual } = await differential(
      async (Kafka, ctx) => {
        const consumer = consumerOf(Kafka, ctx)
        const seen = { 0: [], 1: [], 2: [], 3: [] }
        await consumer.connect()
        try {
          await consumer.subscribe({ topic: ctx.topic, fromBeginning: true })
          await consumer.run({
            partitionsConsumedConcurrently: 3,
            eachMessage: async ({ partition, message }) => {
              // Handlers of different partitions overlap and finish out of order.
              await new Promise((r) => setTimeout(r, (Number(message.offset) * 7 + partition * 3) % 5))
              seen[partition].push(message.offset)
            },
          })
          await until(
            () => `every message (per partition so far: ${JSON.stringify(seen)})`,
            () => Object.values(seen).flat().length === 4 * N,
          )
        } finally {
          await settle(consumer.disconnect(), 30000, 'disconnect')
        }
        return { seen, committed: await committed(ctx.groupId, ctx.topic) }
      },
      () =>
        makeFixture({
          partitions: 4,
          messages: Array.from({ length: 4 * N }, (_, i) => ({ partition: i % 4, value: `m${i}` })),
        }),
    )
    expect(actual).toEqual(expected)
    const inOrder = all()
    expect(expected).toEqual({
      seen: { 0: inOrder, 1: inOrder, 2: inOrder, 3: inOrder },
      committed: { 0: String(N), 1: String(N), 2: String(N), 3: String(N) },
    })
  })

  test('while running, the committed offset never passes a message whose handler has not completed', async () => {
    const M = 150
    const { expected, actual } = await differential(
      async (Kafka, ctx) => {
        const consumer = consumerOf(Kafka, ctx)
        const admin = referenceClient().admin()
        let completed = 0 // offsets below this one have completed handlers
        const violations = []
        let samples = 0
        await admin.connect()
        await consumer.connect()
        try {
          await consumer.subscribe({ topic: ctx.topic, fromBeginning: true })
          await consumer.run({
            autoCommitThreshold: 10,
            autoCommitInterval: 50,
            eachMessage: async ({ message }) => {
              await new Promise((r) => setTimeout(r, 2))
              completed = Number(message.offset) + 1
            },
          })
          // Sample the group's committed offset until every handler completed. `completed` is read
          // after each answer, so a commit can only be compared with a larger bound: no false alarm.
          await until(
            'every handler to complete',
            async () => {
              const [entry] = await admin.fetchOffsets({ groupId: ctx.groupId, topics: [ctx.topic] })
              const offset = Number(entry.partitions[0].offset)
              samples++
              if (offset > completed) violations.push({ committed: offset, completed })
              return completed === M
            },
            60000,
          )
        } finally {
          await settle(consumer.disconnect(), 30000, 'disconnect')
          await admin.disconnect()
        }
        return { violations, sampled: samples > 1, committed: await committed(ctx.groupId, ctx.topic) }
      },
      () => makeFixture({ messages: Array.from({ length: M }, (_, i) => ({ partition: 0, value: `m${i}` })) }),
    )
    expect(actual).toEqual(expected)
    expect(expected).toEqual({ violations: [], sampled: true, committed: { 0: String(M) } })
  })

  test('disconnect called from the handler at offset 5: 0..5 handled, 6 committed, nothing after', async () => {
    const { expected, actual } = await differential((Kafka, ctx) => {
      let disconnecting = null
      return scenario(Kafka, ctx, {
        // No periodic commit could explain the outcome: only the commit on disconnect.
        consumer: {},
        run: ({ calls, consumer }) => ({
          autoCommitInterval: 600000,
          autoCommitThreshold: 1000,
          eachMessage: async ({ message }) => {
            calls.push(message.offset)
            if (message.offset === '5') disconnecting = consumer.disconnect()
          },
        }),
        done: () => disconnecting && disconnecting.then(() => true),
      })
    }, fixture)
    expect(actual).toEqual(expected)
    expect(expected).toEqual({ calls: all().slice(0, 6), committed: { 0: '6' } })
  })
})
