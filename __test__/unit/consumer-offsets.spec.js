'use strict'
/* kafkajs's offset rules in the consumer's OffsetManager, against a recording native stand-in. */
const { OffsetManager } = require('../../lib/consumer/offsets')
const { Pauses } = require('../../lib/consumer/pauses')

function recorder() {
  const calls = []
  return {
    calls,
    storeOffsets: (t, p, o) => calls.push(['store', t, p, o]),
    commit: async (t, p, o) => calls.push(['commit', t, p, o]),
  }
}

const manager = (native, opts = {}) =>
  new OffsetManager({
    native,
    autoCommit: true,
    autoCommitInterval: null,
    autoCommitThreshold: null,
    onCommit: () => {},
    ...opts,
  })

describe('OffsetManager', () => {
  test('resolving offset n makes n + 1 the offset to commit, and never moves it back', async () => {
    const native = recorder()
    const m = manager(native)
    m.resolveOffset({ topic: 't', partition: 0, offset: '4' })
    m.resolveOffset({ topic: 't', partition: 0, offset: '2' })
    m.resolveOffset({ topic: 't', partition: 1, offset: '0' })
    expect(m.uncommittedOffsets()).toEqual({
      topics: [
        {
          topic: 't',
          partitions: [
            { partition: '0', offset: '5' },
            { partition: '1', offset: '1' },
          ],
        },
      ],
    })
    await m.commitOffsets()
    expect(native.calls).toEqual([['commit', ['t', 't'], [0, 1], [5, 1]]])
    expect(m.uncommittedOffsets()).toEqual({ topics: [] })
    await m.commitOffsets()
    expect(native.calls).toHaveLength(1)
  })

  test('the store gets each resolved offset once, before the next poll', () => {
    const native = recorder()
    const m = manager(native)
    m.resolveOffset({ topic: 't', partition: 0, offset: '1' })
    m.resolveOffset({ topic: 't', partition: 0, offset: '2' })
    m.flushStore()
    m.flushStore()
    expect(native.calls).toEqual([['store', ['t'], [0], [3]]])
  })

  test('commitOffsetsIfNecessary commits at the threshold, and never without autoCommit', async () => {
    const native = recorder()
    const m = manager(native, { autoCommitThreshold: 2 })
    m.resolveOffset({ topic: 't', partition: 0, offset: '0' })
    await m.commitOffsetsIfNecessary()
    expect(native.calls).toEqual([])
    m.resolveOffset({ topic: 't', partition: 0, offset: '1' })
    await m.commitOffsetsIfNecessary()
    expect(native.calls).toEqual([['commit', ['t'], [0], [2]]])
    const off = manager(recorder(), { autoCommit: false, autoCommitThreshold: 1 })
    off.resolveOffset({ topic: 't', partition: 0, offset: '0' })
    expect(off.commitOffsetsIfNecessary()).toBeUndefined()
    expect(off.autoCommitOffsets()).toBeUndefined()
  })

  test('a revoked partition is forgotten', () => {
    const m = manager(recorder())
    m.resolveOffset({ topic: 't', partition: 0, offset: '0' })
    m.clear([{ topic: 't', partition: 0 }])
    expect(m.uncommittedOffsets()).toEqual({ topics: [] })
  })
})

describe('Pauses', () => {
  test('a paused topic lists its assigned partitions; resuming one keeps the others paused', () => {
    const p = new Pauses()
    p.pause('t', null)
    expect(p.list(() => [2, 0, 1])).toEqual([{ topic: 't', partitions: [0, 1, 2] }])
    p.resume('t', [1], [0, 1, 2])
    expect(p.isPaused('t', 1)).toBe(false)
    expect(p.isPaused('t', 0)).toBe(true)
    expect(p.list(() => [0, 1, 2])).toEqual([{ topic: 't', partitions: [0, 2] }])
    p.resume('t', null)
    expect(p.list(() => [0, 1, 2])).toEqual([])
  })
})
