'use strict'
/*
 * The failure log's file: an append-only journal with a consumed-offset marker.
 *
 *   <log>            records, one JSON line each (format.js), only ever appended to, except by
 *                    compaction, which drops the consumed prefix
 *   <log>.consumed   where the unconsumed records start (marker.js)
 *   <log>.lock       the owning process (lock.js)
 *   <log>.torn       torn tails and corrupt lines, set aside (never replayed, never lost)
 *
 * Appends are group-committed: records queue up in memory and one loop writes whatever has
 * queued, as one write and one fdatasync, on libuv's thread pool (never on the event-loop
 * thread), then resolves every record of that batch. A record's Promise resolves only once it is
 * durable. Encoding runs on the event loop in slices of at most ~2 ms, so 100,000 failures do not
 * hold the loop. Records keep the order `append` was called in.
 *
 * One Journal per path per process (`Journal.for`), shared by every FailureLog on that path, so
 * a producer's log and a replay of it in the same process go through one writer.
 */
const fs = require('node:fs')
const fsp = require('node:fs/promises')
const { performance } = require('node:perf_hooks')
const { lineOf, parseLines, recordOf } = require('./format')
const lock = require('./lock')
const { readOffset, readOffsetSync, writeMarker, syncDir } = require('./marker')

/** A batch is written once it reaches this size, or when encoding it took this long. */
const BATCH_BYTES = 4 << 20
const SLICE_MS = 2
/** Compaction after a replay runs when the consumed prefix is at least this large (or all of it). */
const COMPACT_BYTES = 1 << 20
const TAIL_SCAN = 64 * 1024

const journals = new Map()

class Journal {
  /** The journal of `path` in this process (created on first use). */
  static for(path, options = {}) {
    let j = journals.get(path)
    if (!j) {
      j = new Journal(path, options)
      journals.set(path, j)
    }
    if (options.onCorruption) j.onCorruption = options.onCorruption
    j.refs++
    return j
  }

  constructor(path, { onCorruption } = {}) {
    this.path = path
    this.markerPath = `${path}.consumed`
    this.asidePath = `${path}.torn`
    this.onCorruption = onCorruption || null
    this.refs = 0
    this.queue = []
    this.head = 0
    this.writing = false
    this.fh = null
    this.opening = null
    this.lockPath = null
    this.chain = Promise.resolve()
    this.replaying = false
    this.closed = false
    /** A failed write may have left a partial line that could not be cut off (`_cutBack`). */
    this.freshLine = false
  }

  /** Opens the file once: takes the lock, sets a torn tail aside. Rejects if locked elsewhere. */
  ready() {
    if (!this.opening) {
      this.opening = this._open().catch((e) => {
        this.opening = null
        throw e
      })
    }
    return this.opening
  }

  async _open() {
    this.lockPath = lock.acquire(this.path)
    try {
      this.fh = await fsp.open(this.path, 'a')
      await this._setAsideTornTail()
    } catch (e) {
      if (this.fh) await this.fh.close().catch(() => {})
      this.fh = null
      lock.release(this.lockPath)
      this.lockPath = null
      throw e
    }
  }

  /** Truncates the log to its last complete line, keeping what followed in `<log>.torn`. */
  async _setAsideTornTail() {
    const { size } = await this.fh.stat()
    if (size === 0) return
    const rfh = await fsp.open(this.path, 'r')
    try {
      let end = size
      let lastNewline = -1
      while (end > 0 && lastNewline < 0) {
        const start = Math.max(0, end - TAIL_SCAN)
        const buf = Buffer.alloc(end - start)
        await rfh.read(buf, 0, buf.length, start)
        const i = buf.lastIndexOf(10)
        if (i >= 0) lastNewline = start + i
        end = start
      }
      const keep = lastNewline + 1
      if (keep === size) return
      const torn = Buffer.alloc(size - keep)
      await rfh.read(torn, 0, torn.length, keep)
      await this._setAside(torn, keep, 'torn tail (an append interrupted by a crash)')
      await this.fh.truncate(keep)
      await this.fh.datasync()
    } finally {
      await rfh.close()
    }
  }

