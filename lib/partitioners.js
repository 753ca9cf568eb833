'use strict'
/*
 * kafkajs's partitioners. The default one (Java-compatible murmur2) is also what librdkafka's
 * `murmur2_random` computes, so for it the producer leaves partitioning to the native core and
 * never calls this code on the hot path; it is kept here, exact, for custom use and for tests.
 * The Legacy partitioner reproduces kafkajs's imprecise JS multiplication bit for bit.
 */

const SEED = 0x9747b28c
const M = 0x5bd1e995
const R = 24

/** Kafka's Java murmur2 (seed 0x9747b28c) over the key bytes, as a signed 32-bit int. */
function murmur2(key) {
  const data = Buffer.isBuffer(key) ? key : Buffer.from(String(key))
  const length = data.length
  let h = (SEED ^ length) | 0
  const length4 = length >> 2
  for (let i = 0; i < length4; i++) {
    const i4 = i * 4
    let k =
      (data[i4] & 0xff) + ((data[i4 + 1] & 0xff) << 8) + ((data[i4 + 2] & 0xff) << 16) + ((data[i4 + 3] & 0xff) << 24)
    k = Math.imul(k, M)
    k ^= k >>> R
    k = Math.imul(k, M)
    h = Math.imul(h, M)
    h ^= k
  }
  const rest = length & 3
  const base = length & ~3
  if (rest === 3) h ^= (data[base + 2] & 0xff) << 16
  if (rest >= 2) h ^= (data[base + 1] & 0xff) << 8
  if (rest >= 1) {
    h ^= data[base] & 0xff
    h = Math.imul(h, M)
  }
  h ^= h >>> 13
  h = Math.imul(h, M)
  h ^= h >>> 15
  return h | 0
}

/** kafkajs 1.x's murmur2: plain JS multiplication, which loses precision past 2^53. */
function legacyMurmur2(key) {
  const data = Buffer.isBuffer(key) ? key : Buffer.from(String(key))
  const length = data.length
  let h = SEED ^ length
  const length4 = length / 4
  for (let i = 0; i < length4; i++) {
    const i4 = i * 4
    let k =
      (data[i4 + 0] & 0xff) +
      ((data[i4 + 1] & 0xff) << 8) +
      ((data[i4 + 2] & 0xff) << 16) +
      ((data[i4 + 3] & 0xff) << 24)
    k *= M
    k ^= k >>> R
    k *= M
    h *= M
    h ^= k
  }
  switch (length % 4) {
    // biome-ignore lint/suspicious/noFallthroughSwitchClause: murmur2 mixes the tail bytes by falling through
    case 3:
      h ^= (data[(length & ~3) + 2] & 0xff) << 16
    // falls through
    // biome-ignore lint/suspicious/noFallthroughSwitchClause: murmur2 mixes the tail bytes by falling through
    case 2:
      h ^= (data[(length & ~3) + 1] & 0xff) << 8
    // falls through
    case 1:
      h ^= data[length & ~3] & 0xff
      h *= M
  }
  h ^= h >>> 13
  h *= M
  h ^= h >>> 15
  return h
}

const toPositive = (x) => x & 0x7fffffff

function makePartitioner(hash) {
  return () => {
    const counters = new Map()
    const next = (topic) => {
      if (!counters.has(topic)) counters.set(topic, Math.floor(Math.random() * 0x100000000))
      const c = counters.get(topic)
      counters.set(topic, (c + 1) % 0x100000000)
      return c
    }
    return ({ topic, partitionMetadata, message }) => {
      const numPartitions = partitionMetadata.length
      const available = partitionMetadata.filter((p) => p.leader >= 0)
      if (message.partition !== null && message.partition !== undefined) return message.partition
      if (message.key !== null && message.key !== undefined) return toPositive(hash(message.key)) % numPartitions
      const n = next(topic)
      if (available.length > 0) return available[toPositive(n) % available.length].partitionId
      return toPositive(n) % numPartitions
    }
  }
}

const JavaCompatiblePartitioner = makePartitioner(murmur2)
const LegacyPartitioner = makePartitioner(legacyMurmur2)

const Partitioners = {
  DefaultPartitioner: JavaCompatiblePartitioner,
  JavaCompatiblePartitioner,
  LegacyPartitioner,
}

module.exports = { Partitioners, murmur2, legacyMurmur2 }
