import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { caseBody } from '../api/test-support.ts';
import { PostgresDb } from '../db/database.ts';
import { migrate } from '../db/migrate.ts';
import { TEST_BACKEND } from '../testing/harness.ts';
import { call, figures, httpPool, type HttpResult, httpToken, loadClients, ServeProcess, servicesFor } from './support.ts';

/**
 * (d) The database restarts under load and the app recovers by itself. A private PostgreSQL cluster (never the
 * shared one on 5432) is initdb'd into a temporary directory; `tandem serve` runs against it with a read + write
 * load over HTTP; the cluster is stopped (-m fast), left down for a few seconds and started again while the load
 * keeps running. During the outage every request must fail fast with 503 problem+json and Retry-After (no hang, no
 * crash of the process); once the database is back requests succeed again within seconds, with no restart of the
 * app; every acknowledged write is there.
 */
const BIN_DIR = (() => {
  const root = '/usr/lib/postgresql';
  if (!fs.existsSync(root)) return undefined;
  const versions = fs.readdirSync(root).filter((v) => fs.existsSync(path.join(root, v, 'bin', 'initdb'))).sort((a, b) => Number(b) - Number(a));
  return versions[0] ? path.join(root, versions[0], 'bin') : undefined;
})();
const IS_ROOT = process.getuid?.() === 0;
const SKIP = TEST_BACKEND !== 'postgres' ? 'runs in the postgres project only' : !BIN_DIR ? 'no PostgreSQL server binaries under /usr/lib/postgresql/*/bin' : '';
if (SKIP && TEST_BACKEND === 'postgres') console.warn(`db-restart fault test skipped: ${SKIP}`);

const WORKERS = 10;
const OUTAGE_MS = 3000;

/** Runs a PostgreSQL binary, as the postgres user when we are root (initdb and postgres refuse root). */
function pgBin(cmd: string, args: string[]) {
  const bin = path.join(BIN_DIR!, cmd);
  return IS_ROOT ? execFileSync('runuser', ['-u', 'postgres', '--', bin, ...args], { stdio: 'pipe' }) : execFileSync(bin, args, { stdio: 'pipe' });
}

async function freePort(): Promise<number> {
  for (;;) {
    const port = 55433 + Math.floor(Math.random() * 5000);
    const free = await new Promise<boolean>((resolve) => {
      const s = net.createServer().once('error', () => resolve(false)).listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
    });
    if (free) return port;
  }
}

