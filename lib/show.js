'use strict'
/*
 * Values shown in error messages. Whatever the app passed, showing it must not throw: `${v}`
 * throws for a Symbol and for an object without a prototype, JSON.stringify for a BigInt.
 */

/** `v` as text (String(v)); a Symbol's description, `[object Object]` where String(v) throws. */
function show(v) {
  if (typeof v === 'symbol') return v.toString()
  try {
    return String(v)
  } catch {
    return Object.prototype.toString.call(v)
  }
}

/** `v` as JSON where it has a JSON form (strings quoted), else as show(v). */
function showJson(v) {
  try {
    return JSON.stringify(v) ?? show(v)
  } catch {
    return show(v)
  }
}

module.exports = { show, showJson }
