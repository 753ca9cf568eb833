'use strict'
/*
 * The caller side: Nest's ClientKafka (request/reply, so with a consumer on the reply topics).
 * `subscribeToResponseOf` before `connect()`, then `send()` for a request and `emit()` for an event.
 */
const { Inject, Injectable } = require('@nestjs/common')
const { lastValueFrom, timeout, toArray } = require('rxjs')
const { TOPICS } = require('./config')

const ORDERS_CLIENT = 'ORDERS_CLIENT'

class CheckoutService {
  constructor(client) {
    this.client = client
  }

  async onModuleInit() {
    for (const pattern of [TOPICS.quote, TOPICS.reject, TOPICS.reserve, TOPICS.lines])
      this.client.subscribeToResponseOf(pattern)
    await this.client.connect()
  }

  /** Request/reply: resolves the microservice's answer (a cold Observable, subscribed here). */
  quote(order, ms = 30000) {
    return lastValueFrom(this.client.send(TOPICS.quote, order).pipe(timeout(ms)))
  }

  reject(order, ms = 30000) {
    return lastValueFrom(this.client.send(TOPICS.reject, order).pipe(timeout(ms)))
  }

  reserve(order, ms = 30000) {
    return lastValueFrom(this.client.send(TOPICS.reserve, order).pipe(timeout(ms)))
  }

  /** Request/reply answered by several replies: resolves them all, in order. */
  lines(order, ms = 30000) {
    return lastValueFrom(this.client.send(TOPICS.lines, order).pipe(timeout(ms), toArray()))
  }

  /** Event: hot, sent whether or not the Observable is subscribed; resolves the RecordMetadata[]. */
  announce(order) {
    return lastValueFrom(this.client.emit(TOPICS.created, order))
  }

  /** Event to the handler that only counts (and never commits). */
  view(order) {
    return lastValueFrom(this.client.emit(TOPICS.viewed, order))
  }
}
Injectable()(CheckoutService)
Inject(ORDERS_CLIENT)(CheckoutService, undefined, 0)

module.exports = { CheckoutService, ORDERS_CLIENT }
