'use strict'
/*
 * The email-verification flow: UsersService.register() emits 'user.registered';
 * VerificationEmailListener produces to `send.verification.email` through the 'verification'
 * producer (idempotent, acks -1, retries, a FailureLog), connected at init and flushed at shutdown.
 */
const { Module } = require('@nestjs/common')
const { EventEmitterModule } = require('@nestjs/event-emitter')
const { FailureLog } = require('../..') // in an app: require('kafka-napi')
const { KafkaProducerModule } = require('../../nestjs') // in an app: require('kafka-napi/nestjs')
const { AppConfig, ConfigModule } = require('./config')
const { UsersService } = require('./users.service')
const { VerificationEmailListener, VERIFICATION_PRODUCER } = require('./verification-email.listener')

class AppModule {}
Module({
  imports: [
    ConfigModule,
    EventEmitterModule.forRoot(),
    KafkaProducerModule.forRootAsync({
      name: VERIFICATION_PRODUCER,
      imports: [ConfigModule],
      inject: [AppConfig],
      useFactory: (config) => ({
        client: { clientId: 'users-service', brokers: config.brokers },
        producer: {
          idempotent: true,
          retry: { retries: 5, initialRetryTime: 300 },
          failureLog: new FailureLog({ path: config.failureLogPath }),
        },
      }),
    }),
  ],
  providers: [UsersService, VerificationEmailListener],
})(AppModule)

module.exports = { AppModule }
