/**
 * `tandem serve --workers N`: a primary process forks N app processes that share the listening port (Node cluster).
 * Every app process is stateless — sessions, sign-in and API rate limits, jobs, the audit chain and idempotency
 * records live in PostgreSQL — so any process can serve any request. The primary only supervises: it restarts a
 * crashed process with backoff and, on SIGTERM, stops them all gracefully (each finishes its requests and jobs).
 */
import cluster, { type Worker } from 'node:cluster';
import os from 'node:os';
import { ConfigError } from '../config.ts';

/** "auto" → one process per core available to us; otherwise a whole number from 1 to 256. */
export function resolveWorkers(spec: string | undefined): number {
  if (spec === undefined || spec === '') return 1;
  if (spec === 'auto') return os.availableParallelism();
  const n = Number(spec);
  if (!Number.isInteger(n) || n < 1 || n > 256) throw new ConfigError(`--workers must be a whole number from 1 to 256, or "auto"; got "${spec}"`);
  return n;
}

/** Why N > 1 is refused on the embedded database. */
export const PGLITE_WORKERS_MESSAGE =
  'tandem serve: --workers needs PostgreSQL (set DATABASE_URL). The embedded database (PGlite) allows one process per ' +
  'data directory — a second process would lose writes — so run it without --workers (one process).';

/** Backoff before restarting a process that crashed: doubles with each quick crash, capped at 30 seconds. */
export function restartDelayMs(quickCrashes: number): number {
  return Math.min(30_000, 500 * 2 ** Math.max(0, quickCrashes - 1));
}

/** A process that stayed up this long before dying is treated as healthy again (its backoff resets). */
const HEALTHY_AFTER_MS = 60_000;
/** How long SIGTERM waits for processes to finish before killing them. */
const STOP_GRACE_MS = 25_000;

export interface PrimaryOptions {
  workers: number;
  /** Environment every app process gets (e.g. the session secret, so cookies signed by one are valid in all). */
  env: Record<string, string>;
  log?: (msg: string) => void;
  /** Called once, when every process is listening the first time. */
  onReady?: (port: number) => void;
}

/** Runs in the primary: forks the app processes and supervises them until SIGTERM/SIGINT. */
export function runPrimary(opts: PrimaryOptions): void {
  const log = opts.log ?? ((m: string) => console.log(m));
  let stopping = false;
  const bySlot = new Map<number, Worker>();
  const quickCrashes = new Map<number, number>();
  const timers = new Set<NodeJS.Timeout>();
  const listened = new Set<number>();
  let ready = false;

  const fork = (slot: number) => {
    const startedAt = Date.now();
    const worker = cluster.fork({ ...opts.env, TANDEM_WORKER_SLOT: String(slot) });
    bySlot.set(slot, worker);
    worker.once('listening', (address) => {
      log(`worker ${slot} listening (pid ${worker.process.pid})`);
      listened.add(slot);
      if (!ready && listened.size === opts.workers) {
        ready = true;
        opts.onReady?.(address.port);
      }
    });
    worker.once('exit', (code, signal) => {
      bySlot.delete(slot);
      if (stopping) return;
      const crashes = Date.now() - startedAt > HEALTHY_AFTER_MS ? 1 : (quickCrashes.get(slot) ?? 0) + 1;
      quickCrashes.set(slot, crashes);
      const delay = restartDelayMs(crashes);
      log(`worker ${slot} (pid ${worker.process.pid}) exited (${signal ?? `code ${code}`}); restarting in ${(delay / 1000).toFixed(1)}s`);
      const t = setTimeout(() => {
        timers.delete(t);
        if (!stopping) fork(slot);
      }, delay);
      timers.add(t);
    });
  };
  for (let slot = 1; slot <= opts.workers; slot++) fork(slot);

  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    for (const t of timers) clearTimeout(t);
    log(`\n${signal}: stopping ${bySlot.size} worker(s)…`);
    const workers = [...bySlot.values()];
    if (workers.length === 0) process.exit(0);
    const killer = setTimeout(() => {
      for (const w of workers) if (!w.isDead()) w.process.kill('SIGKILL');
    }, STOP_GRACE_MS);
    let left = workers.length;
    for (const w of workers) {
      w.once('exit', () => {
        if (--left === 0) {
          clearTimeout(killer);
          log('all workers stopped');
          process.exit(0);
        }
      });
      w.process.kill('SIGTERM');
    }
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
}
