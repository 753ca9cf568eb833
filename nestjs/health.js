'use strict'
/*
 * A health indicator for the producers of KafkaProducerModule, shaped for @nestjs/terminus
 * without requiring it: `isHealthy(key, name)` resolves `{ [key]: { status: 'up' } }` while the
 * producer is connected and otherwise throws terminus's HealthCheckError (a plain Error with
 * the same `causes` when terminus is not installed).
 *
 * Connected means: the producer's last lifecycle event was CONNECT (it connected and has not
 * disconnected since). librdkafka reconnects to brokers on its own; a broker outage shows up as
 * failed sends, not here.
 */
const { Injectable, Inject } = require('@nestjs/common')
const { ModuleRef } = require('@nestjs/core')
const { getProducerToken, isConnected } = require('./producer.module')

function healthCheckError(message, causes) {
  let HealthCheckError
  try {
    HealthCheckError = require('@nestjs/terminus').HealthCheckError
  } catch (e) {
    if (e.code !== 'MODULE_NOT_FOUND') throw e
  }
  if (HealthCheckError) return new HealthCheckError(message, causes)
  return Object.assign(new Error(message), { causes })
}

class KafkaProducerHealthIndicator {
  constructor(moduleRef) {
    this.moduleRef = moduleRef
  }

  /**
   * Checks the producer registered as `name` (the unnamed one when omitted).
   * @param {string} [key='kafka'] the key of the result
   * @param {string} [name] the producer's name in KafkaProducerModule
   * @returns {Promise<Record<string, { status: 'up' }>>}
   * @throws HealthCheckError (or Error) with `causes: { [key]: { status: 'down', message } }`
   */
  async isHealthy(key = 'kafka', name) {
    const producer = this.moduleRef.get(getProducerToken(name), { strict: false })
    const state = isConnected(producer)
    if (state === undefined)
      throw new Error(
        `The producer ${getProducerToken(name)} was not created by KafkaProducerModule: its connection is not tracked`,
      )
    if (state) return { [key]: { status: 'up' } }
    const message = 'The Kafka producer is not connected'
    throw healthCheckError(message, { [key]: { status: 'down', message } })
  }
}
Injectable()(KafkaProducerHealthIndicator)
Inject(ModuleRef)(KafkaProducerHealthIndicator, undefined, 0)

module.exports = { KafkaProducerHealthIndicator }
