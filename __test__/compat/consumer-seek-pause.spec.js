'use strict'
/*
 * Differential (issue #14 §3): seek, pause/resume, paused() and fromBeginning behave as in
 * kafkajs. Every wait is for a condition (messages seen, a partition consumed to its end); a
 * paused partition's silence is observed while another partition is consumed to its end.
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
const { referenceClient } = require('../helpers/kafka')
const { waitFor } = require('../helpers/wait')

const N = 10
const range = (from, to) => Array.from({ length: to - from }, (_, i) => String(from + i))
const onePartition = () =>
  makeFixture({ messages: Array.from({ length: N }, (_, i) => ({ partition: 0, value: `m${i}` })) })
const twoPartitions = () =>
  makeFixture({
    partitions: 2,
    messages: Array.from({ length: 2 * N }, (_, i) => ({ partition: i % 2, value: `m${i}` })),
  })
const twoTopics = () =>
  makeFixture({
    topics: 2,
    messages: Array.from({ length: 2 * N }, (_, i) => ({ topicIndex: i % 2, partition: 0, value: `m${i}` })),
  })

/** connect, subscribe (all of the fixture's topics), run, `body`, disconnect; returns body's result. */
async function withRunning(Kafka, ctx, { fromBeginning = true, eachMessage }, body) {
  const consumer = consumerOf(Kafka, ctx)
  await consumer.connect()
  try {
    await consumer.subscribe({ topics: ctx.topics, fromBeginning })
    await consumer.run({ eachMessage: (payload) => eachMessage(payload, consumer) })
    return await body(consumer)
  } finally {
    await settle(consumer.disconnect(), 30000, 'disconnect')
  }
}

/** Handler calls recorded as `seen[topic][partition] = [offsets]`. */
function recorder() {
  const seen = {}
  const at = (topic, partition) => {
    seen[topic] = seen[topic] || {}
    seen[topic][partition] = seen[topic][partition] || []
    return seen[topic][partition]
  }
  return { seen, at }
}

describe(`seek matches kafkajs (subject: ${subject.name})`, () => {
  test.each([
    ['back', '5', '2', [...range(0, 6), ...range(2, N)]],
    ['forward', '2', '7', [...range(0, 3), ...range(7, N)]],
  ])(
    'seek %s from the handler (at offset %s, to %s): the next message is the seek target',
    async (_dir, at, to, calls) => {
      const { expected, actual } = await differential(async (Kafka, ctx) => {
        const offsets = []
        let sought = false
        await withRunning(
          Kafka,
          ctx,
          {
            eachMessage: async ({ topic, partition, message }, consumer) => {
              offsets.push(message.offset)
              if (message.offset === at && !sought) {
                sought = true
                consumer.seek({ topic, partition, offset: to })
              }
            },
          },
          () => until('the last offset', () => offsets.filter((o) => o === String(N - 1)).length > 0),
        )
        return { offsets, committed: await committed(ctx.groupId, ctx.topic) }
      }, onePartition)
      expect(actual).toEqual(expected)
      expect(expected).toEqual({ offsets: calls, committed: { 0: String(N) } })
    },
  )

  test('seek, pause and resume before run: the same errors; paused() before run', async () => {
    const { expected, actual } = await differential(async (Kafka, ctx) => {
      const consumer = consumerOf(Kafka, ctx)
      await consumer.connect()
      const outcome = {}
      const attempt = (name, fn) => {
        try {
          outcome[name] = { returned: fn() === undefined ? 'undefined' : 'a value' }
        } catch (e) {
          outcome[name] = { name: e.name, message: e.message }
        }
      }
      try {
        await consumer.subscribe({ topic: ctx.topic })
        attempt('seek', () => consumer.seek({ topic: ctx.topic, partition: 0, offset: '1' }))
        attempt('pause', () => consumer.pause([{ topic: ctx.topic }]))
        attempt('resume', () => consumer.resume([{ topic: ctx.topic }]))
        attempt('paused', () => JSON.stringify(consumer.paused()))
      } finally {
        await consumer.disconnect()
      }
      return outcome
    }, onePartition)
    expect(actual).toEqual(expected)
  })
})

