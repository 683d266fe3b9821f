// Tests are TypeScript ES modules run in place by ts-jest (type checking is done once by
// `npm run typecheck`, so ts-jest only transpiles: isolatedModules keeps the suite fast).
export default {
  preset: 'ts-jest/presets/default-esm',
  testEnvironment: '<rootDir>/test/support/environment.cjs',
  // One temp cache folder for the suite (TTS_CRITIC_CACHE): tests never touch the user's cache.
  globalSetup: '<rootDir>/test/support/cache-setup.cjs',
  globalTeardown: '<rootDir>/test/support/cache-teardown.cjs',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: 'tsconfig.json' }],
  },
  testTimeout: 60000,
  // Two cores in CI: one worker per core keeps ONNX Runtime's own threads from fighting.
  maxWorkers: 2,
};
