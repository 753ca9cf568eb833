'use strict'
/*
 * KafkaProducerModule: forRoot / forRootAsync, named producers, connect at init, flush at
 * shutdown, and the health indicator (with @nestjs/terminus, and without it).
 */
const path = require('node:path')
const { Test } = require('@nestjs/testing')
const { Injectable, Module } = require('@nestjs/common')
const { TerminusModule, HealthCheckService, HealthCheckError } = require('@nestjs/terminus')
const { logLevel } = require('../..')
const { KafkaProducerModule, KafkaProducerHealthIndicator, InjectProducer, getProducerToken } = require('../../nestjs')
const { brokers, createTopic, readBack } = require('../helpers/kafka')
const { runChild } = require('./helpers/child')

const client = () => ({ clientId: 'nest-spec', brokers: brokers(), logLevel: logLevel.NOTHING })

async function start(metadata) {
  const app = await Test.createTestingModule(metadata).compile()
  await app.init()
  return app
}

describe('KafkaProducerModule', () => {
  test('forRoot: connected by app.init(), disconnected by app.close()', async () => {
    const topic = await createTopic()
    const app = await Test.createTestingModule({
      imports: [KafkaProducerModule.forRoot({ client: client() })],
    }).compile()
    const producer = app.get(getProducerToken())
    const events = []
    producer.on(producer.events.CONNECT, () => events.push('connect'))
    producer.on(producer.events.DISCONNECT, () => events.push('disconnect'))
    await app.init()
    expect(events).toEqual(['connect'])
    const [meta] = await producer.send({ topic, messages: [{ key: 'a', value: 'forRoot' }] })
    expect(meta).toMatchObject({ topicName: topic, errorCode: 0, baseOffset: '0' })
    await app.close()
    expect(events).toEqual(['connect', 'disconnect'])
    await expect(producer.send({ topic, messages: [{ value: 'late' }] })).rejects.toThrow(
      'The producer is disconnected',
    )
    expect((await readBack(topic, 1)).map((m) => m.value.toString())).toEqual(['forRoot'])
  })

  test('forRootAsync: options from an injected provider of an imported module, producer injected with InjectProducer()', async () => {
    const topic = await createTopic()
    class Settings {
      constructor() {
        this.brokers = brokers()
      }
    }
    class SettingsModule {}
    Module({ providers: [Settings], exports: [Settings] })(SettingsModule)
    class Greeter {
      constructor(producer) {
        this.producer = producer
      }

      greet(name) {
        return this.producer.send({ topic, messages: [{ key: name, value: `hello ${name}` }] })
      }
    }
    Injectable()(Greeter)
    InjectProducer()(Greeter, undefined, 0)

    const app = await start({
      imports: [
        KafkaProducerModule.forRootAsync({
          imports: [SettingsModule],
          inject: [Settings],
          useFactory: async (settings) => ({
            client: { brokers: settings.brokers, logLevel: logLevel.NOTHING },
            producer: { idempotent: true },
          }),
        }),
      ],
      providers: [Greeter],
    })
    const greeter = app.get(Greeter)
    expect(greeter.producer).toBe(app.get(getProducerToken()))
    expect(greeter.producer.isIdempotent()).toBe(true)
    await greeter.greet('ada')
    await app.close()
    const [m] = await readBack(topic, 1)
    expect([m.key.toString(), m.value.toString()]).toEqual(['ada', 'hello ada'])
  })

  test('global: a module that does not import it still injects the producer', async () => {
    const topic = await createTopic()
    class Audit {
      constructor(producer) {
        this.producer = producer
      }
    }
    Injectable()(Audit)
    InjectProducer('audit')(Audit, undefined, 0)
    class AuditModule {}
    Module({ providers: [Audit], exports: [Audit] })(AuditModule)

    const app = await start({
      imports: [KafkaProducerModule.forRoot({ name: 'audit', global: true, client: client() }), AuditModule],
    })
    await app.get(Audit).producer.send({ topic, messages: [{ value: 'global' }] })
    await app.close()
    expect((await readBack(topic, 1)).map((m) => m.value.toString())).toEqual(['global'])
  })

  test('two named producers (idempotent acks -1, and fire-and-forget acks 0) injected by InjectProducer(name)', async () => {
    const ordersTopic = await createTopic()
    const metricsTopic = await createTopic()
    class Checkout {
      constructor(orders, metrics) {
        this.orders = orders
        this.metrics = metrics
      }

      async placeOrder(id) {
        const meta = await this.orders.send({
          topic: ordersTopic,
          acks: -1,
          messages: [{ key: id, value: `order ${id}` }],
        })
        const fired = await this.metrics.send({ topic: metricsTopic, acks: 0, messages: [{ value: `placed ${id}` }] })
        return { meta, fired }
      }
    }
    Injectable()(Checkout)
    InjectProducer('orders')(Checkout, undefined, 0)
    InjectProducer('metrics')(Checkout, undefined, 1)

    const app = await start({
      imports: [
        KafkaProducerModule.forRoot({ name: 'orders', client: client(), producer: { idempotent: true } }),
        KafkaProducerModule.forRoot({ name: 'metrics', client: client() }),
      ],
      providers: [Checkout],
    })
    const checkout = app.get(Checkout)
    expect(checkout.orders).toBe(app.get(getProducerToken('orders')))
    expect(checkout.metrics).toBe(app.get(getProducerToken('metrics')))
    expect(checkout.orders).not.toBe(checkout.metrics)
    expect([checkout.orders.isIdempotent(), checkout.metrics.isIdempotent()]).toEqual([true, false])
    const { meta, fired } = await checkout.placeOrder('o-1')
    expect(meta).toMatchObject([{ topicName: ordersTopic, errorCode: 0, baseOffset: '0' }])
    expect(fired).toEqual([])
    await app.close()
    expect((await readBack(ordersTopic, 1)).map((m) => m.value.toString())).toEqual(['order o-1'])
    expect((await readBack(metricsTopic, 1)).map((m) => m.value.toString())).toEqual(['placed o-1'])
  })

  test('app.close() flushes: 2,000 sends issued without awaiting all resolve, all readable', async () => {
    const topic = await createTopic({ partitions: 3 })
    const app = await start({ imports: [KafkaProducerModule.forRoot({ client: client() })] })
    const producer = app.get(getProducerToken())
    let resolved = 0
    const sends = []
    for (let i = 0; i < 2000; i++) {
      sends.push(
        producer.send({ topic, messages: [{ key: `k${i}`, value: `v${i}` }] }).then((r) => {
          resolved++
          return r
        }),
      )
    }
    await app.close()
    expect(resolved).toBe(2000)
    expect((await Promise.all(sends)).every(([meta]) => meta.errorCode === 0)).toBe(true)
    const got = await readBack(topic, 2000)
    expect(new Set(got.map((m) => m.value.toString())).size).toBe(2000)
  })

  test('a broker that cannot be reached fails app.init()', async () => {
    const app = await Test.createTestingModule({
      imports: [
        KafkaProducerModule.forRoot({
          client: {
            brokers: ['127.0.0.1:1'],
            connectionTimeout: 300,
            authenticationTimeout: 300,
            logLevel: logLevel.NOTHING,
          },
        }),
      ],
    }).compile()
    await expect(app.init()).rejects.toThrow(/failed to connect to 127.0.0.1:1/)
  })

  test('a missing client config fails at compile with a clear error', async () => {
    await expect(
      Test.createTestingModule({ imports: [KafkaProducerModule.forRoot({ name: 'broken' })] }).compile(),
    ).rejects.toThrow('KafkaProducerModule "broken": options.client (the Kafka config with brokers) is required')
  })
})

