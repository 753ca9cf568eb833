'use strict'
/*
 * A PostgreSQL failure sink for kafka-napi's producer: every message the producer could not
 * deliver becomes one row, committed before the producer reports the failure, and `replay`
 * sends the rows again and deletes those delivered.
 *
 *   const sink = new PgFailureSink({ connectionString: process.env.DATABASE_URL })
 *   await sink.init()
 *   const producer = kafka.producer({ failureLog: sink })
 *   ...
 *   await sink.replay(producer) // later, e.g. from a cron job: { replayed, failed, kept, dropped }
 *
 * Writes are group-committed: while one INSERT runs, the failures that arrive queue up and go
 * in the next INSERT together (one statement, `unnest` over arrays), so a burst of 100,000
 * failures costs about 100,000 / maxBatch round trips, not 100,000.
 *
 * Replay claims rows in id order, `batchSize` at a time, each claim a transaction holding the
 * rows with `SELECT ... FOR UPDATE SKIP LOCKED`; a claim's messages are all sent at once (one
 * `producer.send` per row, so each row learns its own outcome) and up to `concurrency` claims
 * are in flight. When a claim's sends have settled, the same transaction deletes the delivered
 * rows, updates those that failed again (new error, replays + 1) and commits. Concurrent replays
 * skip each other's claimed rows; rows recorded meanwhile get higher ids and are left for the
 * next replay. See README.md for the schema and the guarantees.
 */
const { Pool } = require('pg')

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/

/** Messages being replayed: message object -> { table, outcome } (see record and replay). */
const REPLAYING = new WeakMap()

function quoteTable(table) {
  const parts = String(table).split('.')
  if (parts.length > 2 || !parts.every((p) => IDENT.test(p))) {
    throw new TypeError(`PgFailureSink: invalid table name ${JSON.stringify(table)} (letters, digits, _; schema.table)`)
  }
  return parts.map((p) => `"${p}"`).join('.')
}

/** PostgreSQL text cannot hold NUL; anything else is kept as is. */
function text(v) {
  if (v === null || v === undefined) return null
  const s = typeof v === 'string' ? v : String(v)
  return s.includes('\u0000') ? s.replaceAll('\u0000', '\uFFFD') : s
}

function bytes(v) {
  if (v === null || v === undefined) return null
  if (Buffer.isBuffer(v)) return v
  if (ArrayBuffer.isView(v)) return Buffer.from(v.buffer, v.byteOffset, v.byteLength)
  return Buffer.from(String(v))
}

const b64 = (v) => {
  const b = bytes(v)
  return b === null ? null : b.toString('base64')
}

function errorJson(e) {
  const err = e || {}
  return JSON.stringify({
    name: text(err.name),
    type: text(err.type),
    code: typeof err.code === 'number' ? err.code : (text(err.code) ?? null),
    message: text(err.message),
    retriable: typeof err.retriable === 'boolean' ? err.retriable : null,
  })
}

/** A failure report as the row's column values (see the INSERT in #insert). */
function rowOf(report) {
  const r = report || {}
  const m = r.message && typeof r.message === 'object' ? r.message : {}
  const headers = {}
  if (m.headers && typeof m.headers === 'object') {
    for (const [k, v] of Object.entries(m.headers)) {
      if (v !== undefined) headers[text(k)] = Array.isArray(v) ? v.map(b64) : b64(v)
    }
  }
  const partition = Number.isInteger(m.partition) ? m.partition : Number.isInteger(r.partition) ? r.partition : null
  return {
    failedAt: new Date(),
    topic: typeof r.topic === 'string' ? text(r.topic) : null,
    partition,
    key: bytes(m.key),
    value: bytes(m.value),
    headers: JSON.stringify(headers),
    timestamp: m.timestamp === undefined || m.timestamp === null ? null : text(m.timestamp),
    error: errorJson(r.error),
    attempts: Number.isInteger(r.attempts) ? r.attempts : null,
    possiblyPersisted: r.possiblyPersisted === true,
  }
}

/** A row as `entries()` and the possiblyPersisted checker see it: Buffers back, camelCase. */
function entryOf(row) {
  const dec = (v) => (v === null || v === undefined ? null : Buffer.from(v, 'base64'))
  const headers = {}
  for (const [k, v] of Object.entries(row.headers || {})) headers[k] = Array.isArray(v) ? v.map(dec) : dec(v)
  return {
    id: String(row.id),
    failedAt: row.failed_at,
    topic: row.topic,
    partition: row.partition,
    key: row.key,
    value: row.value,
    headers,
    timestamp: row.timestamp,
    error: row.error,
    attempts: row.attempts,
    possiblyPersisted: row.possibly_persisted,
    replays: row.replays,
  }
}

