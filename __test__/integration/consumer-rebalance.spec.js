'use strict'
/*
 * Rebalances on the real broker: a member joining while another is in the middle of a fetched
 * chunk. librdkafka runs the revocation inside the poll that runs meanwhile; it must wait for
 * the chunk in hand to be handled and commit it, so the partition's next owner starts after it.
 * Seen failing with that wait taken out of src/consumer/rebalance.rs (on_revoke): the new owner
 * handled the 20 messages again.
 */
const crypto = require('node:crypto')
const { Kafka } = require('../..')
const { brokers, createTopic, referenceClient, uniqueTopic } = require('../helpers/kafka')
const { waitFor } = require('../helpers/wait')

async function committed(groupId, topic) {
  const admin = referenceClient().admin()
  await admin.connect()
  try {
    const [entry] = await admin.fetchOffsets({ groupId, topics: [topic] })
    return Object.fromEntries(entry.partitions.map((p) => [p.partition, p.offset]))
  } finally {
    await admin.disconnect()
  }
}

const client = () => new Kafka({ clientId: 'consumer-rebalance', brokers: brokers(), logLevel: 0 })

async function produce(topic, messages) {
  const p = referenceClient().producer()
  await p.connect()
  try {
    await p.send({ topic, messages })
  } finally {
    await p.disconnect()
  }
}

test('a member joining mid-chunk: the chunk in hand is handled and committed before the revocation, never handled twice', async () => {
  const topic = await createTopic({ topic: uniqueTopic('crebal'), partitions: 1 })
  const N = 20
  await produce(
    topic,
    Array.from({ length: N }, (_, i) => ({ value: String(i) })),
  )
  const groupId = `crebal-${crypto.randomBytes(6).toString('hex')}`
  const handled = []
  const joins = []
  const member = (name, delay) => {
    const consumer = client().consumer({ groupId, maxWaitTimeInMs: 100, sessionTimeout: 6000, heartbeatInterval: 100 })
    consumer.on(consumer.events.GROUP_JOIN, (e) => joins.push({ name, assignment: e.payload.memberAssignment }))
    return {
      consumer,
      start: async () => {
        await consumer.connect()
        await consumer.subscribe({ topic, fromBeginning: true })
        await consumer.run({
          eachMessage: async ({ message }) => {
            handled.push({ name, offset: message.offset })
            // b joins while a holds its first chunk (and the poll after it is still waiting).
            if (name === 'a' && message.offset === '0') bStarted = { done: b.start() }
            if (delay) await new Promise((r) => setTimeout(r, delay))
          },
        })
      },
    }
  }
  let bStarted = null
  const a = member('a', 300)
  const b = member('b', 0)
  await a.start()
  await waitFor(() => bStarted !== null, { what: 'b starting' })
  await bStarted.done
  await waitFor(() => joins.filter((j) => j.name === 'a').length >= 2 && joins.some((j) => j.name === 'b'), {
    what: 'the rebalance',
    timeout: 60000,
  })
  // A sentinel produced after the rebalance: its partition's messages are handled in order, so
  // once it is handled, anything the new owner was going to read again has been read.
  await produce(topic, [{ value: 'sentinel' }])
  await waitFor(() => handled.some((h) => h.offset === String(N)), { what: 'the sentinel', timeout: 60000 })
  await a.consumer.disconnect()
  await b.consumer.disconnect()
  const offsets = handled.map((h) => Number(h.offset)).sort((x, y) => x - y)
  expect(offsets).toEqual(Array.from({ length: N + 1 }, (_, i) => i))
  expect(await committed(groupId, topic)).toEqual({ 0: String(N + 1) })
})
