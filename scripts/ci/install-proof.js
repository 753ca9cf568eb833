#!/usr/bin/env node
'use strict'
/*
 * Install proof: a NestJS app installs kafka-napi from the release tarballs, with no Rust
 * toolchain, and produces to a real Kafka through every wiring the docs promise.
 *
 *   node scripts/ci/install-proof.js dist      (after `node scripts/kafka/kafka.js start single`)
 *
 * In a new app in the temp dir (outside the repo) it installs Nest 11 and TypeScript from the
 * registry, plus the real kafkajs as `kafkajs-reader` (used only to read back), then, in ONE npm
 * command run with a PATH that has no `cargo` and no `rustc`: dist/kafka-napi-<version>.tgz,
 * dist/kafka-napi-linux-x64-gnu-<version>.tgz and `kafkajs@file:<root tarball>` (the alias users
 * install as `kafkajs@npm:kafka-napi`). It proves that:
 * - the install needs no compiler: every run of the install hook said it used the prebuilt module,
 *   nothing was built (no `.node`, no `target/` in the installed package) and the app loads the
 *   platform package's binary;
 * - a TypeScript app produces through
 *     seed         a `useFactory` provider doing `new Kafka().producer()` + an un-awaited connect(),
 *     module       KafkaProducerModule.forRootAsync() + @InjectProducer() (kafka-napi/nestjs),
 *     clientKafka  Nest's own ClientKafka (producerOnlyMode) on the `kafkajs` alias,
 *   and every message comes back exactly once and unchanged (read with the real kafkajs), the app
 *   closing its producers on app.close() and exiting on its own;
 * - the same app runs a Transport.KAFKA microservice (Nest's ServerKafka, one @MessagePattern
 *   handler) on the alias, and a ClientKafka (request/reply, not producerOnlyMode) gets its answer
 *   to subscribeToResponseOf() + send(); both close and the app still exits on its own;
 * - the app type-checks against the installed types of kafka-napi and kafka-napi/nestjs: one
 *   `tsc --strict` run (module/moduleResolution nodenext, experimentalDecorators,
 *   emitDecoratorMetadata, no skipLibCheck) over the app (CommonJS .ts) and an ESM .mts importing
 *   both entry points, which also emits the app's JS; and an ESM import of both works at run time.
 * Prints a summary (install seconds, messages read back per wiring, tsc results) and exits non-zero
 * on any failure, with the failing child's output. KAFKA_BROKERS (default 127.0.0.1:19092) names
 * the brokers. The temp app is removed on success (KEEP_INSTALL_PROOF=1 keeps it) and kept, its
 * path printed, on failure. Node's standard library only.
 */
const { spawnSync } = require('node:child_process')
const fs = require('node:fs')
const net = require('node:net')
const os = require('node:os')
const path = require('node:path')
const { createRequire } = require('node:module')

const root = path.resolve(__dirname, '..', '..')
const PLATFORM = 'linux-x64-gnu'
const BROKERS = (process.env.KAFKA_BROKERS || '127.0.0.1:19092')
  .split(',')
  .map((broker) => broker.trim())
  .filter(Boolean)
const WIRINGS = ['seed', 'module', 'clientKafka']
const MESSAGES_PER_WIRING = 3
const REGISTRY_DEPS = [
  '@nestjs/common@^11',
  '@nestjs/core@^11',
  '@nestjs/microservices@^11',
  'reflect-metadata',
  'rxjs',
  'typescript@^5',
  '@types/node@^20',
  'kafkajs-reader@npm:kafkajs@2.2.4',
]
const NPM_TIMEOUT_MS = 5 * 60 * 1000
const TSC_TIMEOUT_MS = 2 * 60 * 1000
const APP_TIMEOUT_MS = 60 * 1000
const KAFKA_TIMEOUT_MS = 30 * 1000