  /** Appends bytes that are not records to `<log>.torn` (synced) and reports them. */
  async _setAside(bytes, offset, what) {
    const header = `--- ${new Date().toISOString()} ${what}, ${bytes.length} bytes from offset ${offset} of ${this.path}\n`
    const fh = await fsp.open(this.asidePath, 'a')
    try {
      await fh.write(Buffer.concat([Buffer.from(header), bytes, Buffer.from('\n')]))
      await fh.datasync()
    } finally {
      await fh.close()
    }
    const info = { path: this.path, setAsideIn: this.asidePath, offset, bytes: bytes.length, what }
    if (this.onCorruption) {
      try {
        this.onCorruption(info)
      } catch {}
    } else {
      process.emitWarning(`kafka-napi failure log: ${what} at offset ${offset} set aside in ${this.asidePath}`, {
        code: 'KAFKA_NAPI_FAILURE_LOG_CORRUPT',
      })
    }
  }

  /** Runs `fn` with the file to itself (no append, marker write or compaction meanwhile). */
  exclusive(fn) {
    const run = this.chain.then(fn)
    this.chain = run.catch(() => {})
    return run
  }

  /**
   * Queues failure reports (or already encoded records, `{ record }`) and resolves once they are
   * durable, with one entry per input: null, or the error that kept that one from being encoded
   * (a hostile getter). `id` keeps a record's identity across a replay's re-recording. One
   * Promise per batch: the producer hands over a failed send's reports at once.
   */
  appendBatch(entries) {
    return new Promise((resolve, reject) => {
      if (this.closed) {
        reject(new Error(`The failure log ${this.path} is closed`))
        return
      }
      this.queue.push({ entries, errors: new Array(entries.length).fill(null), next: 0, resolve, reject })
      if (!this.writing) {
        this.writing = true
        this._writeLoop()
      }
    })
  }

  /** One entry; rejects if it cannot be encoded. */
  append(entry) {
    return this.appendAll([entry])
  }

  /** Several entries; rejects with the first that cannot be encoded. */
  async appendAll(entries) {
    const errors = await this.appendBatch(entries)
    const first = errors.find((e) => e !== null)
    if (first) throw first
  }

  async _writeLoop() {
    try {
      await this.ready()
    } catch (e) {
      this._rejectQueued(e)
      this.writing = false
      return
    }
    while (this.head < this.queue.length) {
      const done = []
      const lines = []
      let bytes = 0
      const t0 = performance.now()
      let sliceUsed = false
      // Encode until the slice of event-loop time or the write size is used up; a large batch
      // may span several writes, and resolves once its last line is durable.
      while (this.head < this.queue.length && bytes < BATCH_BYTES && !sliceUsed) {
        const item = this.queue[this.head]
        const { entries, errors } = item
        while (item.next < entries.length) {
          const i = item.next++
          const entry = entries[i]
          try {
            const line = lineOf(entry.record ? entry.record : recordOf(entry.report, entry.id))
            lines.push(line)
            bytes += line.length
          } catch (e) {
            errors[i] = e
          }
          if ((i & 63) === 63 && (performance.now() - t0 > SLICE_MS || bytes >= BATCH_BYTES)) {
            sliceUsed = true
            break
          }
        }
        if (item.next === entries.length) {
          this.head++
          done.push(item)
        }
      }
      if (this.head > 4096 && this.head * 2 > this.queue.length) {
        this.queue = this.queue.slice(this.head)
        this.head = 0
      }
      try {
        if (lines.length > 0) {
          const buf = Buffer.from((this.freshLine ? '\n' : '') + lines.join(''))
          await this.exclusive(async () => {
            const fh = this.fh
            const { size } = await fh.stat()
            try {
              // A write may be short (e.g. a full disk): finish it or fail, never report it durable.
              for (let off = 0; off < buf.length; ) {
                const { bytesWritten } = await fh.write(buf, off, buf.length - off)
                if (bytesWritten <= 0) throw new Error(`The failure log ${this.path} accepted no bytes`)
                off += bytesWritten
              }
              await fh.datasync()
              this.freshLine = false
            } catch (e) {
              await this._cutBack(fh, size)
              throw e
            }
          })
        }
        for (const item of done) item.resolve(item.errors)
      } catch (e) {
        for (const item of done) item.reject(e)
        // A batch cut by this slice lost lines too: it fails whole, and is not continued.
        const partial = this.queue[this.head]
        if (partial && partial.next > 0) {
          this.head++
          partial.reject(e)
        }
      }
    }
    this.queue = []
    this.head = 0
    this.writing = false
  }

