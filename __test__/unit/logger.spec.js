'use strict'
const { Kafka, logLevel } = require('../..')

describe('logger', () => {
  test('logCreator gets kafkajs-shaped entries, filtered by level, namespaced', () => {
    const entries = []
    const kafka = new Kafka({ brokers: ['b:1'], logLevel: logLevel.WARN, logCreator: () => (e) => entries.push(e) })
    const log = kafka.producer().logger()
    log.info('hidden')
    log.warn('shown', { extra: 1 })
    expect(entries).toHaveLength(1)
    expect(entries[0]).toMatchObject({
      namespace: 'Producer',
      level: logLevel.WARN,
      label: 'WARN',
      log: { message: 'shown', extra: 1, logger: 'kafkajs' },
    })
    expect(typeof entries[0].log.timestamp).toBe('string')
  })

  test('a log function that throws never breaks the caller', () => {
    const kafka = new Kafka({
      brokers: ['b:1'],
      logCreator: () => () => {
        throw new Error('broken sink')
      },
    })
    const write = process.stderr.write
    process.stderr.write = () => true
    try {
      expect(() => kafka.logger().error('x')).not.toThrow()
    } finally {
      process.stderr.write = write
    }
  })

  test('a logCreator that throws falls back to the default logger', () => {
    const write = process.stderr.write
    process.stderr.write = () => true
    try {
      expect(
        () =>
          new Kafka({
            brokers: ['b:1'],
            logLevel: logLevel.NOTHING,
            logCreator: () => {
              throw new Error('bad creator')
            },
          }),
      ).not.toThrow()
    } finally {
      process.stderr.write = write
    }
  })
})
