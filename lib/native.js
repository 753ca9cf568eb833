'use strict'
/*
 * The native core, loaded once. The generated loader (binding.js) looks for a `.node` beside the
 * package (a checkout, or a source build by the install script), then for the platform package
 * `kafka-napi-<platform>`. When neither loads, the app gets one error that names the platform and
 * says what to do, with the loader's own attempts as its cause.
 */
const { currentPlatform, missingBinaryAdvice } = require('./platform')

function load() {
  try {
    return require('../binding.js')
  } catch (cause) {
    const error = new Error(missingBinaryAdvice(currentPlatform()), { cause })
    error.name = 'KafkaNapiBindingError'
    error.code = 'KAFKA_NAPI_NO_BINDING'
    throw error
  }
}

module.exports = load()
