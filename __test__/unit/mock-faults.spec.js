'use strict'
/*
 * Exact fault injection on librdkafka's mock cluster: retry counts, retriable versus
 * non-retriable errors, ordering under retries. The real-cluster specs prove the same
 * guarantees against Apache Kafka; these pin the exact numbers.
 */
const { Kafka, MockCluster, logLevel, KafkaJSNumberOfRetriesExceeded, KafkaJSProtocolError } = require('../..')

let mock
beforeEach(() => {
  mock = new MockCluster({ brokers: 1 })
})
afterEach(() => mock.close())

const producerFor = (config = {}) => new Kafka({ brokers: mock.brokers, logLevel: logLevel.NOTHING }).producer(config)

async function withProducer(config, fn) {
  const p = producerFor(config)
  await p.connect()
  try {
    return await fn(p)
  } finally {
    await p.disconnect()
  }
}

describe('retries are bounded by retry.retries and classified', () => {
  test('3 retriable errors with retries: 3 -> the 4th attempt succeeds', async () => {
    expect.hasAssertions() // the checks run inside withProducer's callback
    mock.createTopic('t')
    await withProducer({ retry: { retries: 3, initialRetryTime: 10 } }, async (p) => {
      await p.send({ topic: 't', messages: [{ value: 'warm' }] })
      mock.failProduceRequests(19, 19, 19)
      const [r] = await p.send({ topic: 't', messages: [{ value: 'x' }] })
      expect(r.baseOffset).toBe('1')
    })
  })

  test('4 retriable errors with retries: 3 -> KafkaJSNumberOfRetriesExceeded with the last broker error as cause', async () => {
    expect.hasAssertions() // the checks run inside withProducer's callback
    mock.createTopic('t')
    await withProducer({ retry: { retries: 3, initialRetryTime: 10 } }, async (p) => {
      await p.send({ topic: 't', messages: [{ value: 'warm' }] })
      mock.failProduceRequests(19, 19, 19, 19)
      const err = await p.send({ topic: 't', messages: [{ value: 'x' }] }).catch((e) => e)
      expect(err).toBeInstanceOf(KafkaJSNumberOfRetriesExceeded)
      expect(err.retryCount).toBe(3)
      expect(err.cause).toMatchObject({ type: 'NOT_ENOUGH_REPLICAS', code: 19, retriable: true })
    })
  })

  test('a non-retriable error fails at once (one attempt, though retries remain)', async () => {
    expect.hasAssertions() // the checks run inside withProducer's callback
    mock.createTopic('t')
    await withProducer({ retry: { retries: 5, initialRetryTime: 10 } }, async (p) => {
      await p.send({ topic: 't', messages: [{ value: 'warm' }] })
      mock.failProduceRequests(29)
      const err = await p.send({ topic: 't', messages: [{ value: 'x' }] }).catch((e) => e)
      // A retry would have succeeded: only one error was injected.
      expect(err).toBeInstanceOf(KafkaJSProtocolError)
      expect(err).toMatchObject({ type: 'TOPIC_AUTHORIZATION_FAILED', code: 29, retriable: false })
    })
  })

  test('a broker that stays down fails the message at the delivery deadline, not later', async () => {
    expect.hasAssertions() // the checks run inside withProducer's callback
    mock.createTopic('t')
    await withProducer(
      { deliveryTimeout: 1500, retry: { retries: 100, initialRetryTime: 50, maxRetryTime: 200 } },
      async (p) => {
        await p.send({ topic: 't', messages: [{ value: 'warm' }] })
        mock.brokerDown(1)
        const started = Date.now()
        const err = await p.send({ topic: 't', messages: [{ value: 'x' }] }).catch((e) => e)
        expect(err).toBeInstanceOf(KafkaJSNumberOfRetriesExceeded)
        expect(err.message).toMatch(/^Message not delivered within 1500 ms/)
        expect(Date.now() - started).toBeLessThan(60000)
        mock.brokerUp(1)
      },
    )
  })
})

describe('ordering across injected retriable errors', () => {
  async function offsetsInSendOrder(config) {
    mock.createTopic('o')
    // 5 ms per response keeps several requests in flight, where reordering could happen.
    mock.roundTripTime(1, 5)
    return withProducer(config, async (p) => {
      await p.send({ topic: 'o', messages: [{ value: 'warm' }] })
      mock.failProduceRequests(6, 6, 19, 6, 7)
      const sends = Array.from({ length: 200 }, (_, i) => p.send({ topic: 'o', messages: [{ value: String(i) }] }))
      const results = await Promise.all(sends)
      return results.map(([r]) => Number(r.baseOffset))
    })
  }

  const increasing = (xs) => xs.every((x, i) => i === 0 || x > xs[i - 1])

  // librdkafka documents that retries may reorder messages unless idempotence is on, and that is
  // what happens here: with maxInFlightRequests: 1 alone, a message in retry backoff was
  // overtaken by the next request in about 1 run of 4 while writing this spec. So this package
  // promises order across retries only with `idempotent: true` (README, Delivery guarantees);
  // maxInFlightRequests: 1 alone still delivers every message exactly once here.
  test('maxInFlightRequests: 1 without idempotence delivers every message once (order not promised)', async () => {
    const offsets = await offsetsInSendOrder({ maxInFlightRequests: 1, retry: { retries: 10, initialRetryTime: 10 } })
    expect([...offsets].sort((a, b) => a - b)).toEqual(Array.from({ length: 200 }, (_, i) => i + 1))
  })

  test('idempotent: true keeps send order with 5 requests in flight', async () => {
    const offsets = await offsetsInSendOrder({
      idempotent: true,
      maxInFlightRequests: 5,
      retry: { retries: 10, initialRetryTime: 10 },
    })
    expect(offsets).toHaveLength(200)
    // A retry answered DUPLICATE_SEQUENCE_NUMBER (already stored) leaves its offset unknown: -1
    // (seen in about 1 run of 30). Every known offset must follow send order.
    const known = offsets.filter((o) => o >= 0)
    expect(known.length).toBeGreaterThan(190)
    expect(increasing(known)).toBe(true)
  })
})
