'use strict'
/*
 * KafkaProducerModule: a kafka-napi producer as a NestJS provider.
 *
 * Each `forRoot`/`forRootAsync` call is one dynamic module holding one producer, exported under
 * `getProducerToken(name)`. The module connects it in `onModuleInit` (awaited by `app.init()`,
 * `app.listen()` and `createApplicationContext`, so the app is connected before it serves) and
 * disconnects it in `onApplicationShutdown`, which flushes the messages still in flight.
 *
 * Only the package's public API is used: `require('..')`.
 */
const { Module, Injectable, Inject, Logger } = require('@nestjs/common')
const { Kafka } = require('..')

// Private to each dynamic module (not exported), so several modules never collide on them.
const OPTIONS = 'kafka-napi:module-options'
const PRODUCER = 'kafka-napi:module-producer'

/** Connection state of every producer the module created, from its CONNECT/DISCONNECT events. */
const connected = new WeakMap()

/**
 * The injection token of the producer named `name` (the unnamed producer when omitted).
 * @param {string} [name]
 * @returns {string}
 */
function getProducerToken(name) {
  return name ? `KafkaNapiProducer:${name}` : 'KafkaNapiProducer'
}

/**
 * Parameter decorator injecting the producer named `name`; in plain JS:
 * `InjectProducer('orders')(MyService, undefined, 0)`.
 * @param {string} [name]
 */
function InjectProducer(name) {
  return Inject(getProducerToken(name))
}

/**
 * Whether a producer created by KafkaProducerModule is connected: true or false, or undefined
 * for a producer the module did not create (its events were not followed from the start).
 * @param {import('..').Producer} producer
 * @returns {boolean | undefined}
 */
function isConnected(producer) {
  return connected.get(producer)
}

/**
 * A kafkajs logCreator writing to Nest's Logger under `context`, so the producer's logs follow
 * the app's logger settings (`app.useLogger`, `logger: false`, ...).
 * @param {string} context
 */
function nestLogCreator(context) {
  const logger = new Logger(context)
  const methods = { 1: 'error', 2: 'warn', 4: 'log', 5: 'debug' }
  return () =>
    ({ namespace, level, log }) => {
      const extra = { ...log }
      for (const k of ['message', 'timestamp', 'logger']) delete extra[k]
      const details = Object.keys(extra).length ? ` ${JSON.stringify(extra)}` : ''
      logger[methods[level] || 'debug'](`${namespace ? `[${namespace}] ` : ''}${log.message}${details}`)
    }
}

function createProducer(options, name) {
  if (!options || typeof options !== 'object' || !options.client) {
    throw new Error(
      `KafkaProducerModule${name ? ` "${name}"` : ''}: options.client (the Kafka config with brokers) is required`,
    )
  }
  const client = {
    logCreator: nestLogCreator(name ? `KafkaNapiProducer:${name}` : 'KafkaNapiProducer'),
    ...options.client,
  }
  const producer = new Kafka(client).producer(options.producer)
  connected.set(producer, false)
  producer.on(producer.events.CONNECT, () => connected.set(producer, true))
  producer.on(producer.events.DISCONNECT, () => connected.set(producer, false))
  return producer
}

/** Connects the module's producer at init and disconnects (flushing) it at shutdown. */
class ProducerLifecycle {
  constructor(producer) {
    this.producer = producer
  }

  onModuleInit() {
    return this.producer.connect()
  }

  onApplicationShutdown() {
    return this.producer.disconnect()
  }
}
Injectable()(ProducerLifecycle)
Inject(PRODUCER)(ProducerLifecycle, undefined, 0)

function dynamicModule({ name, global = false, imports = [], optionsProvider }) {
  const token = getProducerToken(name)
  return {
    module: KafkaProducerModule,
    global,
    imports,
    providers: [
      optionsProvider,
      { provide: token, useFactory: (options) => createProducer(options, name), inject: [OPTIONS] },
      { provide: PRODUCER, useExisting: token },
      ProducerLifecycle,
    ],
    exports: [token],
  }
}

class KafkaProducerModule {
  /**
   * A producer from static options.
   * @param {{ name?: string, global?: boolean, client: import('..').KafkaConfig, producer?: import('..').ProducerConfig }} options
   */
  static forRoot(options) {
    const { name, global, ...producerOptions } = options || {}
    return dynamicModule({ name, global, optionsProvider: { provide: OPTIONS, useValue: producerOptions } })
  }

  /**
   * A producer from options that a factory computes (sync or async), with its dependencies
   * injected from `imports`.
   * @param {{ name?: string, global?: boolean, imports?: any[], inject?: any[], useFactory: (...deps: any[]) => any }} options
   */
  static forRootAsync({ name, global, imports, inject = [], useFactory }) {
    if (typeof useFactory !== 'function') throw new Error('KafkaProducerModule.forRootAsync needs useFactory')
    return dynamicModule({ name, global, imports, optionsProvider: { provide: OPTIONS, useFactory, inject } })
  }
}
Module({})(KafkaProducerModule)

module.exports = { KafkaProducerModule, getProducerToken, InjectProducer, isConnected, nestLogCreator }
