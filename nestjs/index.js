'use strict'
/*
 * 'kafka-napi/nestjs': the NestJS integration. Needs @nestjs/common and @nestjs/core;
 * `KafkaNapiClient` also needs @nestjs/microservices and is loaded only when first read.
 * See README.md beside this file.
 *
 * Every name is exported in a form cjs-module-lexer reads, so that ESM can import it by name
 * (`import { KafkaNapiClient } from 'kafka-napi/nestjs'`); __test__/esm checks every name.
 */
const { KafkaProducerModule, getProducerToken, InjectProducer } = require('./producer.module')
const { KafkaProducerHealthIndicator } = require('./health')

exports.KafkaProducerModule = KafkaProducerModule
exports.getProducerToken = getProducerToken
exports.InjectProducer = InjectProducer
exports.KafkaProducerHealthIndicator = KafkaProducerHealthIndicator

// KafkaNapiClient requires ./client (and so @nestjs/microservices, an optional peer dependency)
// on its first read, not here. cjs-module-lexer accepts a getter export only in this shape:
// `enumerable: true` and a method or `function` (not an arrow) whose whole body is
// `return a.b` (no call), anything else hides the name from ESM. So the require sits one
// level down, in `lazy`'s own getter, which the lexer does not read. (An ESM import of this
// file reads every name, so it loads ./client at once; without @nestjs/microservices it gets
// KafkaNapiClient as undefined and the rest as usual.)
const lazy = {
  get KafkaNapiClient() {
    return require('./client').KafkaNapiClient
  },
}
Object.defineProperty(exports, 'KafkaNapiClient', {
  enumerable: true,
  get() {
    return lazy.KafkaNapiClient
  },
})
