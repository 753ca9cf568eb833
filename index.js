'use strict'
// The public entry: re-exports only. See lib/ for the kafkajs layer and src/ for the native core.
//
// Every name is assigned on its own line (`exports.Name = ...`; no object spread, no getter):
// Node's ESM loader finds a CommonJS module's names with cjs-module-lexer, which reads only such
// static forms, and a name it misses cannot be imported by name from ESM
// (`import { KafkaJSError } from 'kafka-napi'`). __test__/esm checks every name.
const { Kafka } = require('./lib/kafka')
const { Partitioners } = require('./lib/partitioners')
const { logLevel } = require('./lib/logger')
const { CompressionTypes, CompressionCodecs } = require('./lib/compression')
const { PRODUCER_EVENTS } = require('./lib/events')
const { CONSUMER_EVENTS } = require('./lib/consumer/events')
const { PartitionAssigners } = require('./lib/consumer/config')
const { FailureLog, FailureLogLockedError, replayFailures } = require('./lib/failure-log')
const { MockCluster } = require('./lib/mock')
const errors = require('./lib/errors')

exports.Kafka = Kafka
exports.Partitioners = Partitioners
exports.logLevel = logLevel
exports.CompressionTypes = CompressionTypes
exports.CompressionCodecs = CompressionCodecs
exports.ProducerEvents = PRODUCER_EVENTS
exports.ConsumerEvents = CONSUMER_EVENTS
exports.PartitionAssigners = PartitionAssigners
exports.FailureLog = FailureLog
exports.replayFailures = replayFailures
exports.FailureLogLockedError = FailureLogLockedError
exports.MockCluster = MockCluster

// lib/errors.js's public names: all of them but fromNative, decodePayload and errorForCode.
exports.KafkaJSError = errors.KafkaJSError
exports.KafkaJSNonRetriableError = errors.KafkaJSNonRetriableError
exports.KafkaJSProtocolError = errors.KafkaJSProtocolError
exports.KafkaJSOffsetOutOfRange = errors.KafkaJSOffsetOutOfRange
exports.KafkaJSMemberIdRequired = errors.KafkaJSMemberIdRequired
exports.KafkaJSNumberOfRetriesExceeded = errors.KafkaJSNumberOfRetriesExceeded
exports.KafkaJSConnectionError = errors.KafkaJSConnectionError
exports.KafkaJSConnectionClosedError = errors.KafkaJSConnectionClosedError
exports.KafkaJSRequestTimeoutError = errors.KafkaJSRequestTimeoutError
exports.KafkaJSMetadataNotLoaded = errors.KafkaJSMetadataNotLoaded
exports.KafkaJSTopicMetadataNotLoaded = errors.KafkaJSTopicMetadataNotLoaded
exports.KafkaJSStaleTopicMetadataAssignment = errors.KafkaJSStaleTopicMetadataAssignment
exports.KafkaJSServerDoesNotSupportApiKey = errors.KafkaJSServerDoesNotSupportApiKey
exports.KafkaJSBrokerNotFound = errors.KafkaJSBrokerNotFound
exports.KafkaJSPartialMessageError = errors.KafkaJSPartialMessageError
exports.KafkaJSSASLAuthenticationError = errors.KafkaJSSASLAuthenticationError
exports.KafkaJSGroupCoordinatorNotFound = errors.KafkaJSGroupCoordinatorNotFound
exports.KafkaJSNotImplemented = errors.KafkaJSNotImplemented
exports.KafkaJSTimeout = errors.KafkaJSTimeout
exports.KafkaJSLockTimeout = errors.KafkaJSLockTimeout
exports.KafkaJSUnsupportedMagicByteInMessageSet = errors.KafkaJSUnsupportedMagicByteInMessageSet
exports.KafkaJSDeleteGroupsError = errors.KafkaJSDeleteGroupsError
exports.KafkaJSDeleteTopicRecordsError = errors.KafkaJSDeleteTopicRecordsError
exports.KafkaJSInvalidVarIntError = errors.KafkaJSInvalidVarIntError
exports.KafkaJSInvalidLongError = errors.KafkaJSInvalidLongError
exports.KafkaJSCreateTopicError = errors.KafkaJSCreateTopicError
exports.KafkaJSAlterPartitionReassignmentsError = errors.KafkaJSAlterPartitionReassignmentsError
exports.KafkaJSAggregateError = errors.KafkaJSAggregateError
exports.KafkaJSFetcherRebalanceError = errors.KafkaJSFetcherRebalanceError
exports.KafkaJSNoBrokerAvailableError = errors.KafkaJSNoBrokerAvailableError
exports.isRebalancing = errors.isRebalancing
exports.isKafkaJSError = errors.isKafkaJSError
