'use strict'
/*
 * The NestJS integration sits on top of the package: the core never loads Nest, and nestjs/
 * uses only the public entry (require('..')), never lib/ or the native binding.
 */
const fs = require('node:fs')
const path = require('node:path')
const { spawnSync } = require('node:child_process')

const ROOT = path.resolve(__dirname, '../..')
const NESTJS = path.join(ROOT, 'nestjs')

test("require('kafka-napi') loads no @nestjs package and no rxjs", () => {
  const script = `require(${JSON.stringify(ROOT)}); console.log(JSON.stringify(Object.keys(require.cache).filter((f) => /node_modules[\\\\/](@nestjs|rxjs)[\\\\/]/.test(f))))`
  const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8' })
  expect(r.stderr).toBe('')
  expect(JSON.parse(r.stdout)).toEqual([])
})

test("nestjs/ requires only '..', its own files, @nestjs/* and rxjs", () => {
  const files = fs.readdirSync(NESTJS).filter((f) => f.endsWith('.js'))
  const requests = files.flatMap((f) =>
    [...fs.readFileSync(path.join(NESTJS, f), 'utf8').matchAll(/require\('([^']+)'\)/g)].map((m) => m[1]),
  )
  expect(requests.length).toBeGreaterThan(0)
  expect(
    requests.filter((r) => !(r === '..' || /^\.\/[\w.-]+$/.test(r) || r.startsWith('@nestjs/') || r === 'rxjs')),
  ).toEqual([])
})
