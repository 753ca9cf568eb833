'use strict'
/*
 * SASL/OAUTHBEARER with kafkajs's `oauthBearerProvider: async () => ({ value })`.
 * librdkafka asks for a token when it connects and again before the current one expires (at
 * 80% of its lifetime). It needs the expiry and the principal, which kafkajs's provider does not
 * return: they are read from the token's JWT claims (`exp`, `sub`) when it is a JWT, or taken
 * from the optional `{ lifetimeMs, principal }` fields of the provider's answer (an addition);
 * otherwise the token is assumed valid for one hour.
 */

const DEFAULT_LIFETIME_MS = 60 * 60 * 1000

function jwtClaims(token) {
  const parts = token.split('.')
  if (parts.length < 2) return null
  try {
    return JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'))
  } catch {
    return null
  }
}

/** What librdkafka needs from a provider's answer: `{ token, principal, lifetimeMs }` (absolute). */
function tokenDetails(answer, now = Date.now()) {
  if (!answer || typeof answer.value !== 'string' || answer.value.length === 0) {
    throw new Error('oauthBearerProvider must resolve to { value: "<token>" }')
  }
  const claims = jwtClaims(answer.value) || {}
  const lifetimeMs = answer.lifetimeMs ?? (Number.isFinite(claims.exp) ? claims.exp * 1000 : now + DEFAULT_LIFETIME_MS)
  const principal = answer.principal ?? (typeof claims.sub === 'string' ? claims.sub : 'kafka-napi')
  return { token: answer.value, principal, lifetimeMs }
}

/**
 * Wires `provider` to the native client's token requests. A provider failure goes to the
 * client's ClientEvents (`events.authFailed`) before librdkafka is told, so a failing connect
 * names it whichever of the two reaches JS first.
 */
function installTokenProvider(native, provider, timeoutMs, logger, events) {
  native.setTokenProvider((requestId) => {
    Promise.resolve()
      .then(() => provider())
      .then((answer) => {
        const { token, principal, lifetimeMs } = tokenDetails(answer)
        native.resolveToken(requestId, token, principal, lifetimeMs)
      })
      .catch((e) => {
        const reason = `oauthBearerProvider failed: ${e && e.message}`
        logger.error('oauthBearerProvider failed', { error: e && e.message })
        events.authFailed(reason)
        native.rejectToken(requestId, reason)
      })
  }, timeoutMs)
}

module.exports = { installTokenProvider, tokenDetails }
