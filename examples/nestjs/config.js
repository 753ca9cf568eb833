'use strict'
/* The app's settings, from the environment (tests replace AppConfig with overrideProvider). */
const path = require('node:path')
const { Module } = require('@nestjs/common')

class AppConfig {
  constructor(env = process.env) {
    this.brokers = (env.KAFKA_BROKERS || '127.0.0.1:19092').split(',')
    this.verificationTopic = env.VERIFICATION_TOPIC || 'send.verification.email'
    this.failureLogPath = env.FAILURE_LOG || path.join(process.cwd(), 'failure-log-verification-email.jsonl')
  }
}

class ConfigModule {}
Module({ providers: [{ provide: AppConfig, useFactory: () => new AppConfig() }], exports: [AppConfig] })(ConfigModule)

module.exports = { AppConfig, ConfigModule }
