'use strict'
/*
 * Fault helpers for the 3-node test cluster: who leads a partition, take a node down (SIGKILL)
 * and bring it back, wait for the ISR to shrink or heal.
 */
const { spawnSync } = require('node:child_process')
const path = require('node:path')
const { clusterBrokers, referenceClient } = require('./kafka')

const LAUNCHER = path.resolve(__dirname, '../../scripts/kafka/kafka.js')

function launcher(...args) {
  const r = spawnSync(process.execPath, [LAUNCHER, ...args], { encoding: 'utf8' })
  if (r.status !== 0) throw new Error(`kafka ${args.join(' ')} failed: ${r.stdout}${r.stderr}`)
  return r.stdout
}

const killNode = (id) => launcher('kill-node', String(id))
const startNode = (id) => launcher('start-node', String(id))

async function withAdmin(fn) {
  const admin = referenceClient(clusterBrokers()).admin()
  await admin.connect()
  try {
    return await fn(admin)
  } finally {
    await admin.disconnect()
  }
}

async function partitionState(topic, partition = 0) {
  return withAdmin(async (admin) => {
    const md = await admin.fetchTopicMetadata({ topics: [topic] })
    return md.topics[0].partitions.find((p) => p.partitionId === partition)
  })
}

async function waitFor(what, fn, timeout = 60000) {
  const deadline = Date.now() + timeout
  let last
  for (;;) {
    try {
      last = await fn()
      if (last) return last
    } catch (e) {
      last = e.message
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what} (last: ${JSON.stringify(last)})`)
    await new Promise((r) => setTimeout(r, 500))
  }
}

/** Waits until the partition's ISR has exactly `size` members and returns its state. */
function waitIsr(topic, size, partition = 0) {
  return waitFor(`ISR of ${topic}[${partition}] to have ${size} members`, async () => {
    const p = await partitionState(topic, partition)
    return p && p.isr.length === size && p.leader >= 0 ? p : null
  })
}

module.exports = { killNode, startNode, partitionState, waitIsr, waitFor, withAdmin }
