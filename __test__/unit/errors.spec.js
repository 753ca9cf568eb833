'use strict'
const errors = require('../../lib/errors')
const index = require('../..')

describe('KafkaJS error classes', () => {
  test("inheritance and names are kafkajs's", () => {
    const e = new errors.KafkaJSNumberOfRetriesExceeded(
      new errors.KafkaJSProtocolError({ message: 'm', type: 'NOT_ENOUGH_REPLICAS', code: 19, retriable: true }),
      { retryCount: 5, retryTime: 100 },
    )
    expect(e).toBeInstanceOf(errors.KafkaJSNonRetriableError)
    expect(e).toBeInstanceOf(errors.KafkaJSError)
    expect(e).toBeInstanceOf(Error)
    expect(e.name).toBe('KafkaJSNumberOfRetriesExceeded')
    expect(e.retriable).toBe(false)
    expect(e.cause.type).toBe('NOT_ENOUGH_REPLICAS')
    expect(e.retryCount).toBe(5)
    expect(new errors.KafkaJSConnectionClosedError('x', { host: 'h', port: 1 })).toBeInstanceOf(
      errors.KafkaJSConnectionError,
    )
    expect(new errors.KafkaJSTopicMetadataNotLoaded('x', { topic: 't' })).toBeInstanceOf(
      errors.KafkaJSMetadataNotLoaded,
    )
    expect(new errors.KafkaJSLockTimeout('x')).toBeInstanceOf(errors.KafkaJSTimeout)
  })

  test('every error class is exported from the package root', () => {
    const names = Object.keys(errors).filter((n) => n.startsWith('KafkaJS'))
    expect(names).toEqual(expect.arrayContaining(['KafkaJSError', 'KafkaJSProtocolError', 'KafkaJSConnectionError']))
    for (const name of names) expect(index[name]).toBe(errors[name])
  })
})

describe('decoding native payloads', () => {
  const native = (p) => new Error(JSON.stringify(p))

  test('a retriable broker error that outlived the retries', () => {
    const e = errors.fromNative(
      native({
        kind: 'delivery',
        code: 19,
        name: 'NOT_ENOUGH_REPLICAS',
        message: 'Broker: Not enough in-sync replicas',
        failures: [],
      }),
      { retries: 5 },
    )
    expect(e).toBeInstanceOf(errors.KafkaJSNumberOfRetriesExceeded)
    expect(e.cause).toBeInstanceOf(errors.KafkaJSProtocolError)
    expect(e.cause).toMatchObject({ type: 'NOT_ENOUGH_REPLICAS', code: 19, retriable: true })
    expect(e).toMatchObject({ type: 'NOT_ENOUGH_REPLICAS', code: 19, retryCount: 5 })
  })

  test('a non-retriable broker error is the protocol error itself', () => {
    const e = errors.fromNative(
      native({ kind: 'delivery', code: 10, name: 'MSG_SIZE_TOO_LARGE', message: 'too large' }),
    )
    expect(e).toBeInstanceOf(errors.KafkaJSProtocolError)
    expect(e).toMatchObject({ type: 'MESSAGE_TOO_LARGE', code: 10, retriable: false })
  })

  test('a message timeout after transport errors names the connection as cause', () => {
    const e = errors.fromNative(
      native({ kind: 'delivery', code: -192, name: 'MESSAGE_TIMED_OUT', message: 'Local: Message timed out' }),
      {
        deliveryTimeout: 1000,
        lastClientError: { name: -195, message: 'Connect to 127.0.0.1:1 failed: Connection refused' },
      },
    )
    expect(e).toBeInstanceOf(errors.KafkaJSNumberOfRetriesExceeded)
    expect(e.cause).toBeInstanceOf(errors.KafkaJSConnectionError)
    expect(e.message).toBe(
      'Message not delivered within 1000 ms: Connection error: Connect to 127.0.0.1:1 failed: Connection refused',
    )
  })

  test('config, input and state payloads', () => {
    expect(
      errors.fromNative(
        native({ kind: 'config', code: -1, name: 'INVALID_CONFIG', message: 'No such configuration property: "x"' }),
      ),
    ).toBeInstanceOf(errors.KafkaJSNonRetriableError)
    expect(
      errors.fromNative(native({ kind: 'state', code: -1, name: 'STATE', message: 'The producer is disconnected' }))
        .message,
    ).toBe('The producer is disconnected')
  })

  test('an error that is not a native payload passes through', () => {
    const plain = new TypeError('boom')
    expect(errors.fromNative(plain)).toBe(plain)
  })
})
