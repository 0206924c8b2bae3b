// Two projects: `unit` (fast, mocks at the edges) and `e2e` (runs the bundled
// dist/index.js against moto_server with real pip and real interpreters).
const common = {
  preset: 'ts-jest/presets/default-esm',
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  moduleFileExtensions: ['ts', 'js', 'json'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: {
    '^.+\\.ts$': [
      'ts-jest',
      { useESM: true, tsconfig: 'tsconfig.json', diagnostics: { ignoreCodes: ['TS151001'] } }
    ]
  }
}

export default {
  verbose: true,
  // End-to-end tests run real pip installs; unit tests finish in milliseconds anyway.
  testTimeout: 600000,
  // One scratch folder for the run's temporary files, removed at the end.
  globalSetup: '<rootDir>/__tests__/temp-setup.mjs',
  globalTeardown: '<rootDir>/__tests__/temp-teardown.mjs',
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/__tests__/unit/**/*.test.ts'] },
    {
      ...common,
      displayName: 'e2e',
      testMatch: ['<rootDir>/__tests__/e2e/**/*.test.ts'],
      globalSetup: '<rootDir>/__tests__/e2e/global-setup.mjs',
      globalTeardown: '<rootDir>/__tests__/e2e/global-teardown.mjs'
    }
  ]
}
