'use strict'
// kafkajs's numbers. Every codec is built into librdkafka, so no codec plugin is needed;
// `CompressionCodecs` is kept so code that registers kafkajs codec plugins still runs.
const CompressionTypes = Object.freeze({ None: 0, GZIP: 1, Snappy: 2, LZ4: 3, ZSTD: 4 })
const CompressionCodecs = {
  [CompressionTypes.GZIP]: () => ({}),
  [CompressionTypes.Snappy]: () => ({}),
  [CompressionTypes.LZ4]: () => ({}),
  [CompressionTypes.ZSTD]: () => ({}),
}
module.exports = { CompressionTypes, CompressionCodecs }
