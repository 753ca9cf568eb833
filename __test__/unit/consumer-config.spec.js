'use strict'
/* The consumer's option mapping and argument checks (no broker). */
const { consumerProperties, PartitionAssigners } = require('../../lib/consumer/config')
const { producerProperties } = require('../../lib/config')
const { logLevel } = require('../../lib/logger')
const {
  validateCommits,
  validateOffsetsToCommit,
  validateResolvedOffset,
  validateRun,
  validateSeek,
  validateTopics,
  validateTopicPartitions,
} = require('../../lib/consumer/validate')
const { KafkaJSNonRetriableError } = require('../../lib/errors')
const kafkajs = require('kafkajs')

const map = (config, kafka = {}) => consumerProperties(kafka, config, { 'client.id': 'x' }, () => {})

describe('consumer options -> librdkafka properties', () => {
  test("kafkajs's defaults, and commits left to the consumer", () => {
    const { props } = map({ groupId: 'g' })
    expect(props).toMatchObject({
      'group.id': 'g',
      'client.id': 'x',
      'session.timeout.ms': '30000',
      'max.poll.interval.ms': '300000',
      'heartbeat.interval.ms': '3000',
      'max.partition.fetch.bytes': '1048576',
      'fetch.min.bytes': '1',
      'fetch.max.bytes': '10485760',
      // Not kafkajs's 5000: librdkafka's own 500 unless maxWaitTimeInMs is given (see the table).
      'fetch.wait.max.ms': '500',
      'partition.assignment.strategy': 'roundrobin',
      'enable.auto.commit': 'false',
      'enable.auto.offset.store': 'false',
      'allow.auto.create.topics': 'true',
      'isolation.level': 'read_committed',
      // The prefetch bounded like kafkajs's one fetch (maxBytes), re-checked every 10 ms.
      'queued.max.messages.kbytes': '10240',
      'fetch.queue.backoff.ms': '10',
    })
  })

  test('every option maps to its property', () => {
    const { props } = map({
      groupId: 'g',
      sessionTimeout: 10000,
      rebalanceTimeout: 400000,
      heartbeatInterval: 1000,
      maxBytesPerPartition: 2048,
      minBytes: 10,
      maxBytes: 4096,
      maxWaitTimeInMs: 250,
      allowAutoTopicCreation: false,
      readUncommitted: true,
      maxInFlightRequests: 3,
      rackId: 'rack-a',
    })
    expect(props).toMatchObject({
      'session.timeout.ms': '10000',
      'max.poll.interval.ms': '400000',
      'heartbeat.interval.ms': '1000',
      'max.partition.fetch.bytes': '2048',
      'fetch.min.bytes': '10',
      'fetch.max.bytes': '4096',
      'queued.max.messages.kbytes': '4',
      'fetch.wait.max.ms': '250',
      'allow.auto.create.topics': 'false',
      'isolation.level': 'read_uncommitted',
      'max.in.flight.requests.per.connection': '3',
      'client.rack': 'rack-a',
    })
  })

  test('throws an error if the groupId is missing, as kafkajs does', () => {
    expect(() => map({})).toThrow(new kafkajs.KafkaJSNonRetriableError('Consumer groupId must be a non-empty string.'))
    expect(() => map({ groupId: '' })).toThrow('Consumer groupId must be a non-empty string.')
  })

  test('refuses invalid numbers and a heartbeat not below the session timeout', () => {
    expect(() => map({ groupId: 'g', sessionTimeout: -1 })).toThrow('Invalid sessionTimeout')
    expect(() => map({ groupId: 'g', maxWaitTimeInMs: 'x' })).toThrow('Invalid maxWaitTimeInMs')
    // A BigInt has no JSON form: the message shows it as text (JSON.stringify threw a TypeError here).
    expect(() => map({ groupId: 'g', sessionTimeout: 10n })).toThrow(
      new KafkaJSNonRetriableError('Invalid sessionTimeout: expected an integer between 1 and 2147483647, got 10'),
    )
    expect(() => map({ groupId: 'g', sessionTimeout: 3000, heartbeatInterval: 3000 })).toThrow(
      'Invalid heartbeatInterval',
    )
  })

  test("maxWaitTimeInMs given, even as kafkajs's 5000, is the fetch wait as is", () => {
    expect(map({ groupId: 'g', maxWaitTimeInMs: 5000 }).props['fetch.wait.max.ms']).toBe('5000')
    expect(map({ groupId: 'g' }).values.maxWaitTimeInMs).toBe(5000)
  })

  test("accepts kafkajs's round-robin assigner (ours or kafkajs's) and refuses any other", () => {
    expect(() => map({ groupId: 'g', partitionAssigners: [PartitionAssigners.roundRobin] })).not.toThrow()
    expect(() => map({ groupId: 'g', partitionAssigners: [kafkajs.PartitionAssigners.roundRobin] })).not.toThrow()
    expect(() => map({ groupId: 'g', partitionAssigners: [() => ({ name: 'Mine' })] })).toThrow(
      /only kafkajs's RoundRobin assigner/,
    )
  })

  test("accepts Nest's reply-partition assigner (ClientKafka's): librdkafka's roundrobin assigns instead", () => {
    require('reflect-metadata')
    const { KafkaReplyPartitionAssigner } = require('@nestjs/microservices/helpers/kafka-reply-partition-assigner')
    const clientKafka = { getConsumerAssignments: () => ({}) }
    const nest = (config) => new KafkaReplyPartitionAssigner(clientKafka, config)
    const { props } = map({ groupId: 'g', partitionAssigners: [nest] })
    expect(props['partition.assignment.strategy']).toBe('roundrobin')
    expect(() => map({ groupId: 'g', partitionAssigners: [nest, () => ({ name: 'Mine' })] })).toThrow(
      /only kafkajs's RoundRobin assigner/,
    )
  })

  test("the client's connection settings come from the Kafka config; rdkafka overrides them", () => {
    const kafka = { brokers: ['b:1'], connectionTimeout: 2000 }
    const shared = producerProperties(kafka, {}, { warn: () => {}, level: logLevel.INFO }).props
    const { props } = consumerProperties(kafka, { groupId: 'g' }, shared, () => {})
    // librdkafka's 100 ms made every connect() wait about 50 ms for its first cluster connection.
    expect(props['reconnect.backoff.ms']).toBe('20')
    expect(props['socket.connection.setup.timeout.ms']).toBe('12000')
    const own = consumerProperties(kafka, { groupId: 'g', rdkafka: { 'reconnect.backoff.ms': 250 } }, shared, () => {})
    expect(own.props['reconnect.backoff.ms']).toBe('250')
  })

  test('rdkafka properties apply last, but never turn on auto commit', () => {
    const warnings = []
    const { props } = consumerProperties(
      {},
      { groupId: 'g', rdkafka: { 'partition.assignment.strategy': 'cooperative-sticky', 'enable.auto.commit': true } },
      {},
      (m) => warnings.push(m),
    )
    expect(props['partition.assignment.strategy']).toBe('cooperative-sticky')
    expect(warnings).toEqual(['rdkafka.enable.auto.commit is ignored: the consumer commits only handled messages'])
  })
})

