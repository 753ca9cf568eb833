'use strict'
/*
 * ioThreadNice: a producer's librdkafka threads, and the thread that hands large sends to
 * librdkafka, run at a lower priority than the JS thread (nice 10 by default), so on saturated
 * cores the event loop is served first; nothing else of the process changes. Linux only (nice is per thread there); the threads are read from /proc.
 */
const fs = require('node:fs')
const { Kafka, MockCluster, logLevel } = require('../..')

const linux = process.platform === 'linux'
/** The thread that hands large sends to librdkafka (src/producer/enqueuer.rs). */
const ENQUEUE_THREAD = 'kafka-napi-enq'

/** tid, name and nice value of this process's threads (field 19 of /proc/self/task/<tid>/stat). */
function threadNice() {
  const out = []
  for (const tid of fs.readdirSync('/proc/self/task')) {
    let stat
    let name
    try {
      stat = fs.readFileSync(`/proc/self/task/${tid}/stat`, 'utf8')
      name = fs.readFileSync(`/proc/self/task/${tid}/comm`, 'utf8').trim()
    } catch {
      continue // the thread ended meanwhile (between the listing and either read)
    }
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    out.push({ tid, name, nice: Number(fields[16]) })
  }
  return out
}

/** A send large enough to go through the enqueue thread (more than 64 messages). */
const LARGE = Array.from({ length: 1000 }, (_, i) => ({ value: `m${i}` }))

async function producerThreads(options, messages = [{ value: 'a' }]) {
  const mock = new MockCluster({ brokers: 1 })
  mock.createTopic('t', { partitions: 1 })
  // The mock cluster has librdkafka threads of its own: only threads started since count.
  const before = new Set(threadNice().map((t) => t.tid))
  const producer = new Kafka({ brokers: mock.brokers, logLevel: logLevel.NOTHING }).producer(options)
  try {
    await producer.connect()
    await producer.send({ topic: 't', acks: 1, messages })
    const threads = threadNice()
    const fresh = threads.filter((t) => !before.has(t.tid) && t.name.startsWith('rdk:'))
    return {
      librdkafka: fresh,
      enqueue: threads.filter((t) => !before.has(t.tid) && t.name === ENQUEUE_THREAD),
      others: threads.filter((t) => !fresh.includes(t) && !t.name.startsWith('rdk:') && t.name !== ENQUEUE_THREAD),
      mainThreadNice: threads[0].nice,
    }
  } finally {
    await producer.disconnect()
    mock.close()
  }
}

const maybe = linux ? describe : describe.skip

maybe('ioThreadNice (Linux)', () => {
  test("by default every librdkafka thread of the producer runs at nice 10, and no other thread's priority changes", async () => {
    const mainBefore = threadNice()[0].nice
    const { librdkafka, others, mainThreadNice } = await producerThreads({})
    // librdkafka's main thread and at least one broker thread (the mock broker's).
    expect(librdkafka.map((t) => t.name)).toEqual(expect.arrayContaining(['rdk:main']))
    expect(librdkafka.length).toBeGreaterThanOrEqual(2)
    for (const t of librdkafka)
      expect({ thread: t.name, nice: t.nice }).toEqual({ thread: t.name, nice: mainBefore + 10 })
    for (const t of others) expect({ thread: t.name, nice: t.nice }).toEqual({ thread: t.name, nice: mainBefore })
    expect(mainThreadNice).toBe(mainBefore)
  })

  test('the thread that enqueues large sends runs at the same priority as librdkafka (10 by default, 0 when asked)', async () => {
    const base = threadNice()[0].nice
    const byDefault = await producerThreads({}, LARGE)
    expect(byDefault.enqueue.map((t) => t.nice)).toEqual([base + 10])
    for (const t of byDefault.others) expect({ thread: t.name, nice: t.nice }).toEqual({ thread: t.name, nice: base })
    const zero = await producerThreads({ ioThreadNice: 0 }, LARGE)
    expect(zero.enqueue.map((t) => t.nice)).toEqual([base])
  })

  test('the enqueue thread stays while the producer is connected and ends when it disconnects', async () => {
    const mock = new MockCluster({ brokers: 1 })
    mock.createTopic('t', { partitions: 1 })
    // Threads of earlier tests' producers may still be ending: only threads started here count.
    const before = new Set(threadNice().map((t) => t.tid))
    const enqueueThreads = () => threadNice().filter((t) => t.name === ENQUEUE_THREAD && !before.has(t.tid))
    const producer = new Kafka({ brokers: mock.brokers, logLevel: logLevel.NOTHING }).producer()
    try {
      await producer.connect()
      await producer.send({ topic: 't', acks: 1, messages: LARGE })
      await new Promise((resolve) => setTimeout(resolve, 300))
      expect(enqueueThreads()).toHaveLength(1)
      await producer.disconnect()
      const deadline = Date.now() + 5000
      while (enqueueThreads().length > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10))
      expect(enqueueThreads()).toEqual([])
    } finally {
      await producer.disconnect()
      mock.close()
    }
  })

  test('ioThreadNice: 0 leaves them at the process priority; 19 is the lowest', async () => {
    const base = threadNice()[0].nice
    const zero = await producerThreads({ ioThreadNice: 0 })
    expect(zero.librdkafka.length).toBeGreaterThanOrEqual(2)
    for (const t of zero.librdkafka) expect(t.nice).toBe(base)
    const lowest = await producerThreads({ ioThreadNice: 19 })
    for (const t of lowest.librdkafka) expect(t.nice).toBe(Math.min(19, base + 19))
  })
})

test('ioThreadNice outside 0..19 is refused at configuration time', () => {
  const kafka = new Kafka({ brokers: ['127.0.0.1:1'], logLevel: logLevel.NOTHING })
  expect(() => kafka.producer({ ioThreadNice: 20 })).toThrow(/^Invalid ioThreadNice/)
  expect(() => kafka.producer({ ioThreadNice: -1 })).toThrow(/^Invalid ioThreadNice/)
})
