'use strict'
/*
 * Regression specs for defects fixed without one (audit of issue #12):
 * - a native error from disconnect() reaches the app as a kafkajs error, not a raw napi Error
 *   with a JSON message;
 * - a transactional producer refuses a send whose compression differs from the one it connected
 *   with (another acks is refused earlier, by the idempotence check), with a typed error, instead of creating a second client with the same
 *   transactional.id (which would fence the first).
 * (The poisoned-lock fix has its Rust unit test in src/producer.rs, `lock_tests`.)
 */
const { Kafka, MockCluster, CompressionTypes, logLevel, KafkaJSError, KafkaJSNonRetriableError } = require('../..')

let mock
beforeEach(() => {
  mock = new MockCluster({ brokers: 1 })
  mock.createTopic('t', { partitions: 1 })
})
afterEach(() => mock.close())

const producerOf = (config) => new Kafka({ brokers: mock.brokers, logLevel: logLevel.NOTHING }).producer(config)

test('a native error from disconnect() is decoded into a kafkajs error; the producer ends disconnected', async () => {
  const p = producerOf()
  await p.connect()
  const native = p._native
  const close = native.close.bind(native)
  // The native close has no failure a spec can provoke (only its blocking task dying), so it is
  // made to end with a genuine native error: the one a call on the closed producer rejects with.
  native.close = async (timeout) => {
    await close(timeout)
    return native.metadata(0, null, 100)
  }
  const err = await p.disconnect().catch((e) => e)
  expect(err).toBeInstanceOf(KafkaJSError)
  expect(err.name).toBe('KafkaJSError')
  expect(err.message).toBe('The producer is disconnected')
  expect(p.toJSON().state).toBe('disconnected')
  await expect(p.disconnect()).resolves.toBeUndefined()
})

test('a transactional producer refuses another compression with a typed error, and stays usable', async () => {
  const p = producerOf({ transactionalId: `audit-${process.pid}-${Date.now()}` })
  await p.connect()
  try {
    const txn = await p.transaction()
    for (const compression of [CompressionTypes.GZIP, CompressionTypes.LZ4]) {
      const err = await txn.send({ topic: 't', compression, messages: [{ value: 'x' }] }).catch((e) => e)
      expect(err).toBeInstanceOf(KafkaJSNonRetriableError)
      expect(err.message).toBe(
        `A transactional producer sends with the options it connected with (acks -1, compression 0); got acks -1, compression ${compression}`,
      )
    }
    expect(p._profiles.size).toBe(1) // no second client with the same transactional.id
    const [r] = await txn.send({ topic: 't', messages: [{ value: 'ok' }] })
    expect(r.errorCode).toBe(0)
    await txn.commit()
  } finally {
    await p.disconnect()
  }
})
