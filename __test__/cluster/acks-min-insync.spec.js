'use strict'
/*
 * acks and min.insync.replicas on a real 3-node cluster (RF 3), with one follower down.
 * The seed's three cases, plus failure reporting (event, callback, durable log and replay).
 */
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { Kafka, logLevel, FailureLog, KafkaJSNumberOfRetriesExceeded, KafkaJSProtocolError } = require('../..')
const { clusterBrokers, createTopic, readBack, topicOffsets } = require('../helpers/kafka')
const { killNode, startNode, waitIsr } = require('../helpers/cluster')

const kafka = () => new Kafka({ clientId: 'acks-spec', brokers: clusterBrokers(), logLevel: logLevel.NOTHING })

async function topicWith(minIsr) {
  return createTopic({
    partitions: 1,
    replicationFactor: 3,
    configs: { 'min.insync.replicas': minIsr },
    brokerList: clusterBrokers(),
  })
}

/** Kills one follower of partition 0 and waits until the ISR no longer has it. */
async function downOneFollower(topic) {
  const p = await waitIsr(topic, 3)
  const follower = p.replicas.find((r) => r !== p.leader)
  killNode(follower)
  await waitIsr(topic, 2)
  return follower
}

describe('acks and min.insync.replicas with one follower down (RF 3)', () => {
  let down = null
  afterEach(async () => {
    if (down !== null) {
      startNode(down)
      down = null
    }
  })

  test('min.insync.replicas=2: acks=-1 succeeds and the message is readable', async () => {
    const topic = await topicWith(2)
    down = await downOneFollower(topic)
    const p = kafka().producer({ idempotent: true })
    await p.connect()
    try {
      const [r] = await p.send({ topic, acks: -1, messages: [{ key: 'k', value: 'survives a follower down' }] })
      expect(r.errorCode).toBe(0)
    } finally {
      await p.disconnect()
    }
    const [m] = await readBack(topic, 1, { brokerList: clusterBrokers() })
    expect(m.value.toString()).toBe('survives a follower down')
  })

  test('min.insync.replicas=1: acks=-1 behaves like acks=1 (both succeed)', async () => {
    const topic = await topicWith(1)
    down = await downOneFollower(topic)
    const p = kafka().producer()
    await p.connect()
    try {
      await p.send({ topic, acks: -1, messages: [{ value: 'all' }] })
      await p.send({ topic, acks: 1, messages: [{ value: 'leader' }] })
    } finally {
      await p.disconnect()
    }
    expect((await readBack(topic, 2, { brokerList: clusterBrokers() })).map((m) => m.value.toString())).toEqual([
      'all',
      'leader',
    ])
  })

  test('min.insync.replicas=3: every acks=-1 send is refused with NOT_ENOUGH_REPLICAS after bounded retries; acks=1 succeeds; failures are reported, logged and replayable', async () => {
    const topic = await topicWith(3)
    const logPath = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'failure-log-')), 'failed.jsonl')
    const failureLog = new FailureLog({ path: logPath })
    const callbacks = []
    const events = []
    down = await downOneFollower(topic)
    const p = kafka().producer({
      retry: { retries: 2, initialRetryTime: 100 },
      failureLog,
      onDeliveryFailure: (r) => callbacks.push(r),
    })
    p.on(p.events.DELIVERY_FAILURE, (e) => events.push(e.payload))
    await p.connect()
    try {
      for (let i = 0; i < 3; i++) {
        const err = await p
          .send({ topic, acks: -1, messages: [{ key: `k${i}`, value: `refused-${i}`, headers: { n: String(i) } }] })
          .catch((e) => e)
        expect(err).toBeInstanceOf(KafkaJSNumberOfRetriesExceeded)
        expect(err.retriable).toBe(false)
        expect(err.type).toBe('NOT_ENOUGH_REPLICAS')
        expect(err.cause).toBeInstanceOf(KafkaJSProtocolError)
        expect(err.cause).toMatchObject({ type: 'NOT_ENOUGH_REPLICAS', code: 19, retriable: true })
        expect(err.retryCount).toBe(2)
      }
      // Nothing was appended by the refused sends.
      expect((await topicOffsets(topic, clusterBrokers()))[0].high).toBe('0')
      const [ok] = await p.send({ topic, acks: 1, messages: [{ value: 'acks1 still works' }] })
      expect(ok.baseOffset).toBe('0')
      // acks=0 waits for nothing: it resolves to [] and the leader appends it.
      expect(await p.send({ topic, acks: 0, messages: [{ value: 'acks0 fire and forget' }] })).toEqual([])
    } finally {
      await p.disconnect()
    }
    for (const reports of [events, callbacks]) {
      expect(reports.map((r) => [r.topic, r.message.value, r.error.type])).toEqual(
        [0, 1, 2].map((i) => [topic, `refused-${i}`, 'NOT_ENOUGH_REPLICAS']),
      )
    }
    const logged = failureLog.entries()
    expect(
      logged.map((e) => [e.topic, e.key.toString(), e.value.toString(), e.headers.n.toString(), e.error.type]),
    ).toEqual([0, 1, 2].map((i) => [topic, `k${i}`, `refused-${i}`, String(i), 'NOT_ENOUGH_REPLICAS']))

    // Bring the follower back; once the ISR is whole again, replay the log.
    startNode(down)
    down = null
    await waitIsr(topic, 3)
    const again = kafka().producer()
    await again.connect()
    try {
      expect(await failureLog.replay(again)).toEqual({ replayed: 3, failed: 0, kept: 0, skipped: 0 })
    } finally {
      await again.disconnect()
    }
    expect(failureLog.entries()).toEqual([])
    const got = await readBack(topic, 5, { brokerList: clusterBrokers() })
    expect(got.map((m) => m.value.toString()).sort()).toEqual([
      'acks0 fire and forget',
      'acks1 still works',
      'refused-0',
      'refused-1',
      'refused-2',
    ])
  })
})
