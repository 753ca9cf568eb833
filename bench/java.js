'use strict'
/*
 * The Java reference producer (the `java` client of bench/run.js): Apache Kafka's
 * ProducerPerformance for W3 and a KafkaProducer loop for W4 (bench/java/KafkaNapiBench.java),
 * on the jars of the broker's Kafka version.
 *
 * prepareJava() fetches kafka-tools and kafka-clients with their runtime dependencies once
 * (`mvn dependency:copy-dependencies` on bench/java/pom.xml, into the git-ignored bench/.java/),
 * compiles KafkaNapiBench.java with javac against them, and returns the command that runs it,
 * or the reason it cannot run (no JDK, no Maven, no network): the report then lists the row as
 * not run and the bench goes on.
 */
const fs = require('node:fs')
const path = require('node:path')
const crypto = require('node:crypto')
const { spawnSync } = require('node:child_process')

const BENCH = __dirname
const CACHE = path.join(BENCH, '.java')
const POM = path.join(BENCH, 'java', 'pom.xml')
const SOURCE = path.join(BENCH, 'java', 'KafkaNapiBench.java')

function which(cmd) {
  const r = spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' })
  return r.status === 0 ? r.stdout.trim() : null
}

/** The first line of `text` that says what went wrong. */
function firstError(text) {
  const lines = text.split('\n').map((l) => l.trim())
  return (lines.find((l) => /ERROR|error:|Exception/.test(l)) || lines.filter(Boolean).pop() || '').slice(0, 200)
}

/**
 * @param {{ kafkaVersion: string, log: (text: string) => void, logFile: string }} options
 * @returns {{ error: string } | { cmd: string, args: string[], version: string }}
 */
function prepareJava({ kafkaVersion, log, logFile }) {
  for (const tool of ['java', 'javac', 'mvn'])
    if (!which(tool)) return { error: `not run: \`${tool}\` was not found on PATH (a JDK 17+ and Maven are needed)` }
  const hash = crypto.createHash('sha256').update(fs.readFileSync(POM)).update(kafkaVersion).digest('hex').slice(0, 12)
  const jars = path.join(CACHE, `jars-${kafkaVersion}`)
  const marker = path.join(jars, '.complete')
  const logText = []
  if (!fs.existsSync(marker) || fs.readFileSync(marker, 'utf8') !== hash) {
    log(
      `java: mvn dependency:copy-dependencies (kafka-tools ${kafkaVersion}) into ${path.relative(process.cwd(), jars)}`,
    )
    fs.rmSync(jars, { recursive: true, force: true })
    const r = spawnSync(
      'mvn',
      [
        '-B',
        '-q',
        '-f',
        POM,
        'dependency:copy-dependencies',
        '-DincludeScope=runtime',
        `-DoutputDirectory=${jars}`,
        `-Dkafka.version=${kafkaVersion}`,
      ],
      { encoding: 'utf8', timeout: 15 * 60 * 1000 },
    )
    logText.push(r.stdout || '', r.stderr || '')
    fs.writeFileSync(logFile, logText.join('\n'))
    if (r.status !== 0)
      return { error: `not run: mvn could not fetch kafka-tools ${kafkaVersion}: ${firstError(logText.join('\n'))}` }
    fs.writeFileSync(marker, hash)
  }
  const classes = path.join(CACHE, `classes-${kafkaVersion}`)
  const compiled = path.join(classes, 'KafkaNapiBench.class')
  const classpath = `${classes}${path.delimiter}${path.join(jars, '*')}`
  if (!fs.existsSync(compiled) || fs.statSync(compiled).mtimeMs < fs.statSync(SOURCE).mtimeMs) {
    fs.mkdirSync(classes, { recursive: true })
    const r = spawnSync('javac', ['-d', classes, '-cp', path.join(jars, '*'), SOURCE], { encoding: 'utf8' })
    logText.push(r.stdout || '', r.stderr || '')
    fs.writeFileSync(logFile, logText.join('\n'))
    if (r.status !== 0) return { error: `not run: javac failed: ${firstError(logText.join('\n'))}` }
  }
  // -Xmx512M: what Kafka's bin/kafka-producer-perf-test.sh gives ProducerPerformance.
  return { cmd: 'java', args: ['-Xmx512M', '-cp', classpath, 'KafkaNapiBench'], version: kafkaVersion }
}

module.exports = { prepareJava }
