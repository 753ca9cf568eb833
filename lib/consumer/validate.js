'use strict'
/* kafkajs's argument checks for the consumer's methods, with kafkajs's messages. */
const { KafkaJSNonRetriableError } = require('../errors')

const SPECIAL_OFFSETS = new Set(['-1', '-2'])

function fail(message) {
  throw new KafkaJSNonRetriableError(message)
}

/** subscribe({ topic | topics, fromBeginning }) -> { topics: (string|RegExp)[], fromBeginning } */
function validateTopics(subscription) {
  const { topic, topics, fromBeginning = false } = subscription || {}
  if (!topic && !topics) fail('Missing required argument "topics"')
  if (topics != null && !Array.isArray(topics)) fail('Argument "topics" must be an array')
  const list = topics || [topic]
  for (const t of list) {
    if (typeof t !== 'string' && !(t instanceof RegExp))
      fail(`Invalid topic ${t} (${typeof t}), the topic name has to be a String or a RegExp`)
  }
  return { topics: list, fromBeginning: Boolean(fromBeginning) }
}

function optionalCount(name, v) {
  if (v === null || v === undefined) return null
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) fail(`Invalid ${name}: expected a number >= 0, got ${v}`)
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
  const concurrency = Number(partitionsConsumedConcurrently)
  if (!Number.isInteger(concurrency) || concurrency < 1)
    fail(`Invalid partitionsConsumedConcurrently: expected an integer >= 1, got ${partitionsConsumedConcurrently}`)
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
    if (offset === null || offset === undefined || offset === '' || typeof offset === 'object') throw new Error()
    v = BigInt(typeof offset === 'number' ? Math.trunc(offset) : String(offset).trim())
  } catch {
    fail(`Invalid offset, expected a long received ${offset}`)
  }
  return String(v)
}

/** seek({ topic, partition, offset }): -1 (latest) and -2 (earliest) allowed. */
function validateSeek(target) {
  const { topic, partition, offset } = target || {}
  if (!topic) fail(`Invalid topic ${topic}`)
  if (Number.isNaN(Number(partition)) || partition === null)
    fail(`Invalid partition, expected a number received ${partition}`)
  const o = longString(offset)
  if (o.startsWith('-') && !SPECIAL_OFFSETS.has(o)) fail('Offset must not be a negative number')
  return { topic, partition: Number(partition), offset: o }
}

/** commitOffsets([{ topic, partition, offset }]) */
function validateCommits(list) {
  return (list || []).map(({ topic, partition, offset, metadata = null }) => {
    if (!topic) fail(`Invalid topic ${topic}`)
    if (Number.isNaN(Number(partition))) fail(`Invalid partition, expected a number received ${partition}`)
    const o = longString(offset)
    if (o.startsWith('-')) fail('Offset must not be a negative number')
    if (metadata !== null && typeof metadata !== 'string')
      fail(`Invalid offset metadata, expected string or null, received ${metadata}`)
    return { topic, partition: Number(partition), offset: o }
  })
}

/** pause/resume([{ topic, partitions? }]) */
function validateTopicPartitions(list, verb = 'pause') {
  for (const tp of list || []) {
    if (!tp || !tp.topic) fail(`Invalid topic ${(tp && tp.topic) || tp}`)
    if (
      tp.partitions !== undefined &&
      (!Array.isArray(tp.partitions) || tp.partitions.some((p) => Number.isNaN(Number(p))))
    )
      fail(`Array of valid partitions required to ${verb} specific partitions instead of ${tp.partitions}`)
  }
  return (list || []).map((tp) => ({ topic: tp.topic, partitions: tp.partitions ? tp.partitions.map(Number) : null }))
}

module.exports = { validateTopics, validateRun, validateSeek, validateCommits, validateTopicPartitions }
