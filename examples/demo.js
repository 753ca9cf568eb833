#!/usr/bin/env node
'use strict'
/*
 * `npm run demo`: the main job, end to end.
 *
 * A NestJS-style app's stream of 100,000 `user.registered` events (the email-verification flow)
 * is produced with kafkajs's API (acks=-1, idempotent, keyed by user), with a progress bar; the
 * delivery metadata of a few sends and the throughput are printed; then kafka-napi's own consumer
 * (a new group, kafkajs's consumer API) reads every message back, up to the high watermarks, and
 * checks it arrived once and identical.
 *
 * Broker: KAFKA_BROKERS if set, else the project's own Apache Kafka (started, and stopped
 * afterwards, by scripts/kafka). With `--embedded`, or when neither a broker nor Java is
 * available, it runs on librdkafka's in-process mock cluster instead, and says so.
 *
 * Options: --messages N (default 100000), --embedded.
 */
const { spawnSync } = require('node:child_process')
const path = require('node:path')
const { Kafka, MockCluster, logLevel } = require('..')

const LAUNCHER = path.join(__dirname, '..', 'scripts', 'kafka', 'kafka.js')
const args = process.argv.slice(2)
const ASKED = args.includes('--messages') ? args[args.indexOf('--messages') + 1] : process.env.DEMO_MESSAGES
let COUNT = Number(ASKED || 100000)
/**
 * librdkafka's mock cluster keeps at most 5 MB per partition and drops older data beyond that,
 * so on it the demo sends fewer events by default: all of them must still be there to be read back.
 */
const EMBEDDED_COUNT = 30000
const PER_SEND = 500

function has(cmd) {
  return spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0
}

function bar(done, total, started) {
  if (!process.stderr.isTTY && done !== total && done % (total / 10) !== 0) return
  const width = 30
  const filled = Math.round((done / total) * width)
  const rate = done / Math.max((Date.now() - started) / 1000, 0.001)
  const line = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total} ${Math.round(rate)} msg/s`
  process.stderr.write(process.stderr.isTTY ? `\r${line}` : `${line}\n`)
  if (done === total && process.stderr.isTTY) process.stderr.write('\n')
}

function event(n) {
  const id = `user-${n}`
  return {
    key: id,
    value: JSON.stringify({
      type: 'user.registered',
      userId: id,
      email: `${id}@example.com`,
      verificationToken: `tok-${n.toString(36)}`,
      registeredAt: new Date(1700000000000 + n * 1000).toISOString(),
    }),
    headers: { 'event-type': 'user.registered', source: 'demo' },
  }
}

async function broker() {
  if (args.includes('--embedded')) return embedded('--embedded was given')
  if (process.env.KAFKA_BROKERS)
    return {
      brokers: process.env.KAFKA_BROKERS.split(','),
      label: `Apache Kafka at ${process.env.KAFKA_BROKERS}`,
      stop() {},
    }
  if (!has('java')) return embedded('no KAFKA_BROKERS and no `java` to run Apache Kafka')
  const status = spawnSync(process.execPath, [LAUNCHER, 'status', 'single'], { encoding: 'utf8' })
  const r = spawnSync(process.execPath, [LAUNCHER, 'start', 'single'], { stdio: 'inherit' })
  if (r.status !== 0) return embedded('the local Apache Kafka did not start (see above)')
  const startedHere = status.status !== 0
  return {
    brokers: ['127.0.0.1:19092'],
    label: 'Apache Kafka 4.1.1 on 127.0.0.1:19092 (scripts/kafka)',
    real: true,
    stop() {
      if (startedHere && process.env.KAFKA_KEEP_RUNNING !== '1')
        spawnSync(process.execPath, [LAUNCHER, 'stop', 'single'], { stdio: 'inherit' })
    },
  }
}

function embedded(reason) {
  console.log(`*** EMBEDDED MODE (${reason}): librdkafka's in-process mock cluster, not Apache Kafka ***`)
  const mock = new MockCluster({ brokers: 3 })
  return {
    brokers: mock.brokers,
    label: 'librdkafka mock cluster (embedded, not a real Kafka)',
    mock,
    stop: () => mock.close(),
  }
}

