'use strict'
/*
 * Shared by the client adapters.
 *
 * Adapter contract (one file per client, `module.exports = { id, label, create }`):
 *   create({ brokers, topic }) -> Promise<{ version, settings, connect(), sendOne(value, acks),
 *     sendBatch(values, acks), sendKeyed(topic, { keys, values }, acks), disconnect() }>
 * `value` is a Buffer; `values` is an array of Buffers (the same array object on every call of a
 * measurement, so an adapter may build its client-specific message array once: `memo`).
 * `sendKeyed` (workload 4) sends `keys[i]` (Buffers) with `values[i]` to another topic (3 or 12
 * partitions) with the client's Java-compatible murmur2 partitioner; the `{ keys, values }`
 * object is also the same on every call. A client without it reports W4 as unsupported.
 * `acks` is 1 or -1. A client whose library fixes acks per producer creates one producer per
 * acks value on first use (that happens during the warm-up, never in a timed repetition).
 *
 * Consumer workloads (C1, C2, time to first message): an adapter that can consume also exports
 *   createConsumer({ brokers, topic, groupId, batch }) -> Promise<{ settings, start(onMessages), close() }>
 * `createConsumer` creates a consumer in the new group `groupId`, connects it and subscribes it
 * to `topic` from the beginning (none of that is timed). `start(onMessages)` is the library's
 * `run()` (or its equivalent): from then on the handler calls `onMessages(count, bytes)` once
 * per message (`batch` false: eachMessage, count 1) or once per batch (`batch` true: eachBatch),
 * with the payload bytes it saw (`message.value.length`: the minimal work every handler does).
 * It may return a promise, which rejects when consuming fails. `close()` stops and disconnects.
 */
const fs = require('node:fs')
const path = require('node:path')

/** Median of the finite numbers in `values` (null when there are none). */
function median(values) {
  const v = values.filter((x) => typeof x === 'number' && Number.isFinite(x)).sort((a, b) => a - b)
  if (v.length === 0) return null
  const m = v.length >> 1
  return v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2
}

/** Caches `fn(values)` per array object, so every timed send reuses the same message array. */
function memo(fn) {
  const cache = new WeakMap()
  return (values) => {
    let v = cache.get(values)
    if (v === undefined) {
      v = fn(values)
      cache.set(values, v)
    }
    return v
  }
}

/** The installed version of `pkg`, as resolved from the bench workspace (or the root). */
function versionOf(pkg) {
  let dir = path.dirname(require.resolve(pkg, { paths: [__dirname] }))
  for (;;) {
    const file = path.join(dir, 'package.json')
    if (fs.existsSync(file)) {
      const json = JSON.parse(fs.readFileSync(file, 'utf8'))
      if (json.name === pkg) return json.version
    }
    const up = path.dirname(dir)
    if (up === dir) return 'unknown'
    dir = up
  }
}

/** One producer per acks value, created and connected on first use. */
function perAcks(make) {
  const producers = new Map()
  return {
    async get(acks) {
      let p = producers.get(acks)
      if (p === undefined) {
        p = make(acks)
        producers.set(acks, p)
      }
      return p
    },
    all: () => [...producers.values()],
  }
}

/** The same payload bytes in every client (and in the floor, the Java producer and the consumer topics). */
function payloadOf(size) {
  return Buffer.alloc(size, 0).map((_, i) => (i * 31) % 251)
}

module.exports = { median, memo, versionOf, perAcks, payloadOf }
