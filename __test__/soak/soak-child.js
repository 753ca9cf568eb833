'use strict'
/*
 * Soak run in its own process: producers created, used and dropped over many connect/send/
 * disconnect cycles, with successes and failures. Prints one JSON line of measurements and then
 * does NOT call process.exit: the parent checks that the process ends on its own.
 * Env: SOAK_BROKERS, SOAK_TOPIC, SOAK_CYCLES, SOAK_MESSAGES (per cycle).
 */
const fs = require('node:fs')
const { Kafka, logLevel } = require('../..')
const { waitFor } = require('../helpers/wait')

const brokers = process.env.SOAK_BROKERS.split(',')
const topic = process.env.SOAK_TOPIC
const CYCLES = Number(process.env.SOAK_CYCLES || 20)
const PER_CYCLE = Number(process.env.SOAK_MESSAGES || 10000)

const fds = () => fs.readdirSync('/proc/self/fd').length
const threads = () => Number(/Threads:\s+(\d+)/.exec(fs.readFileSync('/proc/self/status', 'utf8'))[1])
const rssMb = () => process.memoryUsage().rss / 1048576

async function cycle(i) {
  const producer = new Kafka({ clientId: `soak-${i}`, brokers, logLevel: logLevel.NOTHING }).producer({
    idempotent: i % 2 === 0,
  })
  await producer.connect()
  const value = Buffer.alloc(200, i % 256)
  const sends = []
  for (let n = 0; n < PER_CYCLE; n += 500) {
    sends.push(
      producer.send({
        topic,
        messages: Array.from({ length: Math.min(500, PER_CYCLE - n) }, (_, j) => ({
          key: `k${j % 32}`,
          value,
          headers: { n: String(n + j) },
        })),
      }),
    )
  }
  // A failure each cycle: a partition that does not exist.
  const failed = await producer.send({ topic, messages: [{ value: 'x', partition: 999 }] }).then(
    () => false,
    () => true,
  )
  await Promise.all(sends)
  await producer.disconnect()
  return failed
}

async function main() {
  const samples = []
  let failures = 0
  const baseline = { fds: fds(), threads: threads() }
  for (let i = 0; i < CYCLES; i++) {
    if (await cycle(i)) failures++
    if (global.gc) global.gc()
    samples.push({ cycle: i, rssMb: Math.round(rssMb() * 10) / 10, fds: fds(), threads: threads() })
  }
  // librdkafka's threads end a moment after destroy: poll for the baseline (up to 20 s) rather than
  // guess the moment. If they never get there, the numbers reported make the parent's check fail.
  const settled = () => fds() <= baseline.fds + 2 && threads() <= baseline.threads + 2
  await waitFor(settled, { timeout: 20000, interval: 50, what: 'fds and threads back at the baseline' }).catch(() => {})
  const after = { fds: fds(), threads: threads() }
  console.log(JSON.stringify({ cycles: CYCLES, messages: CYCLES * PER_CYCLE, failures, baseline, after, samples }))
}

main().catch((e) => {
  console.error(e.stack)
  process.exitCode = 1
})
