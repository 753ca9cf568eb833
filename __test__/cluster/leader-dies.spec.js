'use strict'
/*
 * No loss when a broker dies: RF 3, min.insync.replicas 2, acks=-1. Stream keyed, numbered
 * messages and SIGKILL the leader of a partition midway. Every send must resolve; reading back
 * must find every message, exactly once with idempotence, in send order within each partition.
 * The same run without idempotence reports how many duplicates appear (not asserted: it is the
 * reason idempotence exists, and depends on timing). Both runs count on everything the partitions
 * hold: the read-back goes up to the high watermarks and must have read every stored record.
 */
const { Kafka, logLevel } = require('../..')
const { clusterBrokers, createTopic, readToEnd } = require('../helpers/kafka')
const { killNode, startNode, waitIsr } = require('../helpers/cluster')

const TOTAL = Number(process.env.LEADER_DIES_MESSAGES || 100000)
const PER_SEND = 500
const IN_FLIGHT = 8

async function streamAndKill({ idempotent }) {
  const topic = await createTopic({
    partitions: 3,
    replicationFactor: 3,
    configs: { 'min.insync.replicas': 2 },
    brokerList: clusterBrokers(),
  })
  const state = await waitIsr(topic, 3, 0)
  const producer = new Kafka({
    clientId: 'leader-dies',
    brokers: clusterBrokers(),
    logLevel: logLevel.NOTHING,
  }).producer({ idempotent, retry: { retries: 10 } })
  await producer.connect()
  let killed = null
  const failures = []
  try {
    let next = 0
    const worker = async () => {
      while (next < TOTAL) {
        const start = next
        next = Math.min(next + PER_SEND, TOTAL)
        const messages = []
        for (let n = start; n < next; n++) messages.push({ key: `key-${n % 64}`, value: String(n) })
        if (killed === null && start >= TOTAL / 2) {
          killed = state.leader
          killNode(killed)
        }
        await producer.send({ topic, acks: -1, messages }).catch((e) => failures.push(e))
      }
    }
    await Promise.all(Array.from({ length: IN_FLIGHT }, worker))
  } finally {
    await producer.disconnect()
    if (killed !== null) startNode(killed)
  }
  // Everything the partitions hold, read up to their high watermarks: duplicates are counted on
  // all of it, not on what arrived before some delay.
  const { messages: got, offsets } = await readToEnd(topic, {
    count: TOTAL,
    brokerList: clusterBrokers(),
    timeout: 120000,
  })
  const stored = offsets.reduce((n, p) => n + Number(p.high) - Number(p.low), 0)
  return { topic, killed, failures, got, stored }
}

function analyse(got) {
  const count = new Map()
  for (const m of got) count.set(m.value.toString(), (count.get(m.value.toString()) || 0) + 1)
  const missing = []
  for (let n = 0; n < TOTAL; n++) if (!count.has(String(n))) missing.push(n)
  const duplicates = [...count.values()].filter((c) => c > 1).length
  // Per partition, the numbers of one key must come in increasing order.
  const lastByKey = new Map()
  let outOfOrder = 0
  for (const m of got) {
    const n = Number(m.value.toString())
    const k = `${m.partition}/${m.key.toString()}`
    if (lastByKey.has(k) && lastByKey.get(k) >= n) outOfOrder++
    lastByKey.set(k, n)
  }
  return { missing, duplicates, outOfOrder }
}

describe(`a partition leader is SIGKILLed midway through ${TOTAL} messages`, () => {
  test('idempotent, acks=-1: every send resolves, every message arrives exactly once, in order', async () => {
    const { killed, failures, got, stored } = await streamAndKill({ idempotent: true })
    expect(killed).not.toBeNull()
    expect(failures).toEqual([])
    expect(got).toHaveLength(stored)
    const { missing, duplicates, outOfOrder } = analyse(got)
    expect(missing).toEqual([])
    expect(duplicates).toBe(0)
    expect(outOfOrder).toBe(0)
    expect(got).toHaveLength(TOTAL)
  }, 300000)

  test('without idempotence: every send resolves and nothing is lost; duplicates are counted', async () => {
    const { killed, failures, got, stored } = await streamAndKill({ idempotent: false })
    expect(killed).not.toBeNull()
    expect(failures).toEqual([])
    // Every record the broker stored was read, so the duplicates below are all of them.
    expect(got).toHaveLength(stored)
    const { missing, duplicates, outOfOrder } = analyse(got)
    expect(missing).toEqual([])
    console.log(
      `without idempotence: ${got.length} messages read for ${TOTAL} sent, ${duplicates} duplicated, ${outOfOrder} out of order`,
    )
  }, 300000)
})
