import cluster from 'node:cluster';
import { parseArgs } from 'node:util';
import { FieldCipher } from '../platform/crypto.ts';
import { startServer } from '../server.ts';
import { DEMO_PASSWORD, DEMO_TOTP_SECRET, DEMO_USERS } from '../synthetic/demo-users.ts';
import { loadConfig } from '../config.ts';
import { type Db, openDatabase } from '../db/database.ts';
import { migrate } from '../db/migrate.ts';
import { PGLITE_WORKERS_MESSAGE, resolveWorkers, runPrimary } from '../ops/cluster.ts';
import { loadDemoData } from './seed.ts';

const DEMO_CASES = 3000;

function printDemoUsers(url: string) {
  console.log(`\nSign in at ${url}/sign-in with any demo user below. DEMO ONLY – synthetic data, shared secrets:`);
  console.log(`  password:     ${DEMO_PASSWORD}`);
  console.log(`  TOTP secret:  ${DEMO_TOTP_SECRET}  (add it to an authenticator app, or run: npm run tandem -- totp)`);
  for (const u of DEMO_USERS) console.log(`  ${u.username.padEnd(18)} ${u.note}`);
}

export async function serve(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { demo: { type: 'boolean', default: false }, port: { type: 'string' }, workers: { type: 'string' } } });
  const config = loadConfig(values.port ? { ...process.env, PORT: values.port } : process.env);
  const started = performance.now();
  if (values.demo && config.env === 'production') {
    console.error('tandem serve: --demo is refused when NODE_ENV=production (demo users share a published password)');
    return 1;
  }
  const workers = resolveWorkers(values.workers);
  if (workers > 1 && !config.databaseUrl) {
    console.error(PGLITE_WORKERS_MESSAGE);
    return 1;
  }
  const loadDemo = async (db: Db) => {
    if (!values.demo) return;
    const [{ n }] = (await db.query<{ n: number }>('SELECT count(*)::int AS n FROM users')) as [{ n: number }];
    if (n > 0) return;
    console.log(`First start: loading demo users and ${DEMO_CASES} synthetic cases…`);
    await loadDemoData(db, new FieldCipher(config.encryptionKeys), { cases: DEMO_CASES, seed: 42, progress: process.stdout.isTTY });
  };
  if (workers > 1 && cluster.isPrimary) {
    // Migrations and demo data once, here, before any app process starts; then the processes share the port.
    const db = await openDatabase(config);
    try {
      const applied = await migrate(db);
      if (applied.length) console.log(`database: ${applied.length} migration(s) applied`);
      await loadDemo(db);
    } finally {
      await db.close();
    }
    runPrimary({
      workers,
      // A development secret is random per process: hand the primary's to every process so any can read the cookies.
      env: { TANDEM_SESSION_SECRET: config.sessionSecret },
      onReady: (port) => {
        const seconds = ((performance.now() - started) / 1000).toFixed(1);
        console.log(`\nTandem is running at http://localhost:${port} (ready in ${seconds}s; ${workers} worker processes; database: postgres)`);
        if (values.demo) printDemoUsers(`http://localhost:${port}`);
      },
    });
    return -1;
  }
  const running = await startServer({
    config,
    // In a cluster the primary loaded the demo data before forking.
    beforeListen: async (db) => (cluster.isWorker ? undefined : loadDemo(db)),
  });
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  if (!cluster.isWorker) console.log(`\nTandem is running at ${running.url} (ready in ${seconds}s; database: ${running.db.kind}${running.db.kind === 'pglite' ? ` in ${config.dataDir}` : ''})`);
  if (values.demo && !cluster.isWorker) printDemoUsers(running.url);
  const shutdown = async (signal: string) => {
    console.log(`\n${signal}: stopping Tandem…`);
    await running.stop();
    process.exit(0);
  };
  process.once('SIGINT', () => void shutdown('SIGINT'));
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  // A worker whose primary has gone (killed outright) stops rather than serving unsupervised.
  if (cluster.isWorker) process.once('disconnect', () => void shutdown('primary gone'));
  return -1;
}
