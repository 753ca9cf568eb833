'use strict'
// index.d.ts is shaped like kafkajs's types: a kafkajs producer program compiles with only the
// import changed.
const { spawnSync } = require('node:child_process')
const path = require('node:path')

test('a kafkajs producer program type-checks against index.d.ts (tsc --noEmit, strict)', () => {
  const tsc = require.resolve('typescript/bin/tsc')
  const r = spawnSync(process.execPath, [tsc, '-p', path.join(__dirname, 'tsconfig.json')], { encoding: 'utf8' })
  expect(r.stdout + r.stderr).toBe('')
  expect(r.status).toBe(0)
})
