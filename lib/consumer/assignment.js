'use strict'
/*
 * The group's assignment as the run loop sees it: what an `assign` or `revoke` record of a chunk
 * does to the runner's state (lib/consumer/runner.js), and the events kafkajs emits for them.
 *
 * An assignment may hold more than the subscription. librdkafka subscribes exactly to the given
 * topics, but when another client leads the group (its assigner decides), this member may be
 * handed partitions of topics it never subscribed to. kafkajs then emits
 * RECEIVED_UNSUBSCRIBED_TOPICS, warns, and leaves those topics alone; so does onAssign.
 */
const { key } = require('./offsets')
const { CONSUMER_EVENTS: E } = require('./events')

/** Per native consumer (it outlives a run): partitions paused because their topic is not subscribed. */
const ignoredPauses = new WeakMap()

/**
 * `subscribed`: the subscribed topic names (any iterable); `partitions`: `[{ topic, partition }]`.
 * Returns `{ assignedTopics, topicsNotSubscribed }`: the distinct assigned topics, in order of
 * first appearance, and those of them not subscribed (empty when the assignment is clean).
 */
function unsubscribedTopics(subscribed, partitions) {
  const wanted = new Set(subscribed)
  const assignedTopics = []
  const seen = new Set()
  for (const { topic } of partitions) {
    if (seen.has(topic)) continue
    seen.add(topic)
    assignedTopics.push(topic)
  }
  return { assignedTopics, topicsNotSubscribed: assignedTopics.filter((t) => !wanted.has(t)) }
}

/** An `assign` record: the new assignment, RECEIVED_UNSUBSCRIBED_TOPICS if any, then GROUP_JOIN. */
function onAssign(runner, r) {
  if (runner.settings.protocol !== 'cooperative') runner.assignment.clear()
  // A foreign group leader may hand over topics this member did not subscribe to: as kafkajs,
  // report them and leave them out of the assignment (never handled, never committed), and
  // pause them natively (not in paused()) so that librdkafka does not fetch them either.
  const topicsSubscribed = [...runner.consumer._subscriptions.keys()]
  const { assignedTopics, topicsNotSubscribed } = unsubscribedTopics(topicsSubscribed, [
    ...runner.assignment.values(),
    ...r.partitions,
  ])
  if (!ignoredPauses.has(runner.native)) ignoredPauses.set(runner.native, new Set())
  const ignored = ignoredPauses.get(runner.native)
  for (const p of r.partitions) {
    const k = key(p.topic, p.partition)
    if (topicsNotSubscribed.includes(p.topic)) {
      ignored.add(k)
      runner.native.pause(p.topic, [p.partition])
      continue
    }
    // Ignored in an earlier run of this consumer, subscribed now: fetched again (unless paused by the app).
    if (ignored.delete(k) && !runner.consumer._isPaused(p.topic, p.partition))
      runner.native.resume(p.topic, [p.partition])
    runner.assignment.set(k, p)
  }
  runner.memberId = r.memberId
  runner.generation++
  if (topicsNotSubscribed.length > 0) {
    const payload = {
      groupId: runner.groupId,
      generationId: runner.generation,
      memberId: runner.memberId,
      assignedTopics,
      topicsSubscribed,
      topicsNotSubscribed,
    }
    runner.emitter.emit(E.RECEIVED_UNSUBSCRIBED_TOPICS, payload)
    runner.logger.warn('Consumer group received unsubscribed topics', payload)
  }
  const memberAssignment = {}
  for (const { topic, partition } of runner.assignment.values()) {
    if (!memberAssignment[topic]) memberAssignment[topic] = []
    memberAssignment[topic].push(partition)
  }
  for (const list of Object.values(memberAssignment)) list.sort((a, b) => a - b)
  runner.emitter.emit(E.GROUP_JOIN, {
    duration: Date.now() - runner.joinStarted,
    groupId: runner.groupId,
    isLeader: false,
    leaderId: null,
    groupProtocol: runner.settings.props['partition.assignment.strategy'],
    memberId: runner.memberId,
    memberAssignment,
  })
  runner.onJoined()
}

/** A `revoke` record: REBALANCING, and the partitions' state and offsets forgotten. */
function onRevoke(runner, r) {
  runner.emitter.emit(E.REBALANCING, { groupId: runner.groupId, memberId: runner.memberId })
  runner.joinStarted = Date.now()
  for (const p of r.partitions) {
    const k = key(p.topic, p.partition)
    runner.assignment.delete(k)
    runner.pendingSeeks.delete(k)
  }
  runner.offsets.clear(r.partitions)
  runner.generation++
}

module.exports = { unsubscribedTopics, onAssign, onRevoke }
