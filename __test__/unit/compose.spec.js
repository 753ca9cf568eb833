'use strict'
const fs = require('node:fs')
const path = require('node:path')
const YAML = require('yaml')
const { TOPOLOGIES } = require('../../scripts/kafka/kafka')

// docker-compose.yml must offer the launcher's topologies on the same ports and settings.
describe('docker-compose.yml matches the launcher', () => {
  const compose = YAML.parse(fs.readFileSync(path.join(__dirname, '../../docker-compose.yml'), 'utf8'), { merge: true })
  const env = (svc) => compose.services[svc].environment

  test('single node ports', () => {
    const n = TOPOLOGIES.single.nodes[0]
    expect(env('kafka').KAFKA_LISTENERS).toBe(
      `PLAINTEXT://127.0.0.1:${n.port},CONTROLLER://127.0.0.1:${n.controllerPort},SASL_PLAINTEXT://127.0.0.1:${n.saslPort}`,
    )
  })

  test.each([1, 2, 3])('cluster node %i ports and replication settings', (id) => {
    const n = TOPOLOGIES.cluster.nodes.find((x) => x.id === id)
    const e = env(`kafka-${id}`)
    expect(e.KAFKA_NODE_ID).toBe(String(id))
    expect(e.KAFKA_LISTENERS).toBe(`PLAINTEXT://127.0.0.1:${n.port},CONTROLLER://127.0.0.1:${n.controllerPort}`)
    expect(e.KAFKA_CONTROLLER_QUORUM_VOTERS).toBe(
      TOPOLOGIES.cluster.nodes.map((x) => `${x.id}@127.0.0.1:${x.controllerPort}`).join(','),
    )
    for (const [k, v] of Object.entries(TOPOLOGIES.cluster.settings)) {
      expect(e[`KAFKA_${k.toUpperCase().replace(/\./g, '_')}`]).toBe(String(v))
    }
  })
})