/** The message a row is replayed as: what the application sent, bytes for strings. */
function messageOf(entry) {
  const message = { key: entry.key, value: entry.value, headers: entry.headers }
  if (entry.partition !== null) message.partition = entry.partition
  if (entry.timestamp !== null) message.timestamp = entry.timestamp
  return message
}

// SQLSTATE classes of errors one bad row can cause (data exception, integrity, program limit):
// the rows of a failed group INSERT are then inserted one by one, so only the bad one fails.
const ROW_ERROR = /^(22|23|54)/

class PgFailureSink {
  /**
   * @param {object} options
   * @param {import('pg').Pool} [options.pool] a pool to use (not ended by close())
   * @param {string} [options.connectionString] or a connection string for a pool of its own
   * @param {string} [options.table='kafka_failures'] table name, optionally schema-qualified
   * @param {number} [options.maxBatch=1000] rows per group-commit INSERT at most
   * @param {{ error: Function }} [options.logger=console] where errors of its own pool's idle clients go
   */
  constructor({ pool, connectionString, table = 'kafka_failures', maxBatch = 1000, logger = console } = {}) {
    if (!pool && !connectionString) throw new TypeError('PgFailureSink needs a pool or a connectionString')
    this.table = String(table)
    this._t = quoteTable(table)
    this._ownPool = !pool
    this._pool = pool || new Pool({ connectionString, max: 10, connectionTimeoutMillis: 10000 })
    if (this._ownPool) {
      // An idle client losing its connection must not crash the process (pg's pool emits 'error').
      this._pool.on('error', (e) => logger.error('PgFailureSink: idle PostgreSQL client error', e && e.message))
    }
    this._maxBatch = Math.max(1, Math.floor(maxBatch))
    this._queue = []
    this._flushing = null
    this._closed = false
  }

