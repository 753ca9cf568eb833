'use strict'
const { Kafka, KafkaJSNonRetriableError, KafkaJSNotImplemented, logLevel } = require('../..')
const {
  producerProperties,
  profileProperties,
  backoffBudget,
  resolveRetry,
  NUMERIC_OPTIONS,
} = require('../../lib/config')

const quiet = { warn: () => {}, level: logLevel.INFO }

describe('kafkajs options -> librdkafka properties', () => {
  test('defaults', () => {
    const s = producerProperties({ brokers: ['b:1'] }, {}, quiet)
    expect(s.props).toMatchObject({
      'client.id': 'kafkajs',
      partitioner: 'murmur2_random',
      'enable.idempotence': 'false',
      retries: '5',
      'retry.backoff.ms': '300',
      'retry.backoff.max.ms': '30000',
      'socket.connection.setup.timeout.ms': '11000',
      'reconnect.backoff.ms': '20',
      'socket.timeout.ms': '30000',
      'topic.metadata.refresh.interval.ms': '300000',
      'allow.auto.create.topics': 'true',
      'linger.ms': '0',
      'message.copy.max.bytes': '511',
      'max.in.flight.requests.per.connection': '5',
      'security.protocol': 'plaintext',
    })
  })

  test("the delivery deadline is the send timeout plus kafkajs's backoff budget", () => {
    const s = producerProperties({ brokers: ['b:1'] }, {}, quiet)
    expect(backoffBudget(resolveRetry())).toBe(300 + 600 + 1200 + 2400 + 4800)
    const { overrides, deliveryTimeout } = profileProperties({ acks: -1, timeout: 30000, compression: 0 }, s)
    expect(deliveryTimeout).toBe(39300)
    expect(overrides).toEqual({
      'request.required.acks': '-1',
      'request.timeout.ms': '30000',
      'compression.codec': 'none',
      'message.timeout.ms': '39300',
    })
  })

  test('retries: Infinity is refused: nothing retries forever', () => {
    const kafka = new Kafka({ brokers: ['b:1'], retry: { retries: Infinity } })
    expect(() => kafka.producer()).toThrow(KafkaJSNonRetriableError)
    expect(() => kafka.producer()).toThrow(/Infinity would retry forever/)
  })

  test('an idempotent producer without retries throws kafkajs error at construction', () => {
    const kafka = new Kafka({ brokers: ['b:1'] })
    expect(() => kafka.producer({ idempotent: true, retry: { retries: 0 } })).toThrow(
      'Idempotent producer must allow retries to protect against transient errors',
    )
  })

  test('an idempotent producer refuses acks other than -1, as kafkajs', async () => {
    const p = new Kafka({ brokers: ['b:1'] }).producer({ idempotent: true })
    await expect(p.send({ topic: 't', acks: 1, messages: [{ value: 'x' }] })).rejects.toThrow(
      "Not requiring ack for all messages invalidates the idempotent producer's EoS guarantees",
    )
  })

  test('unsupported options fail at configuration time with KafkaJSNotImplemented', () => {
    expect(() =>
      new Kafka({ brokers: ['b:1'], sasl: { mechanism: 'aws', accessKeyId: 'a', secretAccessKey: 's' } }).producer(),
    ).toThrow(KafkaJSNotImplemented)
    expect(() =>
      new Kafka({ brokers: ['b:1'], sasl: { mechanism: 'custom', authenticationProvider: () => ({}) } }).producer(),
    ).toThrow(KafkaJSNotImplemented)
    expect(() => new Kafka({ brokers: ['b:1'], socketFactory: () => null }).producer()).toThrow(KafkaJSNotImplemented)
  })

  test('ssl and sasl map onto librdkafka security properties', () => {
    const s = producerProperties(
      {
        brokers: ['b:1'],
        ssl: { ca: [Buffer.from('CA1'), 'CA2'], cert: 'C', key: 'K', passphrase: 'p' },
        sasl: { mechanism: 'scram-sha-512', username: 'u', password: 'pw' },
      },
      {},
      quiet,
    )
    expect(s.props).toMatchObject({
      'security.protocol': 'sasl_ssl',
      'ssl.ca.pem': 'CA1\nCA2',
      'ssl.certificate.pem': 'C',
      'ssl.key.pem': 'K',
      'ssl.key.password': 'p',
      'sasl.mechanisms': 'SCRAM-SHA-512',
      'sasl.username': 'u',
      'sasl.password': 'pw',
    })
  })

  test('maxInFlightRequests above 5 is refused for an idempotent producer', () => {
    expect(() => producerProperties({ brokers: ['b:1'] }, { idempotent: true, maxInFlightRequests: 6 }, quiet)).toThrow(
      /at most 5/,
    )
    expect(
      producerProperties({ brokers: ['b:1'] }, { maxInFlightRequests: 1 }, quiet).props[
        'max.in.flight.requests.per.connection'
      ],
    ).toBe('1')
  })

  test('a librdkafka property it does not know fails connect with a typed error', async () => {
    const p = new Kafka({ brokers: ['127.0.0.1:1'], logLevel: logLevel.NOTHING }).producer({
      rdkafka: { 'no.such.property': 1 },
    })
    const err = await p.connect().catch((e) => e)
    expect(err).toBeInstanceOf(KafkaJSNonRetriableError)
    expect(err.message).toMatch(/Invalid configuration: .*no\.such\.property/)
  })
})

describe('every numeric option is validated in one place (NUMERIC_OPTIONS)', () => {
  test.each(NUMERIC_OPTIONS.map((o) => [o.name, o.scope]))(
    '%s (%s) refuses a non-integer and a negative',
    (name, scope) => {
      for (const bad of ['12', 1.5, -1, Number.NaN]) {
        const kafka = { brokers: ['b:1'], ...(scope === 'kafka' ? { [name]: bad } : {}) }
        const producer = { transactionalId: 'x', ...(scope === 'producer' ? { [name]: bad } : {}) }
        expect(() => producerProperties(kafka, producer, quiet)).toThrow(
          new RegExp(`^Invalid ${name}: expected an integer`),
        )
      }
    },
  )

  test('lingerMs reaches linger.ms (it used to go through unchecked)', () => {
    expect(producerProperties({ brokers: ['b:1'] }, { lingerMs: 5 }, quiet).props['linger.ms']).toBe('5')
    expect(producerProperties({ brokers: ['b:1'] }, {}, quiet).props['linger.ms']).toBe('0')
  })
})
