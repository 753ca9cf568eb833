'use strict'
/*
 * kafkajs's autoCommit after the batches of a fetch, for one run. kafkajs awaits that commit before
 * it fetches again; a commit is a round trip to the coordinator, and awaited it cost more than
 * handling a chunk, so here it runs behind the loop: at most one in flight, started no sooner
 * than GAP_MS after the one before, and the chunks that end meanwhile are covered by one more
 * commit after it (it commits every offset resolved by then).
 *
 * Why the gap: back to back, a consumer that gets its messages one at a time (an app's events)
 * committed after nearly every message, a write to __consumer_offsets each, and the broker's work
 * for them slowed the app's own sends. Measured with the Nest example (N1 in `npm run bench`, one
 * run per setting, kafka-napi against kafkajs in the same run): emit() mean 0.74 against 0.61 ms
 * back to back; with a gap of 10, 20 and 50 ms 0.61/0.62, 0.68/0.79 and 0.48/0.52; event delivery
 * 1.14 ms back to back, 0.77, 1.04 and 0.71 with the gap. The offsets are stored in librdkafka
 * before every poll either way, so a revocation commits them, and stop() and disconnect() commit
 * what a commit still waiting for its turn would have: the gap only widens the at-least-once
 * window of a crash, by at most GAP_MS.
 */
const GAP_MS = 20

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

class BatchCommits {
  /** `isRunning()`: whether the run goes on (a stopped run leaves its last commit to stop()). */
  constructor({ offsets, logger, groupId, isRunning }) {
    this.offsets = offsets
    this.logger = logger
    this.groupId = groupId
    this.isRunning = isRunning
    this.inFlight = null
    this.again = false
    this.lastStart = 0 // Date.now() when the last commit after the batches started
  }

  /** After a chunk's batches were handled: commit behind the loop (see above). */
  behind() {
    if (this.inFlight) {
      this.again = true
      return
    }
    this.inFlight = this.spaced().finally(() => {
      this.inFlight = null
      if (!this.again) return
      this.again = false
      this.behind()
    })
  }

  async spaced() {
    const wait = this.lastStart + GAP_MS - Date.now()
    if (wait > 0) await sleep(wait)
    this.lastStart = Date.now()
    await this.now()
  }

  /** Commits every resolved offset now (after a failed batch, before it is retried); never rejects. */
  async now() {
    if (!this.isRunning()) return
    try {
      await this.offsets.autoCommitOffsets()
    } catch (e) {
      this.logger.warn(`Committing offsets failed: ${e.message}`, { groupId: this.groupId })
    }
  }
}

module.exports = { BatchCommits, GAP_MS }
