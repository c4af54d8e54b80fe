// Three projects: `unit` (pure logic, milliseconds, no network), `integration` (the real stack:
// one per test run, started by the test kit's global setup; tests isolate themselves by prefix)
// and `fault` (the same stack; tests that kill real parts, e.g. their own Kafka Connect worker).
const transform = {
  '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.base.json', diagnostics: false }],
};
const roots = [
  '<rootDir>/libs',
  '<rootDir>/services',
  '<rootDir>/infra',
  '<rootDir>/examples',
  '<rootDir>/bench',
];

/** @type {import('jest').Config} */
module.exports = {
  maxWorkers: 2,
  reporters: ['default', '<rootDir>/infra/test-kit/src/summary-reporter.js'],
  projects: [
    {
      displayName: 'unit',
      roots,
      transform,
      testEnvironment: 'node',
      testMatch: ['**/test/**/*.test.ts'],
      testPathIgnorePatterns: ['/node_modules/', '/test/integration/', '/test/fault/'],
    },
    {
      displayName: 'integration',
      roots,
      transform,
      testEnvironment: 'node',
      testMatch: ['**/test/integration/**/*.test.ts'],
      globalSetup: '<rootDir>/infra/test-kit/src/jest-global-setup.ts',
      globalTeardown: '<rootDir>/infra/test-kit/src/jest-global-teardown.ts',
      setupFilesAfterEnv: ['<rootDir>/infra/test-kit/src/jest-integration-setup.ts'],
      slowTestThreshold: 30,
    },
    {
      displayName: 'fault',
      roots,
      transform,
      testEnvironment: 'node',
      testMatch: ['**/test/fault/**/*.test.ts'],
      globalSetup: '<rootDir>/infra/test-kit/src/jest-global-setup.ts',
      globalTeardown: '<rootDir>/infra/test-kit/src/jest-global-teardown.ts',
      setupFilesAfterEnv: ['<rootDir>/infra/test-kit/src/jest-integration-setup.ts'],
      slowTestThreshold: 120,
    },
  ],
};
