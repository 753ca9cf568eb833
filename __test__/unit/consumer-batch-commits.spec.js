'use strict'
/*
 * The commit after the batches (lib/consumer/batch-commits.js), against kafkajs's OffsetManager
 * rules over a recording native stand-in, on a fake clock: at most one in flight, the next no
 * sooner than GAP_MS after the one before, and the offsets handled meanwhile committed by the
 * next. Back to back (before the gap), ten chunks of one message each, each handled after the
 * previous commit's answer, made ten commits: one per message.
 */
const { OffsetManager } = require('../../lib/consumer/offsets')
const { BatchCommits, GAP_MS } = require('../../lib/consumer/batch-commits')

function setup() {
  const commits = []
  const native = {
    storeOffsets: () => {},
    commit: async (_topics, _partitions, offsets) => {
      commits.push({ at: Date.now(), offsets: offsets.slice() })
    },
  }
  const offsets = new OffsetManager({
    native,
    autoCommit: true,
    autoCommitInterval: null,
    autoCommitThreshold: null,
    onCommit: () => {},
  })
  const warnings = []
  let running = true
  const batchCommits = new BatchCommits({
    offsets,
    logger: { warn: (m) => warnings.push(m) },
    groupId: 'g',
    isRunning: () => running,
  })
  return { commits, offsets, batchCommits, warnings, stop: () => (running = false) }
}

/** One chunk of one message (offset `o` of t/0) handled, then the loop's commit after it. */
const chunk = ({ offsets, batchCommits }, o) => {
  offsets.resolveOffset({ topic: 't', partition: 0, offset: String(o) })
  batchCommits.behind()
}

beforeEach(() => jest.useFakeTimers({ now: 1_000_000 }))
afterEach(() => jest.useRealTimers())

test('ten chunks within the gap: one commit at once, one after the gap with the last offset, nothing more', async () => {
  const s = setup()
  for (let o = 0; o < 10; o++) {
    chunk(s, o)
    await jest.advanceTimersByTimeAsync(1)
  }
  expect(s.commits).toEqual([{ at: 1_000_000, offsets: [1] }])
  await jest.advanceTimersByTimeAsync(GAP_MS)
  expect(s.commits).toEqual([
    { at: 1_000_000, offsets: [1] },
    { at: 1_000_000 + GAP_MS, offsets: [10] },
  ])
  await jest.advanceTimersByTimeAsync(10 * GAP_MS)
  expect(s.commits).toHaveLength(2)
  expect(s.warnings).toEqual([])
})

test('chunks further apart than the gap are each committed at once', async () => {
  const s = setup()
  for (let o = 0; o < 3; o++) {
    chunk(s, o)
    await jest.advanceTimersByTimeAsync(GAP_MS + 1)
  }
  expect(s.commits.map((c) => c.offsets)).toEqual([[1], [2], [3]])
  expect(s.commits.map((c) => c.at - 1_000_000)).toEqual([0, GAP_MS + 1, 2 * (GAP_MS + 1)])
})

test('a run stopped while a commit waits for its turn leaves it to stop(): nothing committed after the stop', async () => {
  const s = setup()
  chunk(s, 0)
  await jest.advanceTimersByTimeAsync(1)
  chunk(s, 1)
  s.stop()
  await jest.advanceTimersByTimeAsync(5 * GAP_MS)
  expect(s.commits.map((c) => c.offsets)).toEqual([[1]])
  // What stop() commits: everything resolved.
  expect(s.offsets.uncommittedOffsets()).toEqual({
    topics: [{ topic: 't', partitions: [{ partition: '0', offset: '2' }] }],
  })
})

test('now() commits at once, whatever the gap, and reports a failed commit as a warning', async () => {
  const s = setup()
  chunk(s, 0)
  await jest.advanceTimersByTimeAsync(1)
  s.offsets.resolveOffset({ topic: 't', partition: 0, offset: '1' })
  await s.batchCommits.now()
  expect(s.commits.map((c) => c.offsets)).toEqual([[1], [2]])
  s.offsets.native.commit = async () => {
    throw new Error('{"code":-185,"name":"TIMED_OUT","message":"x"}')
  }
  s.offsets.resolveOffset({ topic: 't', partition: 0, offset: '2' })
  await s.batchCommits.now()
  expect(s.warnings).toHaveLength(1)
  expect(s.warnings[0]).toMatch(/^Committing offsets failed: /)
})
