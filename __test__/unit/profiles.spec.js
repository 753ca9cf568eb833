'use strict'
/*
 * A librdkafka client per distinct send option would grow without bound (50 distinct timeouts
 * once made 50 clients: threads 13 -> 160, fds 25 -> 270). The number of clients is bounded.
 */
const fs = require('node:fs')
const { Kafka, MockCluster, logLevel } = require('../..')
const { waitFor } = require('../helpers/wait')

const threads = () => fs.readdirSync('/proc/self/task').length
const fds = () => fs.readdirSync('/proc/self/fd').length

test('1,000 sends with 1,000 distinct timeouts leave threads and fds within a small constant', async () => {
  const mock = new MockCluster({ brokers: 1 })
  mock.createTopic('t', { partitions: 1 })
  const warnings = []
  const kafka = new Kafka({
    brokers: mock.brokers,
    logLevel: logLevel.WARN,
    logCreator: () => (e) => warnings.push(e.log.message),
  })
  const producer = kafka.producer()
  try {
    await producer.connect()
    const before = { threads: threads(), fds: fds() }
    const results = await Promise.all(
      Array.from({ length: 1000 }, (_, i) =>
        producer.send({ topic: 't', timeout: 1000 + i, messages: [{ value: `${i}` }] }),
      ),
    )
    expect(results.flat()).toHaveLength(1000) // every send was delivered
    const after = { threads: threads(), fds: fds() }
    // At most 2 more clients for the one (acks, compression) pair: each is about 6 threads, 8 fds.
    expect(after.threads - before.threads).toBeLessThanOrEqual(16)
    expect(after.fds - before.fds).toBeLessThanOrEqual(24)
    expect(warnings.filter((m) => /distinct timeouts/.test(m))).toHaveLength(1)
  } finally {
    await producer.disconnect()
    mock.close()
  }
  await waitFor(() => threads() < 40, { timeout: 10000, what: 'librdkafka threads to exit' })
})

test('acks and compression are still honoured exactly (each its own client)', async () => {
  const mock = new MockCluster({ brokers: 1 })
  mock.createTopic('t', { partitions: 1 })
  const producer = new Kafka({ brokers: mock.brokers, logLevel: logLevel.NOTHING }).producer()
  try {
    await producer.connect()
    const zero = await producer.send({ topic: 't', acks: 0, messages: [{ value: 'a' }] })
    const one = await producer.send({ topic: 't', acks: 1, compression: 1, messages: [{ value: 'b' }] })
    expect(zero).toEqual([]) // acks 0: no metadata back
    expect(one[0].baseOffset).toMatch(/^\d+$/)
  } finally {
    await producer.disconnect()
    mock.close()
  }
})
