'use strict'
/*
 * Nest's ClientKafka on kafka-napi through the `kafkajs` alias, the features app.spec.js does not
 * use: emitBatch(), commitOffsets(), `status` and unwrap(). Against the real broker; the app runs in
 * a child process (remote.js) with client-kafka.ops.js as extra ops; results are read back with
 * kafkajs (node_modules/kafkajs), never with this package.
 */
const crypto = require('node:crypto')
const path = require('node:path')
const { brokers, createTopic, readBack, referenceClient } = require('../../__test__/helpers/kafka')
const { waitFor } = require('../../__test__/helpers/wait')
const { startPart } = require('./remote')
const { TOPIC_NAMES } = require('./config')

const OPS = path.join(__dirname, 'client-kafka.ops.js')

/** A fresh set of the example's topics (2 partitions each) and group name (as in app.spec.js). */
async function freshTopics() {
  const prefix = `nk-${Date.now().toString(36)}-${crypto.randomBytes(3).toString('hex')}-`
  for (const name of TOPIC_NAMES) await createTopic({ topic: prefix + name, partitions: 2 })
  return {
    t: (name) => prefix + name,
    env: {
      ORDERS_TOPIC_PREFIX: prefix,
      ORDERS_GROUP: `${prefix}group`,
      KAFKA_BROKERS: brokers().join(','),
      DRIVER_OPS: OPS,
    },
  }
}

/** The offsets committed by `groupId` for `topic`, as { partition: offset }, read with kafkajs's admin. */
async function committed(groupId, topic) {
  const admin = referenceClient().admin()
  await admin.connect()
  try {
    const [entry] = await admin.fetchOffsets({ groupId, topics: [topic] })
    return Object.fromEntries(entry.partitions.map((p) => [p.partition, Number(p.offset)]))
  } finally {
    await admin.disconnect()
  }
}

