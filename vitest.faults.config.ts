import { defineConfig } from 'vitest/config';

// Fault and concurrency tests (`npm run test:faults`): real HTTP, spawned servers, kill -9, a private PostgreSQL
// restarted mid-load. One file at a time in one forked worker, so the load each file makes is its own. PGlite
// always; with TEST_DATABASE_URL the same files run again on PostgreSQL (the process and database-restart tests
// run only there). FAULTS_SUBSET=ci (what .ci/run uses) runs the PostgreSQL project only when there is one: every
// scenario once, in about half the time of the full run (PGlite's kill -9 restart waits out a stale lock).
const postgres = process.env.TEST_DATABASE_URL
  ? [{ extends: true as const, test: { name: 'postgres', env: { TANDEM_TEST_BACKEND: 'postgres' } } }]
  : [];
const pglite = process.env.FAULTS_SUBSET === 'ci' && postgres.length ? [] : [{ extends: true as const, test: { name: 'pglite', env: { TANDEM_TEST_BACKEND: 'pglite' } } }];

export default defineConfig({
  test: {
    include: ['src/faults/**/*.faults.ts'],
    pool: 'forks',
    maxWorkers: 1,
    fileParallelism: false,
    testTimeout: 240_000,
    hookTimeout: 120_000,
    teardownTimeout: 30_000,
    env: { NODE_ENV: 'test' },
    projects: [...pglite, ...postgres],
  },
});
