'use strict'
/*
 * disconnect() under load: 20 sends of 5,000 messages (acks -1, 3 partitions, a FailureLog),
 * then disconnect at once with a tiny disconnectTimeout. Messages purged while in flight may
 * have been stored; they must be reported as possibly persisted, never as plainly failed.
 * Measured before the fix: with disconnectTimeout 50 ms, 12,247 messages logged as failed were
 * found on the topic (1 ms: 5,453), so a replay would have written them twice.
 */
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { Kafka, FailureLog, logLevel } = require('../..')
const { brokers, createTopic, readToEnd } = require('../helpers/kafka')

for (const disconnectTimeout of [1, 50]) {
  test(`disconnect with disconnectTimeout ${disconnectTimeout} ms: nothing logged as plainly failed is on the topic, nothing is lost`, async () => {
    const topic = await createTopic({ partitions: 3 })
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'kn-disc-')), 'failed.jsonl')
    const failureLog = new FailureLog({ path: file })
    const producer = new Kafka({ brokers: brokers(), logLevel: logLevel.NOTHING }).producer({
      failureLog,
      disconnectTimeout,
    })
    await producer.connect()
    const all = []
    const sends = []
    for (let s = 0; s < 20; s++) {
      const messages = Array.from({ length: 5000 }, (_, i) => {
        const value = `${s}-${i}`
        all.push(value)
        return { key: `k${i % 50}`, value }
      })
      sends.push(producer.send({ topic, acks: -1, messages }))
    }
    // Settle handlers go on before disconnect(): a send purged by it rejects while disconnect()
    // is still awaited, and a rejection with no handler yet fails the test as unhandled.
    const settled = Promise.allSettled(sends)
    await producer.disconnect()
    const outcomes = await settled
    const rejected = outcomes.filter((o) => o.status === 'rejected')
    for (const r of rejected) expect(r.reason.name).toMatch(/^KafkaJS/)

    const entries = failureLog.entries()
    await failureLog.close()
    const { messages } = await readToEnd(topic, { timeout: 60000 })
    const stored = new Set(messages.map((m) => m.value.toString()))
    const plain = entries.filter((e) => !e.possiblyPersisted).map((e) => e.value.toString())
    const possibly = entries.filter((e) => e.possiblyPersisted).map((e) => e.value.toString())
    const logged = new Set([...plain, ...possibly])
    console.log(
      `disconnectTimeout ${disconnectTimeout} ms: ${rejected.length} of 20 sends rejected, ` +
        `${stored.size} stored, ${plain.length} logged failed, ${possibly.length} logged possibly persisted ` +
        `(${possibly.filter((v) => stored.has(v)).length} of those stored)`,
    )
    if (disconnectTimeout === 1) {
      // 1 ms cannot deliver 100,000 messages: some were purged, so the checks below have
      // something to check (without this, a run where nothing failed passed them vacuously).
      expect(rejected.length).toBeGreaterThan(0)
      expect(plain.length + possibly.length).toBeGreaterThan(0)
    }
    expect(plain.filter((v) => stored.has(v))).toEqual([]) // reported failed yet stored: none
    expect(all.filter((v) => !stored.has(v) && !logged.has(v))).toEqual([]) // neither stored nor logged: none
    expect(messages.length).toBe(stored.size) // no duplicates
  }, 180000)
}
