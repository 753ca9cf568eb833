'use strict'
/*
 * kafkajs options -> librdkafka properties: one function per scope, one table each.
 * An option that cannot be honoured fails here, at configuration time, with the reason.
 *
 * Retries. kafkajs retries each request up to `retries` times with a randomised exponential
 * backoff (initialRetryTime, x multiplier, +-factor, capped at maxRetryTime). librdkafka retries
 * failed produce requests itself, only for retriable errors, with
 * `retry.backoff.ms * 2^(n-1) * U[0.8, 1.2]` capped at `retry.backoff.max.ms`: the same shape for
 * kafkajs's defaults (multiplier 2, factor 0.2). Other multipliers or factors are not available
 * in librdkafka; the producer logs a warning and keeps librdkafka's.
 * On top of that every message has a finite delivery deadline (`message.timeout.ms`):
 * `deliveryTimeout` if given, else the send `timeout` plus the sum of the backoff delays
 * kafkajs would wait for `retries` retries. A message that is not acknowledged by then fails.
 */
const { KafkaJSNonRetriableError, KafkaJSNotImplemented } = require('./errors')
const { logLevel } = require('./logger')
const { showJson } = require('./show')

const RETRY_DEFAULTS = { maxRetryTime: 30000, initialRetryTime: 300, factor: 0.2, multiplier: 2, retries: 5 }
const COMPRESSION_CODECS = { 0: 'none', 1: 'gzip', 2: 'snappy', 3: 'lz4', 4: 'zstd' }
const INT32_MAX = 2147483647

function isInt(n) {
  return typeof n === 'number' && Number.isInteger(n)
}

function check(cond, message) {
  if (!cond) throw new KafkaJSNonRetriableError(message)
}

function positiveInt(name, v, { min = 0, max = INT32_MAX } = {}) {
  check(
    isInt(v) && v >= min && v <= max,
    `Invalid ${name}: expected an integer between ${min} and ${max}, got ${showJson(v)}`,
  )
  return v
}

/**
 * Every numeric option, in one place: its scope (the Kafka client's config or the producer's),
 * default (undefined: only set when given), bounds, and the librdkafka property it sets, if any.
 * `resolveNumbers` validates them all and returns the resolved values by name.
 */
const NUMERIC_OPTIONS = [
  { name: 'connectionTimeout', scope: 'kafka', default: 1000, min: 1 },
  { name: 'authenticationTimeout', scope: 'kafka', default: 10000, min: 1 },
  { name: 'requestTimeout', scope: 'kafka', default: 30000, min: 10, prop: 'socket.timeout.ms' },
  { name: 'metadataMaxAge', scope: 'producer', default: 300000, min: 1, prop: 'topic.metadata.refresh.interval.ms' },
  // kafkajs sends at once; librdkafka's own 5 ms linger would add latency to every awaited send.
  { name: 'lingerMs', scope: 'producer', default: 0, min: 0, max: 900000, prop: 'linger.ms' },
  // Java's default and the idempotent maximum (kafkajs: no limit; librdkafka: 1,000,000).
  // librdkafka sends one produce request per partition as soon as the connection may carry one;
  // with a few in flight, what arrives meanwhile waits in the partition's queue and leaves as one
  // bigger request: fewer, larger requests for the broker. A single awaited send is unaffected.
  // null (kafkajs's "no limit") takes this default too; 1000000 is librdkafka's unlimited.
  {
    name: 'maxInFlightRequests',
    scope: 'producer',
    default: 5,
    min: 1,
    max: 1000000,
    prop: 'max.in.flight.requests.per.connection',
  },
  { name: 'batchSize', scope: 'producer', min: 1, prop: 'batch.size' },
  { name: 'batchNumMessages', scope: 'producer', min: 1, prop: 'batch.num.messages' },
  { name: 'queueBufferingMaxMessages', scope: 'producer', min: 1, prop: 'queue.buffering.max.messages' },
  { name: 'queueBufferingMaxKbytes', scope: 'producer', min: 1, prop: 'queue.buffering.max.kbytes' },
  // Only for a transactional producer (default 60000 there): see producerProperties.
  { name: 'transactionTimeout', scope: 'producer', min: 1000 },
  // A message's delivery deadline; default: the send timeout plus the retries' backoff.
  { name: 'deliveryTimeout', scope: 'producer', min: 1 },
  // Like the Java client's max.block.ms: how long a send waits for room; default: the delivery timeout.
  { name: 'maxBlockMs', scope: 'producer', min: 0 },
  // Bytes of sends the native enqueue path may hold before further sends wait (producer/admission.js).
  { name: 'maxEnqueueBytes', scope: 'producer', default: 64 * 1024 * 1024, min: 1 },
  { name: 'disconnectTimeout', scope: 'producer', default: 30000, min: 0 },
  // How long a failure waits for the failure log to confirm its record before it is reported anyway.
  { name: 'failureLogTimeout', scope: 'producer', default: 10000, min: 1 },
  // Nice increment of librdkafka's threads (Linux): on saturated cores the event loop goes first.
  { name: 'ioThreadNice', scope: 'producer', default: 10, min: 0, max: 19 },
]

