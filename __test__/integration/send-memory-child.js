'use strict'
// Run by send-memory.spec.js under --trace-gc-nvp: single-message sends, 1,000 in flight (W2's
// shape), then one line `RESULT <sends>`.
const { Kafka, logLevel } = require('../..')

async function main() {
  const [brokers, topic, total] = [process.argv[2].split(','), process.argv[3], Number(process.argv[4])]
  const producer = new Kafka({ clientId: 'send-memory', brokers, logLevel: logLevel.NOTHING }).producer()
  await producer.connect()
  const value = Buffer.alloc(100, 'x')
  let started = 0
  let done = 0
  await new Promise((resolve, reject) => {
    const pump = () => {
      while (started - done < 1000 && started < total) {
        started++
        producer.send({ topic, acks: 1, messages: [{ value }] }).then(() => {
          done++
          if (done === total) resolve()
          else pump()
        }, reject)
      }
    }
    pump()
  })
  await producer.disconnect()
  process.stdout.write(`RESULT ${done}\n`)
}

main().catch((e) => {
  process.stderr.write(`${e.stack}\n`)
  process.exit(1)
})
