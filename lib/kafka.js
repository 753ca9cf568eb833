'use strict'
/*
 * kafkajs's `Kafka` client: `new Kafka(config).producer(options)`, `.consumer(options)` and `logger()`.
 * `brokers` may be an array or a (sync or async) function, called at each connect.
 */
const util = require('node:util')
const { Producer } = require('./producer')
const { Consumer } = require('./consumer')
const { createLogger, logLevel } = require('./logger')
const { KafkaJSConnectionError, KafkaJSNonRetriableError, KafkaJSNotImplemented } = require('./errors')

class Kafka {
  constructor(config = {}) {
    if (config === null || typeof config !== 'object')
      throw new KafkaJSNonRetriableError('Invalid Kafka config: expected an object')
    this._config = { ...config }
    this._logLevel = config.logLevel ?? logLevel.INFO
    this._logger = createLogger({ level: this._logLevel, logCreator: config.logCreator })
  }

  producer(options = {}) {
    return new Producer(this, options || {})
  }

  consumer(options = {}) {
    return new Consumer(this, options || {})
  }

  admin() {
    throw new KafkaJSNotImplemented(
      'kafka-napi has no admin client yet: use kafkajs (or another client) for the admin API',
    )
  }

  logger() {
    return this._logger
  }

  /** What `util.inspect` and `JSON.stringify` show: no ssl or sasl material. */
  toJSON() {
    const { clientId, brokers } = this._config
    return {
      clientId: clientId ?? 'kafkajs',
      brokers: Array.isArray(brokers) ? brokers : '[function]',
      ssl: Boolean(this._config.ssl),
      sasl: this._config.sasl ? String(this._config.sasl.mechanism) : false,
    }
  }

  [util.inspect.custom]() {
    return `Kafka ${util.inspect(this.toJSON())}`
  }

  /** The broker list for a connect: the array, or what the function returns. */
  async _resolveBrokers() {
    const { brokers } = this._config
    if (typeof brokers !== 'function') return brokers
    // A discovery function that never answers must not hang connect(): bound it like a connection.
    const bound = (this._config.connectionTimeout ?? 1000) + (this._config.authenticationTimeout ?? 10000)
    let timer
    let list
    try {
      list = await Promise.race([
        Promise.resolve().then(() => brokers()),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no answer within ${bound} ms`)), bound)
        }),
      ])
    } catch (e) {
      throw new KafkaJSConnectionError(`Failed to connect: "config.brokers" threw: ${e && e.message}`, { cause: e })
    } finally {
      clearTimeout(timer)
    }
    if (!Array.isArray(list) || list.length === 0) {
      throw new KafkaJSNonRetriableError(`Failed to connect: "config.brokers" returned void or empty array`)
    }
    return list
  }
}

module.exports = { Kafka }
