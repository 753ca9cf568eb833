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
const { waitFor } = require('../helpers/wait')

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

/** A producer stand-in whose sendBatch takes `ms` and records what it was given, in order. */
function slowProducer(ms, { fail = () => false } = {}) {
  const sent = []
  let inFlight = 0
  let started
  const stub = {
    sent,
    maxInFlight: 0,
    /** Resolves when the first send begins. */
    started: new Promise((resolve) => {
      started = resolve
    }),
    async sendBatch({ topicMessages }) {
      started()
      inFlight++
      stub.maxInFlight = Math.max(stub.maxInFlight, inFlight)
      await new Promise((r) => setTimeout(r, ms))
      inFlight--
      const failures = []
      let i = 0
      for (const { topic, messages } of topicMessages) {
        for (const m of messages) {
          if (fail(m)) failures.push({ index: i, code: 3, name: 'UNKNOWN_TOPIC_OR_PARTITION', message: 'no' })
          else sent.push(`${topic}:${m.value}`)
          i++
        }
      }
      if (failures.length) {
        const e = new KafkaJSError('some failed')
        e.failures = failures
        throw e
      }
      return []
    },
  }
  return stub
}

const report = (value, extra = {}) => ({
  topic: 't',
  message: { key: `k-${value}`, value },
  error: new Error('x'),
  ...extra,
})

test('records written while a replay runs are kept (regression: replay rewrote the file from its start)', async () => {
  const file = tmpLog()
  const log = new FailureLog({ path: file })
  for (let i = 0; i < 5; i++) await log.record(report(`old-${i}`))
  const producer = slowProducer(50)
  const replaying = log.replay(producer)
  await producer.started
  for (let i = 0; i < 3; i++) await log.record(report(`new-${i}`))
  await replaying
  expect(producer.sent).toEqual(['t:old-0', 't:old-1', 't:old-2', 't:old-3', 't:old-4'])
  expect(log.entries().map((e) => e.value.toString())).toEqual(['new-0', 'new-1', 'new-2'])
  await log.close()
})

test('a torn last line is set aside and reported, never fatal, never glued to the next record', async () => {
  const file = tmpLog()
  const log = new FailureLog({ path: file })
  await log.record(report('a'))
  await log.close()
  const torn = '{"id":"x","topic":"t","value":"dG9y'
  fs.appendFileSync(file, torn) // a crash mid-append
  const corruption = []
  const again = new FailureLog({ path: file, onCorruption: (info) => corruption.push(info) })
  // Readers skip it.
  expect(again.entries().map((e) => e.value.toString())).toEqual(['a'])
  await again.record(report('b'))
  expect(again.entries().map((e) => e.value.toString())).toEqual(['a', 'b'])
  expect(corruption).toEqual([expect.objectContaining({ bytes: torn.length, setAsideIn: `${file}.torn` })])
  expect(fs.readFileSync(`${file}.torn`, 'utf8')).toContain(torn)
  const producer = slowProducer(1)
  expect(await again.replay(producer)).toEqual({ replayed: 2, failed: 0, kept: 0, skipped: 0 })
  expect(producer.sent).toEqual(['t:a', 't:b'])
  await again.close()
})

test('a corrupt line in the middle is set aside by the replay; the records around it are replayed', async () => {
  const file = tmpLog()
  const log = new FailureLog({ path: file, onCorruption: () => {} })
  await log.record(report('a'))
  fs.appendFileSync(file, 'not json at all\n')
  await log.record(report('b'))
  const producer = slowProducer(1)
  expect(await log.replay(producer)).toMatchObject({ replayed: 2, failed: 0 })
  expect(producer.sent).toEqual(['t:a', 't:b'])
  expect(fs.readFileSync(`${file}.torn`, 'utf8')).toContain('not json at all')
  await log.close()
})

