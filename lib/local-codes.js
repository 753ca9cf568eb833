'use strict'
/*
 * librdkafka's local (negative) error codes that the JS layer tests for, by name
 * (rdkafka.h, `rd_kafka_resp_err_t`: RD_KAFKA_RESP_ERR__<NAME>).
 */
module.exports = Object.freeze({
  TRANSPORT: -195,
  RESOLVE: -193,
  FAIL: -196,
  ALL_BROKERS_DOWN: -187,
  TIMED_OUT: -185,
  SSL: -181,
  AUTHENTICATION: -169,
})
