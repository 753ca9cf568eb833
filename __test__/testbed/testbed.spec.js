'use strict'
/*
 * The test bed itself, proven with a plain client (kafkajs), before the library relies on it:
 * each topology takes writes and gives them back; kill-node/start-node produce the faults the
 * cluster specs need; the SASL and TLS listeners work.
 */
const fs = require('node:fs')
const { brokers, clusterBrokers, createTopic, readBack, kafkajs } = require('../helpers/kafka')
const { killNode, startNode, waitIsr } = require('../helpers/cluster')

const client = (list, extra = {}) =>
  new kafkajs.Kafka({ clientId: 'testbed', brokers: list, logLevel: kafkajs.logLevel.NOTHING, ...extra })

async function produce(list, topic, messages, { acks = -1, retries = 2, extra } = {}) {
  const p = client(list, extra).producer({
    createPartitioner: kafkajs.Partitioners.DefaultPartitioner,
    retry: { retries, initialRetryTime: 100 },
  })
  await p.connect()
  try {
    return await p.send({ topic, acks, messages })
  } finally {
    await p.disconnect()
  }
}

test('single node: kafkajs produces and reads back', async () => {
  const topic = await createTopic()
  await produce(brokers(), topic, [{ key: 'a', value: 'single' }])
  expect((await readBack(topic, 1))[0].value.toString()).toBe('single')
})

test('3-node cluster: RF 3 topic, kafkajs produces and reads back', async () => {
  const topic = await createTopic({ replicationFactor: 3, brokerList: clusterBrokers() })
  await produce(clusterBrokers(), topic, [{ key: 'a', value: 'cluster' }])
  expect((await readBack(topic, 1, { brokerList: clusterBrokers() }))[0].value.toString()).toBe('cluster')
})

test('kill-node makes min.insync.replicas=3 refuse acks=-1 (NOT_ENOUGH_REPLICAS) while acks=1 works; start-node heals it', async () => {
  const topic = await createTopic({
    replicationFactor: 3,
    configs: { 'min.insync.replicas': 3 },
    brokerList: clusterBrokers(),
  })
  const p = await waitIsr(topic, 3)
  const follower = p.replicas.find((r) => r !== p.leader)
  let refused = null
  killNode(follower)
  try {
    await waitIsr(topic, 2)
    // One attempt, no retries: the metadata can report the shrunken ISR a moment before the
    // leader itself applies it. A write that lands in that window is appended first, then
    // refused with NOT_ENOUGH_REPLICAS_AFTER_APPEND: it is in the log, readable once the ISR
    // heals. A write that timed out (REQUEST_TIMED_OUT) may or may not be. A retry would hide
    // both behind the final NOT_ENOUGH_REPLICAS.
    const err = await produce(clusterBrokers(), topic, [{ value: 'refused' }], { retries: 0 }).catch((e) => e)
    expect(err).toBeInstanceOf(Error)
    const type = (err.cause || err).type
    expect(['NOT_ENOUGH_REPLICAS', 'NOT_ENOUGH_REPLICAS_AFTER_APPEND', 'REQUEST_TIMED_OUT']).toContain(type)
    refused = type
    await produce(clusterBrokers(), topic, [{ value: 'acks1' }], { acks: 1 })
  } finally {
    startNode(follower)
  }
  await waitIsr(topic, 3)
  await produce(clusterBrokers(), topic, [{ value: 'healed' }])
  const read = (await readBack(topic, 2, { brokerList: clusterBrokers() })).map((m) => m.value.toString())
  const inLog =
    refused === 'NOT_ENOUGH_REPLICAS_AFTER_APPEND' || (refused === 'REQUEST_TIMED_OUT' && read[0] === 'refused')
  expect(read).toEqual([...(inLog ? ['refused'] : []), 'acks1', 'healed'])
})

test('SASL/SCRAM-SHA-512 authenticates the test user and refuses a wrong password', async () => {
  const topic = await createTopic()
  // A fresh sasl object per client: kafkajs caches SCRAM state on the object it is given.
  const sasl = (password) => ({ mechanism: 'scram-sha-512', username: process.env.KAFKA_SASL_USERNAME, password })
  await produce(process.env.KAFKA_SASL_BROKERS.split(','), topic, [{ value: 'scram' }], {
    extra: { sasl: sasl(process.env.KAFKA_SASL_PASSWORD) },
  })
  expect((await readBack(topic, 1))[0].value.toString()).toBe('scram')
  const err = await produce(process.env.KAFKA_SASL_BROKERS.split(','), topic, [{ value: 'x' }], {
    extra: { sasl: sasl('wrong') },
  }).catch((e) => e)
  expect(err.name).toBe('KafkaJSSASLAuthenticationError')
})

test('TLS with the generated CA', async () => {
  const topic = await createTopic()
  await produce(process.env.KAFKA_SSL_BROKERS.split(','), topic, [{ value: 'tls' }], {
    extra: { ssl: { ca: [fs.readFileSync(process.env.KAFKA_SSL_CA)] } },
  })
  expect((await readBack(topic, 1))[0].value.toString()).toBe('tls')
})
