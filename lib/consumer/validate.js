'use strict'
/* kafkajs's argument checks for the consumer's methods, with kafkajs's messages. */
const { KafkaJSNonRetriableError } = require('../errors')
const { show } = require('../show')

const SPECIAL_OFFSETS = new Set(['-1', '-2'])

function fail(message) {
  throw new KafkaJSNonRetriableError(message)
}

/** Number(v), NaN where Number(v) throws (a Symbol, an object without a prototype). */
function toNumber(v) {
  try {
    return Number(v)
  } catch {
    return Number.NaN
  }
}

/** A topic name: kafkajs takes anything truthy here, which the native call would refuse untyped. */
const isTopic = (t) => typeof t === 'string' && t.length > 0

/** Arrays only: kafkajs iterates what it is given and throws a TypeError on anything else. */
function requireArray(list, what) {
  if (!Array.isArray(list)) fail(`Invalid ${what}: expected an array, received ${show(list)}`)
  return list
}

/** subscribe({ topic | topics, fromBeginning }) -> { topics: (string|RegExp)[], fromBeginning } */
function validateTopics(subscription) {
  const { topic, topics, fromBeginning = false } = subscription || {}
  if (!topic && !topics) fail('Missing required argument "topics"')
  if (topics != null && !Array.isArray(topics)) fail('Argument "topics" must be an array')
  const list = topics || [topic]
  for (const t of list) {
    if (typeof t !== 'string' && !(t instanceof RegExp))
      fail(`Invalid topic ${show(t)} (${typeof t}), the topic name has to be a String or a RegExp`)
  }
  return { topics: list, fromBeginning: Boolean(fromBeginning) }
}

function optionalCount(name, v) {
  if (v === null || v === undefined) return null
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0)
    fail(`Invalid ${name}: expected a number >= 0, got ${show(v)}`)
  return v
}

/** run(config) with kafkajs's defaults. */
function validateRun(config) {
  const {
    autoCommit = true,
    autoCommitInterval = null,
    autoCommitThreshold = null,
    eachBatchAutoResolve = true,
    partitionsConsumedConcurrently = 1,
    eachBatch = null,
    eachMessage = null,
  } = config || {}
  if (typeof eachMessage !== 'function' && typeof eachBatch !== 'function')
    fail('Consumer#run requires an eachMessage or an eachBatch function')
  const concurrency = toNumber(partitionsConsumedConcurrently)
  if (!Number.isInteger(concurrency) || concurrency < 1)
    fail(
      `Invalid partitionsConsumedConcurrently: expected an integer >= 1, got ${show(partitionsConsumedConcurrently)}`,
    )
  return {
    autoCommit: autoCommit !== false,
    autoCommitInterval: optionalCount('autoCommitInterval', autoCommitInterval),
    autoCommitThreshold: optionalCount('autoCommitThreshold', autoCommitThreshold),
    eachBatchAutoResolve: eachBatchAutoResolve !== false,
    partitionsConsumedConcurrently: concurrency,
    eachBatch: typeof eachMessage === 'function' ? null : eachBatch,
    eachMessage: typeof eachMessage === 'function' ? eachMessage : null,
  }
}

function longString(offset) {
  let v
  try {
    if (
      offset === null ||
      offset === undefined ||
      offset === '' ||
      typeof offset === 'object' ||
      typeof offset === 'symbol'
    )
      throw new Error()
    v = BigInt(typeof offset === 'number' ? Math.trunc(offset) : String(offset).trim())
  } catch {
    fail(`Invalid offset, expected a long received ${show(offset)}`)
  }
  return String(v)
}

/** seek({ topic, partition, offset }): -1 (latest) and -2 (earliest) allowed. */
function validateSeek(target) {
  const { topic, partition, offset } = target || {}
  if (!isTopic(topic)) fail(`Invalid topic ${show(topic)}`)
  if (Number.isNaN(toNumber(partition)) || partition === null)
    fail(`Invalid partition, expected a number received ${show(partition)}`)
  const o = longString(offset)
  if (o.startsWith('-') && !SPECIAL_OFFSETS.has(o)) fail('Offset must not be a negative number')
  return { topic, partition: toNumber(partition), offset: o }
}