describe("consumer arguments, checked with kafkajs's messages", () => {
  test('subscribe', () => {
    expect(() => validateTopics({})).toThrow('Missing required argument "topics"')
    expect(() => validateTopics({ topics: 'a' })).toThrow('Argument "topics" must be an array')
    expect(() => validateTopics({ topics: [1] })).toThrow(
      'Invalid topic 1 (number), the topic name has to be a String or a RegExp',
    )
    expect(validateTopics({ topics: ['a', /b/], fromBeginning: true })).toEqual({
      topics: ['a', /b/],
      fromBeginning: true,
    })
  })

  test('run defaults', () => {
    const handler = async () => {}
    expect(validateRun({ eachMessage: handler })).toEqual({
      autoCommit: true,
      autoCommitInterval: null,
      autoCommitThreshold: null,
      eachBatchAutoResolve: true,
      partitionsConsumedConcurrently: 1,
      eachBatch: null,
      eachMessage: handler,
    })
    expect(() => validateRun({})).toThrow('Consumer#run requires an eachMessage or an eachBatch function')
  })

  test('seek', () => {
    expect(() => validateSeek({ partition: 0, offset: '1' })).toThrow('Invalid topic undefined')
    expect(() => validateSeek({ topic: 't', partition: 'x', offset: '1' })).toThrow(
      'Invalid partition, expected a number received x',
    )
    expect(() => validateSeek({ topic: 't', partition: 0, offset: 'abc' })).toThrow(
      'Invalid offset, expected a long received abc',
    )
    expect(() => validateSeek({ topic: 't', partition: 0, offset: '-5' })).toThrow(
      'Offset must not be a negative number',
    )
    expect(validateSeek({ topic: 't', partition: 0, offset: '-2' })).toEqual({ topic: 't', partition: 0, offset: '-2' })
  })

  test('pause and resume', () => {
    expect(() => validateTopicPartitions([{}])).toThrow('Invalid topic [object Object]')
    expect(() => validateTopicPartitions([{ topic: 't', partitions: 'x' }], 'resume')).toThrow(
      'Array of valid partitions required to resume specific partitions instead of x',
    )
    expect(validateTopicPartitions([{ topic: 't' }, { topic: 'u', partitions: [1] }])).toEqual([
      { topic: 't', partitions: null },
      { topic: 'u', partitions: [1] },
    ])
  })

  // kafkajs builds its messages with template literals and iterates what it is given, so these
  // throw a TypeError there (Symbol to string, object without a prototype, a non-iterable).
  test('exotic values and non-arrays get the typed error, never a TypeError', () => {
    const bare = Object.create(null)
    const cases = [
      () => validateTopics({ topics: [Symbol('t')] }),
      () => validateTopics({ topic: bare }),
      () => validateRun({ eachMessage: async () => {}, partitionsConsumedConcurrently: Symbol('n') }),
      () => validateRun({ eachMessage: async () => {}, partitionsConsumedConcurrently: bare }),
      () => validateRun({ eachMessage: async () => {}, autoCommitInterval: Symbol('n') }),
      () => validateSeek({ topic: 't', partition: Symbol('p'), offset: '1' }),
      () => validateSeek({ topic: 't', partition: bare, offset: '1' }),
      () => validateSeek({ topic: 't', partition: 0, offset: Symbol('o') }),
      () => validateCommits(null),
      () => validateCommits(-1),
      () => validateCommits({}),
      () => validateCommits([null]),
      () => validateCommits([{ topic: 't', partition: Symbol('p'), offset: '1' }]),
      () => validateCommits([{ topic: 't', partition: 0, offset: '1', metadata: bare }]),
      () => validateTopicPartitions(null),
      () => validateTopicPartitions({ topic: 't' }),
      () => validateTopicPartitions([{ topic: 't' }, bare]),
      () => validateTopicPartitions([{ topic: Symbol('t') }]),
      () => validateSeek({ topic: 5, partition: 0, offset: '1' }),
      () => validateCommits([{ topic: ['t'], partition: 0, offset: '1' }]),
      () => validateTopicPartitions([{ topic: 't', partitions: [Symbol('p')] }]),
    ]
    for (const call of cases) expect(call).toThrow(KafkaJSNonRetriableError)
    expect(() => validateCommits({})).toThrow('Invalid offsets to commit: expected an array, received [object Object]')
    expect(() => validateSeek({ topic: 't', partition: Symbol('p'), offset: '1' })).toThrow(
      'Invalid partition, expected a number received Symbol(p)',
    )
    expect(validateTopicPartitions()).toEqual([])
  })

  test("eachBatch's resolveOffset and commitOffsetsIfNecessary(offsets): offsets only", () => {
    expect(validateResolvedOffset('12')).toBe(12)
    expect(validateResolvedOffset(12)).toBe(12)
    expect(validateResolvedOffset(12n)).toBe(12)
    for (const bad of [
      '',
      '1e3',
      '0x10',
      ' 1',
      '-1',
      -1,
      1.5,
      Number.NaN,
      2 ** 53,
      '99999999999999999',
      null,
      {},
      Symbol('o'),
    ])
      expect(() => validateResolvedOffset(bad)).toThrow(KafkaJSNonRetriableError)
    expect(validateOffsetsToCommit({ topics: [{ topic: 't', partitions: [{ partition: '1', offset: 5 }] }] })).toEqual({
      topics: [{ topic: 't', partitions: [{ partition: 1, offset: '5' }] }],
    })
    for (const bad of [[], { topics: {} }, { topics: [null] }, { topics: [{ topic: 't', partitions: [null] }] }])
      expect(() => validateOffsetsToCommit(bad)).toThrow(KafkaJSNonRetriableError)
    expect(() =>
      validateOffsetsToCommit({ topics: [{ topic: 't', partitions: [{ partition: 0, offset: '-3' }] }] }),
    ).toThrow('Offset must not be a negative number')
  })
})
