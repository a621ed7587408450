import { defineConfig } from 'vitest/config';

// Browser tests: the real app in-process on an ephemeral port, driven by playwright-core and Debian's chromium.
// One file at a time in one forked worker: each file starts its own app and browser, and the run stays predictable
// on small CI machines. isolate: false lets later files reuse the worker's migrated PGlite template (saves ~4 s a file).
// The database is PGlite: the unit/integration projects already cover PostgreSQL.
export default defineConfig({
  test: {
    include: ['e2e/**/*.e2e.ts'],
    pool: 'forks',
    maxWorkers: 1,
    fileParallelism: false,
    isolate: false,
    testTimeout: 120_000,
    hookTimeout: 120_000,
    teardownTimeout: 30_000,
    env: { NODE_ENV: 'test', TANDEM_TEST_BACKEND: 'pglite' },
    globalSetup: ['e2e/support/global-setup.ts'],
  },
});