/** commitOffsets([{ topic, partition, offset }]) */
function validateCommits(list) {
  return requireArray(list, 'offsets to commit').map((entry) => {
    if (entry === null || typeof entry !== 'object') fail(`Invalid offset to commit ${show(entry)}`)
    const { topic, partition, offset, metadata = null } = entry
    if (!isTopic(topic)) fail(`Invalid topic ${show(topic)}`)
    if (Number.isNaN(toNumber(partition))) fail(`Invalid partition, expected a number received ${show(partition)}`)
    const o = longString(offset)
    if (o.startsWith('-')) fail('Offset must not be a negative number')
    if (metadata !== null && typeof metadata !== 'string')
      fail(`Invalid offset metadata, expected string or null, received ${show(metadata)}`)
    return { topic, partition: toNumber(partition), offset: o }
  })
}

/**
 * eachBatch's resolveOffset(offset): the handled offset as a number (offsets stay far below 2^53).
 * kafkajs stores whatever it is given and commits it plus one, so a typo there moves the group
 * to a nonsense position; here anything but a non-negative integer (number, BigInt, or a string
 * of digits) is refused.
 */
function validateResolvedOffset(offset) {
  let n = Number.NaN
  if (typeof offset === 'number') n = offset
  else if (typeof offset === 'string' && /^\d{1,16}$/.test(offset)) n = Number(offset)
  else if (typeof offset === 'bigint' && offset >= 0n && offset <= BigInt(Number.MAX_SAFE_INTEGER)) n = Number(offset)
  if (!Number.isSafeInteger(n) || n < 0) fail(`Invalid offset, expected a long received ${show(offset)}`)
  return n
}

/** eachBatch's commitOffsetsIfNecessary(offsets): kafkajs's { topics: [{ topic, partitions: [{ partition, offset }] }] }. */
function validateOffsetsToCommit(offsets) {
  const badShape = () =>
    fail(
      `Invalid offsets to commit, expected { topics: [{ topic, partitions: [{ partition, offset }] }] }, received ${show(offsets)}`,
    )
  if (offsets === null || typeof offsets !== 'object' || !Array.isArray(offsets.topics)) badShape()
  const list = []
  for (const entry of offsets.topics) {
    if (entry === null || typeof entry !== 'object' || !Array.isArray(entry.partitions)) badShape()
    for (const p of entry.partitions) {
      if (p === null || typeof p !== 'object') badShape()
      list.push({ topic: entry.topic, partition: p.partition, offset: p.offset })
    }
  }
  return {
    topics: validateCommits(list).map(({ topic, partition, offset }) => ({
      topic,
      partitions: [{ partition, offset }],
    })),
  }
}

/** pause/resume([{ topic, partitions? }]) */
function validateTopicPartitions(list = [], verb = 'pause') {
  for (const tp of requireArray(list, `topic partitions to ${verb}`)) {
    if (!tp || !isTopic(tp.topic)) fail(`Invalid topic ${show((tp && tp.topic) || tp)}`)
    if (
      tp.partitions !== undefined &&
      (!Array.isArray(tp.partitions) || tp.partitions.some((p) => Number.isNaN(toNumber(p))))
    )
      fail(`Array of valid partitions required to ${verb} specific partitions instead of ${show(tp.partitions)}`)
  }
  return list.map((tp) => ({ topic: tp.topic, partitions: tp.partitions ? tp.partitions.map(toNumber) : null }))
}

module.exports = {
  validateTopics,
  validateRun,
  validateSeek,
  validateCommits,
  validateResolvedOffset,
  validateOffsetsToCommit,
  validateTopicPartitions,
}
