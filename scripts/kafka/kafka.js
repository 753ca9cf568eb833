#!/usr/bin/env node
'use strict'
/*
 * The project's own Apache Kafka launcher: no Docker, only Java 17 and Maven.
 *
 *   npm run kafka -- start  [single|cluster|all]   start (or reuse) a topology and wait until ready
 *   npm run kafka -- stop   [single|cluster|all]   graceful stop (SIGTERM, then SIGKILL after 30 s)
 *   npm run kafka -- status [single|cluster|all]   print which nodes run, exit 1 if any is down
 *   npm run kafka -- kill-node N                    SIGKILL cluster node N (1..3)
 *   npm run kafka -- start-node N                   start cluster node N again, keeping its data
 *   npm run kafka -- env                            print the KAFKA_* variables for the topologies
 *
 * The broker jars come from Maven Central (scripts/kafka/pom.xml) into scripts/kafka/.cache/jars;
 * a second start downloads nothing. Node state (data, logs, pid files, TLS material) lives in
 * .kafka/<topology>/ at the repository root. Every topology listens on 127.0.0.1 only; the ports
 * are the ones in TOPOLOGIES below and in docker-compose.yml.
 *
 * "Ready" means a Metadata request to the node lists every broker of the topology; an open
 * port is not enough.
 */
const { spawn, spawnSync } = require('node:child_process')
const crypto = require('node:crypto')
const fs = require('node:fs')
const path = require('node:path')
const { probeMetadata } = require('./metadata')

const ROOT = path.resolve(__dirname, '..', '..')
const CACHE = path.join(__dirname, '.cache')
const JARS = path.join(CACHE, 'jars')
const STATE = process.env.KAFKA_NAPI_STATE_DIR || path.join(ROOT, '.kafka')
const READY_TIMEOUT_MS = Number(process.env.KAFKA_READY_TIMEOUT_MS || 120000)

/** Test users known to the SASL listener (PLAIN and both SCRAM mechanisms). */
const SASL_USERS = [{ username: 'kafka-napi', password: 'kafka-napi-secret' }]

const TOPOLOGIES = {
  single: {
    nodes: [{ id: 1, port: 19092, controllerPort: 19093, saslPort: 19094, sslPort: 19095 }],
    settings: {
      'offsets.topic.replication.factor': 1,
      'transaction.state.log.replication.factor': 1,
      'transaction.state.log.min.isr': 1,
      'share.coordinator.state.topic.replication.factor': 1,
      'share.coordinator.state.topic.min.isr': 1,
      'default.replication.factor': 1,
      'min.insync.replicas': 1,
    },
  },
  cluster: {
    nodes: [
      { id: 1, port: 29092, controllerPort: 29192 },
      { id: 2, port: 29093, controllerPort: 29193 },
      { id: 3, port: 29094, controllerPort: 29194 },
    ],
    settings: {
      'offsets.topic.replication.factor': 3,
      'transaction.state.log.replication.factor': 3,
      'transaction.state.log.min.isr': 2,
      'share.coordinator.state.topic.replication.factor': 3,
      'share.coordinator.state.topic.min.isr': 2,
      'default.replication.factor': 3,
      'min.insync.replicas': 2,
      'unclean.leader.election.enable': false,
    },
  },
}

const COMMON_SETTINGS = {
  'process.roles': 'broker,controller',
  'controller.listener.names': 'CONTROLLER',
  'inter.broker.listener.name': 'PLAINTEXT',
  'group.initial.rebalance.delay.ms': 0,
  'auto.create.topics.enable': true,
  'num.partitions': 1,
  // A killed node is fenced (and leaves the ISR) after this long; the default is 9 s.
  'broker.session.timeout.ms': 6000,
  'broker.heartbeat.interval.ms': 1000,
  'log.retention.hours': 1,
}

