'use strict'
/* Registers users and announces each one with the domain event 'user.registered'. */
const crypto = require('node:crypto')
const { Injectable, Inject } = require('@nestjs/common')
const { EventEmitter2 } = require('@nestjs/event-emitter')

const USER_REGISTERED = 'user.registered'

class UsersService {
  constructor(events) {
    this.events = events
    this.users = new Map()
  }

  /**
   * Stores a new, unverified user and emits 'user.registered'. Kafka is not touched here: the
   * listeners of the event decide what follows (see VerificationEmailListener).
   * @param {{ email: string, name: string }} input
   */
  register({ email, name }) {
    const user = {
      id: crypto.randomUUID(),
      email,
      name,
      verified: false,
      verificationToken: crypto.randomBytes(16).toString('hex'),
    }
    this.users.set(user.id, user)
    this.events.emit(USER_REGISTERED, user)
    return user
  }
}
Injectable()(UsersService)
Inject(EventEmitter2)(UsersService, undefined, 0)

module.exports = { UsersService, USER_REGISTERED }
