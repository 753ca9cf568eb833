'use strict'
/*
 * What the native client tells the producer besides delivery reports: librdkafka's logs (to the
 * kafkajs logger) and its client errors. The last client error explains a failing connect
 * (SASL, TLS, refused) and a delivery timeout, and an authentication or TLS error ends a connect
 * at once instead of at its timeout.
 */
const { KafkaJSConnectionError, KafkaJSSASLAuthenticationError } = require('../errors')
const codes = require('../local-codes')

class ClientEvents {
  constructor(logger) {
    this.logger = logger
    this.last = null
    this.lastDisconnect = null
    this.refuseConnect = null
  }

  /** A fresh client: forget the previous one's errors. */
  reset() {
    this.last = null
    this.lastDisconnect = null
    this.refuseConnect = null
  }

  /** The native event listener (JSON strings from src/events.rs). */
  onEvent(json) {
    let e
    try {
      e = JSON.parse(json)
    } catch {
      return
    }
    if (e.type === 'error') {
      // librdkafka logs the same condition through its log callback; remember it for the
      // error that a failing connect or send will report. It reports the cause once (e.g.
      // "Connect to ... failed: Connection refused"; repeats are suppressed) and then
      // "1/1 brokers are down" again and again: that summary must not hide the cause.
      const last = this.last
      if (e.code !== codes.ALL_BROKERS_DOWN || !last || last.code === codes.ALL_BROKERS_DOWN) {
        this.last = { code: e.code, name: e.code, message: e.message, at: Date.now() }
      }
      if (this.refuseConnect && (e.code === codes.AUTHENTICATION || e.code === codes.SSL))
        this.refuseConnect(new Error(e.message))
      return
    }
    // A broker connection that failed. librdkafka raises an error event only for some causes; a
    // connection the broker closed (a plaintext client on a TLS or SASL listener) comes as this
    // INFO line alone, followed by "1/1 brokers are down".
    if (e.facility === 'FAIL') this.lastDisconnect = e.message.replace(/^\[thrd:[^\]]*\]: /, '')
    const m = `${e.facility}: ${e.message}`
    if (e.level <= 3) this.logger.error(m, { source: 'librdkafka' })
    else if (e.level === 4) this.logger.warn(m, { source: 'librdkafka' })
    else if (e.level <= 6) this.logger.info(m, { source: 'librdkafka' })
    else this.logger.debug(m, { source: 'librdkafka' })
  }

  /**
   * The OAUTHBEARER token provider failed with `message`. Recorded before librdkafka hears of it,
   * so a connect probe that fails on it first (with librdkafka's generic "Authentication
   * failure") still names the provider's reason; a waiting connect ends at once.
   */
  authFailed(message) {
    this.last = { code: codes.AUTHENTICATION, name: codes.AUTHENTICATION, message, at: Date.now() }
    if (this.refuseConnect) this.refuseConnect(new Error(message))
  }

  /** A Promise that rejects when an authentication or TLS error arrives (until `reset`). */
  refusal() {
    return new Promise((_, reject) => {
      this.refuseConnect = reject
    })
  }

  /** The kafkajs error for a connect that failed with `err`, naming the cause librdkafka gave. */
  connectError(err, brokers) {
    const last = this.last
    if (last && last.code === codes.AUTHENTICATION)
      return new KafkaJSSASLAuthenticationError(`SASL authentication failed: ${last.message}`)
    // The connect itself failed on authentication before any error event explained it.
    if (err instanceof KafkaJSSASLAuthenticationError) return err
    if (last && last.code === codes.SSL)
      return new KafkaJSConnectionError(`TLS error connecting to ${brokers}: ${last.message}`, {
        code: 'SSL',
        cause: err,
      })
    let detail = last ? last.message : err.message
    if ((!last || last.code === codes.ALL_BROKERS_DOWN) && this.lastDisconnect) {
      detail = `${this.lastDisconnect}${last ? ` (${last.message})` : ''}`
    }
    detail += closedHint(detail)
    return new KafkaJSConnectionError(`Connection error: failed to connect to ${brokers}: ${detail}`, {
      broker: brokers,
      code: last ? last.name : undefined,
      cause: err,
    })
  }

  /** The last client error if it is recent enough (within `window` ms) to explain a failure. */
  recent(window) {
    const e = this.last
    return e && Date.now() - e.at <= window ? e : null
  }
}

/**
 * Why a broker may close a connection it accepted: before answering ApiVersions (a TLS listener
 * reading plaintext) or on the first request after it (a SASL listener without a SASL login).
 * librdkafka words it as a close, or as a failed send when the close came first.
 */
function closedHint(message) {
  if (!/connection closed by peer|Broken pipe|Connection reset by peer/.test(message)) return ''
  return ": the broker closed the connection; check that the client's security protocol (the ssl and sasl options) matches the listener's"
}

module.exports = { ClientEvents }