describe(`pause and resume match kafkajs (subject: ${subject.name})`, () => {
  test('consumer.pause by topic: the paused topic is silent while the other is consumed; resume delivers it', async () => {
    const { expected, actual } = await differential(async (Kafka, ctx) => {
      const { seen, at } = recorder()
      const [a, b] = ctx.topics
      return withRunning(
        Kafka,
        ctx,
        {
          eachMessage: async ({ topic, partition, message }) => {
            at(topic, partition).push(message.offset)
          },
        },
        async (consumer) => {
          consumer.pause([{ topic: a }])
          const pausedWhilePaused = consumer.paused()
          await until(`${b} to its end`, () => at(b, 0).length === N)
          const aWhilePaused = at(a, 0).slice()
          consumer.resume([{ topic: a }])
          const pausedAfterResume = consumer.paused()
          await until(`${a} to its end`, () => at(a, 0).length === N)
          return { pausedWhilePaused, aWhilePaused, pausedAfterResume, seen }
        },
      )
    }, twoTopics)
    expect(actual).toEqual(expected)
    expect(expected).toEqual({
      pausedWhilePaused: [{ topic: '<topic>', partitions: [0] }],
      aWhilePaused: [],
      pausedAfterResume: [],
      seen: { '<topic>': { 0: range(0, N) }, '<topic2>': { 0: range(0, N) } },
    })
  })

  test('consumer.pause by partition: partition 0 is silent while partition 1 is consumed', async () => {
    const { expected, actual } = await differential(async (Kafka, ctx) => {
      const { seen, at } = recorder()
      const { topic } = ctx
      return withRunning(
        Kafka,
        ctx,
        {
          eachMessage: async ({ topic, partition, message }) => {
            at(topic, partition).push(message.offset)
          },
        },
        async (consumer) => {
          consumer.pause([{ topic, partitions: [0] }])
          const pausedWhilePaused = consumer.paused()
          await until('partition 1 to its end', () => at(topic, 1).length === N)
          const p0WhilePaused = at(topic, 0).slice()
          consumer.resume([{ topic, partitions: [0] }])
          await until('partition 0 to its end', () => at(topic, 0).length === N)
          return { pausedWhilePaused, p0WhilePaused, pausedAfterResume: consumer.paused(), seen }
        },
      )
    }, twoPartitions)
    expect(actual).toEqual(expected)
    expect(expected).toEqual({
      pausedWhilePaused: [{ topic: '<topic>', partitions: [0] }],
      p0WhilePaused: [],
      pausedAfterResume: [],
      seen: { '<topic>': { 0: range(0, N), 1: range(0, N) } },
    })
  })

  test("payload.pause() at partition 0's offset 3: nothing more from it until the returned resume()", async () => {
    const { expected, actual } = await differential(async (Kafka, ctx) => {
      const { seen, at } = recorder()
      const { topic } = ctx
      let resume = null
      return withRunning(
        Kafka,
        ctx,
        {
          eachMessage: async ({ topic, partition, message, pause }) => {
            at(topic, partition).push(message.offset)
            if (partition === 0 && message.offset === '3' && !resume) resume = pause()
          },
        },
        async (consumer) => {
          await until('partition 1 to its end, partition 0 paused', () => at(topic, 1).length === N && resume)
          const pausedWhilePaused = consumer.paused()
          const p0WhilePaused = at(topic, 0).slice()
          resume()
          await until('partition 0 to its end', () => at(topic, 0).length === N)
          return { pausedWhilePaused, p0WhilePaused, pausedAfterResume: consumer.paused(), seen }
        },
      )
    }, twoPartitions)
    expect(actual).toEqual(expected)
    expect(expected).toEqual({
      pausedWhilePaused: [{ topic: '<topic>', partitions: [0] }],
      p0WhilePaused: range(0, 4),
      pausedAfterResume: [],
      seen: { '<topic>': { 0: range(0, N), 1: range(0, N) } },
    })
  })
})

describe(`fromBeginning matches kafkajs (subject: ${subject.name})`, () => {
  async function setCommitted(ctx, offset) {
    const admin = referenceClient().admin()
    await admin.connect()
    try {
      await admin.setOffsets({ groupId: ctx.groupId, topic: ctx.topic, partitions: [{ partition: 0, offset }] })
    } finally {
      await admin.disconnect()
    }
  }

  test.each([
    [true, '4'],
    [false, '4'],
  ])(
    'fromBeginning %s with a committed offset %s: consumption starts at the committed offset',
    async (fromBeginning, offset) => {
      const { expected, actual } = await differential(async (Kafka, ctx) => {
        await setCommitted(ctx, offset)
        const offsets = []
        await withRunning(
          Kafka,
          ctx,
          {
            fromBeginning,
            eachMessage: async ({ message }) => {
              offsets.push(message.offset)
            },
          },
          () => until('the last offset', () => offsets.includes(String(N - 1))),
        )
        return offsets
      }, onePartition)
      expect(actual).toEqual(expected)
      expect(expected).toEqual(range(Number(offset), N))
    },
  )

  test('fromBeginning true without a committed offset: everything from offset 0', async () => {
    const { expected, actual } = await differential(async (Kafka, ctx) => {
      const offsets = []
      await withRunning(
        Kafka,
        ctx,
        {
          eachMessage: async ({ message }) => {
            offsets.push(message.offset)
          },
        },
        () => until('the last offset', () => offsets.includes(String(N - 1))),
      )
      return offsets
    }, onePartition)
    expect(actual).toEqual(expected)
    expect(expected).toEqual(range(0, N))
  })

  test('fromBeginning false without a committed offset: only messages produced after the join', async () => {
    const { expected, actual } = await differential(async (Kafka, ctx) => {
      const values = []
      await withRunning(
        Kafka,
        ctx,
        {
          fromBeginning: false,
          eachMessage: async ({ message }) => {
            values.push(message.value.toString())
          },
        },
        // When the consumer takes its start position is the client's business: probe until one
        // arrives (a probe produced before that moment is legitimately skipped).
        () =>
          waitFor(
            async () => {
              if (values.length) return true
              await produce([ctx.topic], [{ partition: 0, value: 'probe' }])
              return false
            },
            { timeout: 30000, interval: 300, what: 'a probe to arrive' },
          ),
      )
      return { oldSeen: values.some((v) => !v.startsWith('probe')), first: values[0] }
    }, onePartition)
    expect(actual).toEqual(expected)
    expect(expected).toEqual({ oldSeen: false, first: 'probe' })
  })
})
