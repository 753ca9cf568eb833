'use strict'
/*
 * kafkajs's error classes (same names, fields and inheritance, so `instanceof` and
 * `err.type === 'NOT_ENOUGH_REPLICAS'` keep working), and the one decoder that turns the native
 * core's JSON error payloads into them.
 */
const { protocolError } = require('./protocol-errors')
const codes = require('./local-codes')

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

/** librdkafka's local (negative) codes that mean "the connection or the broker is unreachable". */
const CONNECTION_CODES = new Set([codes.TRANSPORT, codes.ALL_BROKERS_DOWN, codes.RESOLVE, codes.FAIL])

/**
 * The one decoder: a native error (JSON payload in `message`) becomes a KafkaJS* error.
 * `context` carries what the JS layer knows: `{ retries, lastClientError, topics }`.
 * Errors that are not native payloads are returned unchanged.
 */
function fromNative(err, context = {}) {
  let p
  try {
    p = JSON.parse(err.message)
  } catch {
    return err
  }
  if (!p || typeof p !== 'object' || !p.kind) return err
  return decodePayload(p, context)
}

function decodePayload(p, context = {}) {
  switch (p.kind) {
    case 'config':
      return new KafkaJSNonRetriableError(`Invalid configuration: ${p.message}`)
    case 'input':
      return new KafkaJSNonRetriableError(p.message)
    case 'state':
      return new KafkaJSError(p.message)
    case 'timeout':
      return new KafkaJSTimeout(p.message)
    case 'transaction': {
      const proto = p.code > 0 ? protocolError(p.code) : null
      const e = proto
        ? new KafkaJSProtocolError({
            message: `${proto.message} (${p.message})`,
            type: proto.type,
            code: p.code,
            retriable: p.txn.retriable,
          })
        : new KafkaJSError(`Transaction failed: ${p.message}`, { retriable: p.txn.retriable })
      // Not in kafkajs: librdkafka's verdict on what the caller can do next.
      e.requiresAbort = p.txn.abortable
      e.fatal = p.txn.fatal
      return e
    }
    // 'delivery', 'kafka', and any kind this version does not know.
    default: {
      const e = errorForCode(p.code, p.name, p.message, context)
      if (p.failures) {
        Object.defineProperty(e, 'failures', { value: p.failures, enumerable: false, writable: true })
      }
      return e
    }
  }
}

/** The error for one librdkafka error code, as kafkajs would have raised it. */
function errorForCode(code, name, message, context = {}) {
  if (code > 0 || code === -1) {
    // A broker (protocol) error. librdkafka retried it when retriable; the rejection means
    // its attempts ran out (kafkajs: KafkaJSNumberOfRetriesExceeded with the protocol error as cause).
    const proto = protocolError(code)
    const inner = new KafkaJSProtocolError({
      message: proto.message || message,
      type: proto.type,
      code,
      retriable: proto.retriable,
    })
    if (code === 58) return new KafkaJSSASLAuthenticationError(`SASL authentication failed: ${message}`)
    if (!proto.retriable) return inner
    const outer = new KafkaJSNumberOfRetriesExceeded(inner, {
      retryCount: context.retries,
      retryTime: context.retryTime,
    })
    // Not in kafkajs: the protocol error's type and code on the outer error too, so checks like
    // `err.type === 'NOT_ENOUGH_REPLICAS'` work without digging into `cause`.
    outer.type = inner.type
    outer.code = inner.code
    return outer
  }
  switch (name) {
    case 'MESSAGE_TIMED_OUT': {
      const last = context.lastClientError
      const cause = last
        ? new KafkaJSConnectionError(`Connection error: ${last.message}`, { code: last.name })
        : new KafkaJSRequestTimeoutError(
            `Message not delivered within the delivery timeout (${context.deliveryTimeout} ms)`,
          )
      const outer = new KafkaJSNumberOfRetriesExceeded(cause, {
        retryCount: context.retries,
        retryTime: context.deliveryTimeout,
      })
      outer.message = `Message not delivered within ${context.deliveryTimeout} ms: ${cause.message}`
      return outer
    }
    case 'UNKNOWN_TOPIC':
    case 'UNKNOWN_PARTITION': {
      const proto = protocolError(3)
      return new KafkaJSProtocolError({
        message: `${proto.message} (${message})`,
        type: proto.type,
        code: 3,
        retriable: false,
      })
    }
    case 'MSG_SIZE_TOO_LARGE': {
      const proto = protocolError(10)
      return new KafkaJSProtocolError({
        message: `${proto.message} (${message})`,
        type: proto.type,
        code: 10,
        retriable: false,
      })
    }
    case 'QUEUE_FULL':
      return new KafkaJSError(`Local producer queue is full: ${message}`, { retriable: true })
    case 'PURGE_QUEUE':
      // Never sent: purged by disconnect(), or cancelled by a transaction abort (the message says which).
      return new KafkaJSNonRetriableError(`The message was not sent (${message})`)
    case 'PURGE_INFLIGHT':
    case 'BROKER_DESTROY':
      return new KafkaJSNonRetriableError(`The producer was disconnected before the message was delivered (${message})`)
    case 'AUTHENTICATION':
      return new KafkaJSSASLAuthenticationError(`SASL authentication failed: ${message}`)
    case 'SSL':
      return new KafkaJSConnectionError(`TLS error: ${message}`, { code: 'SSL' })
    case 'FATAL':
      return new KafkaJSNonRetriableError(`Fatal producer error: ${message}`)
    case 'INVALID_ARG':
    case 'INVALID_ARGUMENT':
      return new KafkaJSNonRetriableError(message)
    default:
      if (CONNECTION_CODES.has(code)) return new KafkaJSConnectionError(`Connection error: ${message}`, { code: name })
      return new KafkaJSError(`${name}: ${message}`, { retriable: false })
  }
}

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
  fromNative,
  decodePayload,
  errorForCode,
}
