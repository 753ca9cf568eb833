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
 * What a packed send keeps for its completion and its failure reports: the deduplicated topic
 * names the native core indexes (`topics`), the messages in send order (a copy: the caller may
 * reuse its arrays once send() returns), and where each topicMessages entry's run of messages ends
 * (`ends`, with `runTopics` its topics; `ends` null when the send had one entry). `offset` and
 * `length` locate it in the packer's buffer; `length` 0 means it has no message.
 * One fixed-shape object per send: it lives until the send completes, so every byte of it is
 * carried through the young generation and, under load, into the old one.
 */
class Sent {
  constructor(topics, messages, ends, runTopics) {
    this.topics = topics
    this.messages = messages
    this.ends = ends
    this.runTopics = runTopics
    this.offset = 0
    this.length = 0
  }
}

/** Writes one message of topic index `ti`, its partition chosen (given, the JS partitioner's, or -1). */
function packMessage(packer, ti, topic, m, partitioner, partitionMetadata) {
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
}

/** Packs `topicMessages` into `packer`; returns its {@link Sent} (`length` 0: no message). */
function packSend(packer, topicMessages, partitioner, metadata) {
  if (packer.writing) {
    // Only user code running inside a send (a partitioner, a getter on a message) gets here.
    throw new KafkaJSNonRetriableError(
      'A send cannot be started from inside another send (from a partitioner or a message getter)',
    )
  }
  return topicMessages.length === 1
    ? packOneTopic(packer, topicMessages[0], partitioner, metadata)
    : packTopics(packer, topicMessages, partitioner, metadata)
}

/** Nearly every send: one topic, so no index map and no run bookkeeping. */
function packOneTopic(packer, { topic, messages }, partitioner, metadata) {
  const topics = [topic]
  const list = messages.slice()
  const sent = new Sent(topics, list, null, topics)
  const partitionMetadata = metadata ? metadata.get(topic) : null
  packer.start(topics)
  try {
    for (let i = 0; i < list.length; i++) packMessage(packer, 0, topic, list[i], partitioner, partitionMetadata)
  } catch (e) {
    packer.cancel()
    throw e
  }
  return finish(packer, sent)
}

function packTopics(packer, topicMessages, partitioner, metadata) {
  const topics = []
  const topicIndex = new Map()
  for (const { topic } of topicMessages) {
    if (!topicIndex.has(topic)) {
      topicIndex.set(topic, topics.length)
      topics.push(topic)
    }
  }
  const sent = new Sent(topics, [], [], [])
  packer.start(topics)
  try {
    for (const { topic, messages } of topicMessages) {
      const ti = topicIndex.get(topic)
      const partitionMetadata = metadata ? metadata.get(topic) : null
      for (const m of messages) {
        packMessage(packer, ti, topic, m, partitioner, partitionMetadata)
        sent.messages.push(m)
      }
      sent.ends.push(sent.messages.length)
      sent.runTopics.push(topic)
    }
  } catch (e) {
    packer.cancel()
    throw e
  }
  return finish(packer, sent)
}

function finish(packer, sent) {
  if (sent.messages.length === 0) {
    packer.cancel()
    return sent
  }
  const { offset, length } = packer.finish()
  sent.offset = offset
  sent.length = length
  return sent
}

/** The topic of the `i`th message of a send. */
function topicOf(sent, i) {
  if (sent.ends === null) return sent.runTopics[0]
  let t = 0
  while (t < sent.ends.length - 1 && i >= sent.ends[t]) t++
  return sent.runTopics[t]
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