/** Validates every numeric option of NUMERIC_OPTIONS; `{ values, props }` by name / property. */
function resolveNumbers(kafkaConfig, producerConfig) {
  const values = {}
  const props = {}
  for (const o of NUMERIC_OPTIONS) {
    const given = (o.scope === 'kafka' ? kafkaConfig : producerConfig)[o.name]
    const v = given ?? o.default
    if (v === undefined) continue
    values[o.name] = positiveInt(o.name, v, { min: o.min, max: o.max })
    if (o.prop) props[o.prop] = String(v)
  }
  return { values, props }
}

/** Resolves and checks kafkajs's retry options; refuses anything that could retry forever. */
function resolveRetry(...layers) {
  const retry = Object.assign({}, RETRY_DEFAULTS, ...layers.filter(Boolean))
  check(
    typeof retry.retries === 'number' && !Number.isNaN(retry.retries),
    `Invalid retry.retries: ${showJson(retry.retries)}`,
  )
  check(
    Number.isFinite(retry.retries),
    'Invalid retry.retries: Infinity would retry forever; give a finite number (librdkafka allows up to 2147483647, always bounded by the delivery timeout)',
  )
  check(retry.retries >= 0, `Invalid retry.retries: ${retry.retries} (must be >= 0)`)
  retry.retries = Math.min(Math.floor(retry.retries), INT32_MAX)
  positiveInt('retry.initialRetryTime', retry.initialRetryTime, { min: 1, max: 300000 })
  check(
    Number.isFinite(retry.maxRetryTime) && retry.maxRetryTime >= 1,
    `Invalid retry.maxRetryTime: ${showJson(retry.maxRetryTime)}`,
  )
  return retry
}

/** The sum of the backoff delays kafkajs would wait over `retries` retries, without jitter. */
function backoffBudget(retry) {
  let total = 0
  let t = retry.initialRetryTime
  const cap = Math.min(retry.maxRetryTime, 300000)
  for (let i = 0; i < Math.min(retry.retries, 64); i++) {
    total += Math.min(t, cap)
    t = Math.min(t * retry.multiplier, cap)
  }
  return total
}

function brokerListOf(brokers) {
  check(
    Array.isArray(brokers) && brokers.length > 0,
    `Failed to connect: brokers must be a non-empty array of "host:port" strings, got ${showJson(brokers)}`,
  )
  for (const b of brokers) {
    check(
      typeof b === 'string' && b.length > 0,
      `Failed to connect: brokers must be a non-empty array of "host:port" strings, got ${showJson(brokers)}`,
    )
  }
  return brokers.join(',')
}

function pem(v, name) {
  if (v === undefined || v === null) return undefined
  if (Array.isArray(v)) return v.map((x) => pem(x, name)).join('\n')
  if (Buffer.isBuffer(v)) return v.toString('utf8')
  if (typeof v === 'string') return v
  if (typeof v === 'object' && v.pem) return pem(v.pem, name)
  throw new KafkaJSNonRetriableError(`Invalid ssl.${name}: expected a PEM string or Buffer (or an array of them)`)
}

