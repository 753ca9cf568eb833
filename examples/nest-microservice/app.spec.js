'use strict'
/*
 * The Nest microservice example on kafka-napi through the `kafkajs` alias, against the real
 * broker: ServerKafka (@MessagePattern, @EventPattern, KafkaContext, manual commits under
 * autoCommit: false, KafkaRetriableException), ClientKafka request/reply with one and two
 * instances in a group, and app.close() during requests in flight. Each part runs in a child process (remote.js), where
 * Node's own resolution applies the alias; results are read back with kafkajs, never with this package.
 */
const crypto = require('node:crypto')
const { brokers, createTopic, readBack, referenceClient } = require('../../__test__/helpers/kafka')
const { waitFor } = require('../../__test__/helpers/wait')
const { startPart } = require('./remote')

const { TOPIC_NAMES } = require('./config')

/** A fresh set of the example's topics (2 partitions each) and group name. */
async function freshTopics() {
  const prefix = `nx-${Date.now().toString(36)}-${crypto.randomBytes(3).toString('hex')}-`
  for (const name of TOPIC_NAMES) await createTopic({ topic: prefix + name, partitions: 2 })
  const t = (name) => prefix + name
  return {
    prefix,
    t,
    env: { ORDERS_TOPIC_PREFIX: prefix, ORDERS_GROUP: `${prefix}group`, KAFKA_BROKERS: brokers().join(',') },
  }
}

/** The offsets committed by `groupId` for `topic`, as { partition: offset }. */
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

const header = (m, name) => (m.headers[name] === undefined ? undefined : m.headers[name].toString())
const parts = []
afterEach(async () => {
  await Promise.all(parts.splice(0).map((p) => p.stop()))
})
async function start(opts) {
  const p = await startPart(opts)
  parts.push(p)
  return p
}

describe('the hybrid app (microservice + ClientKafka) on the kafkajs alias', () => {
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

  test('send() gets the @MessagePattern reply; the handler saw the KafkaContext; the reply is on its reply partition', async () => {
    const { t } = topics
    const order = {
      id: 'q-1',
      items: [
        { qty: 2, price: 15 },
        { qty: 1, price: 12 },
      ],
    }
    expect(await app.call('quote', order)).toEqual({ orderId: 'q-1', total: 42 })
    const assignments = await app.call('assignments')
    const replyPartition = assignments[t('orders.quote.reply')]
    expect([0, 1]).toContain(replyPartition)
    const { handled, heartbeats } = await app.call('log')
    const seen = handled.find((h) => h.id === 'q-1')
    expect(seen).toMatchObject({
      pattern: 'quote',
      topic: t('orders.quote'),
      replyPartition: String(replyPartition),
      heartbeat: 'resolved', // the handler awaited context.getHeartbeat()() before answering
    })
    expect([0, 1]).toContain(seen.partition)
    // That call was the process's first heartbeat(): it reported the microservice consumer's HEARTBEAT event.
    expect(heartbeats.length).toBeGreaterThanOrEqual(1)
    expect(heartbeats[0]).toMatchObject({ groupId: `${topics.env.ORDERS_GROUP}-server`, memberId: expect.any(String) })
    const [reply] = await readBack(t('orders.quote.reply'), 1)
    expect(reply.partition).toBe(replyPartition)
    expect(header(reply, 'kafka_correlationId')).toBe(seen.correlationId)
    expect(header(reply, 'kafka_nest-is-disposed')).toBeDefined()
    expect(JSON.parse(reply.value.toString())).toEqual({ orderId: 'q-1', total: 42 })
  })

  test('an RpcException thrown by the handler is the error of the send() Observable', async () => {
    const { error } = await app.call('reject', { id: 'r-1' })
    expect(error).toEqual({ code: 'OUT_OF_STOCK', orderId: 'r-1' })
  })

  test('a handler returning an Observable: each value is a reply, the last one completes the send()', async () => {
    const order = {
      id: 'l-1',
      items: [
        { qty: 1, price: 5 },
        { qty: 2, price: 7 },
        { qty: 3, price: 1 },
      ],
    }
    expect(await app.call('lines', order)).toEqual([
      { orderId: 'l-1', line: 0, amount: 5 },
      { orderId: 'l-1', line: 1, amount: 14 },
      { orderId: 'l-1', line: 2, amount: 3 },
    ])
  })

  test('KafkaRetriableException: the message is handled again (3 attempts) and the third answers', async () => {
    expect(await app.call('reserve', { id: 'res-1' })).toEqual({ orderId: 'res-1', reserved: true, attempts: 3 })
    const { attempts, handled } = await app.call('log')
    expect(attempts['res-1']).toBe(3)
    expect(handled.filter((h) => h.id === 'res-1')).toHaveLength(1)
  })

  test('emit() reaches the @EventPattern handler; it produces with getProducer() and commits with getConsumer()', async () => {
    const { t, env } = topics
    const [meta] = await app.call('announce', { id: 'c-1' })
    expect(meta).toMatchObject({ topicName: t('orders.created'), errorCode: 0 })
    const [audit] = await readBack(t('orders.audit'), 1)
    expect(JSON.parse(audit.value.toString())).toEqual({ event: 'created', orderId: 'c-1', partition: meta.partition })
    // The handler logs once its commit resolved, after the audit record was written: wait for that.
    const seen = await waitFor(
      async () => (await app.call('log')).handled.find((h) => h.id === 'c-1' && h.pattern === 'created'),
      { what: "the 'created' handler's log entry for c-1" },
    )
    expect(seen).toMatchObject({ topic: t('orders.created'), partition: meta.partition, offset: meta.baseOffset })
    // The handler's commitOffsets resolved before it logged (it is awaited there), so the broker has it.
    // (This app runs with autoCommit on; 'manual commits' below proves the commit is the handler's.)
    const offsets = await committed(`${env.ORDERS_GROUP}-server`, t('orders.created'))
    expect(offsets[meta.partition]).toBe(Number(meta.baseOffset) + 1)
  })
})