test('record() resolves once durable and group-commits: far fewer fdatasyncs than records, none on the event loop', async () => {
  const log = new FailureLog({ path: tmpLog() })
  const fsp = require('node:fs/promises')
  const probe = await fsp.open(log.path, 'a')
  const proto = Object.getPrototypeOf(probe)
  await probe.close()
  const realDatasync = proto.datasync
  let syncs = 0
  proto.datasync = function (...args) {
    syncs++
    return realDatasync.apply(this, args)
  }
  const syncCalls = jest.spyOn(fs, 'fdatasyncSync')
  try {
    const n = 10000
    const pending = []
    for (let i = 0; i < n; i++) pending.push(log.record(report(String(i))))
    // Nothing was written synchronously: the loop was never held for disk I/O.
    expect(pending[0]).toBeInstanceOf(Promise)
    expect(fs.statSync(log.path).size).toBe(0)
    await Promise.all(pending)
    expect(syncCalls).not.toHaveBeenCalled()
    expect(syncs).toBeGreaterThan(0)
    expect(syncs).toBeLessThan(n / 20)
    expect(log.entries().map((e) => e.value.toString())).toEqual(Array.from({ length: n }, (_, i) => String(i)))
  } finally {
    proto.datasync = realDatasync
    syncCalls.mockRestore()
    await log.close()
  }
})

test('replay is pipelined (several batches in flight) and keeps log order', async () => {
  const log = new FailureLog({ path: tmpLog() })
  for (let i = 0; i < 2000; i++) await log.record(report(String(i)))
  const producer = slowProducer(20)
  expect(await log.replay(producer, { batchSize: 100, concurrency: 4 })).toMatchObject({ replayed: 2000 })
  expect(producer.maxInFlight).toBe(4)
  expect(producer.sent).toEqual(Array.from({ length: 2000 }, (_, i) => `t:${i}`))
  expect(log.entries()).toEqual([])
  await log.close()
})

test('a record that fails again stays once, with its new error and replays + 1, in failure order', async () => {
  const log = new FailureLog({ path: tmpLog() })
  for (const v of ['a', 'b', 'c']) await log.record(report(v))
  const producer = slowProducer(1, { fail: (m) => String(m.value) === 'b' })
  expect(await log.replay(producer)).toEqual({ replayed: 2, failed: 1, kept: 0, skipped: 0 })
  const [b] = log.entries()
  expect(log.entries()).toHaveLength(1)
  expect(b).toMatchObject({ replays: 1, error: { code: 3, name: 'UNKNOWN_TOPIC_OR_PARTITION' } })
  expect(b.value.toString()).toBe('b')
  // A second replay that succeeds consumes it.
  expect(await log.replay(slowProducer(1))).toEqual({ replayed: 1, failed: 0, kept: 0, skipped: 0 })
  expect(log.entries()).toEqual([])
  await log.close()
})

test('possibly persisted records are kept by default, sent on request, or checked by a callback', async () => {
  const log = new FailureLog({ path: tmpLog() })
  await log.record(report('sure'))
  await log.record(report('maybe-stored', { possiblyPersisted: true }))
  await log.record(report('maybe-lost', { possiblyPersisted: true }))
  const first = slowProducer(1)
  expect(await log.replay(first)).toEqual({ replayed: 1, failed: 0, kept: 2, skipped: 0 })
  expect(first.sent).toEqual(['t:sure'])
  expect(log.entries().map((e) => [e.value.toString(), e.possiblyPersisted])).toEqual([
    ['maybe-stored', true],
    ['maybe-lost', true],
  ])
  const second = slowProducer(1)
  const checked = await log.replay(second, { possiblyPersisted: (e) => e.value.toString() === 'maybe-stored' })
  expect(checked).toEqual({ replayed: 1, failed: 0, kept: 0, skipped: 1 })
  expect(second.sent).toEqual(['t:maybe-lost'])
  expect(log.entries()).toEqual([])
  await log.close()
})

test('a record re-recorded by a replay that crashed before its marker moved is sent once', async () => {
  const file = tmpLog()
  const log = new FailureLog({ path: file })
  await log.record(report('a'))
  await log.close()
  // The same record twice (same id): what a crash between re-recording and the marker leaves.
  const line = fs.readFileSync(file, 'utf8')
  fs.appendFileSync(file, line.replace('"replays":0', '"replays":1'))
  const again = new FailureLog({ path: file })
  expect(again.entries()).toHaveLength(1)
  const producer = slowProducer(1)
  expect(await again.replay(producer)).toMatchObject({ replayed: 1 })
  expect(producer.sent).toEqual(['t:a'])
  await again.close()
})

