#!/usr/bin/env node
'use strict'
/*
 * kafka-napi command line.
 *   kafka-napi replay <failure-log.jsonl> --brokers host:port[,host:port] [--acks -1|1|0] [--idempotent]
 *                     [--concurrency N] [--send-possibly-persisted]
 * Re-sends the messages recorded in a failure log and keeps only those that fail again. Records
 * flagged possibly persisted (in flight when they failed) are kept unless --send-possibly-persisted.
 */
const { Kafka, logLevel, replayFailures } = require('..')

function usage(msg) {
  if (msg) console.error(`kafka-napi: ${msg}`)
  console.error(
    'usage: kafka-napi replay <failure-log.jsonl> --brokers host:port[,host:port] [--acks -1|1|0] [--idempotent] [--concurrency N] [--send-possibly-persisted]',
  )
  process.exit(2)
}

async function main(argv) {
  const [cmd, file, ...rest] = argv
  if (cmd !== 'replay') usage(cmd ? `unknown command ${JSON.stringify(cmd)}` : undefined)
  if (!file) usage('missing the failure log path')
  let brokers = process.env.KAFKA_BROKERS
  let acks = -1
  let idempotent = false
  let concurrency = 4
  let possiblyPersisted = 'keep'
  for (let i = 0; i < rest.length; i++) {
    if (rest[i] === '--brokers') brokers = rest[++i]
    else if (rest[i] === '--acks') acks = Number(rest[++i])
    else if (rest[i] === '--idempotent') idempotent = true
    else if (rest[i] === '--concurrency') concurrency = Number(rest[++i])
    else if (rest[i] === '--send-possibly-persisted') possiblyPersisted = 'send'
    else usage(`unknown option ${rest[i]}`)
  }
  if (!brokers) usage('--brokers (or KAFKA_BROKERS) is required')
  const producer = new Kafka({
    clientId: 'kafka-napi-replay',
    brokers: brokers.split(','),
    logLevel: logLevel.WARN,
  }).producer({ idempotent })
  await producer.connect()
  try {
    const { replayed, failed, kept } = await replayFailures(file, producer, { acks, concurrency, possiblyPersisted })
    console.log(`replayed ${replayed}, still failing ${failed}, kept as possibly persisted ${kept} (left in ${file})`)
    process.exitCode = failed ? 1 : 0
  } finally {
    await producer.disconnect()
  }
}

main(process.argv.slice(2)).catch((e) => {
  console.error(`kafka-napi: ${e.message}`)
  process.exit(1)
})
