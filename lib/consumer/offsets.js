'use strict'
/*
 * kafkajs's offset bookkeeping for one consumer: resolved offsets (messages handled), committed
 * offsets, and the autoCommit rules (after each batch; within a batch when autoCommitInterval or
 * autoCommitThreshold is reached). Offsets are "next to read" (handled offset + 1), as committed.
 *
 * Resolved offsets reach librdkafka's offset store before every poll (`flushStore`), so the
 * commit librdkafka makes before a revocation covers every handled message; commits made here
 * name their offsets explicitly.
 */
const { KafkaJSRequestTimeoutError, fromNative } = require('../errors')
const { TIMED_OUT } = require('../local-codes')

/** The librdkafka code in a native error's payload, or undefined. */
function nativeCode(e) {
  try {
    return JSON.parse(e.message).code
  } catch {
    return undefined
  }
}

const key = (topic, partition) => `${topic}\u0000${partition}`

class OffsetManager {
  constructor({ native, autoCommit, autoCommitInterval, autoCommitThreshold, onCommit, commitTimeout = 60000 }) {
    this.native = native
    this.commitTimeout = commitTimeout
    this.autoCommit = autoCommit
    this.autoCommitInterval = autoCommitInterval
    this.autoCommitThreshold = autoCommitThreshold
    this.onCommit = onCommit
    this.resolved = new Map() // key -> { topic, partition, next } (next offset to read, a number)
    this.committed = new Map() // key -> offset string
    this.unstored = new Map() // key -> entry, resolved since the last flushStore
    this.resolvedSinceCommit = 0
    this.lastCommit = Date.now()
    this.committing = null
  }

  /** Marks `offset` of topic/partition handled. */
  resolveOffset({ topic, partition, offset }) {
    // Offsets stay far below 2^53: plain numbers are exact, and much cheaper than BigInt.
    this.resolveNext(key(topic, partition), topic, partition, Number(offset) + 1)
  }

  /** The per-message path: `k` is key(topic, partition), `next` the handled offset + 1. */
  resolveNext(k, topic, partition, next) {
    const entry = this.resolved.get(k)
    if (entry === undefined) {
      const created = { topic, partition, next }
      this.resolved.set(k, created)
      this.unstored.set(k, created)
    } else {
      if (entry.next >= next) return
      entry.next = next
      this.unstored.set(k, entry)
    }
    this.resolvedSinceCommit++
  }

  /** Sets the next offset of topic/partition, even backwards (seek without autoCommit). */
  setResolved(topic, partition, offset) {
    const entry = { topic, partition, next: Number(offset) }
    this.resolved.set(key(topic, partition), entry)
    this.unstored.set(key(topic, partition), entry)
  }

  /** Forgets the partitions (revoked, or seeked with autoCommit). */
  clear(partitions) {
    for (const { topic, partition } of partitions) {
      const k = key(topic, partition)
      this.resolved.delete(k)
      this.committed.delete(k)
      this.unstored.delete(k)
    }
  }

  /** kafkajs's uncommittedOffsets(): resolved offsets not committed yet, by topic. */
  uncommittedOffsets() {
    const byTopic = new Map()
    for (const [k, e] of this.resolved) {
      const offset = String(e.next)
      if (this.committed.get(k) === offset) continue
      if (!byTopic.has(e.topic)) byTopic.set(e.topic, [])
      // kafkajs gives the partition as a string here.
      byTopic.get(e.topic).push({ partition: String(e.partition), offset })
    }
    return { topics: [...byTopic].map(([topic, partitions]) => ({ topic, partitions })) }
  }

  /** Hands the offsets resolved since the last call to librdkafka's offset store. */
  flushStore() {
    if (this.unstored.size === 0) return
    const list = [...this.unstored.values()]
    this.unstored.clear()
    try {
      this.native.storeOffsets(
        list.map((e) => e.topic),
        list.map((e) => e.partition),
        list.map((e) => e.next),
      )
    } catch {
      // The consumer is closed: nothing more can be committed by it.
    }
  }

  /** Commits `offsets` (kafkajs's { topics: [{ topic, partitions: [{ partition, offset }] }] }), or what is uncommitted. */
  async commitOffsets(offsets) {
    const list = []
    const given = offsets ? offsets.topics : this.uncommittedOffsets().topics
    for (const { topic, partitions } of given)
      for (const { partition, offset } of partitions)
        list.push({ topic, partition: Number(partition), offset: String(offset) })
    if (list.length === 0) return
    // One commit at a time, in call order.
    const previous = this.committing
    const run = (async () => {
      if (previous) await previous.catch(() => {})
      const count = this.resolvedSinceCommit
      try {
        await this.native.commit(
          list.map((e) => e.topic),
          list.map((e) => e.partition),
          list.map((e) => Number(e.offset)),
          this.commitTimeout,
        )
      } catch (e) {
        // Not answered within commitTimeout (the coordinator away): retriable, like a request
        // timeout in kafkajs. The handled offsets stay stored; the next commit covers them.
        if (nativeCode(e) === TIMED_OUT)
          throw new KafkaJSRequestTimeoutError(
            `The offset commit was not answered within ${this.commitTimeout} ms (the group coordinator is unavailable)`,
          )
        throw fromNative(e)
      }
      for (const e of list) this.committed.set(key(e.topic, e.partition), e.offset)
      this.resolvedSinceCommit = Math.max(0, this.resolvedSinceCommit - count)
      this.lastCommit = Date.now()
      this.onCommit(list)
    })()
    this.committing = run
    try {
      await run
    } finally {
      if (this.committing === run) this.committing = null
    }
  }

  /**
   * kafkajs: commit when autoCommitInterval or autoCommitThreshold is reached. The run loop's
   * call (after each message) is skipped without autoCommit; eachBatch's
   * `commitOffsetsIfNecessary()` is not (`force`), as in kafkajs.
   */
  commitOffsetsIfNecessary(force = false) {
    if (!this.autoCommit && !force) return undefined
    const interval = this.autoCommitInterval
    const threshold = this.autoCommitThreshold
    const timeUp = interval != null && Date.now() >= this.lastCommit + interval
    const enough = threshold != null && this.resolvedSinceCommit >= threshold
    if (timeUp || enough) return this.commitOffsets()
    return undefined
  }

  /** The commit at the end of a batch (kafkajs's autoCommitOffsets). */
  autoCommitOffsets() {
    if (!this.autoCommit) return undefined
    return this.commitOffsets()
  }
}

/**
 * `[{ topic, partition, offset }]` as kafkajs's `[{ topic, partitions: [{ partition, offset }] }]`,
 * topics in first-seen order; `partitionOf` shapes each partition number.
 */
function byTopic(list, partitionOf) {
  const topics = new Map()
  for (const { topic, partition, offset } of list) {
    if (!topics.has(topic)) topics.set(topic, [])
    topics.get(topic).push({ partition: partitionOf(partition), offset })
  }
  return [...topics].map(([topic, partitions]) => ({ topic, partitions }))
}

module.exports = { OffsetManager, key, byTopic }
