'use strict'
// The public entry: re-exports only. See lib/ for the kafkajs layer and src/ for the native core.
const { Kafka } = require('./lib/kafka')
const { Partitioners } = require('./lib/partitioners')
const { logLevel } = require('./lib/logger')
const { CompressionTypes, CompressionCodecs } = require('./lib/compression')
const { PRODUCER_EVENTS } = require('./lib/events')
const { FailureLog, replayFailures } = require('./lib/failure-log')
const { MockCluster } = require('./lib/mock')
const errors = require('./lib/errors')

const { fromNative, decodePayload, errorForCode, ...errorExports } = errors

module.exports = {
  Kafka,
  Partitioners,
  logLevel,
  CompressionTypes,
  CompressionCodecs,
  ProducerEvents: PRODUCER_EVENTS,
  FailureLog,
  replayFailures,
  MockCluster,
  ...errorExports,
}
