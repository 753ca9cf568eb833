'use strict'
// What a user sees when no native module fits: the loader's error and the install hook's refusal
// name the platform and say what to do. Both run on a copy of the package without any `.node`.
const { spawnSync } = require('node:child_process')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { currentPlatform, packageName, PLATFORMS, missingBinaryAdvice } = require('../../lib/platform')

const ROOT = path.resolve(__dirname, '../..')

/** The package's JS files, as `npm pack` would ship them, in a temp dir with no native module. */
function bareCopy() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kafka-napi-bare-'))
  for (const f of ['index.js', 'binding.js', 'package.json']) fs.copyFileSync(path.join(ROOT, f), path.join(dir, f))
  fs.cpSync(path.join(ROOT, 'lib'), path.join(dir, 'lib'), { recursive: true })
  fs.mkdirSync(path.join(dir, 'scripts'))
  fs.copyFileSync(path.join(ROOT, 'scripts', 'install.js'), path.join(dir, 'scripts', 'install.js'))
  return dir
}

/** PATH without any directory that holds cargo. */
function pathWithoutCargo() {
  return process.env.PATH.split(path.delimiter)
    .filter((d) => !fs.existsSync(path.join(d, 'cargo')))
    .join(path.delimiter)
}

let dir
beforeAll(() => {
  dir = bareCopy()
})
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }))

test('this machine is one of the shipped platforms', () => {
  expect(Object.keys(PLATFORMS)).toContain(currentPlatform())
})

test('loading without a native module throws KAFKA_NAPI_NO_BINDING naming the platform and its package', () => {
  const r = spawnSync(
    process.execPath,
    [
      '-e',
      `try { require('./index.js'); console.log('loaded') } catch (e) {
         console.log(JSON.stringify({ code: e.code, name: e.name, message: e.message, cause: String(e.cause) })) }`,
    ],
    { cwd: dir, encoding: 'utf8', env: { ...process.env, NAPI_RS_NATIVE_LIBRARY_PATH: '' } },
  )
  expect(r.status).toBe(0)
  const e = JSON.parse(r.stdout)
  expect(e.code).toBe('KAFKA_NAPI_NO_BINDING')
  expect(e.name).toBe('KafkaNapiBindingError')
  expect(e.message).toContain(`(${currentPlatform()})`)
  expect(e.message).toContain(`npm install ${packageName(currentPlatform())}@`)
  expect(e.message).toContain('npm rebuild kafka-napi')
  expect(e.cause).toMatch(/Cannot find native binding/)
})

test('the install hook without cargo fails with one paragraph of advice instead of building', () => {
  const r = spawnSync(process.execPath, ['scripts/install.js'], {
    cwd: dir,
    encoding: 'utf8',
    env: { ...process.env, PATH: pathWithoutCargo(), KAFKA_NAPI_FORCE_BUILD: '', KAFKA_NAPI_SKIP_BUILD: '' },
  })
  expect(r.status).toBe(1)
  expect(r.stderr.trim()).toBe(missingBinaryAdvice(currentPlatform(), false))
  expect(r.stderr).toContain('cargo was not found')
  expect(fs.readdirSync(dir).filter((f) => f.endsWith('.node'))).toEqual([])
})

test('the install hook does nothing when asked to skip', () => {
  const r = spawnSync(process.execPath, ['scripts/install.js'], {
    cwd: dir,
    encoding: 'utf8',
    env: { ...process.env, PATH: pathWithoutCargo(), KAFKA_NAPI_SKIP_BUILD: '1' },
  })
  expect(r.status).toBe(0)
  expect(r.stderr).toBe('')
})

test('a platform without a prebuilt package lists the ones that exist', () => {
  const advice = missingBinaryAdvice('freebsd-x64', false)
  expect(advice).toContain('no prebuilt binary for this platform (freebsd-x64)')
  for (const p of Object.keys(PLATFORMS)) expect(advice).toContain(p)
})
