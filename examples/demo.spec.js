'use strict'
// The README's demo on librdkafka's mock cluster (`npm run demo -- --embedded`): every event is
// read back, once and identical. (The real-Kafka demo starts its own broker; CI runs the specs
// against brokers that are already up, so it is not repeated here.)
const { spawnSync } = require('node:child_process')
const path = require('node:path')

test('npm run demo -- --embedded delivers and reads back every event', () => {
  const r = spawnSync(process.execPath, [path.join(__dirname, 'demo.js'), '--embedded'], {
    encoding: 'utf8',
    timeout: 150000,
  })
  expect(r.error).toBeUndefined()
  expect(r.stdout).toMatch(/read back 30000 of 30000 with kafka-napi's consumer: 0 duplicated, 0 different/)
  expect(r.stdout).toMatch(/demo OK: every event delivered once and identical \(embedded mock cluster\)/)
  expect(r.status).toBe(0)
})
