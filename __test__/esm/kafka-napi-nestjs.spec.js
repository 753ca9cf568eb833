'use strict'
/*
 * `import { Name } from 'kafka-napi/nestjs'` works for every name `require('kafka-napi/nestjs')`
 * has (the list is taken from require() at test time, so a new export ESM cannot see fails
 * here), and KafkaNapiClient stays lazy for CommonJS: its file, which needs
 * @nestjs/microservices (an optional peer dependency), is loaded on the first read only.
 */
const path = require('node:path')
const { ROOT, createConsumer, importEveryName, declaredValueNames } = require('./consumer')

const ENTRY = 'kafka-napi/nestjs'
const CLIENT_FILE = path.join(ROOT, 'nestjs', 'client.js')
// Preloaded with --require: makes @nestjs/microservices impossible to resolve, as in an app
// that does not install it.
const WITHOUT_MICROSERVICES = `
const Module = require('node:module')
const resolve = Module._resolveFilename
Module._resolveFilename = function (request, ...rest) {
  if (request === '@nestjs/microservices' || request.startsWith('@nestjs/microservices/')) {
    throw Object.assign(new Error("Cannot find module '" + request + "'"), { code: 'MODULE_NOT_FOUND' })
  }
  return resolve.call(this, request, ...rest)
}
`
let app
let names

beforeAll(() => {
  app = createConsumer()
  names = app.requireKeys(ENTRY)
  app.run('without-microservices.cjs', WITHOUT_MICROSERVICES)
})
afterAll(() => app && app.remove())

test(`an .mjs file imports every name of require('${ENTRY}') by name, as the same objects`, () => {
  expect(names).toContain('KafkaNapiClient')
  const r = app.run('import-every-name.mjs', importEveryName(ENTRY, names))
  expect(r.stderr).toBe('')
  expect(r.status).toBe(0)
  const { mismatched, namespace, undefinedNames } = JSON.parse(r.stdout)
  expect(mismatched).toEqual([])
  expect(undefinedNames).toEqual([])
  expect(namespace.filter((n) => n !== 'default').sort()).toEqual([...names].sort())
})

test(`require('${ENTRY}') loads KafkaNapiClient's file only when KafkaNapiClient is first read`, () => {
  const r = app.run(
    'lazy-client.cjs',
    [
      `const nest = require(${JSON.stringify(ENTRY)})`,
      `const loaded = () => Boolean(require.cache[${JSON.stringify(CLIENT_FILE)}])`,
      'const before = loaded()',
      "const isClass = typeof nest.KafkaNapiClient === 'function'",
      'console.log(JSON.stringify({ before, isClass, after: loaded() }))',
    ].join('\n'),
  )
  expect(r.stderr).toBe('')
  expect(JSON.parse(r.stdout)).toEqual({ before: false, isClass: true, after: true })
})

test('without @nestjs/microservices, CommonJS and ESM apps use the module; only reading KafkaNapiClient fails (CJS) or gives undefined (ESM)', () => {
  const cjs = app.run(
    'no-microservices.cjs',
    [
      `const nest = require(${JSON.stringify(ENTRY)})`,
      'let error = null',
      'try { nest.KafkaNapiClient } catch (e) { error = e.code }',
      "console.log(JSON.stringify({ module: typeof nest.KafkaProducerModule, token: nest.getProducerToken('x'), error }))",
    ].join('\n'),
    ['--require', './without-microservices.cjs'],
  )
  expect(cjs.stderr).toBe('')
  expect(JSON.parse(cjs.stdout)).toEqual({ module: 'function', token: expect.any(String), error: 'MODULE_NOT_FOUND' })

  const esm = app.run(
    'no-microservices.mjs',
    [
      `import { KafkaProducerModule, getProducerToken, KafkaNapiClient } from ${JSON.stringify(ENTRY)}`,
      "console.log(JSON.stringify({ module: typeof KafkaProducerModule, token: getProducerToken('x'), client: typeof KafkaNapiClient }))",
    ].join('\n'),
    ['--require', './without-microservices.cjs'],
  )
  expect(esm.stderr).toBe('')
  expect(JSON.parse(esm.stdout)).toEqual({ module: 'function', token: expect.any(String), client: 'undefined' })
})

test('nestjs/index.d.ts declares exactly the runtime names as values', () => {
  expect(declaredValueNames(path.join(ROOT, 'nestjs', 'index.d.ts')).sort()).toEqual([...names].sort())
})
