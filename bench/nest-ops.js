'use strict'
/*
 * The Nest workload's timed loops, run inside the example app's process (examples/nest-microservice/
 * driver.js loads this file through DRIVER_OPS), so the IPC to the harness is never timed. Each op
 * gets the Nest app first. Times are performance.now() differences in ms.
 */
const { performance } = require('node:perf_hooks')
const { lastValueFrom } = require('rxjs')
const { TOPICS } = require('../examples/nest-microservice/config')
const { ORDERS_CLIENT } = require('../examples/nest-microservice/checkout.service')
const { OrdersLog } = require('../examples/nest-microservice/orders.controller')

const order = (i) => ({ id: `b-${i}`, items: [{ qty: 1, price: i }] })
const request = (client, i) => lastValueFrom(client.send(TOPICS.quote, order(i)))

/** Sequential request/reply round trips: `warmup` untimed, then `n` timed one at a time. */
async function sequential(app, { warmup, n }) {
  const client = app.get(ORDERS_CLIENT)
  for (let i = 0; i < warmup; i++) await request(client, i)
  const latencies = new Array(n)
  const t0 = performance.now()
  for (let i = 0; i < n; i++) {
    const t = performance.now()
    await request(client, i)
    latencies[i] = performance.now() - t
  }
  return { ms: performance.now() - t0, latencies }
}

/** `n` round trips with `inflight` loops each awaiting its reply before the next request. */
async function concurrent(app, { n, inflight }) {
  const client = app.get(ORDERS_CLIENT)
  let next = 0
  const t0 = performance.now()
  const loop = async () => {
    while (next < n) await request(client, next++)
  }
  await Promise.all(Array.from({ length: inflight }, loop))
  return { ms: performance.now() - t0 }
}

/**
 * Resolves when the counting @EventPattern handler has handled one more `orders.viewed` event:
 * `arm()` before the emit, then await what it returned. The handler only increments
 * `OrdersLog.viewed`; a setter on this log instance sees the increment as it happens (no polling,
 * no change to the app). `restore()` puts the plain property back.
 */
function viewedWatch(log) {
  let value = log.viewed
  let waiter = null
  Object.defineProperty(log, 'viewed', {
    configurable: true,
    enumerable: true,
    get: () => value,
    set: (v) => {
      value = v
      if (waiter !== null) {
        const w = waiter
        waiter = null
        w()
      }
    },
  })
  return {
    /** The next increment, or a rejection after `ms` (an event never handled must not hang the bench). */
    arm: (ms = 30000) =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiter = null
          reject(new Error(`the @EventPattern handler did not run within ${ms} ms of an emit`))
        }, ms)
        waiter = () => {
          clearTimeout(timer)
          resolve()
        }
      }),
    restore: () => {
      delete log.viewed
      log.viewed = value
    },
  }
}

/**
 * The measure: 32 calls each timed with performance.now(), one after another, after
 * `warmup` untimed calls; send() subscribed (it is cold) and awaited to its reply, emit() awaited
 * to its RecordMetadata[]. And event delivery: emit() until the app's own @EventPattern handler
 * has handled that event (the app consumes what it emits). Resolves every call's time.
 */
async function mean32(app, { warmup, calls }) {
  const client = app.get(ORDERS_CLIENT)
  const time = async (fn) => {
    for (let i = 0; i < warmup; i++) await fn(i)
    const out = []
    for (let i = 0; i < calls; i++) {
      const t = performance.now()
      await fn(i)
      out.push(performance.now() - t)
    }
    return out
  }
  const send = await time((i) => request(client, i))
  const emit = await time((i) => lastValueFrom(client.emit(TOPICS.viewed, { id: `m-${i}` })))
  const watch = viewedWatch(app.get(OrdersLog))
  try {
    const event = await time(async (i) => {
      const handled = watch.arm()
      await lastValueFrom(client.emit(TOPICS.viewed, { id: `d-${i}` }))
      await handled
    })
    return { send, emit, event }
  } finally {
    watch.restore()
  }
}

/**
 * Event handling: `n` events emitted (emitBatch of `batch`, as fast as the producer takes them)
 * to the counting @EventPattern handler; the time from the first emit until the handler has seen
 * them all. Counts from the events already handled (mean32's emits).
 */
async function events(app, { n, batch, timeoutMs }) {
  const client = app.get(ORDERS_CLIENT)
  const log = app.get(OrdersLog)
  const base = log.viewed
  const t0 = performance.now()
  const sends = []
  for (let i = 0; i < n; i += batch) {
    const messages = Array.from({ length: Math.min(batch, n - i) }, (_, j) => ({ value: { id: `e-${i + j}` } }))
    sends.push(lastValueFrom(client.emitBatch(TOPICS.viewed, { messages })))
  }
  await Promise.all(sends)
  const produced = performance.now() - t0
  while (log.viewed - base < n) {
    if (performance.now() - t0 > timeoutMs)
      throw new Error(`${log.viewed - base} of ${n} events handled in ${timeoutMs} ms`)
    await new Promise((resolve) => setTimeout(resolve, 2))
  }
  return { ms: performance.now() - t0, producedMs: produced, handled: log.viewed - base }
}

module.exports = { sequential, concurrent, mean32, events }
