'use strict'
/*
 * commit() and abort() are barriers for sends still in the enqueue path. Before the barrier,
 * 10 sends of 5,000 (librdkafka's queue holding 500) followed by commit() committed the 3 sends
 * already handed over and failed the other 7 with "STATE: Local: Erroneous state": a commit
 * that silently left most of the transaction out.
 */
const { Kafka, MockCluster, logLevel } = require('../..')

let mock
beforeEach(() => {
  mock = new MockCluster({ brokers: 1 })
  mock.createTopic('t', { partitions: 1 })
})
afterEach(() => mock.close())

async function bigTransaction() {
  const p = new Kafka({ brokers: mock.brokers, logLevel: logLevel.NOTHING }).producer({
    transactionalId: `txn-${Date.now()}`,
    queueBufferingMaxMessages: 500,
  })
  await p.connect()
  const txn = await p.transaction()
  const sends = Array.from({ length: 10 }, (_, s) =>
    txn.send({ topic: 't', messages: Array.from({ length: 5000 }, (_, i) => ({ value: `${s}-${i}` })) }),
  )
  // Settled as they come (a rejection before the test looks at it is not unhandled).
  return { p, txn, sends: Promise.allSettled(sends) }
}

test('commit() waits for every earlier send to reach librdkafka: all 50,000 messages commit', async () => {
  const { p, txn, sends } = await bigTransaction()
  try {
    await expect(txn.commit()).resolves.toBeUndefined()
    const outcomes = await sends
    expect(outcomes.map((o) => o.status)).toEqual(Array(10).fill('fulfilled'))
    // One partition, offsets in send order: the last send ends at offset 49,999 (plus markers).
    const last = outcomes[9].value[0]
    expect(Number(last.baseOffset)).toBeGreaterThanOrEqual(45000)
  } finally {
    await p.disconnect()
  }
})

test('abort() fails the sends not yet handed over as never sent, not with a state error', async () => {
  const { p, txn, sends } = await bigTransaction()
  try {
    await expect(txn.abort()).resolves.toBeUndefined()
    const outcomes = await sends
    const reasons = outcomes.filter((o) => o.status === 'rejected').map((o) => o.reason.message)
    expect(reasons.length).toBeGreaterThan(0)
    for (const m of reasons) {
      expect(m).not.toMatch(/Erroneous state/)
      expect(m).toMatch(/not sent|abort|purge/i)
    }
  } finally {
    await p.disconnect()
  }
})
