'use strict'
/*
 * Run with --expose-gc: connects, uses and disconnects producers (one idempotent, one with
 * failures), drops them, and reports which of them (and their send trackers, which own the pack
 * buffer) the garbage collector reclaimed. Env: SOAK_BROKERS, SOAK_TOPIC.
 */
const { Kafka, logLevel } = require('../..')
const { waitFor } = require('../helpers/wait')

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
  // Collect until all six are reclaimed (finalizers run on a later turn, hence the polling), for
  // up to 20 s; whatever is still alive then is reported, and the parent's check names it.
  await waitFor(
    () => {
      global.gc()
      return collected.size === 6
    },
    { timeout: 20000, interval: 50, what: 'the producers and trackers to be collected' },
  ).catch(() => {})
  console.log(JSON.stringify({ collected: [...collected].sort() }))
}

main().catch((e) => {
  console.error(e.stack)
  process.exitCode = 1
})
