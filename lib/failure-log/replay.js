'use strict'
/*
 * Replay of a failure log: sends its unconsumed records again, pipelined, and consumes them.
 *
 * The replay reads the records between the consumed marker and the end of the file as it is
 * when the replay starts; records appended meanwhile lie past that end and are left for the
 * next replay (never rewritten, never lost). The records are cut into batches in log order and
 * up to `concurrency` batches are in flight at once, each one `sendBatch`. Batches are issued in
 * log order and the producer keeps per-partition order for sends issued in order (with the
 * idempotent producer, also across retries), so records of one partition or key arrive in the
 * order they failed.
 *
 * A batch is finished when every record in it is delivered or, having failed again, recorded
 * anew at the end of the log (same id, the new error, `replays + 1`, durable first). The marker
 * then moves past the longest finished prefix of batches, and a batch starts only within
 * `concurrency` batches of the marker on disk. A crash therefore re-sends at most `concurrency`
 * batches, i.e. `concurrency * batchSize` records, however unevenly batches finish. It never
 * loses one.
 *
 * Records flagged `possiblyPersisted` (in flight when they failed: the broker may have stored
 * them) follow `possiblyPersisted`: 'keep' (default) leaves them in the log, re-recorded at its
 * end, and counts them as `kept`; 'send' sends them like the rest (duplicates possible); a
 * function `(entry) => boolean | Promise<boolean>` answers "already stored?" per record: true
 * drops it (`skipped`), false sends it.
 */
const { decodeRecord, errorFields, latestById } = require('./format')

/** Marks a message that a replay sends, so its own failure log does not record it twice. */
const REPLAY_TAG = Symbol.for('kafka-napi.replay')

function messageOf(entry) {
  const message = { key: entry.key, value: entry.value, headers: entry.headers }
  if (entry.partition !== null && entry.partition !== undefined) message.partition = entry.partition
  if (entry.timestamp !== null && entry.timestamp !== undefined) message.timestamp = entry.timestamp
  return message
}

function again(record, error, possiblyPersisted) {
  return {
    ...record,
    failedAt: new Date().toISOString(),
    error: errorFields(error),
    possiblyPersisted: possiblyPersisted === true,
    replays: (record.replays || 0) + 1,
  }
}

/** Sends one batch; resolves with the records to re-record (failed again). */
async function sendBatch(producer, journal, acks, records) {
  const byTopic = new Map()
  const order = []
  for (const r of records) {
    let list = byTopic.get(r.topic)
    if (!list) {
      list = []
      byTopic.set(r.topic, list)
    }
    const message = messageOf(decodeRecord(r))
    Object.defineProperty(message, REPLAY_TAG, { value: journal })
    list.push(message)
  }
  const topicMessages = []
  for (const [topic, messages] of byTopic) {
    topicMessages.push({ topic, messages })
    for (const r of records) if (r.topic === topic) order.push(r)
  }
  try {
    await producer.sendBatch({ acks, topicMessages })
    return []
  } catch (err) {
    if (!Array.isArray(err.failures)) return order.map((r) => again(r, err, false))
    return err.failures.map((f) =>
      again(
        order[f.index],
        { ...err, name: f.name || err.name, code: f.code, message: f.message },
        f.persisted === 'possibly',
      ),
    )
  }
}

async function replay(journal, producer, options = {}) {
  const { acks = -1, concurrency = 4, batchSize = 500, possiblyPersisted = 'keep' } = options
  if (!(Number.isInteger(concurrency) && concurrency > 0))
    throw new TypeError('replay: concurrency must be a positive integer')
  if (!(Number.isInteger(batchSize) && batchSize > 0))
    throw new TypeError('replay: batchSize must be a positive integer')
  if (possiblyPersisted !== 'keep' && possiblyPersisted !== 'send' && typeof possiblyPersisted !== 'function')
    throw new TypeError("replay: possiblyPersisted must be 'keep', 'send' or a function")
  await journal.ready()
  if (journal.replaying) throw new Error(`A replay of ${journal.path} is already running in this process`)
  journal.replaying = true
  const stats = { replayed: 0, failed: 0, kept: 0, skipped: 0 }
  try {
    await journal.settled()
    const start = await journal.consumedOffset()
    const end = await journal.size()
    const { records, corrupt, end: parsedEnd } = await journal.read(start, end)
    await journal.setAsideLines(corrupt)
    const live = new Set(latestById(records))
    // Batches in log order; each ends at the byte after its last line (superseded lines included).
    const batches = []
    let current = null
    for (const r of records) {
      if (!current || current.records.length >= batchSize) {
        current = { records: [], end: 0, done: false }
        batches.push(current)
      }
      if (live.has(r)) current.records.push(r.record)
      current.end = r.end
    }
    if (batches.length === 0 && parsedEnd > start) batches.push({ records: [], end: parsedEnd, done: false })
    else if (batches.length > 0) batches[batches.length - 1].end = parsedEnd

    let next = 0
    // Batches [0, consumedUpTo) are finished; [0, durableUpTo) are behind the marker on disk.
    let consumedUpTo = 0
    let durableUpTo = 0
    let markerError = null
    let markerWrite = Promise.resolve()
    let waiters = []
    const wakeAll = () => {
      const w = waiters
      waiters = []
      for (const resolve of w) resolve()
    }
    const advance = () => {
      let k = consumedUpTo
      while (k < batches.length && batches[k].done) k++
      if (k === consumedUpTo) return
      consumedUpTo = k
      const offset = batches[k - 1].end
      markerWrite = markerWrite
        .then(() => journal.setConsumed(offset))
        .then(
          () => {
            durableUpTo = Math.max(durableUpTo, k)
          },
          (e) => {
            markerError = markerError || e
          },
        )
        .finally(wakeAll)
    }

    const runBatch = async (batch) => {
      const toSend = []
      const rerecord = []
      for (const record of batch.records) {
        if (record.possiblyPersisted && possiblyPersisted !== 'send') {
          if (possiblyPersisted === 'keep') {
            rerecord.push(record)
            stats.kept++
            continue
          }
          if (await possiblyPersisted(decodeRecord(record))) {
            stats.skipped++
            continue
          }
        }
        toSend.push(record)
      }
      const failedAgain = toSend.length ? await sendBatch(producer, journal, acks, toSend) : []
      stats.replayed += toSend.length - failedAgain.length
      stats.failed += failedAgain.length
      const all = rerecord.concat(failedAgain)
      if (all.length) await journal.appendAll(all.map((record) => ({ record })))
      batch.done = true
      advance()
    }

    // A batch starts only within `concurrency` batches of the marker on disk, so a crash
    // re-sends at most `concurrency` batches, however unevenly they finish.
    const worker = async () => {
      for (;;) {
        while (next < batches.length && next >= durableUpTo + concurrency && markerError === null)
          await new Promise((resolve) => waiters.push(resolve))
        if (markerError !== null) throw markerError
        if (next >= batches.length) return
        await runBatch(batches[next++])
      }
    }
    await Promise.all(Array.from({ length: Math.min(concurrency, Math.max(batches.length, 1)) }, worker))
    await markerWrite
    if (markerError !== null) throw markerError
    await journal.compact()
    return stats
  } finally {
    journal.replaying = false
  }
}

module.exports = { replay, REPLAY_TAG }
