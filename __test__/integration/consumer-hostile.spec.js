'use strict'
/*
 * Hostile inputs to a connected consumer's methods: each call resolves or rejects with a typed
 * error (a KafkaJSError), within a bound, with no unhandled rejection; and afterwards the same
 * consumer subscribes, runs and reads what was sent. The client's requestTimeout is beyond the
 * bound, so a call that waits out a request it should not have made (subscribe asking again and
 * again for a topic with an invalid name) fails here instead of passing slowly.
 */
const { Kafka, logLevel, KafkaJSError } = require('../..')
const { brokers, createTopic, referenceClient } = require('../helpers/kafka')

const BOUND = 20000

const bare = Object.create(null)
const VALUES = [
  ['undefined', undefined],
  ['null', null],
  ['0', 0],
  ['-1', -1],
  ['NaN', Number.NaN],
  ['an empty string', ''],
  ['a 300-character string', 'x'.repeat(300)],
  ['a name with spaces', 'no spaces allowed'],
  ['{}', {}],
  ['[]', []],
  ['[null]', [null]],
  ['a function', () => 1],
  ['a Symbol', Symbol('s')],
  ['a BigInt', 10n],
  ['an object without a prototype', bare],
  ['[an object without a prototype]', [bare]],
]

/** Each method, called with one hostile value in the place of its argument (or inside it). */
const CALLS = [
  ['subscribe(v)', (c, v) => c.subscribe(v)],
  ['subscribe({ topics: [v] })', (c, v) => c.subscribe({ topics: [v] })],
  ['subscribe({ topic: v })', (c, v) => c.subscribe({ topic: v })],
  ['commitOffsets(v)', (c, v) => c.commitOffsets(v)],
  ['commitOffsets([v])', (c, v) => c.commitOffsets([v])],
  [
    'commitOffsets([{ partition: v, offset: v }])',
    (c, v) => c.commitOffsets([{ topic: 't', partition: v, offset: v }]),
  ],
  ['seek(v)', (c, v) => c.seek(v)],
  ['seek({ partition: v, offset: v })', (c, v) => c.seek({ topic: 't', partition: v, offset: v })],
  ['pause(v)', (c, v) => c.pause(v)],
  ['pause([v])', (c, v) => c.pause([v])],
  ['resume([{ topic: v, partitions: [v] }])', (c, v) => c.resume([{ topic: v, partitions: [v] }])],
  ['run(v)', (c, v) => c.run(v)],
  [
    'run({ eachMessage, partitionsConsumedConcurrently: v })',
    (c, v) => c.run({ eachMessage: v, partitionsConsumedConcurrently: v }),
  ],
  ['on(v, listener)', (c, v) => c.on(v, () => {})],
]

/** 'resolved', 'typed', or what else happened (a name and message), within BOUND. */
async function outcome(call) {
  let timer
  const late = new Promise((resolve) => {
    timer = setTimeout(() => resolve(`not settled within ${BOUND} ms`), BOUND)
  })
  try {
    return await Promise.race([
      Promise.resolve()
        .then(call)
        .then(
          () => 'resolved',
          (e) => (e instanceof KafkaJSError ? 'typed' : `${e && e.name}: ${e && e.message}`),
        ),
      late,
    ])
  } finally {
    clearTimeout(timer)
  }
}

const unhandled = []
const onUnhandled = (reason) => unhandled.push(reason)
beforeAll(() => process.on('unhandledRejection', onUnhandled))
afterAll(() => process.off('unhandledRejection', onUnhandled))

test('every method given hostile values answers with a typed error or resolves; the consumer then reads a message', async () => {
  const topic = await createTopic()
  const kafka = new Kafka({
    clientId: 'hostile',
    brokers: brokers(),
    logLevel: logLevel.NOTHING,
    requestTimeout: 3 * BOUND,
  })
  const consumer = kafka.consumer({ groupId: `${topic}-group`, maxWaitTimeInMs: 100 })
  await consumer.connect()
  const untyped = []
  const seen = []
  try {
    for (const [callName, call] of CALLS) {
      for (const [valueName, value] of VALUES) {
        const got = await outcome(() => call(consumer, value))
        if (got !== 'typed' && got !== 'resolved') untyped.push(`${callName} with ${valueName}: ${got}`)
      }
    }
    expect(untyped).toEqual([])

    const producer = referenceClient().producer()
    await producer.connect()
    await producer.send({ topic, messages: [{ value: 'after the hostile calls' }] })
    await producer.disconnect()
    await consumer.subscribe({ topic, fromBeginning: true })
    await consumer.run({ eachMessage: async ({ message }) => seen.push(String(message.value)) })
    const deadline = Date.now() + BOUND
    while (seen.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50))
  } finally {
    await consumer.disconnect()
  }
  expect(seen).toEqual(['after the hostile calls'])
  expect(unhandled).toEqual([])
}, 600000)

test("eachBatch's resolveOffset and commitOffsetsIfNecessary given hostile values: typed errors, and only the real offset is committed", async () => {
  const topic = await createTopic()
  const producer = referenceClient().producer()
  await producer.connect()
  await producer.send({ topic, messages: Array.from({ length: 5 }, (_, i) => ({ value: `m${i}` })) })
  await producer.disconnect()
  const groupId = `${topic}-group`
  const kafka = new Kafka({ clientId: 'hostile', brokers: brokers(), logLevel: logLevel.NOTHING })
  const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 100 })
  const hostile = [...VALUES, ['a 23-digit offset', '99999999999999999999999'], ['-5', '-5'], ['abc', 'abc']]
  const untyped = []
  let finished
  const done = new Promise((resolve) => {
    finished = resolve
  })
  await consumer.connect()
  try {
    await consumer.subscribe({ topic, fromBeginning: true })
    await consumer.run({
      eachBatchAutoResolve: false,
      eachBatch: async ({ batch, resolveOffset, commitOffsetsIfNecessary }) => {
        for (const [name, value] of hostile) {
          // Numbers and BigInts that are offsets are valid input: only the others must be refused.
          const valid =
            (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) || typeof value === 'bigint'
          if (valid) continue
          const got = await outcome(() => resolveOffset(value))
          if (got !== 'typed') untyped.push(`resolveOffset with ${name}: ${got}`)
          if (!value) continue // a falsy argument means "what is resolved", as in kafkajs
          const committed = await outcome(() => commitOffsetsIfNecessary(value))
          if (committed !== 'typed') untyped.push(`commitOffsetsIfNecessary with ${name}: ${committed}`)
        }
        resolveOffset(batch.lastOffset())
        await commitOffsetsIfNecessary()
        finished()
      },
    })
    await done
  } finally {
    await consumer.disconnect()
  }
  expect(untyped).toEqual([])
  const admin = referenceClient().admin()
  await admin.connect()
  try {
    const [{ partitions }] = await admin.fetchOffsets({ groupId, topics: [topic] })
    expect(partitions).toEqual([{ partition: 0, offset: '5', metadata: null }])
  } finally {
    await admin.disconnect()
  }
  expect(unhandled).toEqual([])
}, 120000)