test('a second process is refused with a clear error; a dead owner’s lock is taken over', async () => {
  const { spawnSync } = require('node:child_process')
  const file = tmpLog()
  const log = new FailureLog({ path: file })
  await log.record(report('mine'))
  const child = (code) =>
    spawnSync(process.execPath, ['-e', code], { encoding: 'utf8', cwd: path.resolve(__dirname, '../..') })
  const script = `const { FailureLog } = require('./lib/failure-log');
    new FailureLog({ path: ${JSON.stringify(file)} }).record({ topic: 't', message: { value: 'theirs' }, error: {} })
      .then(() => console.log('recorded'), (e) => { console.log(e.name, e.code, e.message); process.exitCode = 3 })`
  const refused = child(script)
  expect(refused.status).toBe(3)
  expect(refused.stdout).toMatch(/FailureLogLockedError KAFKA_NAPI_FAILURE_LOG_LOCKED .*in use by process \d+/)
  await log.close()
  // A lock left by a process that died (kill -9) is stale: the next process takes over.
  fs.writeFileSync(`${file}.lock`, `999999999\n${require('node:os').hostname()}\n`)
  const taken = child(script)
  expect(taken.stdout.trim()).toBe('recorded')
  expect(new FailureLog({ path: file }).entries().map((e) => e.value.toString())).toEqual(['mine', 'theirs'])
})

test('the failure is reported only after its record is durable; a sink that fails, hangs or throws still lets it through', async () => {
  const order = []
  const slowSink = {
    record: (r) =>
      new Promise((resolve) =>
        setTimeout(() => {
          order.push(`recorded ${r.message.value}`)
          resolve()
        }, 30),
      ),
  }
  const p = await connected({
    failureLog: slowSink,
    onDeliveryFailure: (r) => order.push(`callback ${r.message.value}`),
  })
  p.on(p.events.DELIVERY_FAILURE, ({ payload }) => order.push(`event ${payload.message.value}`))
  try {
    await p
      .send({ topic: 't', messages: [{ value: 'v', partition: 7 }] })
      .catch((e) => order.push(`rejected ${e.name}`))
    expect(order).toEqual(['recorded v', 'event v', 'callback v', 'rejected KafkaJSProtocolError'])
  } finally {
    await p.disconnect()
  }
  const broken = { record: () => Promise.reject(new Error('db down')) }
  const hanging = { record: () => new Promise(() => {}) }
  const throwing = {
    record: () => {
      throw new Error('sink threw')
    },
  }
  const throwingBatch = {
    record: () => Promise.resolve(), // not used: recordBatch is preferred when present
    recordBatch: () => {
      throw new Error('batch sink threw')
    },
  }
  for (const [sink, message] of [
    [broken, 'db down'],
    [hanging, 'did not confirm the record within 100 ms'],
    [throwing, 'sink threw'],
    [throwingBatch, 'batch sink threw'],
  ]) {
    const reports = []
    const q = await connected({ failureLog: sink, failureLogTimeout: 100, onDeliveryFailure: (r) => reports.push(r) })
    try {
      const err = await q.send({ topic: 't', messages: [{ value: 'v', partition: 7 }] }).catch((e) => e)
      expect(err.name).toBe('KafkaJSProtocolError')
      expect(err.failureLogError.message).toContain(message)
      expect(reports).toHaveLength(1)
      expect(reports[0].recordError.message).toContain(message)
    } finally {
      await q.disconnect()
    }
  }
})

