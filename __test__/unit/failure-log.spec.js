'use strict'
/*
 * The failure log records every rejected message, at each failure point: validation before
 * sending, a full local queue, a delivery deadline; replay resumes after a crash.
 * (Broker rejections and a full replay against Apache Kafka: cluster/acks-min-insync.spec.js.)
 */
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { Kafka, MockCluster, FailureLog, logLevel, KafkaJSError } = require('../..')

const tmpLog = () => path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'kn-flog-')), 'failed.jsonl')

let mock
beforeEach(() => {
  mock = new MockCluster({ brokers: 1 })
  mock.createTopic('t', { partitions: 1 })
})
afterEach(() => mock.close())

async function connected(config) {
  const p = new Kafka({ brokers: mock.brokers, logLevel: logLevel.NOTHING }).producer(config)
  await p.connect()
  return p
}

test('a send rejected by validation is recorded, losslessly, before the rejection is seen', async () => {
  const failureLog = new FailureLog({ path: tmpLog() })
  const p = await connected({ failureLog })
  try {
    const key = Buffer.from([0, 255, 1])
    await expect(
      p.send({ topic: 't', messages: [{ key, value: 'ok', headers: { h: ['a', 'b'] } }, { key: 'k2' }] }),
    ).rejects.toThrow(/Invalid message without value/)
    const entries = failureLog.entries()
    expect(entries).toHaveLength(2)
    expect(Buffer.compare(entries[0].key, key)).toBe(0)
    expect(entries[0].value.toString()).toBe('ok')
    expect(entries[0].headers.h.map(String)).toEqual(['a', 'b'])
    expect(entries[0]).toMatchObject({
      topic: 't',
      attempts: 0,
      error: { name: 'KafkaJSNonRetriableError', retriable: false },
    })
    expect(entries[1].value).toBeNull()
  } finally {
    await p.disconnect()
  }
})

test('a full local queue makes send wait for room without blocking the event loop', async () => {
  mock.roundTripTime(1, 50)
  const p = await connected({ queueBufferingMaxMessages: 5 })
  try {
    let ticks = 0
    const timer = setInterval(() => ticks++, 10)
    const messages = Array.from({ length: 60 }, (_, i) => ({ value: String(i) }))
    const [r] = await p.send({ topic: 't', messages })
    clearInterval(timer)
    expect(r.baseOffset).toBe('0')
    // The send spanned several 50 ms round trips; the loop kept running all along.
    expect(ticks).toBeGreaterThan(5)
  } finally {
    await p.disconnect()
  }
})

test('past maxBlockMs a full queue rejects with a typed error, and every message is recorded', async () => {
  const failureLog = new FailureLog({ path: tmpLog() })
  const reports = []
  const p = await connected({
    queueBufferingMaxMessages: 5,
    maxBlockMs: 200,
    deliveryTimeout: 1000,
    failureLog,
    onDeliveryFailure: (r) => reports.push(r),
  })
  try {
    await p.send({ topic: 't', messages: [{ value: 'warm' }] })
    mock.brokerDown(1)
    const err = await p
      .send({ topic: 't', messages: Array.from({ length: 20 }, (_, i) => ({ value: String(i) })) })
      .catch((e) => e)
    expect(err).toBeInstanceOf(KafkaJSError)
    const byType = {}
    for (const r of reports)
      byType[`${r.error.name}:${r.attempts}`] = (byType[`${r.error.name}:${r.attempts}`] || 0) + 1
    // 5 fit the queue and timed out unacknowledged; 15 never found room.
    expect(byType).toEqual({ 'KafkaJSNumberOfRetriesExceeded:null': 5, 'KafkaJSError:0': 15 })
    expect(
      reports.filter((r) => r.attempts === 0).every((r) => /Local producer queue is full/.test(r.error.message)),
    ).toBe(true)
    expect(
      failureLog
        .entries()
        .map((e) => e.value.toString())
        .sort((a, b) => a - b),
    ).toEqual(Array.from({ length: 20 }, (_, i) => String(i)))
    mock.brokerUp(1)
  } finally {
    await p.disconnect()
  }
})

test('replay resumes after a crash: entries journalled as delivered are not sent again', async () => {
  const file = tmpLog()
  const failureLog = new FailureLog({ path: file })
  for (const value of ['a', 'b', 'c'])
    failureLog.record({ topic: 't', message: { key: value, value }, error: new Error('x') })
  // A replay that crashed after delivering entry 0 left this journal behind.
  fs.writeFileSync(`${file}.replayed`, '0\n')
  const p = await connected({})
  try {
    expect(await failureLog.replay(p)).toEqual({ replayed: 3, failed: 0 })
    const [r] = await p.send({ topic: 't', messages: [{ value: 'after' }] })
    // Only b and c were produced by the replay (offsets 0 and 1).
    expect(r.baseOffset).toBe('2')
  } finally {
    await p.disconnect()
  }
  expect(failureLog.entries()).toEqual([])
  expect(fs.existsSync(`${file}.replayed`)).toBe(false)
})
