'use strict'
/*
 * One member of the fault spec's consumer group, in its own process so that it can be SIGKILLed.
 * argv[2] is a JSON config: { module, brokers, topic, groupId, file, autoCommitThreshold,
 * autoCommitInterval, sessionTimeout, heartbeatInterval }. `module` is 'kafkajs', 'kafka-napi'
 * (this package's entry) or a module path.
 *
 * Every handled message's id (the first 9 characters of its value) is appended to `file` as a
 * 32-bit little-endian integer with a synchronous write before the handler returns: a message is
 * on disk before its offset can be resolved and committed, so a SIGKILL cannot make a committed
 * message look unprocessed (what is on disk is a superset of what was committed).
 *
 * stdout, one JSON object a line: {"ready":true} once run() resolved, {"join":...} per
 * GROUP_JOIN, {"crash":...} per CRASH, {"stopped":true} after a clean disconnect. A line "stop"
 * on stdin disconnects and exits 0.
 */
const fs = require('node:fs')
const path = require('node:path')
const readline = require('node:readline')

const config = JSON.parse(process.argv[2])
const lib =
  config.module === 'kafkajs'
    ? require('kafkajs')
    : config.module === 'kafka-napi'
      ? require('../..')
      : require(path.resolve(config.module))

const say = (o) => process.stdout.write(`${JSON.stringify(o)}\n`)

async function main() {
  const fd = fs.openSync(config.file, 'a')
  // CONSUMER_FAULTS_DEBUG=<dir>: every log line of the client (and librdkafka's group and
  // consumer debug, on this package) goes to <dir>/<member file name>.log, for a post-mortem.
  const debugDir = process.env.CONSUMER_FAULTS_DEBUG
  const logFile = debugDir && path.join(debugDir, `${path.basename(config.file)}.log`)
  const logging = logFile
    ? {
        logLevel: 5,
        logCreator:
          () =>
          ({ namespace, level, log }) =>
            fs.appendFileSync(logFile, `${new Date().toISOString()} ${level} ${namespace} ${JSON.stringify(log)}\n`),
      }
    : { logLevel: 0 }
  const kafka = new lib.Kafka({ clientId: 'consumer-faults', brokers: config.brokers, ...logging })
  const consumer = kafka.consumer({
    groupId: config.groupId,
    sessionTimeout: config.sessionTimeout,
    heartbeatInterval: config.heartbeatInterval,
    rebalanceTimeout: config.sessionTimeout,
    maxWaitTimeInMs: 250,
    retry: { retries: 10 },
    ...(logFile && config.module !== 'kafkajs' ? { rdkafka: { debug: 'cgrp,consumer,broker' } } : {}),
  })
  consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
    const partitions = Object.values(payload.memberAssignment || {}).reduce((n, ps) => n + ps.length, 0)
    say({ join: { partitions } })
  })
  consumer.on(consumer.events.CRASH, ({ payload }) => {
    const { error } = payload
    const cause = error && error.cause
    say({
      crash: {
        name: error && error.name,
        message: error && error.message,
        cause: cause && { name: cause.name, type: cause.type, message: cause.message },
        restart: payload.restart,
      },
    })
  })
  const id = Buffer.alloc(4)
  await consumer.connect()
  await consumer.subscribe({ topic: config.topic, fromBeginning: true })
  await consumer.run({
    autoCommitThreshold: config.autoCommitThreshold,
    autoCommitInterval: config.autoCommitInterval,
    eachMessage: async ({ message }) => {
      id.writeUInt32LE(Number(message.value.toString('latin1', 0, 9)))
      fs.writeSync(fd, id)
    },
  })
  say({ ready: true })
  const rl = readline.createInterface({ input: process.stdin })
  rl.on('line', async (line) => {
    if (line.trim() !== 'stop') return
    rl.close()
    await consumer.disconnect()
    fs.closeSync(fd)
    say({ stopped: true })
    process.exit(0)
  })
}

main().catch((e) => {
  say({ fatal: `${e && e.name}: ${e && e.message}` })
  process.exit(1)
})
