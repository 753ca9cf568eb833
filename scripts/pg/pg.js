#!/usr/bin/env node
'use strict'
/*
 * A PostgreSQL test bed: a private server from the distribution's packages, no Docker.
 *
 *   node scripts/pg/pg.js start    initdb on first use, start (or reuse) the server, wait until it answers SQL
 *   node scripts/pg/pg.js stop     graceful stop (pg_ctl -m fast: clients disconnected, clean checkpoint)
 *   node scripts/pg/pg.js status   print whether it runs, exit 1 if not
 *   node scripts/pg/pg.js env      print the variables that point clients at it
 *
 * Needs the server binaries (initdb, pg_ctl, postgres): Debian/Ubuntu `apt-get install postgresql`,
 * found under /usr/lib/postgresql/<major>/bin, or any directory named by PG_BIN. The cluster the
 * package may have created (and started) on port 5432 is never used: this one lives in .pg/ at the
 * repository root (KAFKA_NAPI_PG_DIR overrides), listens on 127.0.0.1 only, on port 15432
 * (KAFKA_NAPI_PG_PORT overrides), with its unix socket in .pg/run, and trusts the user kafka_napi
 * (superuser) who owns the database kafka_napi.
 *
 * PostgreSQL refuses to run as root: run as root, the state directory is handed to the `postgres`
 * system user (KAFKA_NAPI_PG_OS_USER overrides) and initdb / pg_ctl run as that user (runuser, or
 * setpriv where runuser is missing). Run as anyone else, they run as that user.
 *
 * "Ready" means the server answers a query as the test user and reports this state directory as
 * its data directory; an open port is not enough (another server may hold it).
 */
const { spawnSync } = require('node:child_process')
const fs = require('node:fs')
const path = require('node:path')

const ROOT = path.resolve(__dirname, '..', '..')
const STATE = path.resolve(process.env.KAFKA_NAPI_PG_DIR || path.join(ROOT, '.pg'))
const DATA = path.join(STATE, 'data')
const RUN = path.join(STATE, 'run')
const LOG = path.join(STATE, 'postgres.log')
const HOST = '127.0.0.1'
const PORT = Number(process.env.KAFKA_NAPI_PG_PORT || 15432)
const USER = 'kafka_napi'
const DATABASE = 'kafka_napi'
const OS_USER = process.env.KAFKA_NAPI_PG_OS_USER || 'postgres'
const READY_TIMEOUT_S = Number(process.env.KAFKA_NAPI_PG_READY_TIMEOUT_S || 60)
const INSTALL_ADVICE =
  'PostgreSQL server binaries (initdb, pg_ctl, postgres) not found. Install them: `apt-get install -y postgresql` ' +
  '(Debian/Ubuntu; any major version), or set PG_BIN to the directory that holds them.'

const isRoot = () => typeof process.getuid === 'function' && process.getuid() === 0

class TestBedError extends Error {}

function url() {
  return `postgres://${USER}@${HOST}:${PORT}/${DATABASE}`
}

/** The variables a client needs (libpq's PG* ones, and one URL). */
function envVars() {
  return {
    KAFKA_NAPI_PG_URL: url(),
    PGHOST: HOST,
    PGPORT: String(PORT),
    PGUSER: USER,
    PGDATABASE: DATABASE,
  }
}

/** The server's bin directory: PG_BIN, else the newest /usr/lib/postgresql/<major>/bin (the data dir's own major first). */
function binDir() {
  const complete = (dir) => ['initdb', 'pg_ctl', 'postgres', 'psql'].every((b) => fs.existsSync(path.join(dir, b)))
  if (process.env.PG_BIN) {
    if (complete(process.env.PG_BIN)) return process.env.PG_BIN
    throw new TestBedError(
      `PG_BIN=${process.env.PG_BIN} does not hold initdb, pg_ctl, postgres and psql.\n${INSTALL_ADVICE}`,
    )
  }
  const base = '/usr/lib/postgresql'
  const majors = fs.existsSync(base)
    ? fs
        .readdirSync(base)
        .filter((v) => /^\d+(\.\d+)?$/.test(v) && complete(path.join(base, v, 'bin')))
        .sort((a, b) => Number(b) - Number(a))
    : []
  if (majors.length === 0) throw new TestBedError(INSTALL_ADVICE)
  const existing = dataVersion()
  if (existing && !majors.includes(existing)) {
    throw new TestBedError(
      `${DATA} was initialised by PostgreSQL ${existing}, but only ${majors.join(', ')} is installed here: ` +
        `remove ${STATE} (test data only) or install postgresql-${existing}.`,
    )
  }
  return path.join(base, existing || majors[0], 'bin')
}

