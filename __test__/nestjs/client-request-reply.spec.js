'use strict'
/*
 * KafkaNapiClient#send(): request/reply on kafka-napi's own consumer, answered by the Nest
 * microservice of examples/nest-microservice running on the real kafkajs (a child process), so
 * the server side is Nest's and kafkajs's alone. Requests and replies are read back with kafkajs.
 */
const crypto = require('node:crypto')
const { Test } = require('@nestjs/testing')
const { ClientsModule } = require('@nestjs/microservices')
const {
  InvalidKafkaClientTopicException,
} = require('@nestjs/microservices/errors/invalid-kafka-client-topic.exception')
const { firstValueFrom, lastValueFrom, timeout, toArray, TimeoutError } = require('rxjs')
const { logLevel } = require('../..')
const { KafkaNapiClient } = require('../../nestjs')
const { brokers, createTopic, readBack } = require('../helpers/kafka')
const { waitFor } = require('../helpers/wait')
const { TOPIC_NAMES } = require('../../examples/nest-microservice/config')
const { startPart } = require('../../examples/nest-microservice/remote')

const prefix = `krr-${Date.now().toString(36)}-${crypto.randomBytes(3).toString('hex')}-`
const t = (name) => prefix + name
const group = `${prefix}group`
let server
let app
let client

async function clientModule(name, patterns, extra = {}) {
  const module = await Test.createTestingModule({
    imports: [
      ClientsModule.register([
        {
          name,
          customClass: KafkaNapiClient,
          options: {
            client: { clientId: 'krr', brokers: brokers(), logLevel: logLevel.NOTHING },
            consumer: { groupId: group },
            subscribe: { fromBeginning: true },
            ...extra,
          },
        },
      ]),
    ],
  }).compile()
  await module.init()
  const c = module.get(name)
  for (const p of patterns) c.subscribeToResponseOf(t(p))
  await c.connect()
  return { module, client: c }
}

beforeAll(async () => {
  for (const name of [...TOPIC_NAMES, 'orders.nobody', 'orders.nobody.reply'])
    await createTopic({ topic: t(name), partitions: 2 })
  server = await startPart({
    role: 'server',
    kafkajs: true,
    env: { ORDERS_TOPIC_PREFIX: prefix, ORDERS_GROUP: group, KAFKA_BROKERS: brokers().join(',') },
  })
  ;({ module: app, client } = await clientModule('ORDERS', [
    'orders.quote',
    'orders.reject',
    'orders.lines',
    'orders.nobody',
  ]))
})
afterAll(async () => {
  if (app) await app.close()
  if (server) await server.stop()
})

test('the server is Nest on the real kafkajs', () => {
  expect(server.info).toMatchObject({ kafkajs: true, kafkaNapi: false })
})

test("send() resolves the handler's answer; the request carries Nest's reply headers", async () => {
  const order = { id: 'k-1', items: [{ qty: 2, price: 4 }] }
  expect(await lastValueFrom(client.send(t('orders.quote'), order))).toEqual({ orderId: 'k-1', total: 8 })
  const replyPartition = client.getConsumerAssignments()[t('orders.quote.reply')]
  expect([0, 1]).toContain(replyPartition)
  const [request] = await readBack(t('orders.quote'), 1)
  const header = (name) => request.headers[name].toString()
  expect(header('kafka_replyTopic')).toBe(t('orders.quote.reply'))
  expect(header('kafka_replyPartition')).toBe(String(replyPartition))
  const [reply] = await readBack(t('orders.quote.reply'), 1)
  expect(reply.partition).toBe(replyPartition)
  expect(reply.headers.kafka_correlationId.toString()).toBe(header('kafka_correlationId'))
  expect(client.routingMap.size).toBe(0)
})

test('send() is cold: nothing is produced until it is subscribed', async () => {
  const spy = jest.spyOn(client.producer, 'send')
  try {
    const cold = client.send(t('orders.quote'), { id: 'k-cold', items: [] })
    await new Promise((resolve) => setImmediate(resolve))
    expect(spy).not.toHaveBeenCalled()
    expect(await lastValueFrom(cold)).toEqual({ orderId: 'k-cold', total: 0 })
    expect(spy).toHaveBeenCalledTimes(1)
  } finally {
    spy.mockRestore()
  }
})

