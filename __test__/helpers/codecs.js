'use strict'
/*
 * Decompression for the reference consumer (kafkajs ships only GZIP). Pure-JS decoders, so the
 * read-back stays independent of librdkafka: Snappy (raw or xerial-framed), LZ4 frames, ZSTD.
 * Compression is never needed: only this package produces compressed batches in the tests.
 */
const { CompressionTypes, CompressionCodecs } = require('kafkajs')
const snappy = require('snappyjs')
const lz4 = require('lz4js')
const fzstd = require('fzstd')

const XERIAL = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00])

function unsnappy(buf) {
  if (buf.length >= 16 && buf.subarray(0, 8).equals(XERIAL)) {
    const parts = []
    let o = 16
    while (o + 4 <= buf.length) {
      const n = buf.readInt32BE(o)
      o += 4
      parts.push(Buffer.from(snappy.uncompress(buf.subarray(o, o + n))))
      o += n
    }
    return Buffer.concat(parts)
  }
  return Buffer.from(snappy.uncompress(buf))
}

const codec = (decompress) => () => ({
  async compress() {
    throw new Error('the test reference client only decompresses')
  },
  async decompress(buf) {
    return decompress(buf)
  },
})

function register() {
  CompressionCodecs[CompressionTypes.Snappy] = codec(unsnappy)
  CompressionCodecs[CompressionTypes.LZ4] = codec((b) => Buffer.from(lz4.decompress(b)))
  CompressionCodecs[CompressionTypes.ZSTD] = codec((b) => Buffer.from(fzstd.decompress(b)))
}

module.exports = { register }
