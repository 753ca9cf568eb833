'use strict'
/*
 * The consumer's native session: one librdkafka group consumer, from connect to disconnect.
 * Opening it creates the native consumer, wires its client events and its chunk source, installs
 * an OAUTHBEARER token provider when asked, and proves the brokers reachable (kafkajs's connect
 * fails when they are not); closing it destroys the consumer and settles what still waits on it.
 * Leaving the group is here too: it polls the session until librdkafka has run the revocation;
 * and describing it, in kafkajs's shape.
 */
const { NativeConsumer } = require('../native')
const { ChunkSource } = require('./chunks')
const { decodeChunk } = require('./decode')
const { installTokenProvider } = require('../oauth')
const { fromNative } = require('../errors')

/**
 * Opens a session: `{ native, chunks }`. `props`: the consumer's librdkafka properties without
 * `bootstrap.servers`; `client`: the resolved client settings (timeouts); `events`: the
 * consumer's ClientEvents. On failure the half-open session is closed before the error is thrown.
 */
async function openSession({ brokers, props, client, events, sasl, logger }) {
  let native
  try {
    native = new NativeConsumer({ ...props, 'bootstrap.servers': brokers })
  } catch (e) {
    throw fromNative(e)
  }
  events.reset()
  native.setEventListener((json) => events.onEvent(json))
  const session = { native, chunks: new ChunkSource(native) }
  try {
    if (sasl && String(sasl.mechanism).toUpperCase() === 'OAUTHBEARER')
      installTokenProvider(native, sasl.oauthBearerProvider, client.authenticationTimeout, logger, events)
    const refused = events.refusal()
    refused.catch(() => {})
    const timeout = client.connectionTimeout + client.authenticationTimeout
    try {
      await Promise.race([native.probe(timeout), refused])
    } catch (e) {
      throw events.connectError(fromNative(e), brokers)
    } finally {
      events.refuseConnect = null
    }
  } catch (e) {
    await closeSession(session).catch(() => {})
    throw e
  }
  return session
}

/** Destroys the native consumer; whatever still waits for a chunk gets an empty one. */
async function closeSession({ native, chunks }) {
  try {
    await native.close()
  } finally {
    native.clearEventListener()
    chunks.closed()
  }
}

/** How long leaveGroup polls for its revocation. */
const LEAVE_BOUND_MS = 5000

/**
 * Unsubscribes and polls until librdkafka has run the revocation (it runs inside a poll), so
 * the group rebalances now rather than after max.poll.interval.ms. Messages polled meanwhile
 * are not handled, so not committed. Best effort, bounded: failures are logged.
 */
async function leaveGroup({ native, chunks }, logger, groupId) {
  try {
    native.unsubscribe()
    const deadline = Date.now() + LEAVE_BOUND_MS
    while (Date.now() < deadline) {
      const records = decodeChunk(await chunks.next(10000, 1 << 20, 100))
      if (records.some((r) => r.kind === 'revoke')) return
    }
    logger.warn(`Leaving the group: no revocation within ${LEAVE_BOUND_MS} ms; the consumer stops anyway`, { groupId })
  } catch (e) {
    logger.warn(`Leaving the group failed: ${e.message}`, { groupId })
  }
}

/** kafkajs's describeGroup() answer, from the native consumer's description of its group. */
async function describeGroup(native, timeout) {
  let d
  try {
    d = await native.describeGroup(timeout)
  } catch (e) {
    throw fromNative(e)
  }
  return {
    errorCode: 0,
    groupId: d.groupId,
    members: d.members.map((m) => ({
      memberId: m.memberId,
      clientId: m.clientId,
      clientHost: m.clientHost,
      memberMetadata: m.memberMetadata,
      memberAssignment: m.memberAssignment,
    })),
    protocol: d.protocol,
    protocolType: d.protocolType,
    state: d.state,
  }
}

module.exports = { openSession, closeSession, leaveGroup, describeGroup }