function usage(message) {
  if (message) console.error(`kafka: ${message}`)
  console.error(
    [
      'usage: npm run kafka -- <command> [args]',
      '  start  [single|cluster|all]   start or reuse a topology, wait until every node answers metadata',
      '  stop   [single|cluster|all]   graceful stop',
      '  status [single|cluster|all]   show nodes; exit 1 if any is down',
      '  kill-node N                    SIGKILL cluster node N (1..3)',
      '  start-node N                   start cluster node N again (keeps its data)',
      '  env                            print KAFKA_BROKERS, KAFKA_CLUSTER_BROKERS, ...',
    ].join('\n'),
  )
  process.exit(2)
}

function brokersOf(name) {
  return TOPOLOGIES[name].nodes.map((n) => `127.0.0.1:${n.port}`)
}

/** The environment variables tests read, for every topology. */
function envVars() {
  const s = TOPOLOGIES.single.nodes[0]
  return {
    KAFKA_BROKERS: brokersOf('single').join(','),
    KAFKA_CLUSTER_BROKERS: brokersOf('cluster').join(','),
    KAFKA_SASL_BROKERS: `127.0.0.1:${s.saslPort}`,
    KAFKA_SSL_BROKERS: `127.0.0.1:${s.sslPort}`,
    KAFKA_SSL_CA: path.join(STATE, 'single', 'tls', 'ca.pem'),
    KAFKA_SASL_USERNAME: SASL_USERS[0].username,
    KAFKA_SASL_PASSWORD: SASL_USERS[0].password,
  }
}

function which(cmd) {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' }).status === 0
}

function requireTools() {
  if (!which('java')) {
    console.error(
      'kafka: `java` was not found on PATH. Install a JDK 17 or newer (Debian: apt-get install openjdk-17-jdk-headless).',
    )
    process.exit(1)
  }
  if (!fs.existsSync(path.join(JARS, '.complete')) && !which('mvn')) {
    console.error(
      'kafka: `mvn` was not found on PATH; it fetches the broker jars once. Install Maven (Debian: apt-get install maven).',
    )
    process.exit(1)
  }
}

/** Copies the broker jars from Maven Central once; the pom's hash marks a complete cache. */
function ensureJars() {
  const pom = path.join(__dirname, 'pom.xml')
  const hash = crypto.createHash('sha256').update(fs.readFileSync(pom)).digest('hex')
  const marker = path.join(JARS, '.complete')
  if (fs.existsSync(marker) && fs.readFileSync(marker, 'utf8') === hash) return
  fs.rmSync(JARS, { recursive: true, force: true })
  fs.mkdirSync(JARS, { recursive: true })
  console.error('kafka: fetching Apache Kafka jars from Maven Central (once)...')
  const r = spawnSync(
    'mvn',
    ['-B', '-q', '-f', pom, 'dependency:copy-dependencies', '-DincludeScope=runtime', `-DoutputDirectory=${JARS}`],
    { stdio: 'inherit' },
  )
  if (r.status !== 0) {
    console.error('kafka: mvn failed to fetch the broker jars (see above)')
    process.exit(1)
  }
  fs.writeFileSync(marker, hash)
}

function java(args, opts = {}) {
  return spawnSync('java', ['-cp', path.join(JARS, '*'), ...args], { encoding: 'utf8', ...opts })
}

function nodeDir(topology, id) {
  return path.join(STATE, topology, `node-${id}`)
}

function pidOf(topology, id) {
  const file = path.join(nodeDir(topology, id), 'pid')
  if (!fs.existsSync(file)) return null
  const pid = Number(fs.readFileSync(file, 'utf8'))
  if (!pid) return null
  try {
    process.kill(pid, 0)
  } catch {
    return null
  }
  // A recycled pid would not be running our main class.
  try {
    const cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8')
    if (!cmdline.includes('kafka.Kafka')) return null
  } catch {
    // no /proc: trust the signal probe
  }
  return pid
}

