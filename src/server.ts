import { execFileSync } from 'node:child_process';
import type { FastifyInstance } from 'fastify';
import { buildApp } from './app.ts';
import { type Config, loadConfig } from './config.ts';
import { type Db, openDatabase } from './db/database.ts';
import { migrate } from './db/migrate.ts';
import { FieldCipher } from './platform/crypto.ts';
import { checkKeyRing } from './platform/key-check.ts';
import { JobWorker } from './platform/jobs.ts';
import { createServices } from './services.ts';

export interface Running {
  app: FastifyInstance;
  db: Db;
  url: string;
  stop(): Promise<void>;
}

function gitCommit(): string {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
  } catch {
    return '';
  }
}

/**
 * Start-up: config → database (locked, migrated) → optional demo data → app → listen. Returns a handle whose stop()
 * closes the server first (no new requests) and then the database.
 */
export async function startServer(options: { config?: Config; beforeListen?: (db: Db, config: Config) => Promise<void>; log?: (msg: string) => void } = {}): Promise<Running> {
  const config = options.config ?? loadConfig();
  if (!config.gitCommit) config.gitCommit = gitCommit();
  const log = options.log ?? ((m: string) => console.log(m));
  const db = await openDatabase(config);
  try {
    const applied = await migrate(db, log);
    if (applied.length) log(`database: ${applied.length} migration(s) applied`);
    await checkKeyRing(db, new FieldCipher(config.encryptionKeys), new Date());
    await options.beforeListen?.(db, config);
    const services = createServices(db, config);
    const app = await buildApp({ config, services, logger: config.env === 'production' ? true : { level: 'warn' } });
    await app.listen({ port: config.port, host: config.host });
    // Background jobs (reminders, alerts) run in every app process; claims with SKIP LOCKED keep them from colliding.
    const worker = new JobWorker(db, services.clock, services.jobHandlers, { log: (msg, extra) => app.log.warn(extra ?? {}, msg) });
    worker.start();
    // Suspect linkage: build the warm index of everyone on record now rather than at the first check (retried there on failure).
    void services.linkage.warm().catch((err: unknown) => app.log.warn({ err }, 'linkage index not built at start'));
    // Performance figures: the first refresh of the summary tables; each refresh schedules the next (one per slot).
    await services.performance.schedule();
    const address = app.server.address();
    const port = typeof address === 'object' && address ? address.port : config.port;
    let stopped = false;
    return {
      app, db, url: `http://localhost:${port}`,
      async stop() {
        if (stopped) return;
        stopped = true;
        await worker.stop();
        await app.close();
        await db.close();
      },
    };
  } catch (err) {
    await db.close();
    throw err;
  }
}
