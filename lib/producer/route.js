'use strict'
/*
 * Step 2 of a send: route and pack. Each message gets its partition (its own, the JS
 * partitioner's, or -1 to let librdkafka's partitioner choose) and is written by the Packer
 * (lib/pack.js) into the one buffer the native core reads. What failure reports point back to
 * is kept beside it: the messages in send order and where each topic's run ends.
 */
const { KafkaJSNonRetriableError, KafkaJSTopicMetadataNotLoaded, fromNative } = require('../errors')
const { bytesOf, headersOf, timestampOf, partitionOf } = require('./validate')

/**
 * Packs `topicMessages` into `packer`. Returns `{ topics, sent, packed }` (`packed`: the packer's
 * `{ offset, length }`), or `{ topics, sent, packed: null }` when there is no message.
 */
function packSend(packer, topicMessages, partitioner, metadata) {
  if (packer.writing) {
    // Only user code running inside a send (a partitioner, a getter on a message) gets here.
    throw new KafkaJSNonRetriableError(
      'A send cannot be started from inside another send (from a partitioner or a message getter)',
    )
  }
  const topics = []
  // One topic (nearly every send): no index map to build.
  const topicIndex = topicMessages.length === 1 ? null : new Map()
  if (topicIndex === null) topics.push(topicMessages[0].topic)
  else {
    for (const { topic } of topicMessages) {
      if (!topicIndex.has(topic)) {
        topicIndex.set(topic, topics.length)
        topics.push(topic)
      }
    }
  }
  const sent = { messages: [], ends: [], topics: [] }
  packer.start(topics)
  try {
    for (const { topic, messages } of topicMessages) {
      const ti = topicIndex === null ? 0 : topicIndex.get(topic)
      const partitionMetadata = metadata ? metadata.get(topic) : null
      for (const m of messages) {
        let partition = partitionOf(m.partition, topic)
        const key = bytesOf(m.key, 'message key', topic)
        if (partition < 0 && partitioner) {
          partition = partitionOf(partitioner({ topic, partitionMetadata, message: m }), topic)
        }
        packer.add(
          ti,
          partition,
          timestampOf(m.timestamp, topic),
          key,
          bytesOf(m.value, 'message value', topic),
          headersOf(m.headers, topic),
        )
        sent.messages.push(m)
      }
      sent.ends.push(sent.messages.length)
      sent.topics.push(topic)
    }
  } catch (e) {
    packer.cancel()
    throw e
  }
  if (sent.messages.length === 0) {
    packer.cancel()
    return { topics, sent, packed: null }
  }
  return { topics, sent, packed: packer.finish() }
}

/** The topic of the `i`th message of a send (`sent` as packSend records it). */
function topicOf(sent, i) {
  let t = 0
  while (t < sent.ends.length - 1 && i >= sent.ends[t]) t++
  return sent.topics[t]
}

/**
 * Partition metadata for a JS partitioner, in kafkajs's shape, cached for `maxAge` ms.
 * `fetch(topic)` asks the native core.
 */
class MetadataCache {
  constructor(maxAge) {
    this.maxAge = maxAge
    this.topics = new Map()
  }

  async partitions(topic, fetch) {
    const cached = this.topics.get(topic)
    if (cached && Date.now() - cached.at < this.maxAge) return cached.partitions
    let md
    try {
      md = await fetch(topic)
    } catch (e) {
      throw fromNative(e)
    }
    const t = md.topics.find((x) => x.topic === topic)
    if (!t || t.partitions.length === 0) {
      throw new KafkaJSTopicMetadataNotLoaded(`Failed to load metadata for topic "${topic}"`, { topic })
    }
    const partitions = t.partitions.map((p) => ({
      partitionErrorCode: p.partitionErrorCode,
      partitionId: p.partitionId,
      leader: p.leader,
      replicas: p.replicas,
      isr: p.isr,
    }))
    partitions.sort((a, b) => a.partitionId - b.partitionId)
    this.topics.set(topic, { at: Date.now(), partitions })
    return partitions
  }
}

module.exports = { packSend, topicOf, MetadataCache }
