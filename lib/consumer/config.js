'use strict'
/*
 * kafkajs consumer options -> librdkafka consumer properties: one table, one function.
 * An option that cannot be honoured fails here, at configuration time, with the reason.
 *
 * Group protocol: librdkafka's classic group protocol with the eager `roundrobin` assignor
 * (kafkajs's default assigner is round robin and its protocol eager). `partitionAssigners` other
 * than kafkajs's RoundRobin (and Nest's reply-partition assigner, see STAND_IN) cannot run in
 * librdkafka; pass `rdkafka: { 'partition.assignment.strategy': 'cooperative-sticky' }` for
 * incremental rebalancing.
 */
const { KafkaJSNonRetriableError, KafkaJSNotImplemented } = require('../errors')
const { resolveRetry } = require('../config')
const { showJson } = require('../show')

const INT32_MAX = 2147483647

/**
 * kafkajs's `PartitionAssigners.roundRobin`, as a name only: librdkafka's `roundrobin` assignor
 * does the assigning. Calling it gives what kafkajs's factory gives, minus the assignment logic.
 */
function roundRobin() {
  return { name: 'RoundRobinAssigner', version: 0 }
}
const PartitionAssigners = Object.freeze({ roundRobin })

/**
 * Assigners librdkafka's `roundrobin` stands in for: kafkajs's RoundRobin, and the reply-partition
 * assigner @nestjs/microservices' ClientKafka installs (it hands each member the lowest partition
 * of the reply topics it had before; Nest only needs each member to own the partition it names as
 * the reply partition, which GROUP_JOIN's `memberAssignment`, this member's own partitions, gives).
 */
const STAND_IN = new Set(['RoundRobinAssigner', 'NestReplyPartitionAssigner'])

/** Whether librdkafka's round robin can stand in for `assigner` (ours, kafkajs's or Nest's factory). */
function isRoundRobin(assigner) {
  if (assigner === roundRobin) return true
  if (typeof assigner !== 'function') return false
  try {
    const a = assigner({ cluster: null, groupId: '', logger: null })
    return Boolean(a) && STAND_IN.has(a.name)
  } catch {
    return false
  }
}

function check(cond, message) {
  if (!cond) throw new KafkaJSNonRetriableError(message)
}

/**
 * Every numeric consumer option: kafkajs's default, bounds, and the librdkafka property it sets.
 * `map` turns the value into the property's value where units or meaning differ.
 */
const CONSUMER_OPTIONS = [
  { name: 'sessionTimeout', default: 30000, min: 1, prop: 'session.timeout.ms' },
  // The longest a member may take to rejoin during a rebalance. librdkafka also evicts a member
  // that does not poll for max.poll.interval.ms: at least this, and never below its default.
  { name: 'rebalanceTimeout', default: 60000, min: 1, prop: 'max.poll.interval.ms', map: (v) => Math.max(v, 300000) },
  { name: 'heartbeatInterval', default: 3000, min: 1, prop: 'heartbeat.interval.ms' },
  { name: 'metadataMaxAge', default: 300000, min: 1, prop: 'topic.metadata.refresh.interval.ms' },
  { name: 'maxBytesPerPartition', default: 1048576, min: 1, prop: 'max.partition.fetch.bytes' },
  { name: 'minBytes', default: 1, min: 1, max: 100000000, prop: 'fetch.min.bytes' },
  { name: 'maxBytes', default: 10485760, min: 1, prop: 'fetch.max.bytes' },
  // Not given: librdkafka's own 500 ms, not kafkajs's 5000. librdkafka keeps one fetch per broker
  // in flight; a seek (a retried handler, a message handed over but not handled), a resumed or a
  // newly assigned partition waits until that fetch returns, i.e. up to this long on an idle topic
  // (measured: each KafkaRetriableException retry of a Nest app and its first request took 5 s).
  { name: 'maxWaitTimeInMs', default: 5000, unset: 500, min: 0, max: 300000, prop: 'fetch.wait.max.ms' },
  { name: 'maxInFlightRequests', min: 1, max: 1000000, prop: 'max.in.flight.requests.per.connection' },
]

