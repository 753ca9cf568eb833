'use strict'
/*
 * A minimal Kafka Metadata request (API key 3, version 4) over a plain TCP socket, used by the
 * launcher to decide that a broker is ready: it must answer with the list of live brokers.
 * Having no dependency, the launcher works before `npm install` has run.
 */
const net = require('node:net')

function encodeRequest(correlationId) {
  const clientId = Buffer.from('kafka-napi-launcher')
  const body = Buffer.alloc(2 + 2 + 4 + 2 + clientId.length + 4 + 1)
  let o = 0
  o = body.writeInt16BE(3, o) // api key: Metadata
  o = body.writeInt16BE(4, o) // api version
  o = body.writeInt32BE(correlationId, o)
  o = body.writeInt16BE(clientId.length, o)
  o += clientId.copy(body, o)
  o = body.writeInt32BE(0, o) // topics: empty array, brokers only
  body.writeInt8(0, o) // allow_auto_topic_creation: false
  const size = Buffer.alloc(4)
  size.writeInt32BE(body.length)
  return Buffer.concat([size, body])
}

function decodeResponse(buf) {
  let o = 4 // correlation id
  o += 4 // throttle_time_ms
  const count = buf.readInt32BE(o)
  o += 4
  const brokers = []
  for (let i = 0; i < count; i++) {
    const nodeId = buf.readInt32BE(o)
    o += 4
    const hostLen = buf.readInt16BE(o)
    o += 2
    const host = buf.toString('utf8', o, o + hostLen)
    o += hostLen
    const port = buf.readInt32BE(o)
    o += 4
    const rackLen = buf.readInt16BE(o)
    o += 2
    if (rackLen > 0) o += rackLen
    brokers.push({ nodeId, host, port })
  }
  const clusterIdLen = buf.readInt16BE(o)
  o += 2
  const clusterId = clusterIdLen >= 0 ? buf.toString('utf8', o, o + clusterIdLen) : null
  if (clusterIdLen > 0) o += clusterIdLen
  const controllerId = buf.readInt32BE(o)
  return { brokers, clusterId, controllerId }
}

/** Resolves `{ brokers: [{ nodeId, host, port }], clusterId, controllerId }` or rejects. */
function probeMetadata(host, port, timeoutMs) {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port })
    let chunks = Buffer.alloc(0)
    const timer = setTimeout(() => finish(new Error(`metadata from ${host}:${port} timed out`)), timeoutMs)
    function finish(err, value) {
      clearTimeout(timer)
      socket.destroy()
      if (err) reject(err)
      else resolve(value)
    }
    socket.on('connect', () => socket.write(encodeRequest(1)))
    socket.on('data', (d) => {
      chunks = Buffer.concat([chunks, d])
      if (chunks.length < 4) return
      const size = chunks.readInt32BE(0)
      if (chunks.length < 4 + size) return
      try {
        finish(null, decodeResponse(chunks.subarray(4, 4 + size)))
      } catch (e) {
        finish(new Error(`bad metadata response from ${host}:${port}: ${e.message}`))
      }
    })
    socket.on('error', (e) => finish(new Error(`${host}:${port}: ${e.code || e.message}`)))
    socket.on('close', () => finish(new Error(`${host}:${port} closed the connection`)))
  })
}

module.exports = { probeMetadata }