describe.skipIf(!!SKIP)(`database restart in the middle of a load (private PostgreSQL cluster)${SKIP ? ` — skipped: ${SKIP}` : ''}`, () => {
  let dir = '';
  let server: ServeProcess | undefined;
  const pgctl = (...args: string[]) => pgBin('pg_ctl', ['-D', path.join(dir, 'data'), ...args]);
  afterAll(async () => {
    await server?.kill('SIGKILL');
    if (dir) {
      try {
        pgctl('stop', '-m', 'immediate', '-w');
      } catch {
        /* not running */
      }
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('answers 503 quickly while the database is down, and serves again by itself once it is back', async () => {
    // ── a private cluster on a free port
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tandem-pgrestart-'));
    if (IS_ROOT) execFileSync('chown', ['postgres:postgres', dir]);
    const port = await freePort();
    pgBin('initdb', ['-D', path.join(dir, 'data'), '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8']);
    const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`;
    pgctl('start', '-w', '-l', path.join(dir, 'log'), '-o', options);
    const url = `postgres://postgres@127.0.0.1:${port}/postgres`;

    const db = PostgresDb.connect(url, { max: 2 });
    await migrate(db);
    const [client] = await loadClients(db, servicesFor(db), 1, 'Restart load');
    await db.close();

    server = await ServeProcess.start({ DATABASE_URL: url });
    const token = await httpToken(server.base, client!);

    // ── the load: each worker alternates a read and a write
    type Sample = HttpResult & { at: number; kind: 'read' | 'write' };
    const samples: Sample[] = [];
    const acked = new Map<string, string>(); // summary → case id
    const pool = httpPool(WORKERS);
    const t0 = performance.now();
    let stop = false;
    const worker = async (w: number) => {
      for (let n = 0; !stop; n++) {
        const at = performance.now() - t0;
        if (n % 2 === 0) {
          const r = await call(server!.base, 'GET', '/api/v1/cases?page=1', { token, agent: pool, timeoutMs: 10_000 });
          samples.push({ ...r, at, kind: 'read' });
        } else {
          const summary = `Restart load ${w}-${n}`;
          const r = await call(server!.base, 'POST', '/api/v1/cases', { token, body: caseBody({ summary }), headers: { 'idempotency-key': `restart-${w}-${n}-${Math.round(at)}` }, agent: pool, timeoutMs: 10_000 });
          samples.push({ ...r, at, kind: 'write' });
          if (r.status === 201) acked.set(summary, (r.body as { id: string }).id);
        }
        await sleep(20);
      }
    };
    const load = Promise.all(Array.from({ length: WORKERS }, (_, w) => worker(w)));

    await sleep(2000);
    const stopAt = performance.now() - t0;
    pgctl('stop', '-m', 'fast', '-w');
    const downAt = performance.now() - t0;
    await sleep(OUTAGE_MS);
    const health = await call(server.base, 'GET', '/health', { timeoutMs: 10_000 });
    const startAt = performance.now() - t0;
    pgctl('start', '-w', '-l', path.join(dir, 'log'), '-o', options);
    const upAt = performance.now() - t0;
    // keep the load running until the app has served successfully for a while
    await sleep(6000);
    stop = true;
    await load;
    pool.destroy();
    const endAt = performance.now() - t0;

    const ok = (s: Sample) => s.status === 200 || s.status === 201;
    const during = samples.filter((s) => s.at >= downAt && s.at + s.ms <= startAt);
    const firstOkAfter = samples.filter((s) => s.at >= upAt && ok(s)).sort((a, b) => a.at - b.at)[0];
    const recoveryMs = firstOkAfter ? Math.round(firstOkAfter.at + firstOkAfter.ms - upAt) : null;
    const late = samples.filter((s) => s.at >= upAt + 3000);
    const byStatus: Record<string, number> = {};
    for (const s of samples) byStatus[s.status] = (byStatus[s.status] ?? 0) + 1;
    const fiveOhThree = samples.filter((s) => s.status === 503);

    // every acknowledged write is stored
    const check = PostgresDb.connect(url, { max: 1 });
    const stored = await check.query<{ id: string; summary: string }>("SELECT id, summary FROM cases WHERE summary LIKE 'Restart load %'");
    await check.close();
    const storedBySummary = new Map(stored.map((r) => [r.summary, r.id]));
    const lost = [...acked].filter(([summary, id]) => storedBySummary.get(summary) !== id).length;

    figures('db-restart', {
      attempts: samples.length, successes: samples.filter(ok).length, byStatus, fiveXx: samples.filter((s) => s.status >= 500).length,
      other: samples.filter((s) => !ok(s) && s.status !== 503).length, duringOutage: during.length,
      duringOutageMaxMs: Math.round(Math.max(0, ...during.map((s) => s.ms))), max503Ms: Math.round(Math.max(0, ...fiveOhThree.map((s) => s.ms))),
      recoveryMs, acknowledgedWrites: acked.size, lostWrites: lost, healthDuringOutage: health.status,
      stopMs: Math.round(downAt - stopAt), restartMs: Math.round(upAt - startAt), ms: Math.round(endAt), serverAlive: server.alive,
    });

    expect(server.alive, server.output.slice(-2000)).toBe(true);
    // Nothing hung or lost its connection; every failure was a 503 problem+json with Retry-After.
    expect(samples.filter((s) => !ok(s) && s.status !== 503).map((s) => `${s.kind} ${s.status} ${JSON.stringify(s.body).slice(0, 160)}`).slice(0, 5)).toEqual([]);
    expect(during.length).toBeGreaterThan(0);
    expect(during.every((s) => s.status === 503)).toBe(true);
    for (const s of fiveOhThree) {
      expect(s.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(s.headers.get('retry-after')).toMatch(/^\d+$/);
      expect((s.body as { status: number }).status).toBe(503);
    }
    expect(Math.max(...during.map((s) => s.ms))).toBeLessThan(2000); // fail fast
    expect(health.status).toBe(503);
    // Back by itself: a success within 5 s of the database accepting connections, and only successes from 3 s on.
    expect(recoveryMs).not.toBeNull();
    expect(recoveryMs!).toBeLessThan(5000);
    expect(late.length).toBeGreaterThan(0);
    expect(late.filter((s) => !ok(s)).map((s) => `${s.kind} ${s.status}`)).toEqual([]);
    expect(lost).toBe(0);
  });
});
