'use strict'
/*
 * On 'user.registered', asks the mailer (a consumer of topic `send.verification.email`, not part
 * of this example) to send the verification email. The producer sends with acks -1 and retries;
 * a message the broker still refuses is recorded in the producer's FailureLog, for replay.
 */
const { Injectable, Inject, Logger } = require('@nestjs/common')
const { OnEvent } = require('@nestjs/event-emitter')
const { InjectProducer } = require('../../nestjs') // in an app: require('kafka-napi/nestjs')
const { AppConfig } = require('./config')
const { USER_REGISTERED } = require('./users.service')

const VERIFICATION_PRODUCER = 'verification'

class VerificationEmailListener {
  constructor(producer, config) {
    this.producer = producer
    this.config = config
    this.logger = new Logger(VerificationEmailListener.name)
  }

  /** Produces the verification request, keyed by user id. */
  async onUserRegistered(user) {
    const value = JSON.stringify({ userId: user.id, email: user.email, name: user.name, token: user.verificationToken })
    try {
      await this.producer.send({ topic: this.config.verificationTopic, acks: -1, messages: [{ key: user.id, value }] })
    } catch (e) {
      this.logger.error(
        `Verification email for user ${user.id} not requested (${e.type || e.name}: ${e.message}); it is in the failure log`,
      )
    }
  }
}
Injectable()(VerificationEmailListener)
InjectProducer(VERIFICATION_PRODUCER)(VerificationEmailListener, undefined, 0)
Inject(AppConfig)(VerificationEmailListener, undefined, 1)
const onUserRegistered = Object.getOwnPropertyDescriptor(VerificationEmailListener.prototype, 'onUserRegistered')
OnEvent(USER_REGISTERED)(VerificationEmailListener.prototype, 'onUserRegistered', onUserRegistered)

module.exports = { VerificationEmailListener, VERIFICATION_PRODUCER }
