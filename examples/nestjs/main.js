#!/usr/bin/env node
'use strict'
/*
 * `node examples/nestjs/main.js [email]`: boots the app (connecting the producer), registers one
 * user, and closes the app, which delivers the verification request before the process exits.
 * KAFKA_BROKERS, VERIFICATION_TOPIC and FAILURE_LOG configure it (see config.js).
 */
const { NestFactory } = require('@nestjs/core')
const { AppModule } = require('./app.module')
const { UsersService } = require('./users.service')

async function main() {
  const app = await NestFactory.createApplicationContext(AppModule)
  app.enableShutdownHooks()
  const user = app.get(UsersService).register({ email: process.argv[2] || 'ada@example.com', name: 'Ada' })
  console.log(`registered ${user.email} (${user.id}); closing, which flushes the verification request`)
  await app.close()
}

main().catch((e) => {
  console.error(e)
  process.exit(1)
})
