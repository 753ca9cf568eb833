'use strict'
/*
 * `import { Name } from 'kafka-napi'` works for every name `require('kafka-napi')` has. Node's ESM
 * loader offers a CommonJS module's names only as far as cjs-module-lexer finds them in the
 * source (an object spread or a getter of another shape hides them), so the list is taken from
 * require() at test time: a new export ESM cannot see fails here.
 */
const path = require('node:path')
const { ROOT, createConsumer, importEveryName, declaredValueNames } = require('./consumer')

const ENTRY = 'kafka-napi'
let app
let names

beforeAll(() => {
  app = createConsumer()
  names = app.requireKeys(ENTRY)
})
afterAll(() => app && app.remove())

test(`an .mjs file imports every name of require('${ENTRY}') by name, as the same objects`, () => {
  expect(names.length).toBeGreaterThan(0)
  const r = app.run('import-every-name.mjs', importEveryName(ENTRY, names))
  expect(r.stderr).toBe('')
  expect(r.status).toBe(0)
  const { mismatched, namespace, undefinedNames } = JSON.parse(r.stdout)
  expect(mismatched).toEqual([])
  expect(undefinedNames).toEqual([])
  expect(namespace.filter((n) => n !== 'default').sort()).toEqual([...names].sort())
})

test('the entry exports every public name of lib/errors (all but fromNative, decodePayload, errorForCode)', () => {
  const internal = ['fromNative', 'decodePayload', 'errorForCode']
  const errorNames = Object.keys(require(path.join(ROOT, 'lib/errors'))).filter((n) => !internal.includes(n))
  expect(errorNames.filter((n) => !names.includes(n))).toEqual([])
})

test('index.d.ts declares exactly the runtime names as values', () => {
  expect(declaredValueNames(path.join(ROOT, 'index.d.ts')).sort()).toEqual([...names].sort())
})
