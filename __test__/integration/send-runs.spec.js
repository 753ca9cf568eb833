'use strict'
/*
 * The native core hands runs of plain messages (same topic and partition choice, no headers, no
 * timestamp) to librdkafka with one rd_kafka_produce_batch each, and every other message alone
 * (src/producer/batch.rs). A send that mixes them must still arrive whole, in send order per
 * partition, every field identical: this spec makes the run boundaries fall everywhere.
 */
const { Kafka, logLevel } = require('../..')
const { brokers, createTopic, readBack } = require('../helpers/kafka')
const { seededRandom } = require('../helpers/random')

test('a sendBatch mixing runs with headers, timestamps, explicit partitions, null keys and two topics arrives whole and in order per partition', async () => {
  const topics = [await createTopic({ partitions: 3 }), await createTopic({ partitions: 3 })]
  const random = seededRandom(20261202)
  const sent = []
  const topicMessages = topics.map((topic) => ({ topic, messages: [] }))
  for (let i = 0; i < 3000; i++) {
    // Long stretches of plain messages, broken up by messages of every other kind.
    const t = random() < 0.05 ? 1 : (sent.length > 0 && sent[sent.length - 1].t) || 0
    const m = { value: Buffer.from(`v${i}`) }
    const r = random()
    if (r < 0.9) m.key = `k${i % 97}`
    if (r > 0.95) m.headers = { n: String(i), twice: [`a${i}`, `b${i}`] }
    if (r > 0.92 && r <= 0.95) m.timestamp = String(1700000000000 + i)
    if (random() < 0.03) m.partition = i % 3
    sent.push({ t, i, m })
    topicMessages[t].messages.push(m)
  }
  const producer = new Kafka({ clientId: 'send-runs', brokers: brokers(), logLevel: logLevel.NOTHING }).producer()
  await producer.connect()
  try {
    const result = await producer.sendBatch({ acks: -1, topicMessages })
    expect(result.length).toBeGreaterThan(0)
  } finally {
    await producer.disconnect()
  }

  for (const [t, topic] of topics.entries()) {
    const mine = sent.filter((s) => s.t === t)
    const got = await readBack(topic, mine.length)
    expect(got.length).toBe(mine.length)
    const byValue = new Map(mine.map((s) => [`v${s.i}`, s]))
    const order = new Map()
    for (const g of got) {
      const s = byValue.get(g.value.toString())
      expect(s).toBeDefined()
      byValue.delete(g.value.toString())
      expect(g.key === null ? null : g.key.toString()).toBe(s.m.key ?? null)
      if (s.m.partition !== undefined) expect(g.partition).toBe(s.m.partition)
      if (s.m.timestamp !== undefined) expect(g.timestamp).toBe(s.m.timestamp)
      const headers = Object.fromEntries(
        Object.entries(g.headers).map(([k, v]) => [k, Array.isArray(v) ? v.map(String) : String(v)]),
      )
      expect(headers).toEqual(s.m.headers ? { n: String(s.i), twice: [`a${s.i}`, `b${s.i}`] } : {})
      // Within a partition, the broker's order is the send's order.
      const last = order.get(g.partition) ?? -1
      expect(s.i).toBeGreaterThan(last)
      order.set(g.partition, s.i)
    }
    expect(byValue.size).toBe(0)
  }
})

// Batched sends hand librdkafka their values without a copy: they point into the send's own
// copy of its bytes, which must live until the send's last delivery report, and values from 512
// bytes up go into ProduceRequests by reference (lib/config.js). Many large sends in flight at
// once, of every value size around those limits, must still arrive byte for byte: bytes freed
// too early would be reused by the next sends' copies and arrive as someone else's.
test('concurrent large sends of values of every size around the copy limits arrive byte for byte', async () => {
  const topic = await createTopic({ partitions: 3 })
  const random = seededRandom(20261203)
  const sizes = [0, 1, 100, 510, 511, 512, 513, 1024, 4096, 70000]
  const sends = []
  const expected = new Map()
  for (let s = 0; s < 12; s++) {
    const messages = []
    for (let i = 0; i < 400; i++) {
      const size = random() < 0.5 ? sizes[(s + i) % sizes.length] : Math.floor(random() * 3000)
      const value = Buffer.alloc(size)
      for (let b = 0; b < size; b++) value[b] = Math.floor(random() * 256)
      const key = `s${s}-m${i}`
      expected.set(key, value)
      messages.push({ key, value })
    }
    sends.push(messages)
  }
  const producer = new Kafka({ clientId: 'send-runs', brokers: brokers(), logLevel: logLevel.NOTHING }).producer()
  await producer.connect()
  try {
    // All in flight together; the last ones queue behind the first in the native enqueue path.
    await Promise.all(sends.map((messages, s) => producer.send({ topic, acks: s % 2 ? -1 : 1, messages })))
  } finally {
    await producer.disconnect()
  }
  const got = await readBack(topic, expected.size)
  expect(got.length).toBe(expected.size)
  let differ = 0
  for (const g of got) {
    const want = expected.get(g.key.toString())
    if (!want || !want.equals(g.value)) differ++
    expected.delete(g.key.toString())
  }
  expect(differ).toBe(0)
  expect(expected.size).toBe(0)
})

// Sends made in one turn go to the native core in call order: in one call at the end of the
// turn, or sooner whenever 1 MB of them is packed (lib/producer/send-tracker.js). Large sends
// (the enqueue thread) and small ones (enqueued on the JS thread) interleaved in one turn, over
// several such calls, must arrive on one partition in call order, each value intact.
test('large and small sends of one turn, handed over in several calls, arrive in call order', async () => {
  const topic = await createTopic({ partitions: 1 })
  const counts = [300, 10, 500, 1, 64, 65, 900, 20, 700, 3, 1200, 2, 400, 64, 800, 5]
  let n = 0
  const sends = counts.map((count) =>
    Array.from({ length: count }, () => {
      const i = n++
      return { key: String(i), value: Buffer.alloc(1000, i % 251) }
    }),
  )
  const producer = new Kafka({ clientId: 'send-runs', brokers: brokers(), logLevel: logLevel.NOTHING }).producer()
  await producer.connect()
  try {
    // About 5 MB made in one turn: handed over in four or more calls.
    await Promise.all(sends.map((messages) => producer.send({ topic, acks: -1, messages })))
  } finally {
    await producer.disconnect()
  }
  const got = await readBack(topic, n)
  expect(got.map((g) => Number(g.key.toString()))).toEqual(Array.from({ length: n }, (_, i) => i))
  const damaged = got.filter((g) => !g.value.equals(Buffer.alloc(1000, Number(g.key.toString()) % 251)))
  expect(damaged.length).toBe(0)
})