/** `ssl` and `sasl` (kafkajs shapes) -> librdkafka security properties. */
function securityProperties(kafkaConfig, warn) {
  const { ssl, sasl } = kafkaConfig
  const props = {}
  const useSsl = ssl === true || (ssl && typeof ssl === 'object')
  if (ssl !== undefined && ssl !== false && ssl !== null && !useSsl) {
    throw new KafkaJSNonRetriableError(
      `Invalid ssl: expected true or a tls.ConnectionOptions object, got ${showJson(ssl)}`,
    )
  }
  if (useSsl && typeof ssl === 'object') {
    const ca = pem(ssl.ca, 'ca')
    if (ca) props['ssl.ca.pem'] = ca
    else props['ssl.ca.location'] = 'probe'
    const cert = pem(ssl.cert, 'cert')
    if (cert) props['ssl.certificate.pem'] = cert
    const key = pem(ssl.key, 'key')
    if (key) props['ssl.key.pem'] = key
    if (ssl.passphrase) props['ssl.key.password'] = String(ssl.passphrase)
    if (ssl.rejectUnauthorized === false) {
      props['enable.ssl.certificate.verification'] = 'false'
      props['ssl.endpoint.identification.algorithm'] = 'none'
      warn('ssl.rejectUnauthorized is false: broker certificates are not verified')
    }
    if (ssl.servername) warn('ssl.servername is ignored: librdkafka sends the broker host name as SNI')
    if (ssl.checkServerIdentity)
      throw new KafkaJSNotImplemented(
        'ssl.checkServerIdentity is not supported: librdkafka verifies the broker hostname itself (ssl.endpoint.identification.algorithm=https)',
      )
  } else if (useSsl) {
    props['ssl.ca.location'] = 'probe'
  }
  if (sasl) {
    check(typeof sasl === 'object' && typeof sasl.mechanism === 'string', 'Invalid sasl: expected { mechanism, ... }')
    const mechanism = sasl.mechanism.toUpperCase()
    if (sasl.authenticationProvider) {
      throw new KafkaJSNotImplemented(
        `SASL mechanism ${mechanism} with a custom authenticationProvider is not supported by kafka-napi: librdkafka implements SASL itself (PLAIN, SCRAM-SHA-256, SCRAM-SHA-512, OAUTHBEARER)`,
      )
    }
    switch (mechanism) {
      case 'PLAIN':
      case 'SCRAM-SHA-256':
      case 'SCRAM-SHA-512':
        check(typeof sasl.username === 'string', `Invalid sasl: ${sasl.mechanism} needs a username string`)
        check(typeof sasl.password === 'string', `Invalid sasl: ${sasl.mechanism} needs a password string`)
        props['sasl.mechanisms'] = mechanism
        props['sasl.username'] = sasl.username
        props['sasl.password'] = sasl.password
        break
      case 'AWS':
        throw new KafkaJSNotImplemented(
          'SASL mechanism AWS (IAM) is not supported by kafka-napi: librdkafka has no AWS mechanism. Use OAUTHBEARER with an MSK IAM token provider instead.',
        )
      case 'OAUTHBEARER':
        check(
          typeof sasl.oauthBearerProvider === 'function',
          'Invalid sasl: OAUTHBEARER needs an oauthBearerProvider function returning { value }',
        )
        props['sasl.mechanisms'] = 'OAUTHBEARER'
        break
      default:
        throw new KafkaJSNotImplemented(
          `SASL mechanism ${mechanism} is not supported (PLAIN, SCRAM-SHA-256, SCRAM-SHA-512, OAUTHBEARER)`,
        )
    }
  }
  props['security.protocol'] = (sasl ? 'sasl_' : '') + (useSsl ? 'ssl' : 'plaintext')
  return props
}

const LIBRDKAFKA_LOG_LEVEL = {
  [logLevel.NOTHING]: 0,
  [logLevel.ERROR]: 3,
  [logLevel.WARN]: 4,
  [logLevel.INFO]: 6,
  [logLevel.DEBUG]: 7,
}

/**
 * The one mapping: kafkajs client + producer options -> shared librdkafka properties, plus the
 * values the JS layer needs (retry, timeouts). Throws on invalid or unsupported options.
 */
