'use strict'
/*
 * SendTracker settles finished sends in slices of about 1,000 messages per turn of the event
 * loop, in order, so that callers resumed by one drain do not all run in one turn; and a
 * disconnect settles every send that finished as such before it fails the rest; and large sends
 * are handed over as soon as about 1 MB of them is packed, so the pack buffer stays small.
 *
 * The native producer is replaced by a fake that hands back a completion buffer in the layout of
 * `write_completion` (src/producer/wire.rs): id u32, partition count u32, then per partition
 * topic u32, partition i32, base offset i64, log-append time i64.
 */
const { SendTracker } = require('../../lib/producer/send-tracker')

function completion(ids) {
  const b = Buffer.alloc(ids.length * 32)
  ids.forEach((id, i) => {
    const o = i * 32
    b.writeUInt32LE(id, o)
    b.writeUInt32LE(1, o + 4)
    b.writeUInt32LE(0, o + 8)
    b.writeInt32LE(0, o + 12)
    b.writeBigInt64LE(BigInt(id * 1000), o + 16)
    b.writeBigInt64LE(-1n, o + 24)
  })
  return b
}

function fakeNative() {
  const native = {
    next: Buffer.alloc(0),
    setCompletionListener(fn) {
      native.wake = fn
    },
    send: () => 0,
    takeCompletions() {
      const b = native.next
      native.next = Buffer.alloc(0)
      return b
    },
  }
  return native
}

/** A packed send of `count` messages to topic 't' (route.js's Sent, as the tracker reads it). */
function sentOf(count) {
  return { topics: ['t'], messages: new Array(count).fill({}), ends: null, runTopics: ['t'], offset: 0, length: 0 }
}

/** Starts `n` sends of `count` messages each; returns their settlement order. */
function startSends(tracker, n, count) {
  const settled = []
  const promises = []
  for (let i = 0; i < n; i++) {
    promises.push(
      tracker.send(0, -1, sentOf(count)).then(
        (parts) => settled.push(`ok ${i} ${parts[0].baseOffset}`),
        (e) => settled.push(`failed ${i} ${e.message}`),
      ),
    )
  }
  return { settled, all: Promise.all(promises) }
}

const microtasks = () => new Promise((r) => process.nextTick(r))
const nextTurn = () => new Promise((r) => setImmediate(r))

describe('SendTracker', () => {
  /** Settles what a test left pending (its keep-alive timer would hold Jest open). */
  let afterThis = null
  afterEach(() => {
    if (afterThis) afterThis()
    afterThis = null
  })

  test('settles about 1,000 messages of finished sends per turn, in order', async () => {
    const native = fakeNative()
    const tracker = new SendTracker(native)
    const { settled, all } = startSends(tracker, 4, 1000)
    await microtasks()
    native.next = completion([0, 1, 2, 3])
    native.wake()
    await microtasks()
    expect(settled).toEqual(['ok 0 0'])
    await nextTurn()
    expect(settled).toEqual(['ok 0 0', 'ok 1 1000'])
    await all
    expect(settled).toEqual(['ok 0 0', 'ok 1 1000', 'ok 2 2000', 'ok 3 3000'])
  })

  test('small sends: a thousand of them settle in one turn', async () => {
    const native = fakeNative()
    const tracker = new SendTracker(native)
    const { settled, all } = startSends(tracker, 1500, 1)
    await microtasks()
    native.next = completion(Array.from({ length: 1500 }, (_, i) => i))
    native.wake()
    await microtasks()
    expect(settled.length).toBe(1000)
    await all
    expect(settled.length).toBe(1500)
    expect(settled[1499]).toBe(`ok 1499 ${1499 * 1000}`)
  })

  test('a disconnect settles the sends that finished before it fails the others', async () => {
    const native = fakeNative()
    const tracker = new SendTracker(native)
    const { settled, all } = startSends(tracker, 4, 1000)
    await microtasks()
    native.next = completion([0, 1, 2])
    native.wake()
    await microtasks()
    expect(settled).toEqual(['ok 0 0'])
    tracker.closed()
    await all
    expect(settled).toEqual([
      'ok 0 0',
      'ok 1 1000',
      'ok 2 2000',
      'failed 3 The producer was disconnected before the send completed',
    ])
  })

  test('large sends of one turn go over once about 1 MB is packed, not all at the end of the turn', async () => {
    const native = fakeNative()
    const calls = []
    native.send = (meta, packed) => {
      // Each send's value length, read where the native side reads it in this call's buffer:
      // topic count, topic 't' (length + 1 byte), message count, then its topic index,
      // partition, timestamp and null key come before the value's length.
      const valueLengthAt = 4 + (4 + 1) + 4 + 4 + 4 + 8 + 4
      for (let i = 0; i < meta.length; i += 4) calls.push(packed.readUInt32LE(meta[i + 2] + valueLengthAt))
      return 0
    }
    const tracker = new SendTracker(native)
    afterThis = () => tracker.closed()
    const value = Buffer.alloc(300 * 1024, 1)
    for (let i = 0; i < 8; i++) {
      tracker.packer.start(['t'])
      tracker.packer.add(0, -1, 0, null, value, null)
      const { offset, length } = tracker.packer.finish()
      tracker.send(0, 1, { topics: ['t'], messages: [{ value }], offset, length }).catch(() => {})
    }
    // Within the turn: the first four (1.2 MB) went over, then the next four.
    expect(calls).toEqual(new Array(8).fill(value.length))
    // The buffer held at most about 1 MB plus one send, never the whole turn (2.4 MB).
    expect(tracker.packer.buf.length).toBeLessThanOrEqual(2 * 1024 * 1024)
    await microtasks()
    expect(calls.length).toBe(8)
  })
})