/** CA and broker certificate for the TLS listener, made once per state dir with openssl. */
function ensureTls(dir) {
  const tls = path.join(dir, 'tls')
  if (fs.existsSync(path.join(tls, 'broker-keystore.pem'))) return tls
  if (!which('openssl')) {
    console.error(
      "kafka: `openssl` was not found on PATH; it makes the TLS listener's certificates (apt-get install openssl).",
    )
    process.exit(1)
  }
  fs.mkdirSync(tls, { recursive: true })
  const run = (args) => {
    const r = spawnSync('openssl', args, { cwd: tls, encoding: 'utf8' })
    if (r.status !== 0) throw new Error(`openssl ${args[0]} failed: ${r.stderr}`)
  }
  fs.writeFileSync(
    path.join(tls, 'san.cnf'),
    'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth,clientAuth\n',
  )
  fs.writeFileSync(path.join(tls, 'client.cnf'), 'basicConstraints=CA:FALSE\nextendedKeyUsage=clientAuth\n')
  run([
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-days',
    '3650',
    '-subj',
    '/CN=kafka-napi test CA',
    '-keyout',
    'ca-key.pem',
    '-out',
    'ca.pem',
  ])
  run([
    'req',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-subj',
    '/CN=localhost',
    '-keyout',
    'broker-key.pem',
    '-out',
    'broker.csr',
  ])
  run([
    'x509',
    '-req',
    '-in',
    'broker.csr',
    '-CA',
    'ca.pem',
    '-CAkey',
    'ca-key.pem',
    '-CAcreateserial',
    '-days',
    '3650',
    '-extfile',
    'san.cnf',
    '-out',
    'broker.pem',
  ])
  run([
    'req',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-subj',
    '/CN=kafka-napi-client',
    '-keyout',
    'client-key.pem',
    '-out',
    'client.csr',
  ])
  run([
    'x509',
    '-req',
    '-in',
    'client.csr',
    '-CA',
    'ca.pem',
    '-CAkey',
    'ca-key.pem',
    '-CAcreateserial',
    '-days',
    '3650',
    '-extfile',
    'client.cnf',
    '-out',
    'client.pem',
  ])
  // Kafka's PEM key store: the private key (PKCS#8) followed by the certificate chain.
  run(['pkcs8', '-topk8', '-nocrypt', '-in', 'broker-key.pem', '-out', 'broker-key.pk8.pem'])
  fs.writeFileSync(
    path.join(tls, 'broker-keystore.pem'),
    fs.readFileSync(path.join(tls, 'broker-key.pk8.pem'), 'utf8') +
      fs.readFileSync(path.join(tls, 'broker.pem'), 'utf8') +
      fs.readFileSync(path.join(tls, 'ca.pem'), 'utf8'),
  )
  return tls
}

