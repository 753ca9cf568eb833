'use strict'
// Run by consume-memory.spec.js under --trace-gc-nvp: one producer and one consumer in this
// process; each message is sent, awaited, and awaited again until eachMessage has it (so each poll
// brings one message: the per-batch path runs once per message). Prints MEASURE-START and
// MEASURE-END around the measured messages, then `RESULT <messages handled>`.
const { Kafka, logLevel } = require('../..')

async function main() {
  const [brokers, topic, total] = [process.argv[2].split(','), process.argv[3], Number(process.argv[4])]
  const kafka = new Kafka({ clientId: 'consume-memory', brokers, logLevel: logLevel.NOTHING })
  const producer = kafka.producer()
  const consumer = kafka.consumer({ groupId: `${topic}-group` })
  await producer.connect()
  await consumer.connect()
  await consumer.subscribe({ topics: [topic], fromBeginning: true })
  let handled = 0
  let waiter = null
  await consumer.run({
    eachMessage: async () => {
      handled++
      if (waiter !== null) {
        const w = waiter
        waiter = null
        w()
      }
    },
  })
  const value = Buffer.alloc(100, 'x')
  const one = async () => {
    const seen = new Promise((resolve) => {
      waiter = resolve
    })
    await producer.send({ topic, messages: [{ value }] })
    await seen
  }
  // Untimed first: the group joined, the code warm.
  for (let i = 0; i < 500; i++) await one()
  process.stdout.write('MEASURE-START\n')
  for (let i = 0; i < total; i++) await one()
  process.stdout.write('MEASURE-END\n')
  await consumer.disconnect()
  await producer.disconnect()
  process.stdout.write(`RESULT ${handled}\n`)
}

main().catch((e) => {
  process.stderr.write(`${e.stack}\n`)
  process.exit(1)
})
