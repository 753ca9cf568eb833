'use strict'
/*
 * kafkajs's logger: levels, logCreator, namespaces, KAFKAJS_LOG_LEVEL. A logCreator or log
 * function that throws is reported once on stderr and never breaks the producer.
 */

const logLevel = { NOTHING: 0, ERROR: 1, WARN: 2, INFO: 4, DEBUG: 5 }
const LEVEL_NAMES = { 1: 'ERROR', 2: 'WARN', 4: 'INFO', 5: 'DEBUG' }

function envLogLevel() {
  const name = process.env.KAFKAJS_LOG_LEVEL
  if (name && Object.hasOwn(logLevel, name.toUpperCase())) return logLevel[name.toUpperCase()]
  return null
}

/** The default log creator: one JSON line per entry on the console, as kafkajs prints. */
const defaultLogCreator =
  () =>
  ({ namespace, level, label, log }) => {
    const { message, ...extra } = log
    const line = JSON.stringify({
      level: label,
      ...extra,
      logger: log.logger,
      message,
      namespace: namespace || undefined,
    })
    if (level === logLevel.ERROR) console.error(line)
    else if (level === logLevel.WARN) console.warn(line)
    else console.log(line)
  }

function createLogger({ level = logLevel.INFO, logCreator = defaultLogCreator } = {}) {
  let current = envLogLevel() ?? level
  let warnedBroken = false
  let logFunction
  try {
    logFunction = logCreator(current)
  } catch (e) {
    process.stderr.write(`kafka-napi: logCreator threw, falling back to the default logger: ${e && e.message}\n`)
    logFunction = defaultLogCreator(current)
  }
  if (typeof logFunction !== 'function') logFunction = defaultLogCreator(current)

  const createLogFunctions = (namespace, namespaceLevel) => {
    const write =
      (lvl) =>
      (message, extra = {}) => {
        const effective = namespaceLevel ?? current
        if (lvl > effective || effective === logLevel.NOTHING) return
        try {
          logFunction({
            namespace,
            level: lvl,
            label: LEVEL_NAMES[lvl],
            log: { timestamp: new Date().toISOString(), logger: 'kafkajs', message, ...extra },
          })
        } catch (e) {
          if (!warnedBroken) {
            warnedBroken = true
            process.stderr.write(`kafka-napi: the log function threw (reported once): ${e && e.message}\n`)
          }
        }
      }
    return {
      info: write(logLevel.INFO),
      error: write(logLevel.ERROR),
      warn: write(logLevel.WARN),
      debug: write(logLevel.DEBUG),
      namespace: (ns, lvl) => createLogFunctions(ns, lvl ?? namespaceLevel),
      setLogLevel: (lvl) => {
        current = lvl
      },
      getLogLevel: () => namespaceLevel ?? current,
    }
  }
  return createLogFunctions('', undefined)
}

module.exports = { logLevel, createLogger, defaultLogCreator }
