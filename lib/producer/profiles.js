'use strict'
/*
 * Send profiles: the librdkafka client a send goes through.
 *
 * `acks`, the request timeout and the compression codec are topic properties in librdkafka,
 * fixed when a client is created, while kafkajs takes them per send. A profile is one such
 * combination with its own client (src/producer.rs). Clients cost threads and sockets, so their
 * number is bounded whatever the app passes: `acks` (3 values) and `compression` (5 codecs) are
 * honoured exactly; per (acks, compression) at most TIMEOUTS_PER_OPTIONS distinct `timeout`
 * values get a client, and a send with yet another timeout shares the client whose timeout is
 * nearest (a warning says so once). At most 3 x 5 x 3 = 45 clients, and an app that varies only
 * its timeouts has at most 3.
 *
 * A transactional producer has one client (two with one transactional.id would fence each
 * other), created at connect with acks -1 and no compression: a send with other options is
 * refused with a clear error.
 */
const { KafkaJSNonRetriableError, fromNative } = require('../errors')
const { profileProperties } = require('../config')

const TIMEOUTS_PER_OPTIONS = 3

class Profiles {
  /** `create(overrides, enqueueTimeout)` registers a native profile and returns its id. */
  constructor({ settings, transactional, create, warn }) {
    this.settings = settings
    this.transactional = transactional
    this.create = create
    this.warn = warn
    this.byKey = new Map()
    this.byId = new Map()
    this.last = null
    this.warned = false
  }

  /** The profile id for a send's options (creating its client if needed). */
  id(acks, timeout, compression) {
    // Most sends repeat the previous send's options: skip the lookup.
    const last = this.last
    if (last !== null && last.acks === acks && last.timeout === timeout && last.compression === compression)
      return last.id
    const id = this._resolve(acks, timeout, compression)
    this.last = { acks, timeout, compression, id }
    return id
  }

  _resolve(acks, timeout, compression) {
    const exact = this.byKey.get(`${acks}|${timeout}|${compression}`)
    if (exact !== undefined) return exact.id
    if (this.transactional && this.byKey.size > 0) {
      const [p] = this.byKey.values()
      if (p.acks !== acks || p.compression !== compression) {
        throw new KafkaJSNonRetriableError(
          `A transactional producer sends with the options it connected with (acks ${p.acks}, compression ${p.compression}); got acks ${acks}, compression ${compression}`,
        )
      }
      return p.id
    }
    const siblings = [...this.byKey.values()].filter((p) => p.acks === acks && p.compression === compression)
    if (siblings.length >= TIMEOUTS_PER_OPTIONS) {
      // Validate as a new profile would, then share the nearest timeout's client.
      profileProperties({ acks, timeout, compression }, this.settings)
      let best = siblings[0]
      for (const p of siblings) if (Math.abs(p.timeout - timeout) < Math.abs(best.timeout - timeout)) best = p
      if (!this.warned) {
        this.warned = true
        this.warn(
          `Sends use more than ${TIMEOUTS_PER_OPTIONS} distinct timeouts with acks ${acks}, compression ${compression}; ` +
            `each one costs a librdkafka client, so further timeouts share the nearest one's (timeout ${timeout} ran with ${best.timeout})`,
        )
      }
      return best.id
    }
    const { overrides, deliveryTimeout, enqueueTimeout } = profileProperties(
      { acks, timeout, compression },
      this.settings,
    )
    let id
    try {
      id = this.create(overrides, enqueueTimeout)
    } catch (e) {
      throw fromNative(e)
    }
    const p = { id, acks, timeout, compression, deliveryTimeout }
    this.byKey.set(`${acks}|${timeout}|${compression}`, p)
    this.byId.set(id, p)
    return id
  }

  deliveryTimeout(id) {
    const p = this.byId.get(id)
    return p ? p.deliveryTimeout : undefined
  }

  /** The longest delivery timeout of any profile (how long a client error stays relevant). */
  maxDeliveryTimeout() {
    let max = 0
    for (const p of this.byId.values()) max = Math.max(max, p.deliveryTimeout)
    return max
  }

  get size() {
    return this.byId.size
  }
}

module.exports = { Profiles, TIMEOUTS_PER_OPTIONS }
