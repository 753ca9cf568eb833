'use strict'
/*
 * subscribe's missing topics (lib/consumer/topics.js) when the broker does not create them. The
 * test bed's brokers all create topics on request (auto.create.topics.enable is a read-only broker
 * setting), so this path runs here against a stand-in for NativeConsumer.topicState; the path
 * where the broker creates the topic is proven on the real broker in consumer-basic.spec.js.
 */
const { ensureTopics } = require('../../lib/consumer/topics')
const { KafkaJSProtocolError, KafkaJSTimeout } = require('../../lib/errors')

/** A topicState that answers each topic with the states listed for it, the last one repeated. */
function nativeAnswering(byTopic) {
  const asked = []
  return {
    asked,
    topicState: async (name) => {
      asked.push(name)
      const states = byTopic[name]
      return states.length > 1 ? states.shift() : states[0]
    },
  }
}

const led = { error: 0, partitions: 3, leaders: 3 }

test('waits while a new topic is being created (no leader yet), and resolves once every partition has one', async () => {
  const native = nativeAnswering({
    a: [{ error: 5, partitions: 0, leaders: 0 }, { error: 0, partitions: 3, leaders: 1 }, led],
    b: [led],
  })
  await ensureTopics(native, ['a', 'b'], 5000)
  expect(native.asked).toEqual(['a', 'b', 'a', 'a'])
})

test('a topic the broker does not create rejects with UNKNOWN_TOPIC_OR_PARTITION naming it, after the timeout', async () => {
  const native = nativeAnswering({ a: [led], missing: [{ error: 3, partitions: 0, leaders: 0 }] })
  const e = await ensureTopics(native, ['a', 'missing'], 300).catch((x) => x)
  expect(e).toBeInstanceOf(KafkaJSProtocolError)
  expect(e).toMatchObject({ type: 'UNKNOWN_TOPIC_OR_PARTITION', code: 3, retriable: true })
  expect(e.message).toMatch(/"missing" does not exist and the broker did not create it/)
  expect(e.message).not.toMatch(/"a"/)
})

test("a failed metadata request rejects with the native error's kafkajs class", async () => {
  const native = {
    topicState: async () => {
      throw new Error(JSON.stringify({ kind: 'timeout', message: 'metadata request timed out' }))
    },
  }
  const e = await ensureTopics(native, ['a'], 300).catch((x) => x)
  expect(e).toBeInstanceOf(KafkaJSTimeout)
  expect(e.message).toBe('metadata request timed out')
})

test.each([
  [17, 'INVALID_TOPIC_EXCEPTION'],
  [29, 'TOPIC_AUTHORIZATION_FAILED'],
])('a topic the broker refuses for good (%i %s) rejects at its first answer, naming it', async (code, type) => {
  const native = nativeAnswering({ a: [led], 'bad name': [{ error: code, partitions: 0, leaders: 0 }] })
  const e = await ensureTopics(native, ['a', 'bad name'], 60000).catch((x) => x)
  expect(e).toBeInstanceOf(KafkaJSProtocolError)
  expect(e).toMatchObject({ type, code, retriable: false })
  expect(e.message).toMatch(/: topic "bad name"$/)
  expect(native.asked).toEqual(['a', 'bad name'])
})