test('past maxEnqueueBytes a send waits without being copied, and a refusal is typed and recorded', async () => {
  const failureLog = new FailureLog({ path: tmpLog() })
  const p = await connected({
    queueBufferingMaxMessages: 5,
    maxEnqueueBytes: 10000,
    maxBlockMs: 300,
    deliveryTimeout: 5000,
    failureLog,
  })
  try {
    await p.send({ topic: 't', messages: [{ value: 'warm' }] })
    mock.brokerDown(1)
    const value = Buffer.alloc(100, 'v')
    // 200 messages, 5 fit librdkafka's queue: the rest (about 25 KB) wait in the enqueue path.
    const big = p.send({ topic: 't', messages: Array.from({ length: 200 }, () => ({ value })) }).catch((e) => e)
    await waitFor(() => p._native.enqueueBacklogBytes() > 10000, { what: 'the enqueue backlog to pass the bound' })
    const before = p._native.enqueueBacklogBytes()
    const small = p.send({ topic: 't', messages: Array.from({ length: 10 }, (_, i) => ({ value: `w${i}` })) })
    await new Promise((r) => setImmediate(r)) // the turn in which a send reaches the native core
    expect(p._native.enqueueBacklogBytes()).toBe(before) // not copied while it waits
    const err = await small.catch((e) => e)
    expect(err).toBeInstanceOf(KafkaJSError)
    // Either it never found room (maxEnqueueBytes) or, let in once the big send gave up, it found
    // librdkafka's queue still full: both are the same typed, retriable refusal.
    expect(err.message).toMatch(/^Local producer queue is full/)
    expect(err.retriable).toBe(true)
    const waited = failureLog.entries().filter((e) => /^w\d$/.test(e.value.toString()))
    expect(waited.map((e) => [e.value.toString(), e.attempts, e.possiblyPersisted])).toEqual(
      Array.from({ length: 10 }, (_, i) => [`w${i}`, 0, false]),
    )
    mock.brokerUp(1)
    await big
  } finally {
    await p.disconnect()
  }
})

test('a write that fails part-way leaves no partial line: the next record is intact, nothing durable is set aside', async () => {
  const file = tmpLog()
  const corruption = []
  const log = new FailureLog({ path: file, onCorruption: (info) => corruption.push(info) })
  await log.record(report('a'))
  const fh = log._j().fh
  const realWrite = fh.write
  let calls = 0
  // A short write (half the batch reaches the file), then the disk is full.
  fh.write = function (buf, off, len) {
    if (++calls === 1) return realWrite.call(this, buf, off, Math.max(1, len >> 1))
    throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' })
  }
  let failed
  try {
    failed = await log.recordBatch([report('b1'), report('b2'), report('b3')]).catch((e) => e)
  } finally {
    fh.write = realWrite
  }
  expect(failed).toBeInstanceOf(Error) // not reported durable
  expect(failed.code).toBe('ENOSPC')
  await log.record(report('c'))
  // Before the fix: ['a', 'b1'] (b1, reported failed, stayed; c was glued to half of b2).
  expect(log.entries().map((e) => e.value.toString())).toEqual(['a', 'c'])
  expect(fs.readFileSync(file, 'utf8').split('\n').filter(Boolean)).toHaveLength(2)
  const producer = slowProducer(1)
  expect(await log.replay(producer)).toEqual({ replayed: 2, failed: 0, kept: 0, skipped: 0 })
  expect(producer.sent).toEqual(['t:a', 't:c'])
  expect(corruption).toEqual([])
  expect(fs.existsSync(`${file}.torn`)).toBe(false)
  await log.close()
})

test('a send whose record could not be written reports recordError (not durable); later records are intact', async () => {
  const failureLog = new FailureLog({ path: tmpLog(), onCorruption: () => {} })
  const reports = []
  const p = await connected({ failureLog, onDeliveryFailure: (r) => reports.push(r) })
  try {
    await p.send({ topic: 't', messages: [{ key: 'k' }] }).catch(() => {}) // opens the log
    const fh = failureLog._j().fh
    const realWrite = fh.write
    let calls = 0
    fh.write = function (buf, off, len) {
      if (++calls === 1) return realWrite.call(this, buf, off, Math.max(1, len >> 1))
      throw Object.assign(new Error('EIO: i/o error, write'), { code: 'EIO' })
    }
    let err
    try {
      err = await p.send({ topic: 't', messages: [{ key: 'lost' }] }).catch((e) => e)
    } finally {
      fh.write = realWrite
    }
    expect(err.failureLogError.code).toBe('EIO')
    expect(reports.map((r) => [String(r.message.key), r.recordError && r.recordError.code])).toEqual([
      ['k', undefined],
      ['lost', 'EIO'],
    ])
    await p.send({ topic: 't', messages: [{ key: 'after' }] }).catch(() => {})
    expect(failureLog.entries().map((e) => e.key.toString())).toEqual(['k', 'after'])
  } finally {
    await p.disconnect()
    await failureLog.close()
  }
})

