'use strict'
// The JS side of the binary crossing to the native core: the pack buffer (layout documented on
// `Reader` in src/producer.rs) and int64 decoding of the completion buffer.
const { Packer, int64String } = require('../../lib/pack')

/** Reads one send back, following the documented layout. */
function readSend(buf, offset, length) {
  let o = offset
  const u32 = () => {
    o += 4
    return buf.readUInt32LE(o - 4)
  }
  const i32 = () => {
    o += 4
    return buf.readInt32LE(o - 4)
  }
  const f64 = () => {
    o += 8
    return buf.readDoubleLE(o - 8)
  }
  const bytes = (n) => {
    o += n
    return buf.subarray(o - n, o)
  }
  const opt = () => {
    const n = i32()
    return n < 0 ? null : Buffer.from(bytes(n))
  }
  const topics = Array.from({ length: u32() }, () => bytes(u32()).toString('utf8'))
  const messages = Array.from({ length: u32() }, () => {
    const m = { topic: u32(), partition: i32(), timestamp: f64(), key: opt(), value: opt() }
    m.headers = Array.from({ length: u32() }, () => [bytes(u32()).toString('utf8'), opt()])
    return m
  })
  expect(o - offset).toBe(length)
  return { topics, messages }
}

describe('Packer', () => {
  test('writes the sends of one turn back to back, each readable on its own', () => {
    const p = new Packer()
    p.start(['orders', 'café-ü'])
    p.add(0, -1, 0, 'k1', Buffer.from([1, 2, 3]), [
      ['h', 'v'],
      ['h', Buffer.from([0])],
      ['n', null],
    ])
    p.add(1, 3, 1700000000123, null, null, null)
    const a = p.finish()
    p.start(['t'])
    p.add(0, 0, 5, Buffer.alloc(0), '\u{1F600}\uD800', null)
    const b = p.finish()
    const buf = p.view()
    expect(a.count).toBe(2)
    expect(b.offset).toBe(a.offset + a.length)
    expect(buf.length).toBe(b.offset + b.length)

    const first = readSend(buf, a.offset, a.length)
    expect(first.topics).toEqual(['orders', 'café-ü'])
    expect(first.messages[0]).toEqual({
      topic: 0,
      partition: -1,
      timestamp: 0,
      key: Buffer.from('k1'),
      value: Buffer.from([1, 2, 3]),
      headers: [
        ['h', Buffer.from('v')],
        ['h', Buffer.from([0])],
        ['n', null],
      ],
    })
    expect(first.messages[1]).toEqual({
      topic: 1,
      partition: 3,
      timestamp: 1700000000123,
      key: null,
      value: null,
      headers: [],
    })
    const second = readSend(buf, b.offset, b.length)
    expect(second.messages[0].key).toEqual(Buffer.alloc(0))
    // A lone surrogate becomes U+FFFD, as Buffer.from encodes it.
    expect(second.messages[0].value).toEqual(Buffer.from('\u{1F600}\uD800'))
  })

  test('a cancelled send leaves nothing behind and the buffer grows for big sends', () => {
    const p = new Packer()
    p.start(['t'])
    p.add(0, -1, 0, null, 'kept', null)
    const kept = p.finish()
    p.start(['t'])
    p.add(0, -1, 0, null, Buffer.alloc(200 * 1024, 7), null)
    expect(p.writing).toBe(true)
    p.cancel()
    expect(p.writing).toBe(false)
    expect(p.view().length).toBe(kept.offset + kept.length)

    const big = Buffer.alloc(300 * 1024, 9)
    p.start(['t'])
    p.add(0, -1, 0, null, big, null)
    const s = p.finish()
    expect(readSend(p.view(), kept.offset, kept.length).messages[0].value.toString()).toBe('kept')
    expect(readSend(p.view(), s.offset, s.length).messages[0].value.equals(big)).toBe(true)
  })

  test('reset reuses the buffer, also one grown to 8 MB, and drops one grown past 16 MB', () => {
    const p = new Packer()
    const initial = p.buf
    p.start(['t'])
    p.add(0, -1, 0, null, 'x', null)
    p.finish()
    p.reset()
    expect(p.view().length).toBe(0)
    expect(p.buf).toBe(initial)
    p.start(['t'])
    p.add(0, -1, 0, null, Buffer.alloc(5 * 1024 * 1024), null)
    p.finish()
    const grown = p.buf
    expect(grown.length).toBeGreaterThan(5 * 1024 * 1024)
    p.reset()
    expect(p.buf === grown).toBe(true) // kept: the next turn of the same size does not regrow it
    p.start(['t'])
    p.add(0, -1, 0, null, Buffer.alloc(17 * 1024 * 1024), null)
    p.finish()
    p.reset()
    expect(p.buf.length).toBe(initial.length)
  })

  test('a buffer the last 256 turns used less than a quarter of is shrunk', () => {
    const p = new Packer()
    p.start(['t'])
    p.add(0, -1, 0, null, Buffer.alloc(5 * 1024 * 1024), null)
    p.finish()
    p.reset()
    const grown = p.buf
    for (let i = 0; i < 600 && p.buf === grown; i++) {
      p.start(['t'])
      p.add(0, -1, 0, null, Buffer.alloc(100 * 1024), null)
      p.finish()
      p.reset()
    }
    expect(p.buf === grown).toBe(false)
    expect(p.buf.length).toBeLessThan(grown.length / 4)
    expect(p.buf.length).toBeGreaterThanOrEqual(200 * 1024)
  })
})

test('int64String decodes every int64 exactly', () => {
  const b = Buffer.alloc(8)
  const values = [
    0n,
    1n,
    -1n,
    4294967295n,
    4294967296n,
    -4294967296n,
    -4294967297n,
    2n ** 53n - 1n,
    2n ** 53n,
    -(2n ** 53n) - 1n,
    2n ** 63n - 1n,
    -(2n ** 63n),
    123456789012n,
  ]
  expect.assertions(values.length)
  for (const v of values) {
    b.writeBigInt64LE(v)
    expect(int64String(b, 0)).toBe(v.toString())
  }
})