function producerProperties(kafkaConfig, producerConfig, { warn, level }) {
  const retry = resolveRetry(kafkaConfig.retry, producerConfig.retry)
  if (retry.multiplier !== 2 || retry.factor !== 0.2) {
    warn(
      `retry.multiplier ${retry.multiplier} / retry.factor ${retry.factor}: librdkafka backs off with multiplier 2 and jitter 0.2; those are used`,
    )
  }
  // librdkafka makes a transactional producer idempotent; say so in isIdempotent() too.
  const idempotent = Boolean(producerConfig.idempotent || producerConfig.transactionalId)
  if (idempotent && retry.retries < 1) {
    throw new KafkaJSNonRetriableError('Idempotent producer must allow retries to protect against transient errors')
  }
  const { values: n, props: numericProps } = resolveNumbers(kafkaConfig, producerConfig)
  const { connectionTimeout, authenticationTimeout, requestTimeout, metadataMaxAge } = n
  if (kafkaConfig.socketFactory)
    throw new KafkaJSNotImplemented('socketFactory is not supported: librdkafka opens its own sockets')

  const props = {
    'client.id': kafkaConfig.clientId ?? 'kafkajs',
    // kafkajs's default partitioner is Java-compatible murmur2; librdkafka computes the same hash.
    partitioner: 'murmur2_random',
    'socket.connection.setup.timeout.ms': String(Math.max(1000, connectionTimeout + authenticationTimeout)),
    // librdkafka (2.10 on) drops the bootstrap brokers once the metadata names the cluster's own,
    // and connects to one of those no sooner than reconnect.backoff.ms / 2 after its bootstrap
    // connect: with its default of 100, `connect()` of a producer or a consumer took about 54 ms on
    // a local broker, all of it that wait. At 20 the wait is librdkafka's floor (11 ms); a lost
    // connection is still retried with an exponential backoff up to reconnect.backoff.max.ms (10 s).
    'reconnect.backoff.ms': '20',
    'allow.auto.create.topics': String(producerConfig.allowAutoTopicCreation ?? true),
    'enable.idempotence': String(idempotent),
    retries: String(retry.retries),
    'retry.backoff.ms': String(retry.initialRetryTime),
    'retry.backoff.max.ms': String(Math.max(retry.initialRetryTime, Math.min(retry.maxRetryTime, 300000))),
    // At least INFO, whatever the logLevel: librdkafka reports a connection the broker closed (a
    // plaintext client on a TLS or SASL listener) in an INFO line only, and a failed connect names
    // it (ClientEvents). The logger still drops every line below the logLevel.
    log_level: String(Math.max(LIBRDKAFKA_LOG_LEVEL[level] ?? 6, 6)),
    // Values of 512 bytes and more go into ProduceRequests by reference, not copied into each
    // request's buffer (librdkafka's default copies up to 64 KB). Batched sends already hand
    // librdkafka their values without a copy (src/producer/batch.rs), so librdkafka copies such a
    // value nowhere; W3 alone at 1 KB peaked about 6 MB lower, at the same msg/s and CPU. Smaller
    // values stay copied: an iovec and a buffer segment each would cost more than the copy.
    'message.copy.max.bytes': '511',
    ...numericProps,
    ...securityProperties(kafkaConfig, warn),
  }
  if (level >= logLevel.DEBUG) props.debug = 'broker,topic,msg'
  if (idempotent && n.maxInFlightRequests > 5)
    throw new KafkaJSNonRetriableError('maxInFlightRequests must be at most 5 for an idempotent producer')
  let transactionTimeout
  if (producerConfig.transactionalId != null) {
    check(
      typeof producerConfig.transactionalId === 'string' && producerConfig.transactionalId.length > 0,
      'Invalid transactionalId: expected a non-empty string',
    )
    transactionTimeout = n.transactionTimeout ?? 60000
    props['transactional.id'] = producerConfig.transactionalId
    props['transaction.timeout.ms'] = String(transactionTimeout)
  }
  if (producerConfig.rdkafka != null) {
    check(typeof producerConfig.rdkafka === 'object', 'Invalid rdkafka: expected an object of librdkafka properties')
    for (const [k, v] of Object.entries(producerConfig.rdkafka)) props[k] = String(v)
  }
  const { failureLog, onDeliveryFailure } = producerConfig
  check(
    failureLog == null || (typeof failureLog === 'object' && typeof failureLog.record === 'function'),
    'Invalid failureLog: expected an object with a record(report) method (e.g. a FailureLog)',
  )
  check(
    onDeliveryFailure == null || typeof onDeliveryFailure === 'function',
    'Invalid onDeliveryFailure: expected a function',
  )
  return {
    props,
    retry,
    idempotent,
    connectionTimeout,
    authenticationTimeout,
    requestTimeout,
    metadataMaxAge,
    deliveryTimeout: n.deliveryTimeout,
    maxBlockMs: n.maxBlockMs,
    transactionTimeout,
    disconnectTimeout: n.disconnectTimeout,
    failureLogTimeout: n.failureLogTimeout,
    maxEnqueueBytes: n.maxEnqueueBytes,
    ioThreadNice: n.ioThreadNice,
    backoff: backoffBudget(retry),
  }
}

/** Per-send options (acks, timeout, compression) -> the overrides of a send profile. */
function profileProperties({ acks, timeout, compression }, shared) {
  check(acks === -1 || acks === 0 || acks === 1, `Invalid acks: ${showJson(acks)} (use -1, 0 or 1)`)
  positiveInt('timeout', timeout, { min: 1 })
  const codec = COMPRESSION_CODECS[compression]
  if (codec === undefined) {
    throw new KafkaJSNotImplemented(
      `Compression codec ${showJson(compression)} is not implemented (use CompressionTypes.None, GZIP, Snappy, LZ4 or ZSTD)`,
    )
  }
  let deliveryTimeout = shared.deliveryTimeout ?? timeout + shared.backoff
  if (shared.transactionTimeout) deliveryTimeout = Math.min(deliveryTimeout, shared.transactionTimeout)
  deliveryTimeout = Math.min(deliveryTimeout, INT32_MAX)
  return {
    overrides: {
      'request.required.acks': String(acks),
      'request.timeout.ms': String(Math.min(timeout, 900000)),
      'compression.codec': codec,
      'message.timeout.ms': String(deliveryTimeout),
    },
    deliveryTimeout,
    enqueueTimeout: shared.maxBlockMs ?? deliveryTimeout,
  }
}

module.exports = {
  NUMERIC_OPTIONS,
  producerProperties,
  profileProperties,
  resolveRetry,
  backoffBudget,
  brokerListOf,
  RETRY_DEFAULTS,
  COMPRESSION_CODECS,
}
