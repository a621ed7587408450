import { defineConfig } from 'vitest/config';

// Unit and integration tests run on PGlite; with TEST_DATABASE_URL set, the same files run again on PostgreSQL.
const postgres = process.env.TEST_DATABASE_URL
  ? [{ extends: true as const, test: { name: 'postgres', env: { TANDEM_TEST_BACKEND: 'postgres' } } }]
  : [];

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts'],
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 120_000,
    env: { NODE_ENV: 'test' },
    projects: [{ extends: true, test: { name: 'pglite', env: { TANDEM_TEST_BACKEND: 'pglite' } } }, ...postgres],
  },
});
