'use strict'
/*
 * Runs a child script under V8's GC trace (--trace-gc-nvp) and sums what its young-generation
 * collections (scavenges) promoted to the old generation: the measure of objects that should have
 * died young and did not. The child prints `RESULT <count>` when done.
 */
const { execFile } = require('node:child_process')

function runTraced(script, args, timeout = 120000) {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ['--trace-gc-nvp', script, ...args],
      { maxBuffer: 256 * 1024 * 1024, timeout },
      (err, stdout, stderr) => (err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout)),
    )
  })
}

/** { scavenges, promoted }: promoted bytes summed over the scavenges between `from` and `to` (lines of the output; whole output when absent). */
function promotedByScavenges(out, from, to) {
  let on = from === undefined
  let promoted = 0
  let scavenges = 0
  for (const line of out.split('\n')) {
    if (from !== undefined && line.startsWith(from)) on = true
    if (to !== undefined && line.startsWith(to)) on = false
    if (!on || !/\bgc=s\b/.test(line)) continue
    const m = / promoted=(\d+)/.exec(line)
    if (m) {
      promoted += Number(m[1])
      scavenges++
    }
  }
  return { scavenges, promoted }
}

module.exports = { runTraced, promotedByScavenges }