function resolveConsumerNumbers(config) {
  const values = {}
  const props = {}
  for (const o of CONSUMER_OPTIONS) {
    const v = config[o.name] ?? o.default
    if (v === undefined || v === null) continue
    check(
      Number.isInteger(v) && v >= o.min && v <= (o.max ?? INT32_MAX),
      `Invalid ${o.name}: expected an integer between ${o.min} and ${o.max ?? INT32_MAX}, got ${showJson(v)}`,
    )
    values[o.name] = v
    const given = config[o.name] ?? o.unset ?? v
    props[o.prop] = String(o.map ? o.map(given) : given)
  }
  return { values, props }
}

/** The Kafka client's options shared with the producer (timeouts, security, logging). */
function clientProperties(producerProps) {
  const keep = [
    'client.id',
    'socket.timeout.ms',
    'socket.connection.setup.timeout.ms',
    'reconnect.backoff.ms',
    'log_level',
    'debug',
    'security.protocol',
    'sasl.mechanisms',
    'sasl.username',
    'sasl.password',
    'ssl.ca.pem',
    'ssl.ca.location',
    'ssl.certificate.pem',
    'ssl.key.pem',
    'ssl.key.password',
    'enable.ssl.certificate.verification',
    'ssl.endpoint.identification.algorithm',
  ]
  const props = {}
  for (const k of keep) if (producerProps[k] !== undefined) props[k] = producerProps[k]
  return props
}

/**
 * kafkajs consumer options -> `{ props, values }`; `producerProps` are the client-level
 * properties already derived from the Kafka config by lib/config.js.
 */
function consumerProperties(kafkaConfig, config, producerProps, warn) {
  const { groupId } = config
  check(typeof groupId === 'string' && groupId.length > 0, 'Consumer groupId must be a non-empty string.')
  const retry = resolveRetry(kafkaConfig.retry, config.retry)
  const { values, props: numeric } = resolveConsumerNumbers(config)
  check(
    values.heartbeatInterval < values.sessionTimeout,
    `Invalid heartbeatInterval: ${values.heartbeatInterval} must be lower than sessionTimeout (${values.sessionTimeout})`,
  )
  const assigners = config.partitionAssigners
  if (assigners != null) {
    check(Array.isArray(assigners), 'Invalid partitionAssigners: expected an array')
    const custom = assigners.filter((a) => !isRoundRobin(a))
    if (custom.length > 0)
      throw new KafkaJSNotImplemented(
        'partitionAssigners: only kafkajs\'s RoundRobin assigner is available (librdkafka assigns partitions); use rdkafka: { "partition.assignment.strategy": "range" | "roundrobin" | "cooperative-sticky" } instead',
      )
  }
  if (config.readUncommitted != null)
    check(typeof config.readUncommitted === 'boolean', 'Invalid readUncommitted: expected a boolean')
  const props = {
    ...clientProperties(producerProps),
    ...numeric,
    'group.id': groupId,
    'partition.assignment.strategy': 'roundrobin',
    'enable.auto.commit': 'false',
    'enable.auto.offset.store': 'false',
    // kafkajs's default when no fromBeginning applies; lib/consumer resolves each start itself.
    'auto.offset.reset': 'latest',
    'allow.auto.create.topics': String(config.allowAutoTopicCreation ?? true),
    'isolation.level': config.readUncommitted ? 'read_uncommitted' : 'read_committed',
    'enable.partition.eof': 'false',
    // librdkafka's prefetch, sized like kafkajs's (which holds one fetch response, at most
    // maxBytes, ahead of the handlers): the fetched messages queued in the consumer are bounded
    // by maxBytes instead of librdkafka's 64 MB. And when that bound (or queued.min.messages) is
    // reached, the next fetch is looked at again after 10 ms, not librdkafka's 1 s: with its
    // default the handlers drained the queue and then waited for the backoff.
    'queued.max.messages.kbytes': String(Math.max(1, Math.ceil(values.maxBytes / 1024))),
    'fetch.queue.backoff.ms': '10',
  }
  if (config.rackId != null) {
    check(typeof config.rackId === 'string', 'Invalid rackId: expected a string')
    props['client.rack'] = config.rackId
  }
  if (config.rdkafka != null) {
    check(typeof config.rdkafka === 'object', 'Invalid rdkafka: expected an object of librdkafka properties')
    for (const [k, v] of Object.entries(config.rdkafka)) {
      if (k === 'enable.auto.commit' || k === 'enable.auto.offset.store')
        warn(`rdkafka.${k} is ignored: the consumer commits only handled messages`)
      props[k] = String(v)
    }
  }
  return { props, values, retry, groupId }
}

module.exports = { consumerProperties, CONSUMER_OPTIONS, PartitionAssigners }
