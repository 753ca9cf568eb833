'use strict'
/*
 * A process that the crash spec kills with SIGKILL at a random point.
 *   record <log> <acks-file> <first>   records failures first, first+1, ... forever; after each
 *                                      batch is durable, writes their numbers to <acks-file>
 *   replay <log> <brokers>             replays the log through a real producer
 * Writes "ready\n" to stdout once it is working (replay: once its first batch is being sent).
 */
const fs = require('node:fs')
const { Kafka, FailureLog, logLevel } = require('../..')

async function record(logPath, acksPath, first) {
  const log = new FailureLog({ path: logPath, onCorruption: () => {} })
  const acks = fs.openSync(acksPath, 'a')
  let n = Number(first)
  process.stdout.write('ready\n')
  for (;;) {
    const batch = []
    for (let i = 0; i < 200; i++, n++) {
      const seq = n
      batch.push(
        log
          .record({ topic: 't', message: { key: String(seq), value: `record-${seq}` }, error: new Error('x') })
          .then(() => seq),
      )
    }
    const done = await Promise.all(batch)
    // Only what record() confirmed as durable counts as acknowledged.
    fs.writeSync(acks, `${done.join('\n')}\n`)
  }
}

async function replay(logPath, brokers) {
  const producer = new Kafka({ brokers: brokers.split(','), logLevel: logLevel.NOTHING }).producer({ idempotent: true })
  await producer.connect()
  const log = new FailureLog({ path: logPath, onCorruption: () => {} })
  // "ready" once the first batch is on its way: the crash points fall among the sends.
  const sendBatch = producer.sendBatch.bind(producer)
  let told = false
  producer.sendBatch = (batch) => {
    if (!told) {
      told = true
      process.stdout.write('ready\n')
    }
    return sendBatch(batch)
  }
  const r = await log.replay(producer, { batchSize: 200, concurrency: 4 })
  if (!told) process.stdout.write('ready\n')
  process.stdout.write(`${JSON.stringify(r)}\n`)
  await producer.disconnect()
  await log.close()
}

const [mode, ...args] = process.argv.slice(2)
;(mode === 'record' ? record(...args) : replay(...args)).catch((e) => {
  console.error(e)
  process.exit(1)
})
