'use strict'
/*
 * kafkajs's error classes (same names, fields and inheritance, so `instanceof` and
 * `err.type === 'NOT_ENOUGH_REPLICAS'` keep working). The decoder that turns the native core's
 * JSON error payloads into them is in native-errors.js, re-exported here.
 */

class KafkaJSError extends Error {
  constructor(e, { retriable = true, cause } = {}) {
    const message = typeof e === 'string' ? e : e && e.message !== undefined ? e.message : String(e)
    super(message, cause !== undefined ? { cause } : undefined)
    Error.captureStackTrace(this, this.constructor)
    this.message = message
    this.name = 'KafkaJSError'
    this.retriable = retriable
    this.helpUrl = e && e.helpUrl
    if (cause !== undefined) this.cause = cause
  }
}

class KafkaJSNonRetriableError extends KafkaJSError {
  constructor(e, { cause } = {}) {
    super(e, { retriable: false, cause })
    this.name = 'KafkaJSNonRetriableError'
  }
}

class KafkaJSProtocolError extends KafkaJSError {
  constructor(e, { retriable = e.retriable } = {}) {
    super(e, { retriable })
    this.name = 'KafkaJSProtocolError'
    this.type = e.type
    this.code = e.code
  }
}

class KafkaJSOffsetOutOfRange extends KafkaJSProtocolError {
  constructor(e, { topic, partition } = {}) {
    super(e)
    this.name = 'KafkaJSOffsetOutOfRange'
    this.topic = topic
    this.partition = partition
  }
}

class KafkaJSMemberIdRequired extends KafkaJSProtocolError {
  constructor(e, { memberId } = {}) {
    super(e)
    this.name = 'KafkaJSMemberIdRequired'
    this.memberId = memberId
  }
}

class KafkaJSNumberOfRetriesExceeded extends KafkaJSNonRetriableError {
  constructor(e, { retryCount, retryTime } = {}) {
    super(e, { cause: e })
    this.stack = `${this.name}\n  Caused by: ${e && e.stack ? e.stack : e}`
    this.name = 'KafkaJSNumberOfRetriesExceeded'
    this.retryCount = retryCount
    this.retryTime = retryTime
  }
}

class KafkaJSConnectionError extends KafkaJSError {
  constructor(e, { broker, code, cause } = {}) {
    super(e, { cause })
    this.name = 'KafkaJSConnectionError'
    this.broker = broker
    this.code = code
  }
}

class KafkaJSConnectionClosedError extends KafkaJSConnectionError {
  constructor(e, { host, port } = {}) {
    super(e, { broker: `${host}:${port}` })
    this.name = 'KafkaJSConnectionClosedError'
    this.host = host
    this.port = port
  }
}

class KafkaJSRequestTimeoutError extends KafkaJSError {
  constructor(e, { broker, correlationId, createdAt, sentAt, pendingDuration } = {}) {
    super(e)
    this.name = 'KafkaJSRequestTimeoutError'
    this.broker = broker
    this.correlationId = correlationId
    this.createdAt = createdAt
    this.sentAt = sentAt
    this.pendingDuration = pendingDuration
  }
}

class KafkaJSMetadataNotLoaded extends KafkaJSError {
  constructor(e) {
    super(e)
    this.name = 'KafkaJSMetadataNotLoaded'
  }
}

class KafkaJSTopicMetadataNotLoaded extends KafkaJSMetadataNotLoaded {
  constructor(e, { topic } = {}) {
    super(e)
    this.name = 'KafkaJSTopicMetadataNotLoaded'
    this.topic = topic
  }
}

class KafkaJSStaleTopicMetadataAssignment extends KafkaJSError {
  constructor(e, { topic, unknownPartitions } = {}) {
    super(e)
    this.name = 'KafkaJSStaleTopicMetadataAssignment'
    this.topic = topic
    this.unknownPartitions = unknownPartitions
  }
}

class KafkaJSServerDoesNotSupportApiKey extends KafkaJSNonRetriableError {
  constructor(e, { apiKey, apiName } = {}) {
    super(e)
    this.name = 'KafkaJSServerDoesNotSupportApiKey'
    this.apiKey = apiKey
    this.apiName = apiName
  }
}

class KafkaJSBrokerNotFound extends KafkaJSError {
  constructor(e) {
    super(e)
    this.name = 'KafkaJSBrokerNotFound'
  }
}

class KafkaJSPartialMessageError extends KafkaJSNonRetriableError {
  constructor(e) {
    super(e)
    this.name = 'KafkaJSPartialMessageError'
  }
}

class KafkaJSSASLAuthenticationError extends KafkaJSNonRetriableError {
  constructor(e) {
    super(e)
    this.name = 'KafkaJSSASLAuthenticationError'
  }
}

