'use strict'
/*
 * OrdersModule: the microservice's handlers (served by ServerKafka once the app connects the
 * Transport.KAFKA microservice). CheckoutModule: the caller, Nest's ClientKafka. AppModule: both,
 * as one hybrid app (main.js); the tests also start them apart.
 */
const { Module } = require('@nestjs/common')
const { ClientsModule, Transport } = require('@nestjs/microservices')
const { clientOptions } = require('./config')
const { OrdersController, OrdersLog } = require('./orders.controller')
const { CheckoutService, ORDERS_CLIENT } = require('./checkout.service')

class OrdersModule {}
Module({ controllers: [OrdersController], providers: [OrdersLog], exports: [OrdersLog] })(OrdersModule)

class CheckoutModule {}
Module({
  imports: [ClientsModule.register([{ name: ORDERS_CLIENT, transport: Transport.KAFKA, options: clientOptions() }])],
  providers: [CheckoutService],
  exports: [CheckoutService],
})(CheckoutModule)

class AppModule {}
Module({ imports: [OrdersModule, CheckoutModule] })(AppModule)

module.exports = { AppModule, OrdersModule, CheckoutModule }
