'use strict'
/*
 * kafkajs's subscribe creates a topic that does not exist yet: its metadata request allows auto
 * creation. librdkafka's consumer never asks for that while it knows no topic, and sees a topic
 * created later only at its next metadata refresh (metadataMaxAge, 5 minutes by default), so the
 * group would join with nothing to consume and run() wait for an assignment. subscribe therefore
 * asks for each missing topic by name (the request lets the broker create it) until all its
 * partitions have a leader.
 */
const { KafkaJSProtocolError, fromNative } = require('../errors')
const { protocolError } = require('../protocol-errors')

const RETRY_MS = 100
const UNKNOWN_TOPIC_OR_PARTITION = 3
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

/** A topic state (NativeConsumer.topicState) that can be consumed: no error, every partition led. */
const ready = (s) => s.error === 0 && s.partitions > 0 && s.leaders === s.partitions

/**
 * Resolves once every topic of `names` exists with a leader for each partition, asking for it by
 * name (which creates it where the broker allows). Rejects with kafkajs's protocol error when a
 * topic is still missing after `timeoutMs` (the broker's `auto.create.topics.enable` off, or no
 * right to create it), and at once when the broker answers for a topic with an error that asking
 * again cannot change (an invalid name: INVALID_TOPIC_EXCEPTION; TOPIC_AUTHORIZATION_FAILED), as
 * kafkajs's subscribe does.
 */
async function ensureTopics(native, names, timeoutMs) {
  const deadline = Date.now() + timeoutMs
  let pending = names
  for (;;) {
    const states = await Promise.all(
      pending.map((name) =>
        native.topicState(name, Math.max(1, deadline - Date.now())).catch((e) => {
          throw fromNative(e)
        }),
      ),
    )
    const left = []
    pending.forEach((name, i) => {
      if (!ready(states[i])) left.push({ name, state: states[i] })
    })
    if (left.length === 0) return
    const refused = left.find((t) => t.state.error > 0 && !protocolError(t.state.error).retriable)
    if (refused) throw refusedBy(refused)
    if (Date.now() + RETRY_MS >= deadline) throw notCreated(left, timeoutMs)
    pending = left.map((t) => t.name)
    await sleep(RETRY_MS)
  }
}

/**
 * kafkajs's KafkaJSProtocolError for a topic's error `code`: its message for the code, then
 * `detail` when given (kafkajs gives the bare message; the topic's name helps).
 */
function topicError(code, detail) {
  const proto = protocolError(code)
  return new KafkaJSProtocolError({
    message: detail ? `${proto.message}: ${detail}` : proto.message,
    type: proto.type,
    code,
    retriable: proto.retriable,
  })
}

/** The broker's final answer for one topic, naming it. */
const refusedBy = ({ name, state }) => topicError(state.error, `topic "${name}"`)

function notCreated(left, timeoutMs) {
  const code = left.map((t) => t.state.error).find((c) => c > 0) || UNKNOWN_TOPIC_OR_PARTITION
  const names = left.map((t) => `"${t.name}"`).join(', ')
  const why =
    code === UNKNOWN_TOPIC_OR_PARTITION
      ? 'does not exist and the broker did not create it (is auto.create.topics.enable off on the broker?)'
      : 'has no leader for every partition yet'
  return topicError(code, `topic ${names} ${why} within ${timeoutMs} ms of subscribe`)
}

module.exports = { ensureTopics, topicError, UNKNOWN_TOPIC_OR_PARTITION }
