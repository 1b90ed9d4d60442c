import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Integration files each use their own database and queue prefix, so files may run in parallel.
    fileParallelism: true,
    maxWorkers: 2,
    reporters: ['default'],
    // With coverage on, the bridge's PHP in the test sites is measured too (pcov; docs/development.md).
    globalSetup: ['tests/helpers/php-coverage.ts'],
    // `npm test` turns coverage on (--coverage): the sidecar runs inside the test processes, so the
    // integration and end-to-end suites count.
    coverage: {
      provider: 'v8',
      include: ['sidecar/src/**/*.ts'],
      reporter: ['text-summary', ['json-summary', { file: 'coverage-summary.json' }], ['text', { file: 'coverage.txt' }]],
      reportsDirectory: 'test-artifacts/coverage',
      // A figure even when a test failed: CI prints it either way.
      reportOnFailure: true,
    },
  },
});
