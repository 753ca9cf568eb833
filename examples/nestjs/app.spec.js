'use strict'
/*
 * The email-verification example against a real broker: the request arrives, a message the
 * broker refuses lands in the failure log, and app.close() delivers what is still in flight.
 */
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { Test } = require('@nestjs/testing')
const { FailureLog } = require('../..')
const { brokers, createTopic, readBack } = require('../../__test__/helpers/kafka')
const { AppModule } = require('./app.module')
const { AppConfig } = require('./config')
const { UsersService } = require('./users.service')

let dir
beforeAll(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nest-example-'))))
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }))

async function startApp(verificationTopic) {
  const config = { brokers: brokers(), verificationTopic, failureLogPath: path.join(dir, `${verificationTopic}.jsonl`) }
  const app = await Test.createTestingModule({ imports: [AppModule] })
    .overrideProvider(AppConfig)
    .useValue(config)
    .compile()
  app.useLogger(false)
  await app.init()
  return { app, users: app.get(UsersService), failureLog: new FailureLog({ path: config.failureLogPath }) }
}

async function waitFor(check, timeout = 15000) {
  const deadline = Date.now() + timeout
  for (;;) {
    const value = check()
    if (value) return value
    if (Date.now() > deadline) throw new Error('timed out waiting')
    await new Promise((r) => setTimeout(r, 50))
  }
}

test('registering a user produces the verification request, keyed by user id', async () => {
  const topic = await createTopic({ topic: `send.verification.email-${Date.now()}` })
  const { app, users, failureLog } = await startApp(topic)
  const user = users.register({ email: 'ada@example.com', name: 'Ada' })
  const [m] = await readBack(topic, 1)
  await app.close()
  expect(m.key.toString()).toBe(user.id)
  expect(JSON.parse(m.value.toString())).toEqual({
    userId: user.id,
    email: 'ada@example.com',
    name: 'Ada',
    token: user.verificationToken,
  })
  expect(failureLog.entries()).toEqual([])
})

test('a message the broker rejects (MESSAGE_TOO_LARGE) is recorded in the failure log; the app goes on', async () => {
  // The topic accepts 1 KiB messages: the broker refuses the oversized one with MESSAGE_TOO_LARGE.
  // (Registered one at a time: librdkafka puts messages sent together into one batch, and the
  // broker refuses a batch as a whole.)
  const topic = await createTopic({
    topic: `send.verification.email-${Date.now()}`,
    configs: { 'max.message.bytes': 1024 },
  })
  const { app, users, failureLog } = await startApp(topic)
  const huge = users.register({ email: 'huge@example.com', name: 'x'.repeat(5000) })
  const [entry] = await waitFor(() => failureLog.entries().length > 0 && failureLog.entries())
  const fine = users.register({ email: 'fine@example.com', name: 'Fine' })
  const [m] = await readBack(topic, 1)
  await app.close()
  expect(entry).toMatchObject({
    topic,
    error: { name: 'KafkaJSProtocolError', type: 'MESSAGE_TOO_LARGE', code: 10, retriable: false },
    attempts: 1,
  })
  expect(entry.key.toString()).toBe(huge.id)
  expect(JSON.parse(entry.value.toString())).toMatchObject({ userId: huge.id, email: 'huge@example.com' })
  expect(m.key.toString()).toBe(fine.id)
  expect(failureLog.entries()).toHaveLength(1)
})

test('app.close() delivers every request still in flight', async () => {
  const topic = await createTopic({ topic: `send.verification.email-${Date.now()}`, partitions: 3 })
  const { app, users, failureLog } = await startApp(topic)
  const ids = []
  for (let i = 0; i < 300; i++) ids.push(users.register({ email: `user${i}@example.com`, name: `User ${i}` }).id)
  await app.close()
  const got = await readBack(topic, 300)
  expect(got.map((m) => m.key.toString()).sort()).toEqual(ids.sort())
  expect(failureLog.entries()).toEqual([])
})