describe('KafkaProducerHealthIndicator', () => {
  test('with @nestjs/terminus: up while connected, a HealthCheckError (503 from HealthCheckService) once disconnected', async () => {
    const app = await start({
      imports: [
        TerminusModule.forRoot({ logger: false }),
        KafkaProducerModule.forRoot({ name: 'events', client: client() }),
      ],
      providers: [KafkaProducerHealthIndicator],
    })
    const health = app.get(HealthCheckService)
    const indicator = app.get(KafkaProducerHealthIndicator)
    await expect(health.check([() => indicator.isHealthy('kafka', 'events')])).resolves.toMatchObject({
      status: 'ok',
      info: { kafka: { status: 'up' } },
    })

    await app.get(getProducerToken('events')).disconnect()
    const thrown = await indicator.isHealthy('kafka', 'events').catch((e) => e)
    expect(thrown).toBeInstanceOf(HealthCheckError)
    expect(thrown.causes).toEqual({ kafka: { status: 'down', message: 'The Kafka producer is not connected' } })
    const failed = await health.check([() => indicator.isHealthy('kafka', 'events')]).catch((e) => e)
    expect(failed.getStatus()).toBe(503)
    expect(failed.getResponse()).toMatchObject({ status: 'error', error: { kafka: { status: 'down' } } })
    await app.close()
  })

  test('without @nestjs/terminus: the same result, and a plain Error with causes', async () => {
    const result = await runChild(path.join(__dirname, 'helpers/health-without-terminus.scenario.js'))
    expect(result.up).toEqual({ kafka: { status: 'up' } })
    expect(result.down).toEqual({
      name: 'Error',
      constructor: 'Error',
      message: 'The Kafka producer is not connected',
      causes: { kafka: { status: 'down', message: 'The Kafka producer is not connected' } },
      isHealthCheckError: null,
    })
  })
})
