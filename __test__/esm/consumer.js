'use strict'
/*
 * An app that depends on kafka-napi: a temp dir whose node_modules/kafka-napi links to this
 * checkout, so 'kafka-napi' and 'kafka-napi/nestjs' resolve through package.json `exports`, as
 * they do in an installed package. Its scripts run in a fresh `node`.
 */
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { spawnSync } = require('node:child_process')
const ts = require('typescript')

const ROOT = path.resolve(__dirname, '../..')

function createConsumer() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kafka-napi-esm-'))
  fs.mkdirSync(path.join(dir, 'node_modules'))
  fs.symlinkSync(ROOT, path.join(dir, 'node_modules', 'kafka-napi'), 'dir')
  return {
    dir,
    /** Writes `source` to `file` in the app and runs it; returns spawnSync's result. */
    run(file, source, nodeArgs = []) {
      fs.writeFileSync(path.join(dir, file), source)
      return spawnSync(process.execPath, [...nodeArgs, file], { cwd: dir, encoding: 'utf8' })
    },
    /** The names `require(entry)` exposes (Object.keys, so a lazy getter is not read). */
    requireKeys(entry) {
      const r = this.run(
        'require-keys.cjs',
        `console.log(JSON.stringify(Object.keys(require(${JSON.stringify(entry)}))))`,
      )
      if (r.status !== 0) throw new Error(`require(${JSON.stringify(entry)}) failed:\n${r.stderr}`)
      return JSON.parse(r.stdout)
    },
    remove() {
      fs.rmSync(dir, { recursive: true, force: true })
    },
  }
}

/**
 * An .mjs source that imports every one of `names` from `entry` by name and as a namespace, and
 * prints { mismatched, namespace, undefinedNames }: the names whose named import or namespace
 * member is not the very object `require(entry)` gives, the namespace's names, and the names
 * imported as undefined. A name ESM cannot see fails the import itself ("does not provide an
 * export named ...").
 */
function importEveryName(entry, names) {
  const spec = JSON.stringify(entry)
  return [
    "import { createRequire } from 'node:module'",
    `import * as ns from ${spec}`,
    `import { ${names.join(', ')} } from ${spec}`,
    `const cjs = createRequire(import.meta.url)(${spec})`,
    `const named = { ${names.join(', ')} }`,
    'const mismatched = Object.keys(named).filter((n) => named[n] !== cjs[n] || ns[n] !== cjs[n])',
    "if (ns.default !== cjs) mismatched.push('default')",
    'const undefinedNames = Object.keys(named).filter((n) => named[n] === undefined)',
    'console.log(JSON.stringify({ mismatched, namespace: Object.keys(ns), undefinedNames }))',
    '',
  ].join('\n')
}

/** The value names (classes, functions, consts, enums) a declaration file exports. */
function declaredValueNames(dtsFile) {
  const options = {
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    noEmit: true,
    skipLibCheck: true,
    types: ['node'],
  }
  const program = ts.createProgram([dtsFile], options)
  const checker = program.getTypeChecker()
  const moduleSymbol = checker.getSymbolAtLocation(program.getSourceFile(dtsFile))
  return checker
    .getExportsOfModule(moduleSymbol)
    .filter((s) => s.flags & ts.SymbolFlags.Value)
    .map((s) => s.name)
}

module.exports = { ROOT, createConsumer, importEveryName, declaredValueNames }
