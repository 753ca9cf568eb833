'use strict'
/*
 * Step 1 of a send: validate and normalise. The checks and messages are kafkajs's, in its
 * order; the normalisers turn each message field into what the packer takes, refusing anything
 * else with a typed error (never a crash on hostile input: a throwing getter, a Symbol).
 */
const { KafkaJSError, KafkaJSNonRetriableError } = require('../errors')
const { showJson } = require('../show')

/** Hostile input (a throwing getter, a Symbol where a string goes) still gets a typed error. */
function asTyped(e) {
  return e instanceof KafkaJSError ? e : new KafkaJSNonRetriableError(`Invalid send: ${e && e.message}`, { cause: e })
}

/** Buffer | string | null for a key, value or header value; anything else is refused. */
function bytesOf(v, what, topic) {
  if (v === null || v === undefined) return null
  if (typeof v === 'string' || Buffer.isBuffer(v)) return v
  if (ArrayBuffer.isView(v)) return Buffer.from(v.buffer, v.byteOffset, v.byteLength)
  throw new KafkaJSNonRetriableError(
    `Invalid ${what} for topic "${topic}": expected a Buffer, string or null, got ${typeof v}`,
  )
}

function headersOf(headers, topic) {
  if (headers === undefined || headers === null) return null
  if (typeof headers !== 'object' || Array.isArray(headers)) {
    throw new KafkaJSNonRetriableError(`Invalid headers for topic "${topic}": expected an object`)
  }
  const out = []
  for (const name of Object.keys(headers)) {
    const v = headers[name]
    if (v === undefined) continue
    if (Array.isArray(v)) {
      for (const item of v) out.push([name, bytesOf(item, `header "${name}"`, topic)])
    } else {
      out.push([name, bytesOf(v, `header "${name}"`, topic)])
    }
  }
  return out.length ? out : null
}

function timestampOf(ts, topic) {
  if (ts === undefined || ts === null) return 0
  const n = typeof ts === 'number' ? ts : Number(ts)
  if (!Number.isFinite(n) || n < 0)
    throw new KafkaJSNonRetriableError(`Invalid timestamp for topic "${topic}": ${showJson(ts)}`)
  return n
}

function partitionOf(p, topic) {
  if (p === undefined || p === null) return -1
  if (!Number.isInteger(p) || p < 0 || p > 2147483647)
    throw new KafkaJSNonRetriableError(`Invalid partition for topic "${topic}": ${showJson(p)}`)
  return p
}

/**
 * Validates a sendBatch as kafkajs does (same order, same messages); returns the send's options
 * with kafkajs's defaults filled in.
 */
function validateBatch(batch, { idempotent, requestTimeout }) {
  if (batch === null || typeof batch !== 'object') throw new KafkaJSNonRetriableError('Invalid batch')
  const { acks = -1, timeout = requestTimeout, compression = 0, topicMessages = [] } = batch
  if (idempotent && acks !== -1) {
    throw new KafkaJSNonRetriableError(
      "Not requiring ack for all messages invalidates the idempotent producer's EoS guarantees",
    )
  }
  if (!Array.isArray(topicMessages))
    throw new KafkaJSNonRetriableError(`Invalid topicMessages: ${showJson(topicMessages)}`)
  for (const tm of topicMessages) {
    if (!tm || !tm.topic || typeof tm.topic !== 'string') throw new KafkaJSNonRetriableError('Invalid topic')
    const { topic, messages } = tm
    if (!Array.isArray(messages))
      throw new KafkaJSNonRetriableError(`Invalid messages array [${messages}] for topic "${topic}"`)
    for (const m of messages) {
      if (m === null || typeof m !== 'object')
        throw new KafkaJSNonRetriableError(`Invalid message for topic "${topic}": ${showJson(m)}`)
      if (m.value === undefined)
        throw new KafkaJSNonRetriableError(`Invalid message without value for topic "${topic}": ${showJson(m)}`)
    }
  }
  return { acks, timeout, compression, topicMessages }
}

module.exports = { asTyped, bytesOf, headersOf, timestampOf, partitionOf, validateBatch }
