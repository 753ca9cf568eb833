'use strict'
/*
 * A commit while the group's coordinator does not answer (librdkafka's mock cluster, its one
 * broker answering after 10 minutes). librdkafka's synchronous commit waits for the answer
 * without a bound; the consumer bounds its commits by rebalanceTimeout, so a commit fails
 * (retriable, the offsets stay stored) instead of holding the run loop, or, inside a rebalance,
 * the whole group. Seen failing before the bound: commitOffsets never settled.
 */
const { Kafka, MockCluster, logLevel, KafkaJSRequestTimeoutError } = require('../..')
const { waitFor } = require('../helpers/wait')

let mock
beforeEach(() => {
  mock = new MockCluster({ brokers: 1 })
})
afterEach(() => mock.close())

test('commitOffsets while the coordinator does not answer fails with a retriable timeout after rebalanceTimeout', async () => {
  mock.createTopic('t')
  const kafka = new Kafka({ brokers: mock.brokers, logLevel: logLevel.NOTHING, requestTimeout: 300000 })
  const producer = kafka.producer()
  await producer.connect()
  await producer.send({ topic: 't', messages: [{ value: 'a' }, { value: 'b' }, { value: 'c' }] })
  await producer.disconnect()

  const consumer = kafka.consumer({ groupId: 'g', rebalanceTimeout: 2000, sessionTimeout: 60000 })
  await consumer.connect()
  await consumer.subscribe({ topic: 't', fromBeginning: true })
  const seen = []
  await consumer.run({ autoCommit: false, eachMessage: async ({ message }) => seen.push(message.value.toString()) })
  try {
    await waitFor(() => seen.length === 3, { what: 'the 3 messages', timeout: 30000 })
    mock.roundTripTime(1, 600000)
    const err = await consumer.commitOffsets([{ topic: 't', partition: 0, offset: '3' }]).catch((e) => e)
    expect(err).toBeInstanceOf(KafkaJSRequestTimeoutError)
    expect(err.retriable).toBe(true)
  } finally {
    // Drop the slow connections (their requests fail), so that disconnect has a broker again.
    mock.roundTripTime(1, 0)
    mock.brokerDown(1)
    mock.brokerUp(1)
    await consumer.disconnect()
  }
  expect(seen).toEqual(['a', 'b', 'c'])
}, 60000)
