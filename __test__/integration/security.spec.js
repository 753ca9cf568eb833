'use strict'
/*
 * TLS and SASL through kafkajs's `ssl` and `sasl` options, against the test bed's listeners
 * (SASL_PLAINTEXT with PLAIN/SCRAM/OAUTHBEARER, SSL with a generated CA), and secrets kept out
 * of every log line, error and inspection.
 */
const fs = require('node:fs')
const path = require('node:path')
const util = require('node:util')
const crypto = require('node:crypto')
const { Kafka, logLevel, KafkaJSSASLAuthenticationError, KafkaJSConnectionError } = require('../..')
const { createTopic, readBack, referenceClient, requiredEnv } = require('../helpers/kafka')
const { waitFor } = require('../helpers/wait')

const env = requiredEnv
const saslBrokers = () => env('KAFKA_SASL_BROKERS').split(',')
const sslBrokers = () => env('KAFKA_SSL_BROKERS').split(',')
const tlsDir = () => path.dirname(env('KAFKA_SSL_CA'))
const user = { username: env('KAFKA_SASL_USERNAME'), password: env('KAFKA_SASL_PASSWORD') }

async function roundTrip(kafkaConfig, producerConfig = {}) {
  const topic = await createTopic()
  const producer = new Kafka({ clientId: 'security-spec', logLevel: logLevel.NOTHING, ...kafkaConfig }).producer(
    producerConfig,
  )
  await producer.connect()
  try {
    await producer.send({ topic, messages: [{ key: 'k', value: 'secured' }] })
  } finally {
    await producer.disconnect()
  }
  const [m] = await readBack(topic, 1)
  return m.value.toString()
}

/** An oauthBearerProvider answering unsecured tokens for `sub`; `.calls` counts the requests. */
function countingProvider(sub, seconds) {
  const provider = async () => {
    provider.calls++
    return unsecuredToken(sub, seconds)
  }
  provider.calls = 0
  return provider
}

/** A producer or a consumer (its own group) of a client with `config`, logging nothing. */
function newClient(role, config) {
  const kafka = new Kafka({ logLevel: logLevel.NOTHING, ...config })
  if (role === 'producer') return kafka.producer()
  return kafka.consumer({ groupId: `security-${crypto.randomBytes(4).toString('hex')}` })
}

/** An unsecured JWS (alg none) for `sub`, valid `seconds`: the broker's default OAUTHBEARER validator accepts it. */
function unsecuredToken(sub, seconds) {
  const b64 = (o) => Buffer.from(JSON.stringify(o)).toString('base64url')
  const now = Math.floor(Date.now() / 1000)
  return { value: `${b64({ alg: 'none' })}.${b64({ sub, iat: now, exp: now + seconds })}.` }
}

