'use strict'
/*
 * Chunks from the native consumer's poll thread, as Promises in request order. `next()` asks
 * for one (a plain native call: no Promise or task is made natively); the poll thread answers
 * each request through the one chunk listener set here. The listener is weak, so while a chunk
 * is asked for, a timer is kept referenced: a consumer waiting for messages keeps the process
 * alive, as a pending poll always did.
 */
const EMPTY = Buffer.alloc(0)

class ChunkSource {
  constructor(native) {
    this.native = native
    /** The resolve of each request not answered yet, oldest first. */
    this.waiting = []
    this.hold = setInterval(() => {}, 1 << 30)
    this.hold.unref()
    native.setChunkListener((chunk) => this.delivered(chunk))
  }

  /** The next chunk (see NativeConsumer.requestChunk); rejects when the consumer is closed. */
  next(maxMessages, maxBytes, waitMs) {
    return new Promise((resolve) => {
      // A throw here (the consumer closed) rejects the Promise.
      this.native.requestChunk(maxMessages, maxBytes, waitMs)
      this.waiting.push(resolve)
      if (this.waiting.length === 1) this.hold.ref()
    })
  }

  delivered(chunk) {
    const resolve = this.waiting.shift()
    if (this.waiting.length === 0) this.hold.unref()
    if (resolve) resolve(chunk)
  }

  /** The native consumer is closed: nothing more comes; a request still waiting gets an empty chunk. */
  closed() {
    clearInterval(this.hold)
    this.native.clearChunkListener()
    for (const resolve of this.waiting.splice(0)) resolve(EMPTY)
  }
}

module.exports = { ChunkSource }