describe('ClientKafka on the kafkajs alias: emitBatch, commitOffsets, status, unwrap', () => {
  let topics
  let app
  beforeAll(async () => {
    topics = await freshTopics()
    app = await startPart({ role: 'app', env: topics.env })
  })
  afterAll(() => app && app.stop())

  test('Nest loaded kafka-napi for kafkajs, and never the real kafkajs', () => {
    expect(app.info).toMatchObject({ kafkaNapi: true, kafkajs: false })
  })

  test('emitBatch(pattern, { messages }): one send; every event reaches the @EventPattern handler, in order', async () => {
    const { t } = topics
    const N = 8
    const ids = Array.from({ length: N }, (_, i) => `eb-${i}`)
    // One key: one partition, so the handler's order is the batch's order.
    const messages = ids.map((id) => ({ key: 'batch', value: { id } }))
    const meta = await app.call('emitBatch', 'created', messages)
    // The producer's send() result: one RecordMetadata for the one partition written.
    expect(meta).toHaveLength(1)
    expect(meta[0]).toMatchObject({ topicName: t('orders.created'), errorCode: 0 })
    const { partition, baseOffset } = meta[0]
    const base = Number(baseOffset)
    const handled = await waitFor(
      async () => {
        const seen = (await app.call('log')).handled.filter((h) => h.pattern === 'created')
        return seen.length >= N && seen
      },
      { what: `the 'created' handler's ${N} log entries` },
    )
    expect(handled.map((h) => h.id)).toEqual(ids)
    expect(handled.map((h) => [h.topic, h.partition, Number(h.offset)])).toEqual(
      ids.map((_, i) => [t('orders.created'), partition, base + i]),
    )
    // Independently: the broker holds exactly these N messages, in this order, Nest-serialized.
    const onBroker = await readBack(t('orders.created'), N)
    expect(onBroker).toHaveLength(N)
    expect(
      onBroker.map((m) => [m.partition, Number(m.offset), m.key.toString(), JSON.parse(m.value.toString())]),
    ).toEqual(ids.map((id, i) => [partition, base + i, 'batch', { id }]))
    // Each handler also wrote its audit record through getProducer().
    const audit = await readBack(t('orders.audit'), N)
    expect(audit.map((m) => JSON.parse(m.value.toString()).orderId).sort()).toEqual([...ids].sort())
  })

  test("commitOffsets([{ topic, partition, offset }]): the client group's committed offset becomes that offset", async () => {
    const { t, env } = topics
    const group = `${env.ORDERS_GROUP}-client` // ClientKafka's group: groupId + postfixId '-client'
    // A reply topic the client consumes, where this test sends no request: nothing else commits there.
    const topic = t('orders.lines.reply')
    expect(await committed(group, topic)).toEqual({ 0: -1, 1: -1 })
    expect(await app.call('commitOffsets', [{ topic, partition: 1, offset: '4' }])).toBe(true)
    expect(await committed(group, topic)).toEqual({ 0: -1, 1: 4 })
    expect(
      await app.call('commitOffsets', [
        { topic, partition: 0, offset: '2' },
        { topic, partition: 1, offset: '7' },
      ]),
    ).toBe(true)
    expect(await committed(group, topic)).toEqual({ 0: 2, 1: 7 })
  })

  test("unwrap() is kafka-napi's Kafka client; a producer made from it reaches the broker", async () => {
    const { t } = topics
    const topic = t('orders.audit')
    const before = (await readBack(topic, 0)).length
    const result = await app.call('unwrapSend', topic, 'from-unwrap')
    expect(result).toMatchObject({ kafkaNapi: true, sameProducerClass: true, consumerIsFunction: true })
    expect(result.sent).toEqual([expect.objectContaining({ topicName: topic, errorCode: 0 })])
    const { partition, baseOffset } = result.sent[0]
    const after = await readBack(topic, before + 1)
    const mine = after.filter((m) => m.value.toString() === 'from-unwrap')
    expect(mine.map((m) => [m.partition, m.offset, m.key.toString()])).toEqual([[partition, baseOffset, 'unwrap']])
  })

  /** The status scenario on `part`: two ClientKafka of one group, the second joining, both closed. */
  async function statusScenario(part, group) {
    // watchStatus subscribes to `status` before connect() and resolves once connect() did.
    expect(await part.call('watchStatus', 'a', group)).toEqual(['connected'])
    // A second member of a's group (Nest appends '-client' to both): a's partitions are revoked.
    expect(await part.call('watchStatus', 'b', group)).toEqual(['connected'])
    await waitFor(async () => (await part.call('statuses', 'a')).includes('rebalancing'), {
      timeout: 60000,
      what: "'rebalancing' on the first client",
    })
    const b = await part.call('closeWatched', 'b')
    const a = await part.call('closeWatched', 'a')
    return { a, b }
  }

  test("status: 'connected' on connect(), 'rebalancing' when another member joins, then 'disconnected', 'stopped', 'disconnected' on close(), as on kafkajs", async () => {
    const { a, b } = await statusScenario(app, `${topics.env.ORDERS_GROUP}-status`)
    // Nest: producer DISCONNECT -> 'disconnected'; consumer STOP -> 'stopped', DISCONNECT -> 'disconnected'.
    expect(a.statuses).toEqual(['connected', 'rebalancing', 'disconnected', 'stopped', 'disconnected'])
    expect(b.statuses).toEqual(['connected', 'disconnected', 'stopped', 'disconnected'])
    // After close(), Nest's unwrap() has no client any more.
    expect(a.unwrapAfterClose).toMatch(/Not initialized/)
    // The same scenario with Nest on the real kafkajs: the same statuses.
    const onKafkajs = await startPart({ role: 'client', kafkajs: true, env: topics.env })
    try {
      expect(onKafkajs.info).toMatchObject({ kafkajs: true })
      const real = await statusScenario(onKafkajs, `${topics.env.ORDERS_GROUP}-status-kafkajs`)
      // kafkajs's `a` may also learn, while it stops, of the rebalance b's leaving started (when a
      // heartbeat or commit of its stop meets it): one more 'rebalancing' between the producer's
      // 'disconnected' and 'stopped', or not, depending on timing. kafka-napi never reports it.
      const lateRebalance = (s) => s.filter((x, i) => !(x === 'rebalancing' && i > s.indexOf('disconnected')))
      expect({ ...real, a: { ...real.a, statuses: lateRebalance(real.a.statuses) } }).toEqual({ a, b })
    } finally {
      await onKafkajs.stop()
    }
  })
})
