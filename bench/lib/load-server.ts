/**
 * Child process of the load benchmark: the real Tandem app (createServices + buildApp, the same plugins, policy,
 * audit and views as `tandem serve`) on PostgreSQL in the benchmark's schema, listening on 127.0.0.1 on a free port.
 *
 * Unlike `tandem serve` it does not start the background job worker, the linkage index warm-up or the scheduled
 * refresh of the performance summary tables: on a 1M-case database those would compete with the requests being
 * measured. Prints one JSON line `{"listening": port}` when ready; stops on SIGTERM.
 *
 * Env: BENCH_DATABASE_URL, BENCH_SCHEMA, BENCH_POOL (pg pool size), TANDEM_ENCRYPTION_KEYS, TANDEM_SESSION_SECRET.
 */
import { buildApp } from '../../src/app.ts';
import { loadConfig } from '../../src/config.ts';
import { PostgresDb } from '../../src/db/database.ts';
import { createServices } from '../../src/services.ts';

const url = process.env.BENCH_DATABASE_URL!;
const schema = process.env.BENCH_SCHEMA!;
const pool = Number(process.env.BENCH_POOL ?? 10);

const config = loadConfig({ ...process.env, NODE_ENV: 'development', DATABASE_URL: url, HOST: '127.0.0.1', PORT: '0' });
const db = PostgresDb.connect(url, { schema, max: pool });
const services = createServices(db, config);
// The same logger setting as `tandem serve` outside production (warnings and errors only).
const app = await buildApp({ config, services, logger: { level: 'warn' } });
await app.listen({ port: 0, host: '127.0.0.1' });
const address = app.server.address();
process.stdout.write(`${JSON.stringify({ listening: typeof address === 'object' && address ? address.port : 0, pid: process.pid })}\n`);

process.once('SIGTERM', async () => {
  await app.close();
  await db.close();
  process.exit(0);
});
