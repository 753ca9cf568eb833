'use strict'
const crypto = require('node:crypto')
const { Kafka, logLevel, KafkaJSNonRetriableError } = require('../..')
const { brokers, createTopic, readBack, referenceClient } = require('../helpers/kafka')
const { waitFor } = require('../helpers/wait')

const txnProducer = () =>
  new Kafka({ clientId: 'txn-spec', brokers: brokers(), logLevel: logLevel.NOTHING }).producer({
    transactionalId: `txn-${crypto.randomBytes(4).toString('hex')}`,
    maxInFlightRequests: 1,
    idempotent: true,
  })

describe('transactions', () => {
  let producer
  beforeAll(async () => {
    producer = txnProducer()
    await producer.connect()
  })
  afterAll(() => producer.disconnect())

  test('a read_committed consumer sees committed messages and never aborted ones', async () => {
    const topic = await createTopic()
    for (const [value, end] of [
      ['committed-1', 'commit'],
      ['aborted', 'abort'],
      ['committed-2', 'commit'],
    ]) {
      const txn = await producer.transaction()
      expect(txn.isActive()).toBe(true)
      await txn.send({ topic, messages: [{ value }] })
      await txn[end]()
      expect(txn.isActive()).toBe(false)
    }
    const got = await readBack(topic, 2)
    expect(got.map((m) => m.value.toString())).toEqual(['committed-1', 'committed-2'])
  })

  test('a commit issued in the same turn as its sends covers them', async () => {
    const topic = await createTopic()
    const txn = await producer.transaction()
    // Not awaited: the sends are still queued in JS when commit() is called.
    const sends = ['s1', 's2', 's3'].map((value) => txn.send({ topic, messages: [{ value }] }))
    await txn.commit()
    expect((await Promise.allSettled(sends)).map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled'])
    const got = await readBack(topic, 3)
    expect(got.map((m) => m.value.toString())).toEqual(['s1', 's2', 's3'])
  })

  test('sendOffsets commits the group offsets atomically with the messages', async () => {
    const source = await createTopic()
    const sink = await createTopic()
    const groupId = `txn-group-${crypto.randomBytes(4).toString('hex')}`
    const admin = referenceClient().admin()
    await admin.connect()
    try {
      const aborted = await producer.transaction()
      await aborted.send({ topic: sink, messages: [{ value: 'x' }] })
      await aborted.sendOffsets({
        consumerGroupId: groupId,
        topics: [{ topic: source, partitions: [{ partition: 0, offset: '7' }] }],
      })
      await aborted.abort()
      expect((await admin.fetchOffsets({ groupId, topics: [source] }))[0].partitions[0].offset).toBe('-1')

      const txn = await producer.transaction()
      await txn.send({ topic: sink, messages: [{ value: 'processed' }] })
      await txn.sendOffsets({
        consumerGroupId: groupId,
        topics: [{ topic: source, partitions: [{ partition: 0, offset: '42' }] }],
      })
      await txn.commit()
      // The coordinator writes the commit markers right after EndTxn returns: poll until visible.
      const committed = async () => (await admin.fetchOffsets({ groupId, topics: [source] }))[0].partitions[0].offset
      await waitFor(async () => (await committed()) === '42', {
        timeout: 20000,
        what: `the committed offset of ${groupId} on ${source} to become 42`,
      })
      expect(await committed()).toBe('42')
    } finally {
      await admin.disconnect()
    }
    expect((await readBack(sink, 1)).map((m) => m.value.toString())).toEqual(['processed'])
  })

  test('misuse gets kafkajs errors: no transactional id, concurrent transaction, use after end', async () => {
    const plain = new Kafka({ brokers: brokers(), logLevel: logLevel.NOTHING }).producer()
    await expect(plain.transaction()).rejects.toThrow('Must provide transactional id for transactional producer')

    const txn = await producer.transaction()
    const second = await producer.transaction().catch((e) => e)
    expect(second).toBeInstanceOf(KafkaJSNonRetriableError)
    expect(second.message).toBe(
      'There is already an ongoing transaction for this producer. Please end the transaction before beginning another.',
    )
    await txn.abort()
    for (const call of [
      () => txn.send({ topic: 't', messages: [{ value: 'x' }] }),
      () => txn.commit(),
      () => txn.abort(),
      () => txn.sendOffsets({ consumerGroupId: 'g', topics: [] }),
    ]) {
      await expect(call()).rejects.toThrow('Cannot continue to use transaction once ended')
    }
  })

  test('sendOffsets given hostile shapes rejects with a typed error; the transaction then commits', async () => {
    const topic = await createTopic()
    const txn = await producer.transaction()
    const bare = Object.create(null)
    for (const arg of [
      null,
      { consumerGroupId: 'g', topics: [null] },
      { consumerGroupId: 'g', topics: [{ topic: 't', partitions: [null] }] },
      { consumerGroupId: 'g', topics: [{ topic: 't', partitions: [{ partition: Symbol('p'), offset: '1' }] }] },
      { consumerGroupId: 'g', topics: [{ topic: 't', partitions: [{ partition: 0, offset: Symbol('o') }] }] },
      { consumerGroupId: 'g', topics: [{ topic: 't', partitions: [{ partition: 0, offset: bare }] }] },
    ]) {
      await expect(txn.sendOffsets(arg)).rejects.toBeInstanceOf(KafkaJSNonRetriableError)
    }
    await txn.send({ topic, messages: [{ value: 'after' }] })
    await txn.commit()
    expect((await readBack(topic, 1)).map((m) => m.value.toString())).toEqual(['after'])
  })

  test('disconnect aborts an open transaction', async () => {
    const topic = await createTopic()
    const p = txnProducer()
    await p.connect()
    const txn = await p.transaction()
    await txn.send({ topic, messages: [{ value: 'never committed' }] })
    await p.disconnect()
    expect(txn.isActive()).toBe(false)
    await expect(producer.send({ topic, messages: [{ value: 'outside' }] })).rejects.toThrow(
      'A transactional producer sends only inside a transaction: use producer.transaction() and transaction.send()',
    )
    const committed = await producer.transaction()
    await committed.send({ topic, messages: [{ value: 'later' }] })
    await committed.commit()
    expect((await readBack(topic, 1)).map((m) => m.value.toString())).toEqual(['later'])
  })
})
