'use strict'
/*
 * Seeks as the run loop sees them (lib/consumer/runner.js): the app's seek(), and the loop's own
 * seeks back to messages it was handed but did not handle. librdkafka seeks asynchronously and
 * reports each seek as a `seeked` record of a later chunk; until then the partition's messages in
 * hand are stale (`runner.pendingSeeks` holds the seeks not yet reported, per partition).
 */
const { key } = require('./offsets')

/** Asks librdkafka to fetch topic/partition from `offset`; `user`: the app's seek(). */
function seek(runner, topic, partition, offset, user) {
  const k = key(topic, partition)
  if (!runner.pendingSeeks.has(k)) runner.pendingSeeks.set(k, [])
  runner.pendingSeeks.get(k).push({ offset: String(offset), user })
  runner.native.seek(topic, partition, Number(offset))
}

/** A `seeked` record: the oldest pending seek of that partition is done. */
async function onSeeked(runner, r) {
  const k = key(r.topic, r.partition)
  const queue = runner.pendingSeeks.get(k)
  const done = queue && queue.shift()
  if (queue && queue.length === 0) runner.pendingSeeks.delete(k)
  // kafkajs: a seek asked by the app moves the committed offset too (or the resolved one).
  if (!done || !done.user || !runner.assignment.has(k) || Number(r.offset) < 0) return
  const offsets = runner.offsets
  if (offsets.autoCommit) {
    offsets.clear([r])
    await offsets
      .commitOffsets({ topics: [{ topic: r.topic, partitions: [{ partition: r.partition, offset: r.offset }] }] })
      .catch((e) =>
        runner.logger.warn(`Committing the sought offset failed: ${e.message}`, { groupId: runner.groupId }),
      )
  } else {
    offsets.setResolved(r.topic, r.partition, r.offset)
  }
}

/** After a batch (`k` its partition's key): its messages not handled (resolved) are fetched again. */
function seekBack(runner, batch, k, generation) {
  if (batch.isEmpty() || runner.isStale(k, generation)) return
  const first = Number(batch.firstOffset())
  const last = Number(batch.lastOffset())
  const resolved = runner.offsets.resolved.get(k)
  let next = resolved ? resolved.next : first
  if (next < first || next > last + 1) next = first
  if (next <= last) seek(runner, batch.topic, batch.partition, next, false)
}

module.exports = { seek, onSeeked, seekBack }
