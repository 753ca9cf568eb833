'use strict'
/*
 * A send's objects die young. With 1,000 single-message sends in flight, what V8's young-generation
 * collections promote to the old generation stays small per send: when the tracker kept its sends
 * in a Map, the tables each rehash left behind (in the old generation, still pointing at their
 * entries and their successor) kept about 310 bytes of every send alive through young collections,
 * and the old generation grew to 40-80 MB between full collections (lib/producer/pending-sends.js).
 * Measured with V8's own GC trace (--trace-gc-nvp: `promoted=` bytes per scavenge).
 */
const { execFile } = require('node:child_process')
const path = require('node:path')
const { brokers, createTopic } = require('../helpers/kafka')

const SENDS = 300000

function run(topic) {
  const child = path.join(__dirname, 'send-memory-child.js')
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ['--trace-gc-nvp', child, brokers().join(','), topic, String(SENDS)],
      { maxBuffer: 256 * 1024 * 1024, timeout: 120000 },
      (err, stdout, stderr) => (err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout)),
    )
  })
}

test('single-message sends, 1,000 in flight: under 100 bytes per send promoted by young collections', async () => {
  const topic = await createTopic()
  const out = await run(topic)
  expect(out).toContain(`RESULT ${SENDS}`)
  let promoted = 0
  let scavenges = 0
  for (const line of out.split('\n')) {
    if (!/\bgc=s\b/.test(line)) continue
    const m = / promoted=(\d+)/.exec(line)
    if (m) {
      promoted += Number(m[1])
      scavenges++
    }
  }
  // Enough young collections happened for the figure to mean something.
  expect(scavenges).toBeGreaterThanOrEqual(5)
  expect(promoted / SENDS).toBeLessThan(100)
}, 180000)