function serverProperties(topology, node) {
  const topo = TOPOLOGIES[topology]
  const dir = nodeDir(topology, node.id)
  const listeners = [`PLAINTEXT://127.0.0.1:${node.port}`, `CONTROLLER://127.0.0.1:${node.controllerPort}`]
  const advertised = [`PLAINTEXT://127.0.0.1:${node.port}`]
  const protocols = ['PLAINTEXT:PLAINTEXT', 'CONTROLLER:PLAINTEXT']
  const props = {
    ...COMMON_SETTINGS,
    ...topo.settings,
    'node.id': node.id,
    'controller.quorum.voters': topo.nodes.map((n) => `${n.id}@127.0.0.1:${n.controllerPort}`).join(','),
    'log.dirs': path.join(dir, 'data'),
  }
  if (node.saslPort) {
    listeners.push(`SASL_PLAINTEXT://127.0.0.1:${node.saslPort}`)
    advertised.push(`SASL_PLAINTEXT://127.0.0.1:${node.saslPort}`)
    protocols.push('SASL_PLAINTEXT:SASL_PLAINTEXT')
    const plainUsers = SASL_USERS.map((u) => `user_${u.username}="${u.password}"`).join(' ')
    Object.assign(props, {
      'sasl.enabled.mechanisms': 'PLAIN,SCRAM-SHA-256,SCRAM-SHA-512,OAUTHBEARER',
      'listener.name.sasl_plaintext.plain.sasl.jaas.config': `org.apache.kafka.common.security.plain.PlainLoginModule required ${plainUsers};`,
      'listener.name.sasl_plaintext.scram-sha-256.sasl.jaas.config':
        'org.apache.kafka.common.security.scram.ScramLoginModule required;',
      'listener.name.sasl_plaintext.scram-sha-512.sasl.jaas.config':
        'org.apache.kafka.common.security.scram.ScramLoginModule required;',
      // Unsecured JWS tokens (alg "none") are accepted: enough to test the OAUTHBEARER flow.
      'listener.name.sasl_plaintext.oauthbearer.sasl.jaas.config':
        'org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required;',
    })
  }
  if (node.sslPort) {
    const tls = ensureTls(path.dirname(dir))
    listeners.push(`SSL://127.0.0.1:${node.sslPort}`)
    advertised.push(`SSL://127.0.0.1:${node.sslPort}`)
    protocols.push('SSL:SSL')
    Object.assign(props, {
      'listener.name.ssl.ssl.keystore.type': 'PEM',
      'listener.name.ssl.ssl.keystore.location': path.join(tls, 'broker-keystore.pem'),
      'listener.name.ssl.ssl.truststore.type': 'PEM',
      'listener.name.ssl.ssl.truststore.location': path.join(tls, 'ca.pem'),
      // A client certificate is checked when given (mutual TLS) but not required.
      'listener.name.ssl.ssl.client.auth': 'requested',
    })
  }
  props.listeners = listeners.join(',')
  props['advertised.listeners'] = advertised.join(',')
  props['listener.security.protocol.map'] = protocols.join(',')
  return Object.entries(props)
    .map(([k, v]) => `${k}=${String(v).replace(/\\/g, '\\\\')}`)
    .join('\n')
}

function log4jConfig(dir) {
  return [
    'status = warn',
    'appender.file.type = File',
    'appender.file.name = FILE',
    `appender.file.fileName = ${path.join(dir, 'server.log')}`,
    'appender.file.layout.type = PatternLayout',
    'appender.file.layout.pattern = [%d] %p %m (%c)%n',
    'rootLogger.level = INFO',
    'rootLogger.appenderRef.file.ref = FILE',
    'logger.kafka.name = kafka',
    'logger.kafka.level = INFO',
    'logger.state.name = state.change.logger',
    'logger.state.level = WARN',
  ].join('\n')
}

/** Writes a node's configuration and formats its log dir (wiping any earlier data). */
function prepareNode(topology, node, clusterId) {
  const dir = nodeDir(topology, node.id)
  fs.rmSync(path.join(dir, 'data'), { recursive: true, force: true })
  fs.mkdirSync(dir, { recursive: true })
  fs.writeFileSync(path.join(dir, 'server.properties'), `${serverProperties(topology, node)}\n`)
  fs.writeFileSync(path.join(dir, 'log4j2.properties'), `${log4jConfig(dir)}\n`)
  for (const f of ['server.log', 'stdout.log']) fs.rmSync(path.join(dir, f), { force: true })
  const args = ['kafka.tools.StorageTool', 'format', '-t', clusterId, '-c', path.join(dir, 'server.properties')]
  if (node.saslPort) {
    for (const u of SASL_USERS) {
      for (const mech of ['SCRAM-SHA-256', 'SCRAM-SHA-512'])
        args.push('-S', `${mech}=[name=${u.username},password=${u.password}]`)
    }
  }
  const r = java(args, { env: { ...process.env, KAFKA_LOG4J_OPTS: '' } })
  if (r.status !== 0) throw new Error(`formatting ${dir} failed:\n${r.stdout}\n${r.stderr}`)
}