// The app: the three wirings in one module; sends, closes, reports what it sent and which
// native module it loaded. PROOF_TOPIC and PROOF_MESSAGES come from this script.
const MAIN_TS = `import 'reflect-metadata'
import { Controller, Inject, Injectable, Module, OnApplicationShutdown } from '@nestjs/common'
import { NestFactory } from '@nestjs/core'
import {
  ClientKafka,
  ClientsModule,
  Ctx,
  KafkaContext,
  MessagePattern,
  MicroserviceOptions,
  Payload,
  Transport,
} from '@nestjs/microservices'
import { lastValueFrom, timeout } from 'rxjs'
import { Kafka, Producer, RecordMetadata } from 'kafka-napi'
import { InjectProducer, KafkaProducerModule } from 'kafka-napi/nestjs'

type Wiring = 'seed' | 'module' | 'clientKafka'
type ProofMessage = { key: string; value: string }

const brokers = (process.env.KAFKA_BROKERS ?? '127.0.0.1:19092').split(',')
const topic = process.env.PROOF_TOPIC ?? 'install-proof'
const messages: Record<Wiring, ProofMessage[]> = JSON.parse(process.env.PROOF_MESSAGES ?? '{}')
const rpcTopic = process.env.PROOF_RPC_TOPIC ?? 'install-proof-rpc' // and its reply topic, rpcTopic + '.reply'
type Question = { n: number }
type Answer = { doubled: number; topic: string; partition: number }

@Injectable()
class Senders implements OnApplicationShutdown {
  constructor(
    @Inject('KAFKA_PRODUCER') private readonly seed: Producer,
    @InjectProducer() private readonly producer: Producer,
    @Inject('KAFKA_CLIENT') private readonly client: ClientKafka,
  ) {}

  async sendAll(): Promise<Record<Wiring, RecordMetadata[]>> {
    const sent: Record<Wiring, RecordMetadata[]> = { seed: [], module: [], clientKafka: [] }
    for (const message of messages.seed) sent.seed.push(...(await this.seed.send({ topic, messages: [message] })))
    for (const message of messages.module) sent.module.push(...(await this.producer.send({ topic, messages: [message] })))
    for (const message of messages.clientKafka) {
      sent.clientKafka.push(...(await lastValueFrom(this.client.emit<RecordMetadata[]>(topic, message))))
    }
    return sent
  }

  // Nothing else disconnects a producer made by a plain factory provider.
  onApplicationShutdown(): Promise<void> {
    return this.seed.disconnect()
  }
}

@Module({
  imports: [
    KafkaProducerModule.forRootAsync({ useFactory: () => ({ client: { clientId: 'proof-module', brokers } }) }),
    ClientsModule.register([
      {
        name: 'KAFKA_CLIENT',
        transport: Transport.KAFKA,
        options: { client: { clientId: 'proof-client-kafka', brokers }, producerOnlyMode: true },
      },
    ]),
  ],
  providers: [
    {
      provide: 'KAFKA_PRODUCER',
      useFactory: () => {
        const producer = new Kafka({ clientId: 'proof-seed', brokers }).producer()
        producer.connect() // not awaited, as apps do: the first send waits for it
        return producer
      },
    },
    Senders,
  ],
})
class AppModule {}

// Request/reply: a Transport.KAFKA microservice (ServerKafka) and a ClientKafka asking it.
@Controller()
class RpcController {
  @MessagePattern(rpcTopic)
  double(@Payload() question: Question, @Ctx() context: KafkaContext): Answer {
    return { doubled: question.n * 2, topic: context.getTopic(), partition: context.getPartition() }
  }
}

@Module({ controllers: [RpcController] })
class RpcServerModule {}

@Module({
  imports: [
    ClientsModule.register([
      {
        name: 'RPC_CLIENT',
        transport: Transport.KAFKA,
        options: {
          client: { clientId: 'proof-rpc-client', brokers },
          consumer: { groupId: rpcTopic + '-caller' },
          subscribe: { fromBeginning: true }, // a reply written before the reply consumer looked up 'latest' still comes
        },
      },
    ]),
  ],
})
class RpcClientModule {}

async function requestReply(): Promise<Answer> {
  const logger: ('error' | 'warn')[] = ['error', 'warn']
  const server = await NestFactory.createMicroservice<MicroserviceOptions>(RpcServerModule, {
    transport: Transport.KAFKA,
    options: {
      client: { clientId: 'proof-rpc-server', brokers },
      consumer: { groupId: rpcTopic + '-handler' },
      subscribe: { fromBeginning: true },
    },
    logger,
  })
  await server.listen()
  try {
    const caller = await NestFactory.createApplicationContext(RpcClientModule, { logger })
    try {
      const client = caller.get<ClientKafka>('RPC_CLIENT')
      client.subscribeToResponseOf(rpcTopic)
      await client.connect()
      return await lastValueFrom(client.send<Answer, Question>(rpcTopic, { n: 21 }).pipe(timeout(30000)))
    } finally {
      await caller.close() // ClientsModule closes the ClientKafka (its producer and reply consumer)
    }
  } finally {
    await server.close()
  }
}

async function main(): Promise<void> {
  const app = await NestFactory.createApplicationContext(AppModule, { logger: ['error', 'warn'] })
  try {
    console.log('PROOF_SENT ' + JSON.stringify(await app.get(Senders).sendAll()))
  } finally {
    await app.close()
  }
  const started = Date.now()
  const answer = await requestReply()
  console.log('PROOF_RPC ' + JSON.stringify({ answer, ms: Date.now() - started }))
  const natives = Object.keys(require.cache).filter((file) => file.endsWith('.node'))
  console.log('PROOF_NATIVE ' + JSON.stringify(natives))
}

main().catch((error: unknown) => {
  console.error(error)
  process.exitCode = 1
})
`