  /** Creates the table if it does not exist (serialised across processes by an advisory lock). */
  async init() {
    const client = await this._pool.connect()
    try {
      await client.query('BEGIN')
      await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`kafka-napi failure sink ${this.table}`])
      await client.query(`CREATE TABLE IF NOT EXISTS ${this._t} (
        id bigserial PRIMARY KEY,
        failed_at timestamptz NOT NULL DEFAULT now(),
        topic text,
        partition integer,
        key bytea,
        value bytea,
        headers jsonb NOT NULL DEFAULT '{}',
        "timestamp" text,
        error jsonb NOT NULL,
        attempts integer,
        possibly_persisted boolean NOT NULL DEFAULT false,
        replays integer NOT NULL DEFAULT 0
      )`)
      await client.query('COMMIT')
    } catch (e) {
      await client.query('ROLLBACK').catch(() => {})
      throw e
    } finally {
      client.release()
    }
  }

  /**
   * Stores one failure report (the producer calls this and awaits it before reporting the
   * failure). Resolves once the row is committed; rejects if it could not be.
   */
  record(report) {
    if (this._closed) return Promise.reject(new Error('PgFailureSink is closed'))
    const replaying = report && report.message && REPLAYING.get(report.message)
    if (replaying && replaying.table === this.table) {
      // A message a replay is sending failed again: its row is updated by that replay.
      replaying.report = report
      return Promise.resolve()
    }
    let row
    try {
      row = rowOf(report)
    } catch (e) {
      return Promise.reject(e)
    }
    return new Promise((resolve, reject) => {
      this._queue.push({ row, resolve, reject })
      if (!this._flushing) this._flushing = this._flush()
    })
  }

  /** Group commit: one INSERT at a time, each taking everything queued meanwhile (maxBatch at most). */
  async _flush() {
    try {
      while (this._queue.length > 0) {
        const batch = this._queue.splice(0, this._maxBatch)
        try {
          await this._insert(batch.map((w) => w.row))
          for (const w of batch) w.resolve()
        } catch (e) {
          if (batch.length > 1 && e && typeof e.code === 'string' && ROW_ERROR.test(e.code)) {
            for (const w of batch) {
              try {
                await this._insert([w.row])
                w.resolve()
              } catch (e1) {
                w.reject(e1)
              }
            }
          } else {
            for (const w of batch) w.reject(e)
          }
        }
      }
    } finally {
      this._flushing = null
    }
  }

  _insert(rows) {
    const col = (k) => rows.map((r) => r[k])
    return this._pool.query(
      `INSERT INTO ${this._t} (failed_at, topic, partition, key, value, headers, "timestamp", error, attempts, possibly_persisted)
       SELECT f, t, p, k, v, h, ts, e, a, pp
         FROM unnest($1::timestamptz[], $2::text[], $3::int[], $4::bytea[], $5::bytea[], $6::jsonb[], $7::text[],
                     $8::jsonb[], $9::int[], $10::bool[]) WITH ORDINALITY AS u(f, t, p, k, v, h, ts, e, a, pp, n)
        ORDER BY n`, // ids in the order the failures were recorded
      [
        col('failedAt'),
        col('topic'),
        col('partition'),
        col('key'),
        col('value'),
        col('headers'),
        col('timestamp'),
        col('error'),
        col('attempts'),
        col('possiblyPersisted'),
      ],
    )
  }

  /** Number of rows (failed messages not yet delivered). */
  async count() {
    const r = await this._pool.query(`SELECT count(*)::int AS n FROM ${this._t}`)
    return r.rows[0].n
  }

  /** The rows in id order, decoded (key, value and header values as Buffers). */
  async entries({ limit = null } = {}) {
    const r = await this._pool.query(
      `SELECT id, failed_at, topic, partition, key, value, headers, "timestamp", error, attempts,
              possibly_persisted, replays FROM ${this._t} ORDER BY id LIMIT $1`,
      [limit],
    )
    return r.rows.map(entryOf)
  }

  /**
   * Sends the stored messages again through `producer` (connected) and deletes those delivered.
   * Rows that fail again stay, with the new error and replays + 1.
   *
   * possiblyPersisted: what to do with rows whose message was in flight when it failed (the broker
   * may have stored it): 'keep' (default) leaves them untouched and counts them as kept; 'send'
   * sends them too (may duplicate); a function (entry) => boolean | Promise<boolean> answers
   * "already stored?": true deletes the row without sending (counted as dropped), false sends it.
   *
   * Only the rows present when the replay starts are replayed; rows recorded meanwhile stay for
   * the next one. Returns { replayed, failed, kept, dropped }.
   */
  async replay(
    producer,
    { acks = -1, concurrency = 4, batchSize = 250, possiblyPersisted = 'keep', timeout = undefined } = {},
  ) {
    if (!producer || typeof producer.send !== 'function') throw new TypeError('replay needs a producer')
    if (possiblyPersisted !== 'keep' && possiblyPersisted !== 'send' && typeof possiblyPersisted !== 'function') {
      throw new TypeError("possiblyPersisted must be 'keep', 'send' or a function (entry) => boolean")
    }
    const inFlightMax = Math.max(1, Math.floor(concurrency))
    const limit = Math.max(1, Math.floor(batchSize))
    const totals = { replayed: 0, failed: 0, kept: 0, dropped: 0 }
    const upper = (await this._pool.query(`SELECT max(id)::text AS id FROM ${this._t}`)).rows[0].id
    if (upper === null) return totals

    // Failure reports carry what the rejection does not (attempts, possiblyPersisted).
    const events = producer.events && producer.events.DELIVERY_FAILURE
    const off =
      events && typeof producer.on === 'function'
        ? producer.on(events, (e) => {
            const report = e && e.payload
            const replaying = report && report.message && REPLAYING.get(report.message)
            if (replaying && replaying.table === this.table) replaying.report = report
          })
        : null

    const inFlight = new Set()
    let firstError = null
    let lastId = '0'
    try {
      while (!firstError) {
        if (inFlight.size >= inFlightMax) {
          await Promise.race(inFlight)
          continue
        }
        const claim = await this._claim(lastId, upper, limit)
        if (!claim) break
        lastId = claim.lastId
        // Sends are issued here, in id order, before the next claim: per partition and per key
        // the producer receives the messages in the order they failed.
        let issued
        try {
          issued = await this._issue(claim, producer, acks, timeout, possiblyPersisted, totals)
        } catch (e) {
          await claim.client.query('ROLLBACK').catch(() => {})
          claim.client.release()
          throw e
        }
        const done = this._complete(claim, issued.settled, totals)
          .catch((e) => {
            firstError = firstError || e
          })
          .finally(() => inFlight.delete(done))
        inFlight.add(done)
      }
    } catch (e) {
      firstError = firstError || e
    } finally {
      await Promise.all(inFlight)
      if (off) off()
    }
    if (firstError) throw firstError
    return totals
  }

  /** Claims the next rows after `lastId` (up to `upper`) in a transaction; null when none is left. */
  async _claim(lastId, upper, limit) {
    const client = await this._pool.connect()
    try {
      await client.query('BEGIN')
      const r = await client.query(
        `SELECT id, failed_at, topic, partition, key, value, headers, "timestamp", error, attempts,
                possibly_persisted, replays
           FROM ${this._t} WHERE id > $1 AND id <= $2 ORDER BY id LIMIT $3 FOR UPDATE SKIP LOCKED`,
        [lastId, upper, limit],
      )
      if (r.rows.length === 0) {
        await client.query('COMMIT')
        client.release()
        return null
      }
      return { client, entries: r.rows.map(entryOf), lastId: String(r.rows[r.rows.length - 1].id) }
    } catch (e) {
      await client.query('ROLLBACK').catch(() => {})
      client.release()
      throw e
    }
  }

  /** Decides each claimed row's fate and issues the sends; `settled` resolves with their outcomes. */
  async _issue(claim, producer, acks, timeout, possiblyPersisted, totals) {
    const decisions = await Promise.all(
      claim.entries.map(async (entry) => {
        if (!entry.possiblyPersisted || possiblyPersisted === 'send') return 'send'
        if (possiblyPersisted === 'keep') return 'keep'
        return (await possiblyPersisted(entry)) === true ? 'drop' : 'send'
      }),
    )
    const outcomes = []
    claim.entries.forEach((entry, i) => {
      if (decisions[i] === 'keep') {
        totals.kept++
        return
      }
      if (decisions[i] === 'drop') {
        outcomes.push(Promise.resolve({ entry, fate: 'drop' }))
        return
      }
      const message = messageOf(entry)
      const state = { table: this.table, report: null }
      REPLAYING.set(message, state)
      const record = { topic: entry.topic, acks, messages: [message] }
      if (timeout !== undefined) record.timeout = timeout
      let sent
      try {
        sent = producer.send(record)
      } catch (e) {
        sent = Promise.reject(e)
      }
      outcomes.push(
        Promise.resolve(sent).then(
          () => ({ entry, fate: 'delivered' }),
          (error) => ({ entry, fate: 'failed', error, report: state.report }),
        ),
      )
    })
    return { settled: Promise.all(outcomes) }
  }

  /** Once a claim's sends settled: delete delivered/dropped rows, update failed ones, commit. */
  async _complete(claim, settled, totals) {
    const { client } = claim
    let outcomes
    let broken = false
    try {
      outcomes = await settled
      const gone = outcomes.filter((o) => o.fate !== 'failed').map((o) => o.entry.id)
      const failed = outcomes.filter((o) => o.fate === 'failed')
      if (gone.length > 0) await client.query(`DELETE FROM ${this._t} WHERE id = ANY($1::bigint[])`, [gone])
      if (failed.length > 0) {
        await client.query(
          `UPDATE ${this._t} t
              SET error = x.error, attempts = x.attempts, failed_at = now(), replays = t.replays + 1,
                  possibly_persisted = t.possibly_persisted OR x.pp
             FROM unnest($1::bigint[], $2::jsonb[], $3::int[], $4::bool[]) AS x(id, error, attempts, pp)
            WHERE t.id = x.id`,
          [
            failed.map((o) => o.entry.id),
            failed.map((o) => errorJson(o.error)),
            failed.map((o) => (o.report && Number.isInteger(o.report.attempts) ? o.report.attempts : null)),
            failed.map((o) => Boolean(o.report && o.report.possiblyPersisted === true)),
          ],
        )
      }
      await client.query('COMMIT')
    } catch (e) {
      await client.query('ROLLBACK').catch(() => {
        broken = true
      })
      throw e
    } finally {
      client.release(broken) // a connection that could not even roll back is discarded
    }
    for (const o of outcomes) {
      if (o.fate === 'delivered') totals.replayed++
      else if (o.fate === 'drop') totals.dropped++
      else totals.failed++
    }
  }

  /** Resolves when every record() called so far has settled (committed or failed). */
  async flush() {
    while (this._flushing) await this._flushing
  }

  /** Refuses new records, waits for queued ones to settle, then ends the pool if the sink created it. */
  async close() {
    this._closed = true
    await this.flush()
    if (this._ownPool) await this._pool.end()
  }
}

module.exports = { PgFailureSink }
