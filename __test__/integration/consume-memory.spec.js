'use strict'
/*
 * A handled message's objects die young. In this loop (one message per poll, sent and handled
 * in one process: the shape of an app that consumes what it sends, as the Nest example does) V8's
 * young-generation collections promoted 265-306 bytes per message, the producer's share about 75:
 * kafkajs's END_BATCH_PROCESS payload was built with an object spread (`{ ...payload, duration }`),
 * and on Node 20's V8 such objects keep what they reference alive through young collections (a
 * pure-JS loop shows the same: `{ ...o }` promotes where `Object.assign({}, o)` or a literal does
 * not). Now 29-62.
 */
const path = require('node:path')
const { brokers, createTopic } = require('../helpers/kafka')
const { runTraced, promotedByScavenges } = require('../helpers/gc-trace')

const MESSAGES = 8000

test('one message per poll, sent and handled in one process: under 150 bytes per message promoted by young collections', async () => {
  const topic = await createTopic()
  const out = await runTraced(path.join(__dirname, 'consume-memory-child.js'), [
    brokers().join(','),
    topic,
    String(MESSAGES),
  ])
  expect(out).toContain(`RESULT ${MESSAGES + 500}`)
  const { scavenges, promoted } = promotedByScavenges(out, 'MEASURE-START', 'MEASURE-END')
  // Enough young collections happened for the figure to mean something.
  expect(scavenges).toBeGreaterThanOrEqual(5)
  expect(promoted / MESSAGES).toBeLessThan(150)
}, 180000)
