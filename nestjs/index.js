'use strict'
/*
 * 'kafka-napi/nestjs': the NestJS integration. Needs @nestjs/common and @nestjs/core;
 * `KafkaNapiClient` also needs @nestjs/microservices and is loaded only when first read.
 * See README.md beside this file.
 */
const { KafkaProducerModule, getProducerToken, InjectProducer } = require('./producer.module')
const { KafkaProducerHealthIndicator } = require('./health')

module.exports = { KafkaProducerModule, getProducerToken, InjectProducer, KafkaProducerHealthIndicator }

Object.defineProperty(module.exports, 'KafkaNapiClient', {
  enumerable: true,
  get: () => require('./client').KafkaNapiClient,
})