describe('a cluster where none of the topics exist yet', () => {
  test('the app starts, and send() and emit() work: subscribe creates the topics, as kafkajs does where the broker allows', async () => {
    // No topic created here: the microservice's and ClientKafka's subscriptions create theirs
    // (a consumer alone left them missing, and the app's consumers joined with nothing).
    const prefix = `nx-${Date.now().toString(36)}-${crypto.randomBytes(3).toString('hex')}-`
    const env = { ORDERS_TOPIC_PREFIX: prefix, ORDERS_GROUP: `${prefix}group`, KAFKA_BROKERS: brokers().join(',') }
    const fresh = await start({ role: 'app', env, startTimeout: 60000 })
    expect(await fresh.call('quote', { id: 'n-1', items: [{ qty: 3, price: 5 }] }, 20000)).toEqual({
      orderId: 'n-1',
      total: 15,
    })
    await fresh.call('view', { id: 'n-2' })
    await waitFor(async () => (await fresh.call('log')).viewed === 1, { what: 'the viewed event handled' })
  }, 90000)
})

describe('manual commits: the microservice with run: { autoCommit: false }', () => {
  test("only the handler's getConsumer().commitOffsets() commits; an event whose handler does not commit stays uncommitted and is handled again after a restart", async () => {
    const { t, env } = await freshTopics()
    const manual = { ...env, ORDERS_AUTO_COMMIT: '0' } // config.js: run.autoCommit = false
    const group = `${env.ORDERS_GROUP}-server`
    const nothing = { 0: -1, 1: -1 } // fetchOffsets' offset for a partition the group never committed
    const app = await start({ role: 'app', env: manual })
    const [created] = await app.call('announce', { id: 'm-1' }) // its handler commits by hand
    const [viewed] = await app.call('view', { id: 'v-1' }) // its handler only counts
    await waitFor(
      async () => {
        const log = await app.call('log')
        return log.viewed === 1 && log.handled.some((h) => h.id === 'm-1')
      },
      { what: 'both events handled' },
    )
    const createdCommit = { ...nothing, [created.partition]: Number(created.baseOffset) + 1 }
    expect(await committed(group, t('orders.created'))).toEqual(createdCommit)
    expect(await committed(group, t('orders.viewed'))).toEqual(nothing)
    // app.close() commits nothing either (with autoCommit on it commits what was handled).
    expect(await app.call('close')).toMatchObject({ viewed: 1 })
    expect(await app.stop()).toBe(0)
    expect(await committed(group, t('orders.created'))).toEqual(createdCommit)
    expect(await committed(group, t('orders.viewed'))).toEqual(nothing)
    // The next instance of the group starts from the commits: v-1 again, m-1 not.
    const again = await start({ role: 'app', env: manual })
    await waitFor(async () => (await again.call('log')).viewed === 1, { what: 'v-1 handled again' })
    const [later] = await again.call('announce', { id: 'm-2' })
    const { handled } = await waitFor(
      async () => {
        const log = await again.call('log')
        return log.handled.some((h) => h.id === 'm-2') && log
      },
      { what: 'm-2 handled' },
    )
    expect(handled.filter((h) => h.pattern === 'created').map((h) => h.id)).toEqual(['m-2'])
    expect(viewed.topicName).toBe(t('orders.viewed'))
    expect((await committed(group, t('orders.created')))[later.partition]).toBe(Number(later.baseOffset) + 1)
  })
})

