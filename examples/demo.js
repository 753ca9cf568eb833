#!/usr/bin/env node
'use strict'
/*
 * `npm run demo`: the main job, end to end, on a real Apache Kafka.
 * Starts the project's single-node broker unless KAFKA_BROKERS names one, produces keyed
 * messages with kafkajs's API (acks=-1, idempotent), reads them back with an independent
 * consumer (kafkajs), checks every one arrived identical, and prints what happened.
 */
const { spawnSync } = require('node:child_process')
const path = require('node:path')
const { Kafka, logLevel } = require('..')

const LAUNCHER = path.join(__dirname, '..', 'scripts', 'kafka', 'kafka.js')
const COUNT = Number(process.env.DEMO_MESSAGES || 10000)

async function main() {
  let started = false
  let brokers = process.env.KAFKA_BROKERS
  if (!brokers) {
    const status = spawnSync(process.execPath, [LAUNCHER, 'status', 'single'], { encoding: 'utf8' })
    const r = spawnSync(process.execPath, [LAUNCHER, 'start', 'single'], { stdio: 'inherit' })
    if (r.status !== 0) throw new Error('could not start the local Kafka broker (see above)')
    started = status.status !== 0
    brokers = '127.0.0.1:19092'
  }
  const list = brokers.split(',')
  const topic = `demo-${Date.now()}`
  try {
    const kafkajs = require('kafkajs')
    const reference = new kafkajs.Kafka({ clientId: 'demo-reader', brokers: list, logLevel: kafkajs.logLevel.NOTHING })
    const admin = reference.admin()
    await admin.connect()
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: 3 }] })
    await admin.disconnect()

    const producer = new Kafka({ clientId: 'demo', brokers: list, logLevel: logLevel.WARN }).producer({ idempotent: true })
    await producer.connect()
    const t0 = process.hrtime.bigint()
    const sends = []
    for (let i = 0; i < COUNT; i += 100) {
      const messages = []
      for (let j = i; j < Math.min(i + 100, COUNT); j++) messages.push({ key: `user-${j % 50}`, value: JSON.stringify({ n: j }), headers: { source: 'demo' } })
      sends.push(producer.send({ topic, acks: -1, messages }))
    }
    const results = await Promise.all(sends)
    const ms = Number(process.hrtime.bigint() - t0) / 1e6
    await producer.disconnect()
    console.log(`produced ${COUNT} messages in ${sends.length} sends to ${topic} in ${ms.toFixed(0)} ms (acks=-1, idempotent); first result: ${JSON.stringify(results[0])}`)

    const consumer = reference.consumer({ groupId: `demo-${Date.now()}` })
    await consumer.connect()
    await consumer.subscribe({ topic, fromBeginning: true })
    const seen = new Map()
    await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`read back only ${seen.size} of ${COUNT} messages`)), 60000)
      consumer.run({
        eachMessage: async ({ message }) => {
          const { n } = JSON.parse(message.value.toString())
          seen.set(n, (seen.get(n) || 0) + 1)
          if (message.key.toString() !== `user-${n % 50}` || message.headers.source.toString() !== 'demo') reject(new Error(`message ${n} came back different`))
          if (seen.size === COUNT) {
            clearTimeout(timer)
            resolve()
          }
        },
      })
    })
    await consumer.disconnect()
    const dupes = [...seen.values()].filter((c) => c > 1).length
    console.log(`read back ${seen.size} of ${COUNT} messages with an independent consumer (kafkajs); duplicates: ${dupes}`)
    if (seen.size !== COUNT || dupes) process.exitCode = 1
    else console.log('demo OK: every message delivered once, identical')
  } finally {
    if (started && process.env.KAFKA_KEEP_RUNNING !== '1') spawnSync(process.execPath, [LAUNCHER, 'stop', 'single'], { stdio: 'inherit' })
  }
}

main().catch((e) => {
  console.error(`demo failed: ${e.stack || e.message}`)
  process.exit(1)
})