async function createTopic(target, topic) {
  if (target.mock) return target.mock.createTopic(topic, { partitions: 3, replicationFactor: 3 })
  const kafkajs = require('kafkajs')
  const admin = new kafkajs.Kafka({
    clientId: 'demo-admin',
    brokers: target.brokers,
    logLevel: kafkajs.logLevel.NOTHING,
  }).admin()
  await admin.connect()
  await admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: 3 }] })
  await admin.disconnect()
}

/**
 * Reads the topic back with kafka-napi's own consumer (kafkajs's consumer API), up to the high
 * watermark of every partition, so a duplicate the broker holds is counted, not missed.
 */
async function readBack(target, topic) {
  const consumer = new Kafka({ clientId: 'demo-reader', brokers: target.brokers, logLevel: logLevel.NOTHING }).consumer(
    {
      groupId: `demo-${Date.now()}`,
    },
  )
  await consumer.connect()
  const seen = new Map()
  const reached = new Map() // partition -> [next offset, high watermark]
  let mismatched = 0
  try {
    await consumer.subscribe({ topic, fromBeginning: true })
    await new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`read back only ${seen.size} of ${COUNT} messages in 120 s`)),
        120000,
      )
      const check = (message) => {
        const n = Number(JSON.parse(message.value.toString()).userId.slice(5))
        const expected = event(n)
        if (
          message.key.toString() !== expected.key ||
          message.value.toString() !== expected.value ||
          String(message.headers['event-type']) !== 'user.registered'
        )
          mismatched++
        seen.set(n, (seen.get(n) || 0) + 1)
      }
      consumer
        .run({
          eachBatch: async ({ batch }) => {
            for (const message of batch.messages) check(message)
            reached.set(batch.partition, [Number(batch.lastOffset()) + 1, Number(batch.highWatermark)])
            const atEnd = [...reached.values()].every(([next, high]) => next >= high)
            if (seen.size === COUNT && reached.size === 3 && atEnd) {
              clearTimeout(timer)
              resolve()
            }
          },
        })
        .catch(reject)
    })
  } finally {
    await consumer.disconnect()
  }
  return { received: seen.size, duplicates: [...seen.values()].filter((c) => c > 1).length, mismatched }
}

async function main() {
  const target = await broker()
  if (!target.real && !ASKED) {
    COUNT = EMBEDDED_COUNT
    console.log(`embedded: ${COUNT} events (the mock cluster keeps only 5 MB per partition; --messages N to change)`)
  }
  const topic = `send.verification.email.demo-${Date.now()}`
  try {
    console.log(`broker: ${target.label}`)
    await createTopic(target, topic)
    const producer = new Kafka({ clientId: 'demo', brokers: target.brokers, logLevel: logLevel.WARN }).producer({
      idempotent: true,
    })
    await producer.connect()
    const started = Date.now()
    const inFlight = new Set()
    const shown = []
    let done = 0
    for (let i = 0; i < COUNT; i += PER_SEND) {
      const messages = []
      for (let n = i; n < Math.min(i + PER_SEND, COUNT); n++) messages.push(event(n))
      const p = producer.send({ topic, acks: -1, messages }).then((meta) => {
        done += messages.length
        if (shown.length < 3) shown.push(meta)
        bar(done, COUNT, started)
      })
      inFlight.add(p)
      p.finally(() => inFlight.delete(p))
      if (inFlight.size >= 8) await Promise.race(inFlight)
    }
    await Promise.all(inFlight)
    const seconds = (Date.now() - started) / 1000
    await producer.disconnect()
    console.log(
      `produced ${COUNT} events in ${seconds.toFixed(2)} s: ${Math.round(COUNT / seconds)} msg/s (acks=-1, idempotent, ${PER_SEND} per send, 8 sends in flight)`,
    )
    console.log('delivery metadata of the first three sends to complete:')
    for (const meta of shown) console.log(`  ${JSON.stringify(meta)}`)
    const { received, duplicates, mismatched } = await readBack(target, topic)
    console.log(
      `read back ${received} of ${COUNT} with kafka-napi's consumer: ${duplicates} duplicated, ${mismatched} different from what was sent`,
    )
    if (received !== COUNT || duplicates || mismatched) {
      process.exitCode = 1
      console.log('demo FAILED')
    } else {
      console.log(`demo OK: every event delivered once and identical${target.real ? '' : ' (embedded mock cluster)'}`)
    }
  } finally {
    target.stop()
  }
}

main().catch((e) => {
  console.error(`demo failed: ${e.stack || e.message}`)
  process.exit(1)
})
