'use strict'
/*
 * Brings up the brokers the suites need, unless the environment names existing ones:
 * KAFKA_BROKERS (single node, with KAFKA_SASL_BROKERS / KAFKA_SSL_BROKERS / KAFKA_SSL_CA) and
 * KAFKA_CLUSTER_BROKERS (3 nodes). Whatever this setup starts, the teardown stops.
 */
const { spawnSync } = require('node:child_process')
const fs = require('node:fs')
const path = require('node:path')
const { envVars } = require('../../scripts/kafka/kafka')

const LAUNCHER = path.resolve(__dirname, '../../scripts/kafka/kafka.js')
const STARTED = path.resolve(__dirname, '../../.kafka/started-by-jest.json')

module.exports = async function globalSetup() {
  if (process.env.KAFKA_NO_BROKERS === '1') return // unit specs only
  const wanted = []
  if (!process.env.KAFKA_BROKERS) wanted.push('single')
  if (!process.env.KAFKA_CLUSTER_BROKERS && process.env.KAFKA_SKIP_CLUSTER !== '1') wanted.push('cluster')
  const started = []
  for (const topology of wanted) {
    const status = spawnSync(process.execPath, [LAUNCHER, 'status', topology], { encoding: 'utf8' })
    const r = spawnSync(process.execPath, [LAUNCHER, 'start', topology], { stdio: ['ignore', 'inherit', 'inherit'] })
    if (r.status !== 0) throw new Error(`could not start the ${topology} Kafka topology (see the log above)`)
    if (status.status !== 0) started.push(topology)
  }
  const env = envVars()
  for (const [k, v] of Object.entries(env)) {
    if (!process.env[k]) process.env[k] = v
  }
  fs.mkdirSync(path.dirname(STARTED), { recursive: true })
  fs.writeFileSync(STARTED, JSON.stringify(started))
}