function launchNode(topology, node) {
  const dir = nodeDir(topology, node.id)
  const out = fs.openSync(path.join(dir, 'stdout.log'), 'a')
  const heap = process.env.KAFKA_HEAP || '512m'
  const child = spawn(
    'java',
    [
      `-Xms${heap}`,
      `-Xmx${heap}`,
      '-XX:+UseG1GC',
      '-XX:MaxGCPauseMillis=20',
      '-Djava.awt.headless=true',
      `-Dlog4j2.configurationFile=${path.join(dir, 'log4j2.properties')}`,
      '-cp',
      path.join(JARS, '*'),
      'kafka.Kafka',
      path.join(dir, 'server.properties'),
    ],
    { detached: true, stdio: ['ignore', out, out] },
  )
  child.unref()
  fs.writeFileSync(path.join(dir, 'pid'), String(child.pid))
  return child.pid
}

function tail(file, lines = 40) {
  try {
    return fs.readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n')
  } catch {
    return '(no log)'
  }
}

async function waitReady(topology, nodes) {
  const topo = TOPOLOGIES[topology]
  const want = topo.nodes.map((n) => n.id)
  const deadline = Date.now() + READY_TIMEOUT_MS
  let last = ''
  for (const node of nodes) {
    for (;;) {
      if (!pidOf(topology, node.id)) {
        throw new Error(`node ${node.id} of ${topology} exited during start`)
      }
      try {
        const md = await probeMetadata('127.0.0.1', node.port, 2000)
        const ids = md.brokers.map((b) => b.nodeId)
        if (want.every((id) => ids.includes(id))) break
        last = `metadata lists brokers [${ids.join(',')}], waiting for [${want.join(',')}]`
      } catch (e) {
        last = e.message
      }
      if (Date.now() > deadline)
        throw new Error(`node ${node.id} of ${topology} not ready after ${READY_TIMEOUT_MS} ms: ${last}`)
      await new Promise((r) => setTimeout(r, 300))
    }
  }
}

function failStart(topology, nodes, err) {
  console.error(`kafka: ${topology} failed to start: ${err.message}`)
  for (const n of nodes) {
    const dir = nodeDir(topology, n.id)
    console.error(`--- tail of ${path.join(dir, 'server.log')} ---\n${tail(path.join(dir, 'server.log'))}`)
    console.error(`--- tail of ${path.join(dir, 'stdout.log')} ---\n${tail(path.join(dir, 'stdout.log'), 20)}`)
  }
  process.exitCode = 1
}

async function start(topology) {
  const topo = TOPOLOGIES[topology]
  const running = topo.nodes.filter((n) => pidOf(topology, n.id))
  if (running.length === topo.nodes.length) {
    try {
      await waitReady(topology, topo.nodes)
      console.log(`kafka: ${topology} already running (${brokersOf(topology).join(',')})`)
      return true
    } catch (e) {
      console.error(`kafka: ${topology} is running but not healthy (${e.message}); restarting it`)
    }
  }
  // Partly up or unhealthy: start clean, the tests want a known state.
  await stop(topology, true)
  ensureJars()
  const clusterId = java(['kafka.tools.StorageTool', 'random-uuid']).stdout.trim()
  if (!clusterId) throw new Error('kafka.tools.StorageTool random-uuid printed nothing')
  fs.mkdirSync(path.join(STATE, topology), { recursive: true })
  fs.writeFileSync(path.join(STATE, topology, 'cluster-id'), clusterId)
  for (const n of topo.nodes) prepareNode(topology, n, clusterId)
  const t0 = Date.now()
  for (const n of topo.nodes) launchNode(topology, n)
  try {
    await waitReady(topology, topo.nodes)
  } catch (e) {
    failStart(topology, topo.nodes, e)
    await stop(topology, true)
    return false
  }
  console.log(
    `kafka: ${topology} ready in ${((Date.now() - t0) / 1000).toFixed(1)} s (${brokersOf(topology).join(',')})`,
  )
  return true
}

