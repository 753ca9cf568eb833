'use strict'
const { spawnSync } = require('node:child_process')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { FailureLog } = require('../..')
const { brokers, createTopic, readBack } = require('../helpers/kafka')

const CLI = path.resolve(__dirname, '../../bin/kafka-napi.js')

test('`kafka-napi replay <file>` re-sends recorded messages to a real broker and empties the log', async () => {
  const topic = await createTopic()
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'kn-cli-')), 'failed.jsonl')
  const log = new FailureLog({ path: file })
  await log.record({
    topic,
    message: { key: 'k1', value: Buffer.from([1, 2, 3]), headers: { h: 'x' } },
    error: new Error('broker down'),
  })
  await log.record({ topic, message: { key: null, value: 'two' }, error: new Error('broker down') })
  // While this process holds the log, the CLI is refused: one process per log.
  const refused = spawnSync(process.execPath, [CLI, 'replay', file, '--brokers', brokers().join(',')], {
    encoding: 'utf8',
  })
  expect(refused.status).toBe(1)
  expect(refused.stderr).toMatch(/is in use by process \d+ on this host/)
  await log.close()
  const r = spawnSync(process.execPath, [CLI, 'replay', file, '--brokers', brokers().join(',')], { encoding: 'utf8' })
  expect(r.stderr).toBe('')
  expect(r.stdout.trim()).toBe(`replayed 2, still failing 0, kept as possibly persisted 0 (left in ${file})`)
  expect(r.status).toBe(0)
  expect(log.entries()).toEqual([])
  const got = await readBack(topic, 2)
  expect(got.map((m) => [m.key && m.key.toString(), [...m.value], m.headers.h && m.headers.h.toString()])).toEqual([
    ['k1', [1, 2, 3], 'x'],
    [null, [...Buffer.from('two')], undefined],
  ])
})

test('the CLI refuses an unknown command with usage and exit code 2', () => {
  const r = spawnSync(process.execPath, [CLI, 'frobnicate'], { encoding: 'utf8' })
  expect(r.status).toBe(2)
  expect(r.stderr).toMatch(/unknown command "frobnicate"/)
  expect(r.stderr).toMatch(/usage: kafka-napi replay/)
})