// Both entry points and their types imported from an ES module, next to the CommonJS main.ts.
const ESM_CHECK_MTS = `import { Kafka, type Producer, type RecordMetadata } from 'kafka-napi'
import { InjectProducer, KafkaNapiClient, KafkaProducerModule, getProducerToken } from 'kafka-napi/nestjs'

const producer: Producer = new Kafka({ brokers: ['127.0.0.1:19092'] }).producer()
const sent: Promise<RecordMetadata[]> = producer.send({ topic: 't', messages: [{ value: 'v' }] })
export const used = [sent, InjectProducer(), KafkaNapiClient, KafkaProducerModule.forRoot({ client: { brokers: [] } }), getProducerToken('x')]
`

// The same names imported by Node's ESM loader at run time (cjs-module-lexer must find them).
const ESM_RUN_MJS = `import { Kafka, KafkaJSError, CompressionTypes } from 'kafka-napi'
import { InjectProducer, KafkaNapiClient, KafkaProducerModule, getProducerToken, KafkaProducerHealthIndicator } from 'kafka-napi/nestjs'
import * as alias from 'kafkajs'

const names = { Kafka, KafkaJSError, CompressionTypes, InjectProducer, KafkaNapiClient, KafkaProducerModule, getProducerToken, KafkaProducerHealthIndicator, 'kafkajs.Kafka': alias.Kafka }
const missing = Object.keys(names).filter((name) => names[name] === undefined)
if (missing.length) throw new Error('undefined ESM imports: ' + missing.join(', '))
console.log('esm ok')
`

// One strict tsc run both type-checks (nodenext: main.ts as CommonJS, since the app's package.json
// says "type": "commonjs", and esm-check.mts as ESM) and emits dist/main.js, which is then run.
// skipLibCheck stays off, so the installed .d.ts files are checked too.
const TSCONFIG = {
  compilerOptions: {
    target: 'ES2022',
    module: 'nodenext',
    moduleResolution: 'nodenext',
    strict: true,
    experimentalDecorators: true,
    emitDecoratorMetadata: true,
    types: ['node'],
    rootDir: 'src',
    outDir: 'dist',
  },
  files: ['src/main.ts', 'src/esm-check.mts'],
}

let appDir = null

function log(line) {
  console.log(`install-proof: ${line}`)
}

function fail(message, output) {
  if (output) console.error(output.trimEnd())
  console.error(`install-proof: FAILED: ${message}`)
  if (appDir) console.error(`install-proof: the app is kept in ${appDir}`)
  process.exit(1)
}

/** Runs a command to its end (bounded by timeoutMs); returns { ok, output, seconds }. */
function run(command, args, { cwd, env = process.env, timeoutMs }) {
  const started = process.hrtime.bigint()
  const r = spawnSync(command, args, {
    cwd,
    env,
    encoding: 'utf8',
    timeout: timeoutMs,
    killSignal: 'SIGKILL',
    maxBuffer: 64 * 1024 * 1024,
  })
  const seconds = Number(process.hrtime.bigint() - started) / 1e9
  let output = `$ ${command} ${args.join(' ')}\n${r.stdout || ''}${r.stderr || ''}`
  if (r.error) output += `\n(${r.error.code === 'ETIMEDOUT' ? `killed after ${timeoutMs / 1000} s` : r.error.message})`
  else if (r.status !== 0) output += `\n(exit ${r.status === null ? r.signal : r.status})`
  return { ok: !r.error && r.status === 0, stdout: r.stdout || '', output, seconds }
}

