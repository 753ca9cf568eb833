'use strict'
/*
 * What a group assignment holds beyond the subscription. librdkafka subscribes exactly to the
 * given topics, but when another client leads the group (its assigner decides), this member may
 * be handed partitions of topics it never subscribed to. kafkajs then emits
 * RECEIVED_UNSUBSCRIBED_TOPICS, warns, and leaves those topics alone; the runner does the same
 * with what this function returns.
 */

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

module.exports = { unsubscribedTopics }
