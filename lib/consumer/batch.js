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

module.exports = { Batch }
