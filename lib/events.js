'use strict'
/*
 * kafkajs's instrumentation events: `on(name, listener)` validates the name and returns a
 * remover; each event is `{ id, type, timestamp, payload }`. A listener that throws is logged
 * and never breaks the producer.
 */
const { KafkaJSNonRetriableError } = require('./errors')

const PRODUCER_EVENTS = Object.freeze({
  CONNECT: 'producer.connect',
  DISCONNECT: 'producer.disconnect',
  REQUEST: 'producer.network.request',
  REQUEST_TIMEOUT: 'producer.network.request_timeout',
  REQUEST_QUEUE_SIZE: 'producer.network.request_queue_size',
  // Not in kafkajs: one event per message that could not be delivered.
  DELIVERY_FAILURE: 'producer.delivery_failure',
})

let nextId = 0

class InstrumentationEmitter {
  constructor(events, logger, scope = 'producer') {
    this.events = events
    this.scope = scope
    this.names = new Set(Object.values(events))
    this.listeners = new Map()
    this.logger = logger
  }

  on(eventName, listener) {
    if (!this.names.has(eventName)) {
      const list = Object.keys(this.events)
        .map((k) => `${this.scope}.events.${k}`)
        .join(', ')
      throw new KafkaJSNonRetriableError(`Event name should be one of ${list}`)
    }
    if (typeof listener !== 'function')
      throw new KafkaJSNonRetriableError(`Listener for ${eventName} must be a function`)
    if (!this.listeners.has(eventName)) this.listeners.set(eventName, new Set())
    const wrapped = (e) => listener(e)
    this.listeners.get(eventName).add(wrapped)
    return () => {
      const set = this.listeners.get(eventName)
      if (set) set.delete(wrapped)
    }
  }

  hasListeners(eventName) {
    const set = this.listeners.get(eventName)
    return Boolean(set && set.size)
  }

  emit(eventName, payload) {
    const set = this.listeners.get(eventName)
    if (!set || set.size === 0) return
    const event = { id: nextId++, type: eventName, timestamp: Date.now(), payload }
    for (const l of [...set]) {
      try {
        const r = l(event)
        if (r && typeof r.catch === 'function') r.catch((e) => this.listenerFailed(eventName, e))
      } catch (e) {
        this.listenerFailed(eventName, e)
      }
    }
  }

  listenerFailed(eventName, e) {
    this.logger.error(`Listener for ${eventName} threw`, { error: e && e.message, stack: e && e.stack })
  }
}

module.exports = { PRODUCER_EVENTS, InstrumentationEmitter }
