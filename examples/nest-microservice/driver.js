'use strict'
/*
 * Runs one part of the example in this process, driven over IPC by remote.js (the tests and the
 * bench): ROLE=app (the hybrid app: microservice and ClientKafka), server (the microservice
 * alone) or client (ClientKafka alone), on KAFKAJS=kafka-napi (the alias, default) or kafkajs.
 * A process of its own, so that Node's own module resolution (and the alias hook) applies, as in
 * a real app.
 *
 * Messages in: { id, op, args }; out: { id, result } or { id, error }. `ready` is sent once started.
 */
const path = require('node:path')

const onKafkajs = process.env.KAFKAJS === 'kafkajs'
if (!onKafkajs) require('./alias').useKafkaNapi()

const { NestFactory } = require('@nestjs/core')
const { bootstrap } = require('./main')
const { AppModule, OrdersModule, CheckoutModule } = require('./app.module')
const { CheckoutService, ORDERS_CLIENT } = require('./checkout.service')
const { OrdersLog } = require('./orders.controller')

const role = process.env.ROLE || 'app'
let app = null
const extra = {} // ops added by a module named in DRIVER_OPS (the bench's)

function loaded(fragment) {
  return Object.keys(require.cache).some((f) => f.includes(fragment))
}

const ops = {
  quote: (order, ms) => app.get(CheckoutService).quote(order, ms),
  reject: (order, ms) =>
    app
      .get(CheckoutService)
      .reject(order, ms)
      .catch((e) => ({ error: e })),
  reserve: (order, ms) => app.get(CheckoutService).reserve(order, ms),
  lines: (order, ms) => app.get(CheckoutService).lines(order, ms),
  announce: (order) => app.get(CheckoutService).announce(order),
  view: (order) => app.get(CheckoutService).view(order),
  /** Sends without waiting: for requests left in flight while something else happens. */
  quoteLater: (order, ms) => {
    const id = order.id
    const done = app
      .get(CheckoutService)
      .quote(order, ms)
      .then(
        (r) => ({ id, result: r }),
        (e) => ({ id, error: String(e && e.name) }),
      )
    pending.push(done)
    return true
  },
  /** Waits for every quoteLater and returns how each ended. */
  settled: () => Promise.all(pending.splice(0)),
  log: () => {
    const log = app.get(OrdersLog)
    return { handled: log.handled, attempts: Object.fromEntries(log.attempts), viewed: log.viewed, heartbeats }
  },
  assignments: () => app.get(ORDERS_CLIENT).getConsumerAssignments(),
  /** app.close(); resolves what the handlers saw (the log outlives the app), or true without handlers. */
  close: async () => {
    const log = role === 'client' ? null : app.get(OrdersLog)
    await app.close()
    app = null
    return log ? { handled: log.handled, attempts: Object.fromEntries(log.attempts), viewed: log.viewed } : true
  },
}
const pending = []
const heartbeats = [] // the microservice consumer's HEARTBEAT events' payloads

/** Listens to the HEARTBEAT events of the consumer ServerKafka runs (Nest's unwrap(): [kafka, consumer, producer]). */
function watchHeartbeats() {
  const [, consumer] = app.getMicroservices()[0].unwrap()
  consumer.on(consumer.events.HEARTBEAT, ({ payload }) => heartbeats.push(payload))
}

async function start() {
  if (process.env.DRIVER_OPS) Object.assign(extra, require(path.resolve(process.env.DRIVER_OPS)))
  const logger = process.env.NEST_LOGS ? ['error', 'warn', 'log'] : ['error']
  if (role === 'app' || role === 'server') {
    app = await bootstrap({ module: role === 'app' ? AppModule : OrdersModule, logger })
    watchHeartbeats()
  } else {
    app = await NestFactory.createApplicationContext(CheckoutModule, { logger })
    await app.init()
  }
  process.send({
    ready: true,
    role,
    kafkaNapi: loaded(`${path.sep}lib${path.sep}consumer.js`) && !loaded(`node_modules${path.sep}kafkajs${path.sep}`),
    kafkajs: loaded(`node_modules${path.sep}kafkajs${path.sep}`),
  })
}

process.on('message', async ({ id, op, args = [] }) => {
  try {
    let result
    if (ops[op]) result = await ops[op](...args)
    else if (extra[op]) result = await extra[op](app, ...args)
    else throw new Error(`unknown op ${op}`)
    process.send({ id, result })
  } catch (e) {
    process.send({ id, error: { name: e && e.name, message: e && e.message, stack: e && e.stack } })
  }
})

start().catch((e) => {
  console.error(e)
  process.exit(1)
})