function dataVersion() {
  try {
    return fs.readFileSync(path.join(DATA, 'PG_VERSION'), 'utf8').trim()
  } catch {
    return null
  }
}

/** Runs a server binary as the OS user that may run PostgreSQL. */
function runAs(bin, args, { capture = true } = {}) {
  let cmd = bin
  let argv = args
  if (isRoot()) {
    if (fs.existsSync('/usr/sbin/runuser') || fs.existsSync('/sbin/runuser')) {
      cmd = 'runuser'
      argv = ['-u', OS_USER, '--', bin, ...args]
    } else {
      cmd = 'setpriv'
      argv = ['--reuid', OS_USER, '--regid', OS_USER, '--init-groups', '--', bin, ...args]
    }
  }
  const r = spawnSync(cmd, argv, {
    cwd: STATE,
    encoding: 'utf8',
    stdio: capture ? ['ignore', 'pipe', 'pipe'] : ['ignore', 'inherit', 'inherit'],
    env: { ...process.env, LC_ALL: 'C', LANG: 'C' },
  })
  if (r.error) throw new TestBedError(`could not run ${cmd}: ${r.error.message}`)
  return r
}

function osUserIds() {
  const r = spawnSync('id', ['-u', OS_USER], { encoding: 'utf8' })
  const g = spawnSync('id', ['-g', OS_USER], { encoding: 'utf8' })
  if (r.status !== 0 || g.status !== 0) {
    throw new TestBedError(
      `PostgreSQL refuses to run as root and there is no "${OS_USER}" user to run it as ` +
        '(the postgresql package creates it; or set KAFKA_NAPI_PG_OS_USER, or run this as a non-root user).',
    )
  }
  return { uid: Number(r.stdout), gid: Number(g.stdout) }
}

/** Creates the state directory (owned by the server's OS user) and the cluster, once. */
function ensureCluster(bin) {
  fs.mkdirSync(RUN, { recursive: true })
  if (isRoot()) {
    const { uid, gid } = osUserIds()
    for (const p of [STATE, RUN]) fs.chownSync(p, uid, gid)
    if (fs.existsSync(LOG)) fs.chownSync(LOG, uid, gid)
  }
  if (dataVersion()) return
  if (fs.existsSync(DATA)) fs.rmSync(DATA, { recursive: true, force: true }) // a half-done initdb
  const r = runAs(path.join(bin, 'initdb'), [
    '-D',
    DATA,
    '-U',
    USER,
    '--auth=trust',
    '--encoding=UTF8',
    '--no-locale',
    '--no-sync',
  ])
  if (r.status !== 0) throw new TestBedError(`initdb failed (exit ${r.status}):\n${r.stdout}${r.stderr}`)
  // Only this file decides where the server listens; the package's /etc/postgresql is not read.
  fs.appendFileSync(
    path.join(DATA, 'postgresql.conf'),
    [
      '',
      '# kafka-napi test bed (scripts/pg/pg.js)',
      `listen_addresses = '${HOST}'`,
      `port = ${PORT}`,
      `unix_socket_directories = '${RUN}'`,
      'max_connections = 100',
      "log_min_messages = 'warning'",
      '',
    ].join('\n'),
  )
}

/** Asks the server at HOST:PORT for its data directory as the test user; null if none answers. */
function query(bin, sql, database = DATABASE) {
  const r = spawnSync(
    path.join(bin, 'psql'),
    ['-h', HOST, '-p', String(PORT), '-U', USER, '-d', database, '-XAtq', '-v', 'ON_ERROR_STOP=1', '-c', sql],
    { encoding: 'utf8', env: { ...process.env, PGCONNECT_TIMEOUT: '5', PGPASSWORD: '' }, timeout: 15000 },
  )
  return r.status === 0 ? { ok: true, out: r.stdout.trim() } : { ok: false, out: `${r.stdout}${r.stderr}`.trim() }
}

/** 'ours' (this data dir answers as the test user), 'foreign' (something else holds the port), or 'down'. */
function probe(bin) {
  const r = query(bin, 'SHOW data_directory', 'postgres')
  if (r.ok) return fs.realpathSync(r.out) === fs.realpathSync(DATA) ? 'ours' : 'foreign'
  if (/connection refused|No such file|could not connect/i.test(r.out) && !/FATAL/.test(r.out)) return 'down'
  return 'foreign'
}

