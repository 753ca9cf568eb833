'use strict'
/*
 * Redirects one module request, only when it comes from inside a given package directory, by
 * patching Node's Module._resolveFilename. Returns the function that restores it.
 *
 * Jest resolves modules itself (Module._resolveFilename is never consulted inside a test
 * file), so this runs in child processes (see ./child.js); it is what an npm alias or a
 * bundler alias does for a real app.
 */
const Module = require('node:module')
const path = require('node:path')

/**
 * @param {string} request the module name asked for, e.g. 'kafkajs'
 * @param {string} fromDir only requests from files under this directory are redirected
 * @param {string | null} target the file to load instead, or null to make the request fail as not installed
 */
function redirect(request, fromDir, target) {
  const original = Module._resolveFilename
  const prefix = fromDir.endsWith(path.sep) ? fromDir : fromDir + path.sep
  Module._resolveFilename = function (req, parent, ...rest) {
    if (req === request && parent && parent.filename && parent.filename.startsWith(prefix)) {
      if (target) return target
      const e = new Error(`Cannot find module '${req}'`)
      e.code = 'MODULE_NOT_FOUND'
      throw e
    }
    return original.call(this, req, parent, ...rest)
  }
  return () => {
    Module._resolveFilename = original
  }
}

module.exports = { redirect }
