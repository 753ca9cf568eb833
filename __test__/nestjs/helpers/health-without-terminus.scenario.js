'use strict'
/*
 * KafkaProducerHealthIndicator in an app where @nestjs/terminus is not installed (its
 * resolution from kafka-napi/nestjs fails): reports what `isHealthy` returns while connected
 * and what it throws after the producer disconnected.
 */
const path = require('node:path')
const { redirect } = require('./resolve-hook')
const { scenario } = require('./child')

const ROOT = path.resolve(__dirname, '../../..')

scenario(async () => {
  const restore = redirect('@nestjs/terminus', path.join(ROOT, 'nestjs'), null)
  try {
    const { Test } = require('@nestjs/testing')
    const { KafkaProducerModule, KafkaProducerHealthIndicator, getProducerToken } = require(path.join(ROOT, 'nestjs'))
    const app = await Test.createTestingModule({
      imports: [KafkaProducerModule.forRoot({ client: { brokers: process.env.KAFKA_BROKERS.split(',') } })],
      providers: [KafkaProducerHealthIndicator],
    }).compile()
    await app.init()
    const indicator = app.get(KafkaProducerHealthIndicator)
    const up = await indicator.isHealthy('kafka')
    await app.get(getProducerToken()).disconnect()
    const err = await indicator.isHealthy('kafka').catch((e) => e)
    await app.close()
    return {
      up,
      down: {
        name: err.name,
        constructor: err.constructor.name,
        message: err.message,
        causes: err.causes,
        isHealthCheckError: err.isHealthCheckError ?? null,
      },
    }
  } finally {
    restore()
  }
})
