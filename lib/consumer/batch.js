'use strict'
/*
 * kafkajs's Batch: the messages of one topic-partition from one fetch, with its helpers.
 * `highWatermark` is librdkafka's high watermark as of the partition's last fetch response.
 */
class Batch {
  constructor(topic, partition, messages, highWatermark) {
    this.topic = topic
    this.partition = partition
    this.messages = messages
    this.highWatermark = highWatermark
    this.fetchedOffset = messages.length ? messages[0].offset : '-1'
  }

  isEmpty() {
    return this.messages.length === 0
  }

  isEmptyIncludingFiltered() {
    return this.messages.length === 0
  }

  isEmptyControlRecord() {
    return false
  }

  isEmptyDueToFiltering() {
    return false
  }

  firstOffset() {
    return this.isEmpty() ? null : this.messages[0].offset
  }

  lastOffset() {
    if (this.isEmpty()) return String(BigInt(this.highWatermark) - 1n)
    return this.messages[this.messages.length - 1].offset
  }

  /** Messages behind the high watermark after the last one of this batch. */
  offsetLag() {
    return this.lagFrom(this.lastOffset())
  }

  /** Messages behind the high watermark after the first one of this batch. */
  offsetLagLow() {
    if (this.isEmpty()) return '0'
    return this.lagFrom(this.firstOffset())
  }

  lagFrom(offset) {
    const hw = BigInt(this.highWatermark)
    if (hw < 0n) return '0'
    const lag = hw - BigInt(offset) - 1n
    return String(lag < 0n ? 0n : lag)
  }
}

/**
 * kafkajs's START_BATCH_PROCESS payload of `batch`, and END_BATCH_PROCESS's with its `duration`.
 * The run loop builds it only for a listener, and as a literal: a spread per batch (`{ ...payload,
 * duration }`) kept what it referenced alive through V8's young collections (consume-memory.spec.js).
 */
function batchEventPayload(batch, duration) {
  const payload = {
    topic: batch.topic,
    partition: batch.partition,
    highWatermark: batch.highWatermark,
    offsetLag: batch.offsetLag(),
    offsetLagLow: batch.offsetLagLow(),
    batchSize: batch.messages.length,
    firstOffset: batch.firstOffset(),
    lastOffset: batch.lastOffset(),
  }
  if (duration !== undefined) payload.duration = duration
  return payload
}

module.exports = { Batch, batchEventPayload }
