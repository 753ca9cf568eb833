'use strict'
/*
 * librdkafka's in-process mock cluster, for tests that need an exact fault (a given broker error
 * N times) and for trying the library without a broker. It is not Apache Kafka: no SASL, no
 * admin API, no real replication. Use `mock.brokers` as the `brokers` of `new Kafka(...)`.
 */
const { NativeMockCluster } = require('./native')
const { fromNative } = require('./errors')

function call(fn) {
  try {
    return fn()
  } catch (e) {
    throw fromNative(e)
  }
}

class MockCluster {
  constructor({ brokers = 3 } = {}) {
    this._native = call(() => new NativeMockCluster(brokers))
    this.brokers = call(() => this._native.bootstrapServers()).split(',')
  }

  createTopic(topic, { partitions = 1, replicationFactor = 1 } = {}) {
    call(() => this._native.createTopic(topic, partitions, replicationFactor))
  }

  /** The next Produce requests fail with these Kafka error codes, one per request, in order. */
  failProduceRequests(...codes) {
    call(() => this._native.pushProduceErrors(codes))
  }

  /** The next OffsetCommit requests fail with these Kafka error codes, one per request, in order. */
  failOffsetCommitRequests(...codes) {
    call(() => this._native.pushOffsetCommitErrors(codes))
  }

  clearProduceErrors() {
    call(() => this._native.clearProduceErrors())
  }

  brokerDown(id) {
    call(() => this._native.brokerDown(id))
  }

  brokerUp(id) {
    call(() => this._native.brokerUp(id))
  }

  roundTripTime(id, ms) {
    call(() => this._native.brokerRtt(id, ms))
  }

  setLeader(topic, partition, broker) {
    call(() => this._native.partitionLeader(topic, partition, broker))
  }

  close() {
    this._native.close()
  }
}

module.exports = { MockCluster }