describe('SASL', () => {
  test.each(['plain', 'scram-sha-256', 'scram-sha-512'])(
    '%s: connects, sends, and the message reads back',
    async (mechanism) => {
      expect(await roundTrip({ brokers: saslBrokers(), sasl: { mechanism, ...user } })).toBe('secured')
    },
  )

  test.each([
    ['producer', 'plain'],
    ['producer', 'scram-sha-512'],
    ['consumer', 'plain'],
    ['consumer', 'scram-sha-512'],
  ])('a %s with a wrong %s password: KafkaJSSASLAuthenticationError naming the cause', async (role, mechanism) => {
    const client = newClient(role, {
      brokers: saslBrokers(),
      sasl: { mechanism, username: user.username, password: 'wrong' },
      authenticationTimeout: 3000,
    })
    const err = await client.connect().catch((e) => e)
    expect(err).toBeInstanceOf(KafkaJSSASLAuthenticationError)
    expect(err.message).toMatch(/SASL authentication failed: .*(credentials|[Aa]uthentication)/)
  })

  test('oauthbearer: the provider supplies the token, and is asked again before it expires', async () => {
    const oauthBearerProvider = countingProvider('alice', 5)
    const topic = await createTopic()
    const producer = new Kafka({
      brokers: saslBrokers(),
      sasl: { mechanism: 'oauthbearer', oauthBearerProvider },
      logLevel: logLevel.NOTHING,
    }).producer()
    await producer.connect()
    try {
      await producer.send({ topic, messages: [{ value: 'first token' }] })
      expect(oauthBearerProvider.calls).toBeGreaterThanOrEqual(1)
      // librdkafka refreshes at 80% of the 5 s lifetime: wait for that second call, however long
      // a loaded machine makes it.
      await waitFor(() => oauthBearerProvider.calls >= 2, {
        timeout: 30000,
        what: 'the oauthBearerProvider to be asked for a new token',
      })
      expect(oauthBearerProvider.calls).toBeGreaterThanOrEqual(2)
      await producer.send({ topic, messages: [{ value: 'refreshed token' }] })
    } finally {
      await producer.disconnect()
    }
    expect((await readBack(topic, 2)).map((m) => m.value.toString())).toEqual(['first token', 'refreshed token'])
  })

  test('oauthbearer: a consumer authenticates through its provider and reads what was sent', async () => {
    const oauthBearerProvider = countingProvider('bob', 60)
    const topic = await createTopic()
    const producer = referenceClient().producer()
    await producer.connect()
    await producer.send({ topic, messages: [{ value: 'for the consumer' }] })
    await producer.disconnect()
    const consumer = new Kafka({
      brokers: saslBrokers(),
      sasl: { mechanism: 'oauthbearer', oauthBearerProvider },
      logLevel: logLevel.NOTHING,
    }).consumer({ groupId: `security-oauth-${crypto.randomBytes(4).toString('hex')}` })
    await consumer.connect()
    try {
      expect(oauthBearerProvider.calls).toBeGreaterThanOrEqual(1)
      const seen = []
      await consumer.subscribe({ topics: [topic], fromBeginning: true })
      await consumer.run({ eachMessage: async ({ message }) => void seen.push(message.value.toString()) })
      await waitFor(() => seen.length > 0, { what: 'the message, read over OAUTHBEARER' })
      expect(seen).toEqual(['for the consumer'])
    } finally {
      await consumer.disconnect()
    }
  })

  test.each(['producer', 'consumer'])(
    'oauthbearer: a %s whose provider throws fails connect with a typed error',
    async (role) => {
      const client = newClient(role, {
        brokers: saslBrokers(),
        sasl: {
          mechanism: 'oauthbearer',
          oauthBearerProvider: async () => {
            throw new Error('identity provider down')
          },
        },
        authenticationTimeout: 2000,
      })
      const err = await client.connect().catch((e) => e)
      expect(err).toBeInstanceOf(KafkaJSSASLAuthenticationError)
      expect(err.message).toMatch(/identity provider down/)
    },
  )
})

