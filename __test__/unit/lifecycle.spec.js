'use strict'
/*
 * One lifecycle, whatever the app does: 1,000 seeded random sequences of connect, disconnect,
 * send, sendBatch and transactions, interleaved without awaiting, with the broker going down and
 * up. In every sequence: no call throws synchronously, every Promise settles, the CONNECT and
 * DISCONNECT events pair up with the state, and once the last disconnect has settled, threads
 * and file descriptors are back where they started.
 *
 * A failing sequence prints its seed; `LIFECYCLE_SEEDS=1,2,3` replays chosen seeds. Seeds that
 * once failed are kept in REGRESSIONS.
 */
const fs = require('node:fs')
const { Kafka, MockCluster, logLevel } = require('../..')
const { waitFor } = require('../helpers/wait')
const { seededRandom: random } = require('../helpers/random')

const SEQUENCES = Number(process.env.LIFECYCLE_SEQUENCES || 1000)
/** Seeds that failed before their fix (see the git log of this file). */
const REGRESSIONS = [1005] // 1005: two DISCONNECT events for one CONNECT (disconnect during a failed connect)

const threads = () => fs.readdirSync('/proc/self/task').length
const fds = () => fs.readdirSync('/proc/self/fd').length

/** Settles within `ms` or names what hung. */
function settles(promise, ms, what) {
  let timer
  return Promise.race([
    promise.then(
      () => 'fulfilled',
      () => 'rejected',
    ),
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} did not settle within ${ms} ms`)), ms)
    }),
  ]).finally(() => clearTimeout(timer))
}

async function runSequence(seed, mock) {
  const rnd = random(seed)
  const pick = (n) => Math.floor(rnd() * n)
  const transactional = rnd() < 0.25
  const kafka = new Kafka({
    brokers: mock.brokers,
    logLevel: logLevel.NOTHING,
    connectionTimeout: 200,
    authenticationTimeout: 100,
    retry: { retries: 1, initialRetryTime: 20, maxRetryTime: 50 },
  })
  const producer = kafka.producer({
    disconnectTimeout: pick(3) * 50,
    deliveryTimeout: 400,
    transactionalId: transactional ? `txn-${seed}` : undefined,
    transactionTimeout: 1000,
  })
  const events = []
  producer.on(producer.events.CONNECT, () => events.push('connect'))
  producer.on(producer.events.DISCONNECT, () => events.push('disconnect'))
  const calls = []
  const call = (what, fn) => {
    let p
    try {
      p = fn()
    } catch (e) {
      throw new Error(`seed ${seed}: ${what} threw synchronously: ${e && e.message}`)
    }
    if (!(p instanceof Promise)) throw new Error(`seed ${seed}: ${what} did not return a Promise`)
    p.catch(() => {}) // rejections are expected here; settling is what is checked
    calls.push({ what, p })
    return p
  }
  let txn = null
  const steps = 3 + pick(8)
  const log = []
  for (let i = 0; i < steps; i++) {
    const op = pick(10)
    const messages = Array.from({ length: 1 + pick(200) }, (_, j) => ({ key: `k${j % 7}`, value: `v${j}` }))
    if (op === 0 || op === 1) {
      log.push('connect')
      call('connect', () => producer.connect())
    } else if (op === 2) {
      log.push('disconnect')
      call('disconnect', () => producer.disconnect())
    } else if (op === 3 || op === 4) {
      log.push('send')
      call('send', () => (txn ? txn.send({ topic: 't', messages }) : producer.send({ topic: 't', messages })))
    } else if (op === 5) {
      log.push('sendBatch')
      call('sendBatch', () => producer.sendBatch({ topicMessages: [{ topic: 't', messages }] }))
    } else if (op === 6 && transactional) {
      log.push('transaction')
      call('transaction', () =>
        producer.transaction().then((t) => {
          txn = t
        }),
      )
    } else if (op === 7 && txn) {
      const t = txn
      txn = null
      const how = rnd() < 0.5 ? 'commit' : 'abort'
      log.push(how)
      call(how, () => t[how]())
    } else if (op === 8) {
      const down = rnd() < 0.5
      log.push(down ? 'broker down' : 'broker up')
      if (down) mock.brokerDown(1)
      else mock.brokerUp(1)
    } else {
      log.push('await')
      await Promise.allSettled(calls.map((c) => c.p))
    }
  }
  const last = call('final disconnect', () => producer.disconnect())
  for (const c of calls) {
    await settles(c.p, 20000, `seed ${seed} [${log.join(', ')}]: ${c.what}`)
  }
  await settles(last, 20000, `seed ${seed}: final disconnect`)
  // A connect may have been issued after the final disconnect was queued: end the same way.
  await settles(producer.disconnect(), 20000, `seed ${seed}: closing disconnect`)
  mock.brokerUp(1)
  const connects = events.filter((e) => e === 'connect').length
  const disconnects = events.filter((e) => e === 'disconnect').length
  if (connects !== disconnects || producer.toJSON().state !== 'disconnected') {
    throw new Error(
      `seed ${seed} [${log.join(', ')}]: events ${events.join(',')} with final state ${producer.toJSON().state}`,
    )
  }
  for (let i = 1; i < events.length; i++) {
    if (events[i] === events[i - 1]) throw new Error(`seed ${seed}: two ${events[i]} events in a row (${events})`)
  }
}

/**
 * Threads and fds back within the baseline's bounds (threads that are ending get up to 10 s), or
 * a rejection that names `where`: checked every 100 sequences, so a leak that builds up and is
 * released later (or only grows slowly) is seen where it happens, not only after the last one.
 */
function withinBaseline(baseline, where) {
  return waitFor(
    () => {
      const n = { threads: threads(), fds: fds() }
      return n.threads <= baseline.threads + 2 && n.fds <= baseline.fds + 4 ? n : false
    },
    {
      timeout: 10000,
      interval: 20,
      what: () => `${where}: threads ${threads()} (start ${baseline.threads}), fds ${fds()} (start ${baseline.fds})`,
    },
  )
}

test(`${SEQUENCES} random lifecycle sequences: nothing throws, every Promise settles, events pair, resources return`, async () => {
  const seeds = process.env.LIFECYCLE_SEEDS
    ? process.env.LIFECYCLE_SEEDS.split(',').map(Number)
    : [...REGRESSIONS, ...Array.from({ length: SEQUENCES }, (_, i) => 1000 + i)]
  let mock = new MockCluster({ brokers: 1 })
  mock.createTopic('t', { partitions: 3 })
  const baseline = { threads: threads(), fds: fds() }
  try {
    for (const [i, seed] of seeds.entries()) {
      await runSequence(seed, mock)
      if (i % 100 === 99) {
        // A fresh mock cluster now and then: its own state (fenced transactional ids) stays small.
        mock.close()
        mock = new MockCluster({ brokers: 1 })
        mock.createTopic('t', { partitions: 3 })
        // Bounded drift: with one mock cluster up, as at the start (usually at once).
        await withinBaseline(baseline, `after ${i + 1} sequences (seed ${seed})`)
      }
    }
  } finally {
    mock.close()
  }
  // Every producer was disconnected: librdkafka's threads and sockets are gone.
  const now = await withinBaseline(baseline, `after all ${seeds.length} sequences`)
  expect(now.threads).toBeLessThanOrEqual(baseline.threads + 2)
}, 1800000)

test('connect() while disconnect() is aborting a transaction waits for it instead of throwing', async () => {
  const mock = new MockCluster({ brokers: 1 })
  mock.createTopic('t', { partitions: 1 })
  const producer = new Kafka({ brokers: mock.brokers, logLevel: logLevel.NOTHING }).producer({
    transactionalId: 'abort-window',
  })
  try {
    await producer.connect()
    const txn = await producer.transaction()
    await txn.send({ topic: 't', messages: [{ value: 'x' }] })
    const disconnecting = producer.disconnect() // awaits the abort first
    let reconnecting
    expect(() => {
      reconnecting = producer.connect()
    }).not.toThrow()
    await disconnecting
    await expect(reconnecting).resolves.toBeUndefined()
    expect(producer.toJSON().state).toBe('connected')
  } finally {
    await producer.disconnect()
    mock.close()
  }
})
