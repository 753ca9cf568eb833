#!/usr/bin/env node
'use strict'
/*
 * The failure path under an outage: N messages fail through a real producer into a FailureLog,
 * then the log is replayed. Prints records/s, the event-loop delay while recording (p50, p99,
 * max) and the replay time. Failures come from sends to a partition the topic does not have, so
 * every message takes the whole native failure path (enqueue refused, completion, report, log).
 *
 *   node bench/failure-log.js [--messages 100000] [--brokers host:port] [--no-log]
 *
 * Without --brokers (or KAFKA_BROKERS) it runs on librdkafka's mock cluster.
 */
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { monitorEventLoopDelay, performance } = require('node:perf_hooks')
const { Kafka, MockCluster, FailureLog, logLevel } = require('..')

function arg(name, fallback) {
  const i = process.argv.indexOf(`--${name}`)
  return i > 0 ? process.argv[i + 1] : fallback
}

async function main() {
  const n = Number(arg('messages', 100000))
  let mock = null
  let brokers = arg('brokers', process.env.KAFKA_BROKERS)
  const topic = `failure-bench-${Date.now()}`
  if (!brokers) {
    mock = new MockCluster({ brokers: 1 })
    mock.createTopic(topic, { partitions: 1 })
    brokers = mock.brokers.join(',')
  }
  const kafka = new Kafka({ brokers: brokers.split(','), logLevel: logLevel.NOTHING })
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kn-failure-bench-'))
  const log = new FailureLog({ path: path.join(dir, 'failed.jsonl') })
  // --no-log: the same failing sends without a failure log, for the baseline the log adds to.
  const withLog = !process.argv.includes('--no-log')
  const producer = kafka.producer({ failureLog: withLog ? log : undefined, allowAutoTopicCreation: true })
  await producer.connect()
  if (!mock) await producer.send({ topic, messages: [{ value: 'create' }] })

  const perSend = 1000
  const value = Buffer.alloc(100, 'x')
  const delay = monitorEventLoopDelay({ resolution: 1 })
  delay.enable()
  const t0 = performance.now()
  const sends = []
  for (let s = 0; s < n / perSend; s++) {
    const messages = Array.from({ length: perSend }, (_, i) => ({ key: `k${s}-${i}`, value, partition: 999 }))
    sends.push(
      producer.send({ topic, messages }).then(
        () => 0,
        () => perSend,
      ),
    )
    // An app keeps sending while earlier sends fail: one send per turn of the loop.
    await new Promise((r) => setImmediate(r))
  }
  const failed = (await Promise.all(sends)).reduce((a, b) => a + b, 0)
  const recordMs = performance.now() - t0
  delay.disable()
  const recorded = withLog ? log.entries().length : 0

  // Replay into partition 0 (the records keep partition 999, which does not exist: rewrite it).
  const entries = log.entries()
  await log.close()
  const replayLog = new FailureLog({ path: path.join(dir, 'replay.jsonl') })
  await Promise.all(
    entries.map((e) =>
      replayLog.record({ topic, message: { key: e.key, value: e.value }, error: e.error, attempts: e.attempts }),
    ),
  )
  const r0 = performance.now()
  const result = withLog ? await replayLog.replay(producer) : { replayed: 0 }
  const replayMs = performance.now() - r0
  await producer.disconnect()
  await replayLog.close()
  if (mock) mock.close()
  fs.rmSync(dir, { recursive: true, force: true })

  const ms = (ns) => (ns / 1e6).toFixed(1)
  const out = {
    messages: n,
    failed,
    recorded,
    recordSeconds: +(recordMs / 1000).toFixed(2),
    recordsPerSecond: Math.round(recorded / (recordMs / 1000)),
    eventLoopDelayMs: { p50: +ms(delay.percentile(50)), p99: +ms(delay.percentile(99)), max: +ms(delay.max) },
    replay: {
      ...result,
      seconds: +(replayMs / 1000).toFixed(2),
      perSecond: Math.round(result.replayed / (replayMs / 1000)),
    },
    broker: mock ? 'mock cluster' : brokers,
  }
  console.log(JSON.stringify(out, null, 2))
}

main().catch((e) => {
  console.error(e)
  process.exit(1)
})
