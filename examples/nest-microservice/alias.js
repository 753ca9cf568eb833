'use strict'
/*
 * `npm install kafkajs@npm:kafka-napi` for this repository: here node_modules/kafkajs is the real
 * kafkajs (the tests read back with it), so instead the 'kafkajs' that @nestjs/microservices asks
 * for is resolved to kafka-napi by a Module._resolveFilename hook. Nothing of Nest changes either way.
 * Call it before @nestjs/microservices loads kafkajs (before the app is created).
 */
const Module = require('node:module')
const path = require('node:path')

const ROOT = path.resolve(__dirname, '../..') // in an app with the alias installed: not needed at all

/** Makes `require('kafkajs')` from inside @nestjs/microservices load kafka-napi. Returns the undo. */
function useKafkaNapi() {
  const nest = path.dirname(require.resolve('@nestjs/microservices/package.json')) + path.sep
  const target = require.resolve(ROOT)
  const original = Module._resolveFilename
  Module._resolveFilename = function (request, parent, ...rest) {
    if (request === 'kafkajs' && parent && parent.filename && parent.filename.startsWith(nest)) return target
    return original.call(this, request, parent, ...rest)
  }
  return () => {
    Module._resolveFilename = original
  }
}

module.exports = { useKafkaNapi }
