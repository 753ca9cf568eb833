'use strict'
/*
 * 10,000 randomly malformed records thrown at send and sendBatch on a real broker: every call
 * settles, with a typed KafkaJS error or a success, and the producer keeps working afterwards.
 * Seeded, so a failure can be replayed: FUZZ_SEED=<n>.
 */
const { Kafka, logLevel, KafkaJSError } = require('../..')
const { brokers, createTopic, readBack } = require('../helpers/kafka')
const { seededRandom: prng } = require('../helpers/random')

const SEED = Number(process.env.FUZZ_SEED || 20261125)
const CALLS = Number(process.env.FUZZ_CALLS || 10000)

describe(`fuzz: ${CALLS} malformed records (seed ${SEED})`, () => {
  test('every call settles with a typed error or a success; nothing crashes or hangs', async () => {
    const topic = await createTopic({ partitions: 2 })
    const rand = prng(SEED)
    const pick = (xs) => xs[Math.floor(rand() * xs.length)]
    const throwing = () =>
      new Proxy(
        {},
        {
          get() {
            throw new Error('hostile getter')
          },
        },
      )
    const scalar = () =>
      pick([
        () => undefined,
        () => null,
        () => 42,
        () => NaN,
        () => -1,
        () => 2 ** 40,
        () => 'str',
        () => '',
        () => 'a\ud800b',
        () => Buffer.from([1, 2, 3]),
        () => new Uint8Array([9]),
        () => ({ nested: { deep: [1, { x: 2 }] } }),
        () => [1, 2],
        () => () => 1,
        () => Symbol('s'),
        () => 10n,
        () => true,
        () => new Date(),
        throwing,
      ])()
    const message = () => {
      const r = rand()
      if (r < 0.05) return scalar()
      const m = {}
      if (rand() < 0.9) m.value = rand() < 0.6 ? `v${Math.floor(rand() * 1000)}` : scalar()
      if (rand() < 0.5) m.key = rand() < 0.5 ? `k${Math.floor(rand() * 100)}` : scalar()
      if (rand() < 0.2) m.partition = pick([0, 1, 2, -1, 1.5, '0', null, 99])
      if (rand() < 0.2)
        m.headers =
          rand() < 0.5 ? { h: pick(['x', Buffer.from('y'), ['a', 'b'], 5, null, undefined, { o: 1 }]) } : scalar()
      if (rand() < 0.1) m.timestamp = pick(['1700000000000', 'x', -5, 1.5, null, Infinity])
      return m
    }
    const messages = () => (rand() < 0.1 ? scalar() : Array.from({ length: Math.floor(rand() * 4) }, message))
    const record = () => {
      if (rand() < 0.03) return scalar()
      return {
        topic: rand() < 0.85 ? topic : pick([undefined, null, '', 5, {}, 'bad topic!', ['t']]),
        messages: messages(),
        ...(rand() < 0.2 ? { acks: pick([-1, 0, 1, 2, '1', null, undefined, 1.5]) } : {}),
        ...(rand() < 0.1 ? { compression: pick([0, 1, 2, 3, 4, 5, -1, 'gzip', null]) } : {}),
        ...(rand() < 0.1 ? { timeout: pick([1, 1000, 0, -1, 'x', null, 1e12]) } : {}),
      }
    }

    const producer = new Kafka({ clientId: 'fuzz', brokers: brokers(), logLevel: logLevel.NOTHING }).producer({
      retry: { retries: 1, initialRetryTime: 10 },
    })
    await producer.connect()
    const outcomes = { ok: 0, typed: 0, other: [] }
    try {
      for (let i = 0; i < CALLS; i += 200) {
        const calls = []
        for (let j = i; j < Math.min(i + 200, CALLS); j++) {
          const useBatch = rand() < 0.3
          let p
          try {
            p = useBatch
              ? producer.sendBatch(
                  rand() < 0.05 ? scalar() : { topicMessages: rand() < 0.1 ? scalar() : [record(), record()] },
                )
              : producer.send(record())
          } catch (e) {
            p = Promise.reject(e)
          }
          calls.push(p)
        }
        for (const r of await Promise.allSettled(calls)) {
          if (r.status === 'fulfilled') {
            if (Array.isArray(r.value)) outcomes.ok++
            else outcomes.other.push(`fulfilled with ${typeof r.value}`)
          } else if (r.reason instanceof KafkaJSError) outcomes.typed++
          else outcomes.other.push(String(r.reason && r.reason.stack))
        }
      }
      console.log(`fuzz: ${outcomes.ok} sends succeeded, ${outcomes.typed} rejected with a typed error`)
      expect(outcomes.other).toEqual([])
      expect(outcomes.ok + outcomes.typed).toBe(CALLS)
      expect(outcomes.ok).toBeGreaterThan(100)
      expect(outcomes.typed).toBeGreaterThan(1000)
      // Still healthy: a normal send works and reads back.
      const after = await createTopic()
      await producer.send({ topic: after, messages: [{ value: 'still fine' }] })
      expect((await readBack(after, 1))[0].value.toString()).toBe('still fine')
    } finally {
      await producer.disconnect()
    }
  }, 300000)
})