test('every reply of a stream is a next value; the disposed one completes', async () => {
  const order = {
    id: 'k-2',
    items: [
      { qty: 1, price: 1 },
      { qty: 2, price: 2 },
    ],
  }
  const values = await lastValueFrom(client.send(t('orders.lines'), order).pipe(toArray()))
  expect(values).toEqual([
    { orderId: 'k-2', line: 0, amount: 1 },
    { orderId: 'k-2', line: 1, amount: 4 },
  ])
})

test("an error reply is the Observable's error", async () => {
  await expect(lastValueFrom(client.send(t('orders.reject'), { id: 'k-3' }))).rejects.toEqual({
    code: 'OUT_OF_STOCK',
    orderId: 'k-3',
  })
})

test('no answer: timeout() fails it and its routing entry is removed', async () => {
  await expect(lastValueFrom(client.send(t('orders.nobody'), { id: 'k-4' }).pipe(timeout(300)))).rejects.toBeInstanceOf(
    TimeoutError,
  )
  expect(client.routingMap.size).toBe(0)
  // The request itself went out.
  const [request] = await readBack(t('orders.nobody'), 1)
  expect(JSON.parse(request.value.toString())).toEqual({ id: 'k-4' })
})

test('a pattern whose replies were not subscribed fails as with ClientKafka', async () => {
  await expect(firstValueFrom(client.send(t('orders.reserve'), { id: 'k-5' }))).rejects.toBeInstanceOf(
    InvalidKafkaClientTopicException,
  )
})

test('concurrent requests each get their own answer', async () => {
  const orders = Array.from({ length: 30 }, (_, i) => ({ id: `c-${i}`, items: [{ qty: i, price: 3 }] }))
  const answers = await Promise.all(orders.map((o) => lastValueFrom(client.send(t('orders.quote'), o))))
  expect(answers).toEqual(orders.map((o) => ({ orderId: o.id, total: o.items[0].qty * 3 })))
})

test('two clients in one group: each names its own reply partition and gets its own answers', async () => {
  const second = await clientModule('ORDERS2', ['orders.quote'])
  try {
    const reply = t('orders.quote.reply')
    await waitFor(
      () => {
        const [a, b] = [client.getConsumerAssignments()[reply], second.client.getConsumerAssignments()[reply]]
        return a !== undefined && b !== undefined && a !== b
      },
      { timeout: 60000, what: 'two distinct reply partitions' },
    )
    const ask = (c, who) =>
      Promise.all(
        Array.from({ length: 5 }, (_, i) => lastValueFrom(c.send(t('orders.quote'), { id: `${who}-${i}`, items: [] }))),
      )
    const [a, b] = await Promise.all([ask(client, 'one'), ask(second.client, 'two')])
    expect(a.map((r) => r.orderId)).toEqual(['one-0', 'one-1', 'one-2', 'one-3', 'one-4'])
    expect(b.map((r) => r.orderId)).toEqual(['two-0', 'two-1', 'two-2', 'two-3', 'two-4'])
  } finally {
    await second.module.close()
  }
})

test('close() fails a request still waiting for its reply, and settles', async () => {
  const own = await clientModule('OWN', ['orders.nobody'])
  const pending = lastValueFrom(own.client.send(t('orders.nobody'), { id: 'k-6' }))
  await waitFor(() => own.client.routingMap.size === 1, { what: 'the request to be registered' })
  await own.module.close()
  await expect(pending).rejects.toThrow('KafkaNapiClient was closed before the reply arrived')
})

test('close() during connect(): the connect finishes, then everything it made is closed', async () => {
  const c = new KafkaNapiClient({
    client: { clientId: 'krr-early', brokers: brokers(), logLevel: logLevel.NOTHING },
    consumer: { groupId: `${group}-early` },
  })
  c.subscribeToResponseOf(t('orders.quote'))
  const connecting = c.connect()
  await c.close()
  await connecting
  expect(() => c.producer).toThrow('No producer initialized')
  expect(() => c.consumer).toThrow('No consumer initialized')
})