/** The executable `name` in a PATH string, or null. */
function which(name, pathString) {
  for (const dir of pathString.split(path.delimiter)) {
    if (!dir) continue
    try {
      fs.accessSync(path.join(dir, name), fs.constants.X_OK)
      return path.join(dir, name)
    } catch {
      // not here
    }
  }
  return null
}

/** The environment for the tarball install: PATH without every directory holding cargo or rustc. */
function envWithoutRust() {
  const dirs = (process.env.PATH || '').split(path.delimiter)
  const kept = dirs.filter((dir) => dir && !which('cargo', dir) && !which('rustc', dir))
  const env = { ...process.env, PATH: kept.join(path.delimiter) }
  delete env.CARGO
  delete env.RUSTC
  for (const tool of ['cargo', 'rustc']) {
    const found = which(tool, env.PATH)
    if (found) fail(`${tool} is still on the install PATH (${found})`)
  }
  for (const tool of ['node', 'npm']) {
    if (!which(tool, env.PATH)) fail(`${tool} is not on PATH once the Rust directories are dropped (${env.PATH})`)
  }
  return { env, dropped: [...new Set(dirs.filter((dir) => dir && !kept.includes(dir)))] }
}

/** Resolves once a TCP connection to the first broker opens; fails after timeoutMs. */
function brokerReachable(timeoutMs) {
  const [host, port] = BROKERS[0].split(':')
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port: Number(port), timeout: timeoutMs })
    socket.once('connect', () => {
      socket.destroy()
      resolve()
    })
    socket.once('timeout', () => {
      socket.destroy()
      reject(new Error(`no answer from ${BROKERS[0]} within ${timeoutMs / 1000} s`))
    })
    socket.once('error', reject)
  })
}