async function stop(topology, quiet = false) {
  const topo = TOPOLOGIES[topology]
  const pids = topo.nodes.map((n) => pidOf(topology, n.id)).filter(Boolean)
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGTERM')
    } catch {}
  }
  const deadline = Date.now() + 30000
  while (pids.some(alive) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200))
  for (const pid of pids.filter(alive)) {
    try {
      process.kill(pid, 'SIGKILL')
    } catch {}
  }
  for (const n of topo.nodes) fs.rmSync(path.join(nodeDir(topology, n.id), 'pid'), { force: true })
  if (!quiet) console.log(`kafka: ${topology} stopped${pids.length ? '' : ' (was not running)'}`)
}

function alive(pid) {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

function status(topology) {
  let allUp = true
  for (const n of TOPOLOGIES[topology].nodes) {
    const pid = pidOf(topology, n.id)
    if (!pid) allUp = false
    console.log(`${topology} node ${n.id} 127.0.0.1:${n.port} ${pid ? `running (pid ${pid})` : 'down'}`)
  }
  return allUp
}

function clusterNode(arg) {
  const id = Number(arg)
  const node = TOPOLOGIES.cluster.nodes.find((n) => n.id === id)
  if (!node) usage(`node must be one of 1, 2, 3 (got ${JSON.stringify(arg)})`)
  return node
}

async function main(argv) {
  const [cmd, arg] = argv
  const topologies = (name) => {
    if (name === undefined || name === 'single') return ['single']
    if (name === 'all') return ['single', 'cluster']
    if (TOPOLOGIES[name]) return [name]
    return usage(`unknown topology ${JSON.stringify(name)}`)
  }
  switch (cmd) {
    case 'start': {
      const names = topologies(arg)
      requireTools()
      ensureJars()
      const results = await Promise.all(names.map((t) => start(t)))
      if (results.includes(false)) process.exitCode = 1
      return
    }
    case 'stop':
      for (const t of topologies(arg)) await stop(t)
      return
    case 'status': {
      const ok = topologies(arg).map(status).every(Boolean)
      process.exitCode = ok ? 0 : 1
      return
    }
    case 'kill-node': {
      const node = clusterNode(arg)
      const pid = pidOf('cluster', node.id)
      if (!pid) {
        console.log(`kafka: cluster node ${node.id} is not running`)
        return
      }
      process.kill(pid, 'SIGKILL')
      while (alive(pid)) await new Promise((r) => setTimeout(r, 50))
      console.log(`kafka: cluster node ${node.id} killed (pid ${pid})`)
      return
    }
    case 'start-node': {
      const node = clusterNode(arg)
      requireTools()
      if (pidOf('cluster', node.id)) {
        console.log(`kafka: cluster node ${node.id} already running`)
        return
      }
      if (!fs.existsSync(path.join(nodeDir('cluster', node.id), 'data'))) {
        usage(`cluster node ${node.id} has no data dir; start the cluster first`)
      }
      launchNode('cluster', node)
      try {
        await waitReady('cluster', [node])
        console.log(`kafka: cluster node ${node.id} back`)
      } catch (e) {
        failStart('cluster', [node], e)
      }
      return
    }
    case 'env':
      for (const [k, v] of Object.entries(envVars())) console.log(`${k}=${v}`)
      return
    default:
      return usage(cmd === undefined ? undefined : `unknown command ${JSON.stringify(cmd)}`)
  }
}

module.exports = { TOPOLOGIES, SASL_USERS, envVars, brokersOf }

if (require.main === module) {
  main(process.argv.slice(2)).catch((e) => {
    console.error(`kafka: ${e.stack || e.message}`)
    process.exit(1)
  })
}
