'use strict'
/*
 * An OAUTHBEARER provider that throws must fail connect with KafkaJSSASLAuthenticationError
 * naming the provider's reason, whichever reaches JS first: librdkafka's error event, or the
 * connect probe's own authentication failure (which carries only librdkafka's generic
 * "Local: Authentication failure"). The second order made security.spec.js flaky.
 */
const { installTokenProvider } = require('../../lib/oauth')
const { ClientEvents } = require('../../lib/producer/client-events')
const { KafkaJSSASLAuthenticationError, fromNative } = require('../../lib/errors')

const quiet = { error() {}, warn() {}, info() {}, debug() {} }

/** A native client that records what the token provider answers. */
function fakeNative() {
  const calls = []
  return {
    calls,
    setTokenProvider(cb) {
      this.request = cb
    },
    resolveToken: (...a) => calls.push(['resolve', ...a]),
    rejectToken: (...a) => calls.push(['reject', ...a]),
  }
}

const settle = () => new Promise((r) => setImmediate(r))

/** The probe's rejection as the native core words an authentication failure. */
const probeAuthFailure = () =>
  fromNative(
    new Error(
      JSON.stringify({
        kind: 'kafka',
        code: -169,
        name: 'AUTHENTICATION',
        message: 'Message consumption error: Authentication (Local: Authentication failure)',
      }),
    ),
  )

describe('an OAUTHBEARER provider that throws', () => {
  test('ends a waiting connect at once with the provider reason', async () => {
    const native = fakeNative()
    const events = new ClientEvents(quiet)
    installTokenProvider(native, async () => Promise.reject(new Error('identity provider down')), 1000, quiet, events)
    const refused = events.refusal()
    native.request(7)
    await expect(refused).rejects.toThrow(/identity provider down/)
    expect(native.calls).toEqual([['reject', 7, 'oauthBearerProvider failed: identity provider down']])
  }, 5000)

  test('explains a probe that failed before any error event arrived', async () => {
    const native = fakeNative()
    const events = new ClientEvents(quiet)
    installTokenProvider(native, async () => Promise.reject(new Error('identity provider down')), 1000, quiet, events)
    native.request(1)
    await settle()
    const err = events.connectError(probeAuthFailure(), '127.0.0.1:19094')
    expect(err).toBeInstanceOf(KafkaJSSASLAuthenticationError)
    expect(err.message).toMatch(/identity provider down/)
  })

  test('a probe authentication failure with no reason recorded stays a SASL error', () => {
    const events = new ClientEvents(quiet)
    const err = events.connectError(probeAuthFailure(), '127.0.0.1:19094')
    expect(err).toBeInstanceOf(KafkaJSSASLAuthenticationError)
  })
})
