import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 20_000,
    hookTimeout: 20_000,
    pool: 'forks',
    // A real PostgreSQL server for the suites that run on it (store contract, replicas, KMS_TEST_DATABASE=postgres).
    globalSetup: ['test/global-postgres.ts'],
  },
});
