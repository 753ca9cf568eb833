'use strict'
/*
 * The example's settings and topic names, from the environment. Nest reads a pattern when its
 * decorator runs, so the topic names are fixed when this file is first loaded: ORDERS_TOPIC_PREFIX
 * (empty by default) lets the tests give each run its own topics.
 *
 *   KAFKA_BROKERS         comma-separated, default 127.0.0.1:19092
 *   ORDERS_TOPIC_PREFIX   prefix of every topic name below
 *   ORDERS_GROUP          consumer group base name (Nest appends '-server' / '-client'), default 'orders'
 *   ORDERS_AUTO_COMMIT    '0' runs the microservice's consumer with `run: { autoCommit: false }`: then
 *                         only the handlers' own `getConsumer().commitOffsets(...)` commit anything
 */
const prefix = process.env.ORDERS_TOPIC_PREFIX || ''

/** Request topics (@MessagePattern), event topics (@EventPattern) and the audit topic the handlers produce to. */
const TOPICS = Object.freeze({
  quote: `${prefix}orders.quote`, // request/reply: the order's total
  reject: `${prefix}orders.reject`, // request/reply: always answers with an error
  reserve: `${prefix}orders.reserve`, // request/reply: KafkaRetriableException twice, then an answer
  lines: `${prefix}orders.lines`, // request/reply answered by an Observable: one reply per order line
  created: `${prefix}orders.created`, // event: audited through the context's producer, committed by hand
  viewed: `${prefix}orders.viewed`, // event: only counted, never committed by hand (the bench's event workload)
  audit: `${prefix}orders.audit`, // written by the handlers, read by whoever checks them
})

/** Every reply topic ClientKafka listens to (Nest's `<pattern>.reply`). */
const REPLY_TOPICS = [TOPICS.quote, TOPICS.reject, TOPICS.reserve, TOPICS.lines].map((t) => `${t}.reply`)

/** Every topic the example uses, without the prefix: create them (`prefix + name`) before starting. */
const TOPIC_NAMES = [...Object.values(TOPICS), ...REPLY_TOPICS].map((t) => t.slice(prefix.length))

function brokers(env = process.env) {
  return (env.KAFKA_BROKERS || '127.0.0.1:19092').split(',')
}

/**
 * The microservice's options, as `app.connectMicroservice({ transport: Transport.KAFKA, options })` takes them.
 * With ORDERS_AUTO_COMMIT=0, `run.autoCommit` is false: a message is committed only when its handler
 * calls `context.getConsumer().commitOffsets(...)` (the `orders.created` handler does, `orders.viewed`'s not).
 */
function serverOptions(env = process.env) {
  const run = { partitionsConsumedConcurrently: 3 }
  if (env.ORDERS_AUTO_COMMIT === '0') run.autoCommit = false
  return {
    client: { clientId: 'orders', brokers: brokers(env), logLevel: 1 /* ERROR */ },
    consumer: { groupId: env.ORDERS_GROUP || 'orders', retry: { retries: 5, initialRetryTime: 100 } },
    subscribe: { fromBeginning: true },
    run,
  }
}

/** The ClientKafka's options (request/reply, so not producerOnlyMode). */
function clientOptions(env = process.env) {
  return {
    client: { clientId: 'checkout', brokers: brokers(env), logLevel: 1 /* ERROR */ },
    consumer: { groupId: env.ORDERS_GROUP || 'orders' },
    // A new group starting at 'latest' may look the end up after the first reply was written:
    // from the beginning, replies meant for nobody (old correlation ids) are skipped by Nest.
    subscribe: { fromBeginning: true },
  }
}

module.exports = { TOPICS, REPLY_TOPICS, TOPIC_NAMES, brokers, serverOptions, clientOptions }
