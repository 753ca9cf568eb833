'use strict'
/*
 * Run with --expose-gc: connects, uses and disconnects producers (one idempotent, one with
 * failures), drops them, and reports which of them (and their send trackers, which own the pack
 * buffer) the garbage collector reclaimed. Env: SOAK_BROKERS, SOAK_TOPIC.
 */
const { Kafka, logLevel } = require('../..')

const collected = new Set()
const registry = new FinalizationRegistry((name) => collected.add(name))

async function lifecycle(i) {
  const producer = new Kafka({
    clientId: `collect-${i}`,
    brokers: process.env.SOAK_BROKERS.split(','),
    logLevel: logLevel.NOTHING,
  }).producer({ idempotent: i === 0 })
  await producer.connect()
  await producer.send({
    topic: process.env.SOAK_TOPIC,
    messages: Array.from({ length: 200 }, (_, j) => ({ value: `v${j}` })),
  })
  await producer.send({ topic: process.env.SOAK_TOPIC, messages: [{ value: 'x', partition: 999 }] }).catch(() => {})
  await producer.disconnect()
  registry.register(producer, `producer ${i}`)
  registry.register(producer._sends, `tracker ${i}`)
}

async function main() {
  for (let i = 0; i < 3; i++) await lifecycle(i)
  for (let k = 0; k < 20 && collected.size < 6; k++) {
    global.gc()
    await new Promise((r) => setTimeout(r, 50))
  }
  console.log(JSON.stringify({ collected: [...collected].sort() }))
}

main().catch((e) => {
  console.error(e.stack)
  process.exitCode = 1
})
