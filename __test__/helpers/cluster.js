'use strict'
/*
 * Fault helpers for the 3-node test cluster: who leads a partition, take a node down (SIGKILL)
 * and bring it back, wait for the ISR to shrink or heal.
 */
const { spawnSync } = require('node:child_process')
const path = require('node:path')
const { clusterBrokers, referenceClient } = require('./kafka')
const { waitFor: waitForCondition } = require('./wait')

const LAUNCHER = path.resolve(__dirname, '../../scripts/kafka/kafka.js')

function launcher(...args) {
  const r = spawnSync(process.execPath, [LAUNCHER, ...args], { encoding: 'utf8' })
  if (r.status !== 0) throw new Error(`kafka ${args.join(' ')} failed: ${r.stdout}${r.stderr}`)
  return r.stdout
}

const killNode = (id) => launcher('kill-node', String(id))
const startNode = (id) => launcher('start-node', String(id))

async function withAdmin(fn, brokerList = clusterBrokers()) {
  const admin = referenceClient(brokerList).admin()
  await admin.connect()
  try {
    return await fn(admin)
  } finally {
    await admin.disconnect()
  }
}

async function partitionState(topic, partition = 0, brokerList = clusterBrokers()) {
  return withAdmin(async (admin) => {
    const md = await admin.fetchTopicMetadata({ topics: [topic] })
    return md.topics[0].partitions.find((p) => p.partitionId === partition)
  }, brokerList)
}

/** The partition's state as its leader's own metadata sees it. */
async function stateAtLeader(topic, partition, leader) {
  const { brokers } = await withAdmin((admin) => admin.describeCluster())
  const b = brokers.find((x) => x.nodeId === leader)
  return b ? partitionState(topic, partition, [`${b.host}:${b.port}`]) : null
}

/**
 * `waitFor` of ./wait with the cluster's defaults: up to 60 s, every 500 ms, and errors (a node
 * that is down) count as "not yet".
 */
function waitFor(what, fn, timeout = 60000) {
  return waitForCondition(fn, { what, timeout, interval: 500, ignoreErrors: true })
}

/**
 * Waits until the partition's ISR has exactly `size` members, in the cluster's metadata and in
 * the leader's own, and returns its state. A broker can report an ISR change before the leader
 * applies it; a write in that window is judged against the old ISR (a shrink not yet applied
 * lets an acks=-1 write be appended, then refused with NOT_ENOUGH_REPLICAS_AFTER_APPEND).
 */
function waitIsr(topic, size, partition = 0) {
  let seen = null
  return waitFor(
    () => `the ISR of ${topic}[${partition}] to have ${size} members (last seen: ${JSON.stringify(seen)})`,
    async () => {
      const p = await partitionState(topic, partition)
      seen = p && { leader: p.leader, isr: p.isr }
      if (!(p && p.isr.length === size && p.leader >= 0)) return null
      const atLeader = await stateAtLeader(topic, partition, p.leader)
      seen.atLeader = atLeader && atLeader.isr
      return atLeader && atLeader.isr.length === size && atLeader.leader === p.leader ? p : null
    },
  )
}

module.exports = { killNode, startNode, partitionState, waitIsr, waitFor, withAdmin }
