'use strict'
const { spawnSync } = require('node:child_process')
const fs = require('node:fs')
const path = require('node:path')

const LAUNCHER = path.resolve(__dirname, '../../scripts/kafka/kafka.js')
const STARTED = path.resolve(__dirname, '../../.kafka/started-by-jest.json')

module.exports = async function globalTeardown() {
  if (process.env.KAFKA_KEEP_RUNNING === '1' || !fs.existsSync(STARTED)) return
  const started = JSON.parse(fs.readFileSync(STARTED, 'utf8'))
  for (const topology of started) spawnSync(process.execPath, [LAUNCHER, 'stop', topology], { stdio: 'inherit' })
  fs.rmSync(STARTED, { force: true })
}