function withTimeout(promise, ms, what) {
  let timer
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no result within ${ms / 1000} s`)), ms)
  })
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer))
}

/** Creates the run's topics (1 partition each) with the real kafkajs, so no send races their creation. */
async function createTopics(kafkajs, topics) {
  const admin = new kafkajs.Kafka({
    clientId: 'install-proof-admin',
    brokers: BROKERS,
    logLevel: kafkajs.logLevel.NOTHING, // its errors reach us as rejections; the log is noise
  }).admin()
  await admin.connect()
  try {
    await admin.createTopics({
      waitForLeaders: true,
      topics: topics.map((topic) => ({ topic, numPartitions: 1, replicationFactor: 1 })),
    })
  } finally {
    await admin.disconnect()
  }
}

/**
 * Reads the whole topic with the real kafkajs (fresh group, from the beginning): as many messages
 * as the partitions' offsets say it holds, or what came within timeoutMs.
 */
async function readTopic(kafkajs, topic, timeoutMs) {
  const kafka = new kafkajs.Kafka({
    clientId: 'install-proof-reader',
    brokers: BROKERS,
    logLevel: kafkajs.logLevel.NOTHING, // its errors reach us as rejections; the log is noise
  })
  const admin = kafka.admin()
  await admin.connect()
  const offsets = await admin.fetchTopicOffsets(topic)
  await admin.disconnect()
  const stored = offsets.reduce((n, p) => n + Number(p.high) - Number(p.low), 0)
  const read = []
  if (stored === 0) return { stored, read }
  const consumer = kafka.consumer({ groupId: `${topic}-reader` })
  await consumer.connect()
  try {
    await consumer.subscribe({ topic, fromBeginning: true })
    await new Promise((resolve) => {
      const timer = setTimeout(resolve, timeoutMs)
      consumer.run({
        eachMessage: async ({ message }) => {
          read.push({ key: message.key && message.key.toString(), value: message.value && message.value.toString() })
          if (read.length >= stored) {
            clearTimeout(timer)
            resolve()
          }
        },
      })
    })
  } finally {
    await consumer.disconnect()
  }
  return { stored, read }
}

/** Per wiring: how many of its messages came back exactly once; plus every problem found. */
function compare(expected, read) {
  const counts = new Map(read.map((m) => [JSON.stringify(m), 0]))
  for (const m of read) counts.set(JSON.stringify(m), counts.get(JSON.stringify(m)) + 1)
  const problems = []
  const perWiring = {}
  for (const wiring of WIRINGS) {
    perWiring[wiring] = 0
    for (const m of expected[wiring]) {
      const n = counts.get(JSON.stringify(m)) || 0
      if (n === 1) perWiring[wiring]++
      else problems.push(`${wiring}: ${JSON.stringify(m)} read ${n} times`)
      counts.delete(JSON.stringify(m))
    }
  }
  for (const [m, n] of counts) problems.push(`unexpected message read ${n} time(s): ${m}`)
  return { perWiring, problems }
}

/** The list of `.node` files and `target/` dirs under dir (not following node_modules). */
function buildArtifacts(dir) {
  const found = []
  if (!fs.existsSync(dir)) return found
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const file = path.join(dir, entry.name)
    if (entry.isDirectory() && entry.name === 'target') found.push(`${file}/`)
    else if (entry.isDirectory() && entry.name !== 'node_modules') found.push(...buildArtifacts(file))
    else if (entry.isFile() && entry.name.endsWith('.node')) found.push(file)
  }
  return found
}

async function main() {
  if (`${process.platform}-${process.arch}` !== 'linux-x64')
    fail(`runs on linux-x64 (glibc) only, not ${process.platform}-${process.arch}`)
  const distDir = path.resolve(process.argv[2] || 'dist')
  const { version } = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'))
  const rootTarball = path.join(distDir, `kafka-napi-${version}.tgz`)
  const platformTarball = path.join(distDir, `kafka-napi-${PLATFORM}-${version}.tgz`)
  for (const file of [rootTarball, platformTarball]) {
    if (!fs.existsSync(file)) {
      const listing = fs.existsSync(distDir) ? fs.readdirSync(distDir).join(', ') || '(empty)' : '(no such directory)'
      fail(`${file} is missing (${distDir}: ${listing}); build it with \`npm run pack:local\``)
    }
  }
  await brokerReachable(10000).catch((e) =>
    fail(
      `Kafka at ${BROKERS.join(',')} is not reachable (${e.message}); start it with \`node scripts/kafka/kafka.js start single\``,
    ),
  )

  appDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kafka-napi-install-proof-'))
  log(`app in ${appDir}, tarballs from ${distDir}, brokers ${BROKERS.join(',')}`)
  const npmFlags = ['--no-audit', '--no-fund', '--no-update-notifier']

  // 1. A new app with Nest 11, TypeScript and the real kafkajs as an independent reader.
  let r = run('npm', ['init', '-y'], { cwd: appDir, timeoutMs: 30000 })
  if (!r.ok) fail('npm init failed', r.output)
  r = run('npm', ['install', ...npmFlags, ...REGISTRY_DEPS], { cwd: appDir, timeoutMs: NPM_TIMEOUT_MS })
  if (!r.ok) fail('installing Nest 11 and TypeScript from the registry failed', r.output)
  log(`Nest 11, TypeScript, kafkajs-reader installed from the registry in ${r.seconds.toFixed(1)} s`)

  // 2. kafka-napi from the tarballs, in one npm command, with no cargo or rustc on PATH.
  const { env: noRustEnv, dropped } = envWithoutRust()
  log(
    `install PATH drops ${dropped.length ? dropped.join(', ') : 'nothing (no cargo/rustc on PATH)'}: cargo and rustc not found`,
  )
  const install = run(
    'npm',
    ['install', ...npmFlags, '--foreground-scripts', rootTarball, platformTarball, `kafkajs@file:${rootTarball}`],
    { cwd: appDir, env: noRustEnv, timeoutMs: NPM_TIMEOUT_MS },
  )
  if (!install.ok) fail('installing kafka-napi from the tarballs failed', install.output)
  log(
    `kafka-napi + kafka-napi-${PLATFORM} + kafkajs alias installed in ${install.seconds.toFixed(1)} s (no Rust on PATH)`,
  )
  const warnings = install.output.split('\n').filter((line) => /^npm warn/i.test(line))
  for (const line of warnings) log(`  ${line}`)
  // The install hook (scripts/install.js) runs once per name the package is installed under
  // (kafka-napi, and kafkajs for the alias); npm labels both runs `> kafka-napi@<version> install`.
  // Each must say it used the prebuilt module, and none may mention a source build.
  const hookRuns = install.output.split('\n').filter((line) => line === `> kafka-napi@${version} install`).length
  const hookLines = install.output.split('\n').filter((line) => line.startsWith('kafka-napi:'))
  const built = hookLines.filter((line) => /from source|cargo/i.test(line))
  if (built.length) fail(`the install went for a source build: ${built.join(' / ')}`, install.output)
  const prebuilt = hookLines.filter((line) => /using the prebuilt native module/.test(line))
  if (prebuilt.length !== hookRuns) {
    fail(`${hookRuns} install hook run(s) but ${prebuilt.length} said they used the prebuilt module`, install.output)
  }
  const nodeModules = path.join(appDir, 'node_modules')
  const artifacts = [
    ...buildArtifacts(path.join(nodeModules, 'kafka-napi')),
    ...buildArtifacts(path.join(nodeModules, 'kafkajs')),
  ]
  if (artifacts.length) fail(`build output inside the installed packages: ${artifacts.join(', ')}`, install.output)
  const aliasName = JSON.parse(fs.readFileSync(path.join(nodeModules, 'kafkajs', 'package.json'), 'utf8')).name
  if (aliasName !== 'kafka-napi') fail(`node_modules/kafkajs is ${aliasName}, not the kafka-napi alias`)

  // 3. The app: compiled with tsc, run against the broker, read back with the real kafkajs.
  fs.mkdirSync(path.join(appDir, 'src'))
  fs.writeFileSync(path.join(appDir, 'src', 'main.ts'), MAIN_TS)
  fs.writeFileSync(path.join(appDir, 'src', 'esm-check.mts'), ESM_CHECK_MTS)
  fs.writeFileSync(path.join(appDir, 'esm-run.mjs'), ESM_RUN_MJS)
  fs.writeFileSync(path.join(appDir, 'tsconfig.json'), `${JSON.stringify(TSCONFIG, null, 2)}\n`)
  const tsc = path.join(nodeModules, 'typescript', 'bin', 'tsc')
  const problems = []
  const typed = run(process.execPath, [tsc, '-p', 'tsconfig.json'], { cwd: appDir, timeoutMs: TSC_TIMEOUT_MS })
  if (!typed.ok) problems.push(`tsc --strict (module/moduleResolution nodenext) failed:\n${typed.output}`)
  if (!fs.existsSync(path.join(appDir, 'dist', 'main.js'))) fail('tsc emitted no dist/main.js', typed.output)

  const kafkajs = createRequire(path.join(appDir, 'package.json'))('kafkajs-reader')
  const runId = `${Date.now()}-${process.pid}`
  const topic = `install-proof-${runId}`
  const expected = {}
  for (const wiring of WIRINGS) {
    expected[wiring] = Array.from({ length: MESSAGES_PER_WIRING }, (_, i) => ({
      key: wiring,
      value: `${wiring} #${i} of run ${runId}`,
    }))
  }
  const rpcTopic = `${topic}-rpc` // request/reply: ClientKafka -> ServerKafka, answered on `${rpcTopic}.reply`
  const topics = [topic, rpcTopic, `${rpcTopic}.reply`]
  await withTimeout(createTopics(kafkajs, topics), KAFKA_TIMEOUT_MS, `creating topics ${topics.join(', ')}`).catch(
    (e) => fail(e.message),
  )
  const app = run(process.execPath, ['dist/main.js'], {
    cwd: appDir,
    env: {
      ...process.env,
      KAFKA_BROKERS: BROKERS.join(','),
      PROOF_TOPIC: topic,
      PROOF_RPC_TOPIC: rpcTopic,
      PROOF_MESSAGES: JSON.stringify(expected),
    },
    timeoutMs: APP_TIMEOUT_MS,
  })
  if (!app.ok) problems.push(`the app failed or did not exit on its own:\n${app.output}`)
  const reported = (tag) => {
    const line = app.stdout.split('\n').find((l) => l.startsWith(`${tag} `))
    return line ? JSON.parse(line.slice(tag.length + 1)) : null
  }
  const sent = reported('PROOF_SENT')
  const rpc = reported('PROOF_RPC')
  const expectedAnswer = { doubled: 42, topic: rpcTopic, partition: 0 }
  if (app.ok && (!rpc || JSON.stringify(rpc.answer) !== JSON.stringify(expectedAnswer))) {
    problems.push(
      `ClientKafka send() to the ServerKafka microservice answered ${rpc ? JSON.stringify(rpc.answer) : 'nothing'}, not ${JSON.stringify(expectedAnswer)}:\n${app.output}`,
    )
  }
  const natives = reported('PROOF_NATIVE') || []
  const platformBinary = path.join(nodeModules, `kafka-napi-${PLATFORM}`, `kafka-napi.${PLATFORM}.node`)
  if (app.ok && (natives.length !== 1 || fs.realpathSync(natives[0]) !== fs.realpathSync(platformBinary))) {
    problems.push(`the app loaded ${JSON.stringify(natives)}, not only ${platformBinary}`)
  }

  const readBack = await withTimeout(
    readTopic(kafkajs, topic, KAFKA_TIMEOUT_MS),
    KAFKA_TIMEOUT_MS + 15000,
    `reading ${topic}`,
  ).catch((e) => fail(e.message, app.output))
  const { perWiring, problems: mismatches } = compare(expected, readBack.read)
  if (mismatches.length) {
    problems.push(
      `read back ${readBack.read.length} of ${readBack.stored} stored messages:\n  ${mismatches.join('\n  ')}\n${app.output}`,
    )
  }

  // 4. The ESM import at run time (the types were checked by the tsc run above).
  const esm = run(process.execPath, ['esm-run.mjs'], { cwd: appDir, timeoutMs: 30000 })
  if (!esm.ok) problems.push(`importing kafka-napi and kafka-napi/nestjs from ESM failed:\n${esm.output}`)

  // 5. Summary.
  const sentCounts = sent ? WIRINGS.map((w) => `${w} ${sent[w].length}`).join(', ') : 'nothing reported'
  log('summary')
  log(`  install of the tarballs (no cargo/rustc on PATH): ${install.seconds.toFixed(1)} s, nothing compiled`)
  log(
    `  install hook runs: ${hookRuns}${hookRuns ? `, each said: ${prebuilt[0].slice('kafka-napi: '.length)}` : ' (npm skipped them)'}`,
  )
  log(
    `  native module loaded by the app: ${natives.map((f) => path.relative(appDir, f)).join(', ') || 'none reported'}`,
  )
  log(
    `  sent (delivery reports): ${sentCounts}; the app ${app.ok ? 'closed and exited on its own' : 'FAILED'} in ${app.seconds.toFixed(1)} s`,
  )
  log(
    `  request/reply (ServerKafka @MessagePattern <- ClientKafka subscribeToResponseOf + send()): ${rpc ? `${JSON.stringify(rpc.answer)}, both started, answered and closed in ${(rpc.ms / 1000).toFixed(1)} s` : 'nothing reported'}`,
  )
  log(
    `  read back from ${topic} (exactly once, unchanged): ${WIRINGS.map((w) => `${w} ${perWiring[w]}/${MESSAGES_PER_WIRING}`).join(', ')} (${readBack.read.length} read, ${readBack.stored} stored)`,
  )
  log(
    `  tsc --strict, nodenext, installed types (main.ts as CommonJS, esm-check.mts as ESM): ${typed.ok ? 'ok' : 'FAILED'} in ${typed.seconds.toFixed(1)} s`,
  )
  log(`  ESM import of kafka-napi, kafka-napi/nestjs, kafkajs alias at run time: ${esm.ok ? 'ok' : 'FAILED'}`)
  if (problems.length) fail(`${problems.length} check(s) failed:\n\n${problems.join('\n\n')}`)
  if (process.env.KEEP_INSTALL_PROOF === '1') log(`kept ${appDir}`)
  else fs.rmSync(appDir, { recursive: true, force: true })
  log('ok')
}

main().catch((error) => fail(error.stack || String(error)))
