'use strict'
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/__test__', '<rootDir>/examples'],
  testMatch: ['**/*.spec.js'],
  globalSetup: '<rootDir>/__test__/helpers/global-setup.js',
  globalTeardown: '<rootDir>/__test__/helpers/global-teardown.js',
  testTimeout: 120000,
  // Suites share two brokers; one at a time keeps fault-injection suites (killing a node) apart.
  maxWorkers: 1,
}