  /**
   * After a failed batch write: drops whatever part of it reached the file, so no record of it
   * (reported not durable) is replayed and the next record starts on a line of its own. If even
   * that fails, the next write starts with a newline: the partial line is then set aside as
   * corrupt by a replay, never glued to a record that was reported durable.
   */
  async _cutBack(fh, size) {
    try {
      await fh.truncate(size)
      await fh.datasync()
    } catch {
      this.freshLine = true
    }
  }

  _rejectQueued(e) {
    for (let i = this.head; i < this.queue.length; i++) this.queue[i].reject(e)
    this.queue = []
    this.head = 0
  }

  /** Resolves once everything appended so far is durable. */
  async settled() {
    while (this.writing) await new Promise((r) => setImmediate(r))
    await this.exclusive(() => {})
  }

  // --- the consumed marker (marker.js) ---------------------------------------------------

  /** The offset where unconsumed records start (0 if no marker names this file). */
  async consumedOffset() {
    const { ino, size } = await this.fh.stat()
    return readOffset(this.markerPath, ino, size)
  }

  /** Marks everything before `offset` consumed (durable before it resolves). */
  setConsumed(offset) {
    return this.exclusive(async () => writeMarker(this.markerPath, [`${(await this.fh.stat()).ino} ${offset}\n`]))
  }

  /** The file's current size (every append so far that has been written). */
  async size() {
    return (await this.fh.stat()).size
  }

  /** Reads `[start, end)` of the log and parses its complete lines. */
  async read(start, end) {
    if (end <= start) return { records: [], corrupt: [], end: start, torn: null }
    const rfh = await fsp.open(this.path, 'r')
    try {
      const buf = Buffer.alloc(end - start)
      const { bytesRead } = await rfh.read(buf, 0, buf.length, start)
      return parseLines(buf.subarray(0, bytesRead), start)
    } finally {
      await rfh.close()
    }
  }

  /** Sets corrupt lines aside (they are then consumed like any record). */
  async setAsideLines(corrupt) {
    for (const c of corrupt) await this._setAside(Buffer.from(c.text), c.start, 'a corrupt line')
  }

  /**
   * Drops the consumed prefix once it is large (or everything is consumed): the unconsumed tail
   * is copied to a new file that replaces the log. The marker names both files while this runs.
   */
  compact() {
    return this.exclusive(async () => {
      const { ino, size } = await this.fh.stat()
      const consumed = await this.consumedOffset()
      if (consumed === 0 || (consumed < COMPACT_BYTES && consumed < size)) return
      const tmp = `${this.path}.compact`
      const tail = Buffer.alloc(size - consumed)
      const rfh = await fsp.open(this.path, 'r')
      try {
        await rfh.read(tail, 0, tail.length, consumed)
      } finally {
        await rfh.close()
      }
      const nfh = await fsp.open(tmp, 'w')
      let nino
      try {
        await nfh.write(tail)
        await nfh.datasync()
        nino = (await nfh.stat()).ino
      } finally {
        await nfh.close()
      }
      await writeMarker(this.markerPath, [`${ino} ${consumed}\n`, `${nino} 0\n`])
      await fsp.rename(tmp, this.path)
      await syncDir(this.path)
      await this.fh.close()
      this.fh = await fsp.open(this.path, 'a')
      await writeMarker(this.markerPath, [`${nino} 0\n`])
    })
  }

  /** Waits for pending appends, then releases the file and its lock (last user only). */
  async close() {
    if (--this.refs > 0) return
    await this.settled()
    this.closed = true
    journals.delete(this.path)
    if (this.fh) await this.fh.close().catch(() => {})
    this.fh = null
    if (this.lockPath) lock.release(this.lockPath)
  }
}

/** Synchronous read of the unconsumed records (for `entries()`; takes no lock). */
function readUnconsumedSync(path) {
  if (!fs.existsSync(path)) return { records: [], corrupt: [] }
  const buf = fs.readFileSync(path)
  const start = readOffsetSync(`${path}.consumed`, fs.statSync(path).ino, buf.length)
  return parseLines(buf.subarray(start), start)
}

module.exports = { Journal, readUnconsumedSync }
