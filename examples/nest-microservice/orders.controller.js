'use strict'
/*
 * The microservice's handlers (ServerKafka): three request/reply patterns and one event, each
 * using the KafkaContext it is given. `OrdersLog` keeps what they saw, for the tests and the bench.
 */
const { Controller, Inject, Injectable } = require('@nestjs/common')
const {
  Ctx,
  EventPattern,
  KafkaRetriableException,
  MessagePattern,
  Payload,
  RpcException,
} = require('@nestjs/microservices')
const { from } = require('rxjs')
const { TOPICS } = require('./config')

/** What the handlers saw, in order. */
class OrdersLog {
  constructor() {
    this.handled = [] // { pattern, topic, partition, offset, ... }
    this.attempts = new Map() // order id -> attempts of orders.reserve
    this.viewed = 0 // orders.viewed events handled
  }
}
Injectable()(OrdersLog)

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

/** The offset after the context's message, committed through the consumer Nest gives. */
function commitHandled(context) {
  const next = (BigInt(context.getMessage().offset) + 1n).toString()
  return context
    .getConsumer()
    .commitOffsets([{ topic: context.getTopic(), partition: context.getPartition(), offset: next }])
}

class OrdersController {
  constructor(log) {
    this.log = log
  }

  /** Request/reply: `{ id, items: [{ qty, price }], delayMs? }` -> `{ orderId, total }`. */
  async quote(order, context) {
    const message = context.getMessage()
    // kafkajs's heartbeat(): resolves once reported (on kafka-napi it emits the consumer's HEARTBEAT
    // event, at most once per heartbeatInterval; librdkafka heartbeats to the broker on its own).
    await context.getHeartbeat()()
    const heartbeat = 'resolved'
    if (order.delayMs) await sleep(order.delayMs)
    this.log.handled.push({
      pattern: 'quote',
      id: order.id,
      topic: context.getTopic(),
      partition: context.getPartition(),
      offset: message.offset,
      correlationId: message.headers.kafka_correlationId,
      replyPartition: message.headers.kafka_replyPartition,
      heartbeat,
    })
    return { orderId: order.id, total: order.items.reduce((sum, i) => sum + i.qty * i.price, 0) }
  }

  /** Request/reply that always fails: the caller's Observable errors with this object. */
  reject(order) {
    this.log.handled.push({ pattern: 'reject', id: order.id })
    throw new RpcException({ code: 'OUT_OF_STOCK', orderId: order.id })
  }

  /**
   * Request/reply through a transient failure: KafkaRetriableException makes ServerKafka rethrow
   * into eachMessage, so the consumer retries the message (with its retry backoff) instead of replying
   * with the error; the third attempt answers.
   */
  reserve(order, context) {
    const attempts = (this.log.attempts.get(order.id) || 0) + 1
    this.log.attempts.set(order.id, attempts)
    if (attempts < 3) throw new KafkaRetriableException(`stock service busy (attempt ${attempts})`)
    this.log.handled.push({ pattern: 'reserve', id: order.id, offset: context.getMessage().offset, attempts })
    return { orderId: order.id, reserved: true, attempts }
  }

  /** Request/reply with a stream: each order line is a reply of its own (a `next` for the caller). */
  lines(order) {
    this.log.handled.push({ pattern: 'lines', id: order.id })
    return from(order.items.map((item, i) => ({ orderId: order.id, line: i, amount: item.qty * item.price })))
  }

  /**
   * Event: counted, nothing else (what the transport costs). Never commits: under
   * `run: { autoCommit: false }` its messages stay uncommitted (and are handled again after a restart).
   */
  viewed() {
    this.log.viewed++
  }

  /**
   * Event: writes an audit record with the context's producer, then commits the message by hand
   * (after the audit record is written: with `run: { autoCommit: false }`, a crash before that
   * commit has the message handled again).
   */
  async created(order, context) {
    const message = context.getMessage()
    await context.getProducer().send({
      topic: TOPICS.audit,
      messages: [
        {
          key: String(order.id),
          value: JSON.stringify({ event: 'created', orderId: order.id, partition: context.getPartition() }),
        },
      ],
    })
    await commitHandled(context)
    this.log.handled.push({
      pattern: 'created',
      id: order.id,
      topic: context.getTopic(),
      partition: context.getPartition(),
      offset: message.offset,
    })
  }
}

// Decorators, applied as TypeScript would apply them.
const method = (name) => [
  OrdersController.prototype,
  name,
  Object.getOwnPropertyDescriptor(OrdersController.prototype, name),
]
Controller()(OrdersController)
Inject(OrdersLog)(OrdersController, undefined, 0)
MessagePattern(TOPICS.quote)(...method('quote'))
MessagePattern(TOPICS.reject)(...method('reject'))
MessagePattern(TOPICS.reserve)(...method('reserve'))
MessagePattern(TOPICS.lines)(...method('lines'))
EventPattern(TOPICS.created)(...method('created'))
EventPattern(TOPICS.viewed)(...method('viewed'))
for (const name of ['quote', 'reject', 'reserve', 'lines', 'created']) {
  Payload()(OrdersController.prototype, name, 0)
  Ctx()(OrdersController.prototype, name, 1)
}

module.exports = { OrdersController, OrdersLog, commitHandled }
