'use strict'
/*
 * kafkajs's Transaction: `send`, `sendBatch`, `sendOffsets`, `commit`, `abort`, `isActive`,
 * on a producer created with `transactionalId`. One transaction at a time; after commit or
 * abort every method rejects with kafkajs's "Cannot continue to use transaction once ended".
 */
const { KafkaJSNonRetriableError } = require('./errors')
const { show } = require('./show')

const ENDED = 'Cannot continue to use transaction once ended'

class Transaction {
  constructor(producer) {
    this._producer = producer
    this._active = true
  }

  isActive() {
    return this._active
  }

  _check() {
    if (!this._active) throw new KafkaJSNonRetriableError(ENDED)
  }

  async send(record) {
    this._check()
    return this._producer.send(record)
  }

  async sendBatch(batch) {
    this._check()
    return this._producer.sendBatch(batch)
  }

  /** `{ consumerGroupId, topics: [{ topic, partitions: [{ partition, offset }] }] }` */
  async sendOffsets(offsetsToSend = {}) {
    this._check()
    const { consumerGroupId, topics } = offsetsToSend || {}
    if (typeof consumerGroupId !== 'string' || !consumerGroupId)
      throw new KafkaJSNonRetriableError('Invalid consumerGroupId')
    const shape = 'Invalid topics: expected [{ topic, partitions: [{ partition, offset }] }]'
    if (!Array.isArray(topics)) throw new KafkaJSNonRetriableError(shape)
    const offsets = []
    for (const entry of topics) {
      const { topic, partitions } = entry || {}
      if (typeof topic !== 'string' || !Array.isArray(partitions)) throw new KafkaJSNonRetriableError(shape)
      for (const { partition, offset } of partitions.map((p) => p || {})) {
        if (!Number.isInteger(partition) || partition < 0)
          throw new KafkaJSNonRetriableError(`Invalid partition for topic "${topic}": ${show(partition)}`)
        if (typeof offset === 'symbol' || !/^\d+$/.test(show(offset)))
          throw new KafkaJSNonRetriableError(
            `Invalid offset for topic "${topic}" partition ${partition}: ${show(offset)}`,
          )
        offsets.push({ topic, partition, offset: String(offset) })
      }
    }
    return this._producer._txnCall((native, timeout) =>
      native.sendOffsetsToTransaction(consumerGroupId, offsets, timeout),
    )
  }

  async commit() {
    this._check()
    try {
      await this._producer._txnCall((native, timeout) => native.commitTransaction(timeout))
    } catch (e) {
      // A commit that must be aborted leaves the transaction open for abort(); otherwise it ended.
      if (!e.requiresAbort) this._end()
      throw e
    }
    this._end()
  }

  async abort() {
    this._check()
    try {
      await this._producer._txnCall((native, timeout) => native.abortTransaction(timeout))
    } finally {
      this._end()
    }
  }

  _end() {
    this._active = false
    this._producer._transaction = null
  }
}

module.exports = { Transaction }
