'use strict'
/*
 * Endurance: many connect/send/disconnect cycles with successes and failures. File descriptors
 * and threads return to their baseline, memory does not grow with the number of messages, and
 * the process exits by itself after the last disconnect. Short in `npm test`; set SOAK_LONG=1 for
 * millions of messages.
 */
const { spawnSync } = require('node:child_process')
const path = require('node:path')
const { brokers, createTopic, topicOffsets } = require('../helpers/kafka')

const LONG = process.env.SOAK_LONG === '1'
const CYCLES = LONG ? 200 : 24
const PER_CYCLE = LONG ? 25000 : 10000

test(`${CYCLES} producer lifecycles, ${CYCLES * PER_CYCLE} messages: no leak, and the process exits on its own`, async () => {
  const topic = await createTopic({ partitions: 3 })
  const r = spawnSync(process.execPath, ['--expose-gc', path.join(__dirname, 'soak-child.js')], {
    encoding: 'utf8',
    timeout: LONG ? 1800000 : 240000,
    env: {
      ...process.env,
      SOAK_BROKERS: brokers().join(','),
      SOAK_TOPIC: topic,
      SOAK_CYCLES: String(CYCLES),
      SOAK_MESSAGES: String(PER_CYCLE),
    },
  })
  // Exited by itself (no process.exit in the child), cleanly, before the timeout.
  expect(r.error).toBeUndefined()
  expect(r.signal).toBeNull()
  expect(r.stderr).toBe('')
  expect(r.status).toBe(0)
  const m = JSON.parse(r.stdout.trim().split('\n').pop())
  expect(m.failures).toBe(CYCLES)
  expect(m.after.fds).toBeLessThanOrEqual(m.baseline.fds + 2)
  expect(m.after.threads).toBeLessThanOrEqual(m.baseline.threads + 2)
  // Memory: the last third of the run holds no more than the first third plus a margin.
  const third = Math.floor(m.samples.length / 3)
  const early = Math.max(...m.samples.slice(third, 2 * third).map((s) => s.rssMb))
  const late = Math.max(...m.samples.slice(2 * third).map((s) => s.rssMb))
  console.log(
    `soak: ${m.messages} messages, RSS middle third max ${early} MB, last third max ${late} MB, fds ${m.baseline.fds}->${m.after.fds}, threads ${m.baseline.threads}->${m.after.threads}`,
  )
  expect(late).toBeLessThan(early * 1.1 + 5)
  // Every successful message is on the broker.
  const offsets = await topicOffsets(topic)
  expect(offsets.reduce((n, p) => n + Number(p.high), 0)).toBe(CYCLES * PER_CYCLE)
}, 1900000)

test('a disconnected producer is garbage-collected (its native listeners do not keep it alive)', async () => {
  const topic = await createTopic()
  const r = spawnSync(process.execPath, ['--expose-gc', path.join(__dirname, 'collect-child.js')], {
    encoding: 'utf8',
    timeout: 60000,
    env: { ...process.env, SOAK_BROKERS: brokers().join(','), SOAK_TOPIC: topic },
  })
  expect(r.stderr).toBe('')
  expect(r.status).toBe(0)
  expect(JSON.parse(r.stdout.trim().split('\n').pop()).collected).toEqual([
    'producer 0',
    'producer 1',
    'producer 2',
    'tracker 0',
    'tracker 1',
    'tracker 2',
  ])
})
