import { parseArgs } from 'node:util';
import { FieldCipher } from '../platform/crypto.ts';
import { startServer } from '../server.ts';
import { DEMO_PASSWORD, DEMO_TOTP_SECRET, DEMO_USERS } from '../synthetic/demo-users.ts';
import { loadConfig } from '../config.ts';
import { loadDemoData } from './seed.ts';

const DEMO_CASES = 3000;

export async function serve(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { demo: { type: 'boolean', default: false }, port: { type: 'string' } } });
  const config = loadConfig(values.port ? { ...process.env, PORT: values.port } : process.env);
  const started = performance.now();
  if (values.demo && config.env === 'production') {
    console.error('tandem serve: --demo is refused when NODE_ENV=production (demo users share a published password)');
    return 1;
  }
  const running = await startServer({
    config,
    beforeListen: async (db) => {
      if (!values.demo) return;
      const [{ n }] = (await db.query<{ n: number }>('SELECT count(*)::int AS n FROM users')) as [{ n: number }];
      if (n > 0) return;
      console.log(`First start: loading demo users and ${DEMO_CASES} synthetic cases…`);
      await loadDemoData(db, new FieldCipher(config.encryptionKeys), { cases: DEMO_CASES, seed: 42, progress: process.stdout.isTTY });
    },
  });
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  console.log(`\nTandem is running at ${running.url} (ready in ${seconds}s; database: ${running.db.kind}${running.db.kind === 'pglite' ? ` in ${config.dataDir}` : ''})`);
  if (values.demo) {
    console.log(`\nSign in at ${running.url}/sign-in with any demo user below. DEMO ONLY – synthetic data, shared secrets:`);
    console.log(`  password:     ${DEMO_PASSWORD}`);
    console.log(`  TOTP secret:  ${DEMO_TOTP_SECRET}  (add it to an authenticator app, or run: npm run tandem -- totp)`);
    for (const u of DEMO_USERS) console.log(`  ${u.username.padEnd(18)} ${u.note}`);
  }
  const shutdown = async (signal: string) => {
    console.log(`\n${signal}: stopping Tandem…`);
    await running.stop();
    process.exit(0);
  };
  process.once('SIGINT', () => void shutdown('SIGINT'));
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  return -1;
}
