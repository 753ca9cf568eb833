'use strict'
/*
 * A kafka-napi producer as a plain Nest provider, the way apps provide kafkajs's producer:
 * a sync factory that does not await connect(), and an async factory with injected settings.
 */
const { Test } = require('@nestjs/testing')
const { Inject, Injectable } = require('@nestjs/common')
const { Kafka, logLevel } = require('../..')
const { brokers, createTopic, readBack } = require('../helpers/kafka')

describe('a producer provided by a factory', () => {
  test('sync factory, connect() not awaited: the first send right after init succeeds', async () => {
    const topic = await createTopic()
    const order = []
    const app = await Test.createTestingModule({
      providers: [
        {
          provide: 'KAFKA_PRODUCER',
          useFactory: () => {
            const p = new Kafka({ brokers: brokers(), logLevel: logLevel.NOTHING }).producer()
            p.on(p.events.CONNECT, () => order.push('connected'))
            p.connect()
            return p
          },
        },
      ],
    }).compile()
    await app.init()
    const producer = app.get('KAFKA_PRODUCER')
    order.push('send')
    const [meta] = await producer.send({ topic, messages: [{ key: 'k', value: 'first' }] })
    // The send was issued while connect() was still running, and waited for it.
    expect(order).toEqual(['send', 'connected'])
    expect(meta).toMatchObject({ topicName: topic, partition: 0, errorCode: 0, baseOffset: '0' })
    await app.close()
    await producer.disconnect()
    const [m] = await readBack(topic, 1)
    expect([m.key.toString(), m.value.toString()]).toEqual(['k', 'first'])
  })

  test('async factory with inject: Nest awaits connect() before building what injects it; shutdown disconnects', async () => {
    const topic = await createTopic()
    const order = []
    class KafkaSettings {
      constructor() {
        this.brokers = brokers()
      }
    }
    class Publisher {
      constructor(producer) {
        this.producer = producer
        order.push('publisher built')
      }

      publish(value) {
        return this.producer.send({ topic, messages: [{ value }] })
      }

      onApplicationShutdown() {
        order.push('shutdown')
        return this.producer.disconnect()
      }
    }
    Injectable()(Publisher)
    Inject('KAFKA_PRODUCER')(Publisher, undefined, 0)

    const app = await Test.createTestingModule({
      providers: [
        KafkaSettings,
        {
          provide: 'KAFKA_PRODUCER',
          inject: [KafkaSettings],
          useFactory: async (settings) => {
            const p = new Kafka({ brokers: settings.brokers, logLevel: logLevel.NOTHING }).producer()
            p.on(p.events.DISCONNECT, () => order.push('disconnected'))
            await p.connect()
            order.push('connected')
            return p
          },
        },
        Publisher,
      ],
    }).compile()
    await app.init()
    expect(order).toEqual(['connected', 'publisher built'])
    const [meta] = await app.get(Publisher).publish('from an async factory')
    expect(meta).toMatchObject({ topicName: topic, errorCode: 0, baseOffset: '0' })
    await app.close()
    expect(order).toEqual(['connected', 'publisher built', 'shutdown', 'disconnected'])
    expect((await readBack(topic, 1)).map((m) => m.value.toString())).toEqual(['from an async factory'])
  })
})