function tail(file, lines = 30) {
  try {
    return fs.readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n')
  } catch {
    return '(no log)'
  }
}

/** Starts the server unless it already runs (healthy); creates the database. Returns true if it started one. */
function start() {
  const bin = binDir()
  fs.mkdirSync(STATE, { recursive: true })
  let started = false
  const before = fs.existsSync(DATA) ? probe(bin) : 'down'
  if (before === 'foreign') {
    throw new TestBedError(
      `port ${PORT} on ${HOST} is held by another server (not ${DATA}): stop it or set KAFKA_NAPI_PG_PORT`,
    )
  }
  if (before === 'down') {
    ensureCluster(bin)
    const r = runAs(path.join(bin, 'pg_ctl'), ['start', '-D', DATA, '-l', LOG, '-w', '-t', String(READY_TIMEOUT_S)])
    if (r.status !== 0) {
      throw new TestBedError(
        `pg_ctl start failed (exit ${r.status}):\n${r.stdout}${r.stderr}\n--- ${LOG}:\n${tail(LOG)}`,
      )
    }
    const now = probe(bin)
    if (now !== 'ours') throw new TestBedError(`the server started but does not answer as ${url()}:\n${tail(LOG)}`)
    started = true
  }
  const exists = query(bin, `SELECT 1 FROM pg_database WHERE datname = '${DATABASE}'`, 'postgres')
  if (!exists.ok) throw new TestBedError(`could not query the server: ${exists.out}`)
  if (exists.out !== '1') {
    const c = query(bin, `CREATE DATABASE ${DATABASE} OWNER ${USER}`, 'postgres')
    if (!c.ok) throw new TestBedError(`could not create database ${DATABASE}: ${c.out}`)
  }
  const version = query(bin, 'SHOW server_version')
  console.log(
    `postgres ${started ? 'started' : 'already running'}: ${url()} (PostgreSQL ${version.out}, data ${DATA}, log ${LOG})`,
  )
  return started
}

/** Graceful stop of this test bed's server (fast shutdown); immediate if that takes over a minute. */
function stop() {
  if (!dataVersion()) {
    console.log('postgres: not initialised, nothing to stop')
    return false
  }
  const bin = binDir()
  const st = runAs(path.join(bin, 'pg_ctl'), ['status', '-D', DATA])
  if (st.status !== 0) {
    console.log('postgres: not running')
    return false
  }
  let r = runAs(path.join(bin, 'pg_ctl'), ['stop', '-D', DATA, '-m', 'fast', '-w', '-t', '60'])
  if (r.status !== 0) {
    console.error(`pg_ctl stop -m fast did not finish (${`${r.stdout}${r.stderr}`.trim()}); stopping immediately`)
    r = runAs(path.join(bin, 'pg_ctl'), ['stop', '-D', DATA, '-m', 'immediate', '-w', '-t', '30'])
    if (r.status !== 0) throw new TestBedError(`pg_ctl stop failed:\n${r.stdout}${r.stderr}`)
  }
  console.log('postgres stopped')
  return true
}

/** True if this test bed's server answers. */
function status() {
  const bin = binDir()
  const s = dataVersion() ? probe(bin) : 'down'
  if (s === 'ours') console.log(`postgres running: ${url()} (data ${DATA})`)
  else if (s === 'foreign') console.log(`postgres not running here; port ${PORT} is held by another server`)
  else console.log('postgres not running')
  return s === 'ours'
}

function main(argv) {
  const cmd = argv[0]
  try {
    switch (cmd) {
      case 'start':
        start()
        return 0
      case 'stop':
        stop()
        return 0
      case 'status':
        return status() ? 0 : 1
      case 'env':
        for (const [k, v] of Object.entries(envVars())) console.log(`${k}=${v}`)
        return 0
      default:
        console.error(`usage: node scripts/pg/pg.js start|stop|status|env${cmd ? ` (unknown command "${cmd}")` : ''}`)
        return 2
    }
  } catch (e) {
    if (!(e instanceof TestBedError)) throw e
    console.error(`pg test bed: ${e.message}`)
    return 1
  }
}

if (require.main === module) process.exitCode = main(process.argv.slice(2))

module.exports = { envVars, url, start, stop, status, STATE, PORT }
