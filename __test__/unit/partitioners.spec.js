'use strict'
const { Partitioners, murmur2, legacyMurmur2 } = require('../../lib/partitioners')

describe('murmur2', () => {
  // Vectors from librdkafka's rdmurmur2.c unit test (Java client values).
  test.each([
    ['kafka', 0xd067cf64 | 0],
    ['giberish123456789', 0x8f552b0c | 0],
    ['1234', 0x9fc97b14 | 0],
    ['234', 0xe7c009ca | 0],
    ['34', 0x873930da | 0],
    ['4', 0x5a4b5ca1 | 0],
    ['PreAmbleWillBeRemoved,ThePrePartThatIs', 0x78424f1c | 0],
    ['reAmbleWillBeRemoved,ThePrePartThatIs', 0x4a62b377 | 0],
    ['eAmbleWillBeRemoved,ThePrePartThatIs', 0xe0e4e09e | 0],
    ['AmbleWillBeRemoved,ThePrePartThatIs', 0x62b8b43f | 0],
    ['', 0x106e08d9 | 0],
  ])('murmur2(%j) is the Java client hash', (key, hash) => {
    expect(murmur2(Buffer.from(key))).toBe(hash)
  })

  test('the legacy hash differs from Java for "kafka" over 12 partitions (kafkajs 1.x behaviour)', () => {
    expect((murmur2('kafka') & 0x7fffffff) % 12).toBe(4)
    expect((legacyMurmur2('kafka') & 0x7fffffff) % 12).toBe(7)
  })
})

describe('partitioners', () => {
  const meta = (n, down = []) =>
    Array.from({ length: n }, (_, i) => ({
      partitionId: i,
      leader: down.includes(i) ? -1 : 0,
      partitionErrorCode: 0,
      replicas: [0],
      isr: [0],
    }))

  test('an explicit partition wins', () => {
    const p = Partitioners.DefaultPartitioner()
    expect(p({ topic: 't', partitionMetadata: meta(3), message: { key: 'k', partition: 1 } })).toBe(1)
  })

  test('keyless messages go round-robin over partitions that have a leader', () => {
    const p = Partitioners.DefaultPartitioner()
    const seen = Array.from({ length: 8 }, () =>
      p({ topic: 't', partitionMetadata: meta(4, [1]), message: { value: 'v' } }),
    )
    expect(new Set(seen)).toEqual(new Set([0, 2, 3]))
    for (let i = 1; i < seen.length; i++)
      expect([0, 2, 3].indexOf(seen[i])).toBe(([0, 2, 3].indexOf(seen[i - 1]) + 1) % 3)
  })
})
