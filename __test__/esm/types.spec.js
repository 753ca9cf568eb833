'use strict'
// An ES module TypeScript app (module and moduleResolution nodenext, strict) imports named values
// and types from 'kafka-napi' and 'kafka-napi/nestjs': the `types` conditions of package.json
// `exports` and the .d.ts files must serve it (esm-usage.mts; the package resolves itself by name).
const { spawnSync } = require('node:child_process')
const path = require('node:path')

test('esm-usage.mts type-checks with module/moduleResolution nodenext (tsc --noEmit, strict)', () => {
  const tsc = require.resolve('typescript/bin/tsc')
  const r = spawnSync(process.execPath, [tsc, '-p', path.join(__dirname, 'tsconfig.json')], { encoding: 'utf8' })
  expect(r.stdout + r.stderr).toBe('')
  expect(r.status).toBe(0)
})