test('if the partial write cannot be cut off either, the next record still starts on a fresh line', async () => {
  const file = tmpLog()
  const corruption = []
  const log = new FailureLog({ path: file, onCorruption: (info) => corruption.push(info) })
  await log.record(report('a'))
  const fh = log._j().fh
  const { write, truncate } = fh
  let calls = 0
  fh.write = function (buf, off, len) {
    if (++calls === 1) return write.call(this, buf, off, Math.max(1, len >> 1))
    throw Object.assign(new Error('EIO: i/o error, write'), { code: 'EIO' })
  }
  fh.truncate = () => Promise.reject(Object.assign(new Error('EIO: i/o error, ftruncate'), { code: 'EIO' }))
  try {
    await expect(log.record(report('b'))).rejects.toThrow(/EIO/)
  } finally {
    fh.write = write
    fh.truncate = truncate
  }
  await log.record(report('c'))
  expect(log.entries().map((e) => e.value.toString())).toEqual(['a', 'c'])
  const producer = slowProducer(1)
  expect(await log.replay(producer)).toMatchObject({ replayed: 2, failed: 0 })
  expect(producer.sent).toEqual(['t:a', 't:c'])
  // The half line of b (reported not durable) is set aside, not replayed.
  expect(corruption).toEqual([expect.objectContaining({ what: 'a corrupt line' })])
  await log.close()
})

test('maxEnqueueBytes is a hard bound: waiting sends are let in one by one, in call order, as room frees', async () => {
  const limit = 10000
  const p = await connected({ queueBufferingMaxMessages: 5, maxEnqueueBytes: limit, maxBlockMs: 20000 })
  try {
    await p.send({ topic: 't', messages: [{ value: 'warm' }] })
    mock.brokerDown(1)
    // Packed size of a send of n messages of 100 bytes to 't': 13 + n * (28 + 100).
    const small = Array.from({ length: 20 }, () => ({ value: Buffer.alloc(100, 's') })) // 2,573 bytes
    const big = Array.from({ length: 100 }, () => ({ value: Buffer.alloc(100, 'b') })) // 12,813 bytes
    const native = p._native
    const samples = []
    const sample = () => samples.push(native.enqueueBacklogBytes())
    const timer = setInterval(sample, 1)
    const sends = []
    for (let i = 0; i < 8; i++) sends.push(p.send({ topic: 't', messages: small }))
    // Larger than the bound: let in only once the backlog is empty, so it cannot wait forever.
    sends.push(p.send({ topic: 't', messages: big }))
    await new Promise((r) => setImmediate(r))
    let results
    try {
      sample()
      // Three fit (7,719 bytes); the fourth would pass the bound, so it and the rest wait.
      expect(native.enqueueBacklogBytes()).toBe(3 * 2573)
      await new Promise((r) => setTimeout(r, 200))
      expect(native.enqueueBacklogBytes()).toBe(3 * 2573)
    } finally {
      mock.brokerUp(1)
      results = await Promise.all(sends)
      clearInterval(timer)
    }
    const over = samples.filter((b) => b > limit && b !== 12813)
    expect(over).toEqual([])
    expect(Math.max(...samples)).toBeGreaterThan(2 * 2573) // several were in at once
    // Call order (FIFO): each send's messages come after the previous send's.
    const offsets = results.map(([r]) => Number(r.baseOffset))
    expect(offsets).toEqual(offsets.map((_, i) => Number(results[0][0].baseOffset) + i * 20))
  } finally {
    await p.disconnect()
  }
})

test('the admission step counts a send at exactly its packed size (what the enqueue path copies)', () => {
  const { packedSize } = require('../../lib/producer/admission')
  const { packSend } = require('../../lib/producer/route')
  const { Packer } = require('../../lib/pack')
  const topicMessages = [
    {
      topic: 'tópico',
      messages: [{ key: 'k€', value: Buffer.alloc(7), headers: { h: ['a', Buffer.alloc(3)], n: null } }],
    },
    { topic: 't', messages: [{ value: 'plain' }, { key: new Uint8Array(5), value: null, headers: { x: undefined } }] },
    { topic: 'tópico', messages: [{ value: '\u{1F600}' }] },
  ]
  expect(packedSize(topicMessages)).toBe(packSend(new Packer(), topicMessages, null, null).length)
  // One topic takes packSend's shorter path: the same size.
  const one = [topicMessages[0]]
  expect(packedSize(one)).toBe(packSend(new Packer(), one, null, null).length)
})