describe('request/reply with ClientKafka instances in one group', () => {
  test('two instances: each gets its own reply partition and every reply reaches its sender', async () => {
    const { t, env } = await freshTopics()
    await start({ role: 'server', env })
    const a = await start({ role: 'client', env })
    const b = await start({ role: 'client', env })
    const reply = t('orders.quote.reply')
    // The second member's join rebalances the group: wait until each has its own partition.
    const [pa, pb] = await waitFor(
      async () => {
        const [x, y] = [(await a.call('assignments'))[reply], (await b.call('assignments'))[reply]]
        return x !== undefined && y !== undefined && x !== y && [x, y]
      },
      { timeout: 60000, what: 'two distinct reply partitions' },
    )
    const orders = (who) => Array.from({ length: 10 }, (_, i) => ({ id: `${who}-${i}`, items: [{ qty: i, price: 2 }] }))
    const answers = await Promise.all([
      Promise.all(orders('a').map((o) => a.call('quote', o))),
      Promise.all(orders('b').map((o) => b.call('quote', o))),
    ])
    expect(answers[0]).toEqual(orders('a').map((o) => ({ orderId: o.id, total: o.items[0].qty * 2 })))
    expect(answers[1]).toEqual(orders('b').map((o) => ({ orderId: o.id, total: o.items[0].qty * 2 })))
    // Independently: every reply went to the partition of the instance that asked.
    const replies = await readBack(reply, 20)
    const byOrder = Object.fromEntries(replies.map((m) => [JSON.parse(m.value.toString()).orderId, m.partition]))
    for (const o of orders('a')) expect(byOrder[o.id]).toBe(pa)
    for (const o of orders('b')) expect(byOrder[o.id]).toBe(pb)
  })

  test('one instance owns both reply partitions and names the lowest', async () => {
    const { t, env } = await freshTopics()
    await start({ role: 'server', env })
    const a = await start({ role: 'client', env })
    expect((await a.call('assignments'))[t('orders.quote.reply')]).toBe(0)
    expect(await a.call('quote', { id: 'solo', items: [{ qty: 3, price: 3 }] })).toEqual({ orderId: 'solo', total: 9 })
  })
})

describe('graceful shutdown', () => {
  test('app.close() with requests in flight: what was handled is committed and answered; a new server answers the rest, none twice', async () => {
    const { t, env } = await freshTopics()
    const server = await start({ role: 'server', env })
    const client = await start({ role: 'client', env })
    const N = 16
    for (let i = 0; i < N; i++)
      await client.call('quoteLater', { id: `s-${i}`, items: [{ qty: 1, price: i }], delayMs: 300 }, 120000)
    await waitFor(async () => (await server.call('log')).handled.length >= 3, { what: 'a few requests handled' })
    const { handled: first } = await server.call('close') // app.close() while the rest are in flight
    expect(first.length).toBeLessThan(N)
    // Every request the closed server handled was answered (the replies are on the broker) and committed.
    const replies = await readBack(t('orders.quote.reply'), first.length)
    const answered = new Set(replies.map((m) => JSON.parse(m.value.toString()).orderId))
    for (const h of first) expect(answered.has(h.id)).toBe(true)
    const offsets = await committed(`${env.ORDERS_GROUP}-server`, t('orders.quote'))
    for (const p of [0, 1]) {
      const mine = first.filter((h) => h.partition === p).map((h) => Number(h.offset))
      if (mine.length > 0) expect(offsets[p]).toBe(Math.max(...mine) + 1)
    }
    // Nothing keeps the closed server's process alive: it exits by itself once its IPC closes.
    expect(await server.stop()).toBe(0)
    // A new server takes the rest; the client's every request ends with its answer.
    const again = await start({ role: 'server', env })
    const results = await client.call('settled')
    expect(results).toEqual(
      Array.from({ length: N }, (_, i) => ({ id: `s-${i}`, result: { orderId: `s-${i}`, total: i } })),
    )
    const { handled: second } = await again.call('log')
    const ids = [...first, ...second].map((h) => h.id)
    expect(new Set(ids).size).toBe(ids.length)
    expect(ids.length).toBe(N)
  })
})
