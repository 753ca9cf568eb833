'use strict'
/*
 * The one decoder: the native core's JSON error payloads (and librdkafka's codes in them) become
 * kafkajs's error classes. Require it through errors.js, which re-exports these functions once its
 * classes are exported (required first, this file would see errors.js half loaded).
 */
const {
  KafkaJSConnectionError,
  KafkaJSError,
  KafkaJSNonRetriableError,
  KafkaJSNumberOfRetriesExceeded,
  KafkaJSProtocolError,
  KafkaJSRequestTimeoutError,
  KafkaJSSASLAuthenticationError,
  KafkaJSTimeout,
} = require('./errors')
const { protocolError } = require('./protocol-errors')
const codes = require('./local-codes')

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

module.exports = { fromNative, decodePayload, errorForCode }