class KafkaJSGroupCoordinatorNotFound extends KafkaJSNonRetriableError {
  constructor(e) {
    super(e)
    this.name = 'KafkaJSGroupCoordinatorNotFound'
  }
}

class KafkaJSNotImplemented extends KafkaJSNonRetriableError {
  constructor(e) {
    super(e)
    this.name = 'KafkaJSNotImplemented'
  }
}

class KafkaJSTimeout extends KafkaJSNonRetriableError {
  constructor(e) {
    super(e)
    this.name = 'KafkaJSTimeout'
  }
}

class KafkaJSLockTimeout extends KafkaJSTimeout {
  constructor(e) {
    super(e)
    this.name = 'KafkaJSLockTimeout'
  }
}

class KafkaJSUnsupportedMagicByteInMessageSet extends KafkaJSNonRetriableError {
  constructor(e) {
    super(e)
    this.name = 'KafkaJSUnsupportedMagicByteInMessageSet'
  }
}

class KafkaJSDeleteGroupsError extends KafkaJSError {
  constructor(e, groups = []) {
    super(e)
    this.name = 'KafkaJSDeleteGroupsError'
    this.groups = groups
  }
}

class KafkaJSDeleteTopicRecordsError extends KafkaJSError {
  constructor({ partitions = [] } = {}) {
    super('Error while deleting records', { retriable: false })
    this.name = 'KafkaJSDeleteTopicRecordsError'
    this.partitions = partitions
  }
}

class KafkaJSInvalidVarIntError extends KafkaJSNonRetriableError {
  constructor(e) {
    super(e)
    this.name = 'KafkaJSInvalidVarIntError'
  }
}

class KafkaJSInvalidLongError extends KafkaJSNonRetriableError {
  constructor(e) {
    super(e)
    this.name = 'KafkaJSInvalidLongError'
  }
}

class KafkaJSCreateTopicError extends KafkaJSProtocolError {
  constructor(e, topicName) {
    super(e)
    this.name = 'KafkaJSCreateTopicError'
    this.topic = topicName
  }
}

class KafkaJSAlterPartitionReassignmentsError extends KafkaJSProtocolError {
  constructor(e, topicName, partition) {
    super(e)
    this.name = 'KafkaJSAlterPartitionReassignmentsError'
    this.topic = topicName
    this.partition = partition
  }
}

class KafkaJSAggregateError extends Error {
  constructor(message, errors) {
    super(message)
    this.name = 'KafkaJSAggregateError'
    this.errors = errors
  }
}

class KafkaJSFetcherRebalanceError extends Error {}

class KafkaJSNoBrokerAvailableError extends KafkaJSError {
  constructor() {
    super('No broker available')
    this.name = 'KafkaJSNoBrokerAvailableError'
  }
}

const isRebalancing = (e) =>
  e.type === 'REBALANCE_IN_PROGRESS' || e.type === 'NOT_COORDINATOR_FOR_GROUP' || e.type === 'ILLEGAL_GENERATION'
const isKafkaJSError = (e) => e instanceof KafkaJSError

module.exports = {
  KafkaJSError,
  KafkaJSNonRetriableError,
  KafkaJSProtocolError,
  KafkaJSOffsetOutOfRange,
  KafkaJSMemberIdRequired,
  KafkaJSNumberOfRetriesExceeded,
  KafkaJSConnectionError,
  KafkaJSConnectionClosedError,
  KafkaJSRequestTimeoutError,
  KafkaJSMetadataNotLoaded,
  KafkaJSTopicMetadataNotLoaded,
  KafkaJSStaleTopicMetadataAssignment,
  KafkaJSServerDoesNotSupportApiKey,
  KafkaJSBrokerNotFound,
  KafkaJSPartialMessageError,
  KafkaJSSASLAuthenticationError,
  KafkaJSGroupCoordinatorNotFound,
  KafkaJSNotImplemented,
  KafkaJSTimeout,
  KafkaJSLockTimeout,
  KafkaJSUnsupportedMagicByteInMessageSet,
  KafkaJSDeleteGroupsError,
  KafkaJSDeleteTopicRecordsError,
  KafkaJSInvalidVarIntError,
  KafkaJSInvalidLongError,
  KafkaJSCreateTopicError,
  KafkaJSAlterPartitionReassignmentsError,
  KafkaJSAggregateError,
  KafkaJSFetcherRebalanceError,
  KafkaJSNoBrokerAvailableError,
  isRebalancing,
  isKafkaJSError,
}

// After the classes are exported: native-errors.js requires them from this module.
Object.assign(module.exports, require('./native-errors'))
