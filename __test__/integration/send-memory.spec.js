'use strict'
/*
 * A send's objects die young. With 1,000 single-message sends in flight, what V8's young-generation
 * collections promote to the old generation stays small per send: when the tracker kept its sends
 * in a Map, the tables each rehash left behind (in the old generation, still pointing at their
 * entries and their successor) kept about 310 bytes of every send alive through young collections,
 * and the old generation grew to 40-80 MB between full collections (lib/producer/pending-sends.js).
 * Measured with V8's own GC trace (--trace-gc-nvp: `promoted=` bytes per scavenge).
 */
const path = require('node:path')
const { brokers, createTopic } = require('../helpers/kafka')
const { runTraced, promotedByScavenges } = require('../helpers/gc-trace')

const SENDS = 300000

test('single-message sends, 1,000 in flight: under 100 bytes per send promoted by young collections', async () => {
  const topic = await createTopic()
  const out = await runTraced(path.join(__dirname, 'send-memory-child.js'), [brokers().join(','), topic, String(SENDS)])
  expect(out).toContain(`RESULT ${SENDS}`)
  const { scavenges, promoted } = promotedByScavenges(out)
  // Enough young collections happened for the figure to mean something.
  expect(scavenges).toBeGreaterThanOrEqual(5)
  expect(promoted / SENDS).toBeLessThan(100)
}, 180000)