describe('TLS', () => {
  const ca = () => fs.readFileSync(env('KAFKA_SSL_CA'))

  test('ssl.ca (Buffer array) verifies the broker: connects, sends, reads back', async () => {
    expect(await roundTrip({ brokers: sslBrokers(), ssl: { ca: [ca()] } })).toBe('secured')
  })

  test('mutual TLS with a client certificate and key (PEM strings)', async () => {
    const ssl = {
      ca: ca().toString(),
      cert: fs.readFileSync(path.join(tlsDir(), 'client.pem'), 'utf8'),
      key: fs.readFileSync(path.join(tlsDir(), 'client-key.pem'), 'utf8'),
    }
    expect(await roundTrip({ brokers: sslBrokers(), ssl })).toBe('secured')
  })

  test.each(['producer', 'consumer'])(
    'a %s given a CA that did not sign the broker certificate fails with a typed TLS error',
    async (role) => {
      // The client certificate is not a CA: nothing chains to it.
      const wrongCa = fs.readFileSync(path.join(tlsDir(), 'client.pem'))
      const client = newClient(role, {
        brokers: sslBrokers(),
        ssl: { ca: [wrongCa] },
        connectionTimeout: 1000,
        authenticationTimeout: 2000,
      })
      const err = await client.connect().catch((e) => e)
      expect(err).toBeInstanceOf(KafkaJSConnectionError)
      expect(err.message).toMatch(/TLS error connecting to .*certificate verify failed/i)
    },
  )

  // librdkafka reports a connection the broker closes (a plaintext client on a TLS or SASL
  // listener) in an INFO log line only, then "1/1 brokers are down"; the error must name the
  // closed connection whatever the logLevel.
  test.each([
    ['producer', 'TLS', sslBrokers, /Disconnected: connection closed by peer.*APIVERSION_QUERY/],
    ['consumer', 'TLS', sslBrokers, /Disconnected: connection closed by peer.*APIVERSION_QUERY/],
    ['producer', 'SASL', saslBrokers, /Disconnected: connection closed by peer|Send failed: Broken pipe/],
    ['consumer', 'SASL', saslBrokers, /Disconnected: connection closed by peer|Send failed: Broken pipe/],
  ])(
    'a plaintext %s on the %s listener fails naming the closed connection and the likely cause',
    async (role, _, brokers, closed) => {
      const client = newClient(role, { brokers: brokers(), connectionTimeout: 1000, authenticationTimeout: 1000 })
      const err = await client.connect().catch((e) => e)
      expect(err).toBeInstanceOf(KafkaJSConnectionError)
      expect(err.message).toMatch(closed)
      expect(err.message).toMatch(/check that the client's security protocol \(the ssl and sasl options\) matches/)
    },
  )

  test('rejectUnauthorized: false connects without verification and logs a warning', async () => {
    const warnings = []
    const logCreator =
      () =>
      ({ level, log }) => {
        if (level === logLevel.WARN) warnings.push(log.message)
      }
    const topic = await createTopic()
    const p = new Kafka({
      brokers: sslBrokers(),
      ssl: { rejectUnauthorized: false },
      logLevel: logLevel.WARN,
      logCreator,
    }).producer()
    await p.connect()
    await p.send({ topic, messages: [{ value: 'unverified' }] })
    await p.disconnect()
    expect(warnings).toContain('ssl.rejectUnauthorized is false: broker certificates are not verified')
  })
})

describe('secrets stay out of sight', () => {
  test('a SASL password never appears in logs (DEBUG, librdkafka included), errors, inspect or JSON', async () => {
    const secret = `s3cret-${crypto.randomBytes(8).toString('hex')}`
    const seen = []
    const logCreator = () => (entry) => seen.push(JSON.stringify(entry))
    const kafka = new Kafka({
      brokers: saslBrokers(),
      sasl: { mechanism: 'scram-sha-256', username: user.username, password: secret },
      authenticationTimeout: 2000,
      logLevel: logLevel.DEBUG,
      logCreator,
    })
    const producer = kafka.producer({ retry: { retries: 1 } })
    const err = await producer.connect().catch((e) => e)
    expect(err).toBeInstanceOf(KafkaJSSASLAuthenticationError)
    seen.push(err.message, String(err.stack), util.inspect(err, { depth: 5 }))
    seen.push(
      util.inspect(producer, { depth: 10 }),
      util.inspect(kafka, { depth: 10 }),
      JSON.stringify(producer),
      JSON.stringify(kafka),
    )
    // And a failed send's error and failure report, with the producer disconnected.
    const reports = []
    const p2 = kafka.producer({ onDeliveryFailure: (r) => reports.push(r) })
    const sendErr = await p2.send({ topic: 't', messages: [{ value: 'x' }] }).catch((e) => e)
    seen.push(util.inspect(sendErr, { depth: 5 }), util.inspect(reports, { depth: 5 }))
    expect(seen.length).toBeGreaterThan(20)
    expect(seen.some((line) => /sasl|SASL/.test(line))).toBe(true)
    const leaks = seen.filter((line) => line.includes(secret))
    expect(leaks).toEqual([])
  })
})
