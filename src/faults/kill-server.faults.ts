import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { caseBody } from '../api/test-support.ts';
import { type Db, PgliteDb, PostgresDb } from '../db/database.ts';
import { migrate } from '../db/migrate.ts';
import { TEST_BACKEND } from '../testing/harness.ts';
import { call, figures, freshSchema, httpPool, httpToken, loadClients, runCli, ServeProcess, servicesFor } from './support.ts';

/**
 * (c) kill -9 of `tandem serve` in the middle of a write load (20 concurrent clients creating cases under
 * Idempotency-Keys). After a restart: every acknowledged case is there with the body that was sent; no case is
 * half-written (each has its offences, officer in case, "case opened" event and exactly one case:create audit row);
 * `tandem audit-verify` finds the chain intact; and retrying the unacknowledged requests with their keys, before
 * and after the keys count as abandoned, creates each case at most once.
 *
 * PostgreSQL (a schema of its own) when TEST_DATABASE_URL is set; PGlite in a temporary TANDEM_DATA_DIR otherwise.
 */
const WORKERS = 20;
const KILL_AFTER_ACKS = Number(process.env.FAULTS_KILL_AFTER ?? 60);

describe(`kill -9 of the server during a write load (${TEST_BACKEND})`, () => {
  const cleanup: (() => Promise<unknown>)[] = [];
  afterAll(async () => {
    for (const f of cleanup.reverse()) await f().catch(() => undefined);
  });

  it('keeps every acknowledged write, half-writes nothing, keeps the audit chain, and never creates a retried request twice', async () => {
    // ── the database and how the server and the test reach it
    let env: Record<string, string>;
    let open: () => Promise<Db>;
    if (TEST_BACKEND === 'postgres') {
      const url = process.env.TEST_DATABASE_URL!;
      const s = await freshSchema(url);
      cleanup.push(s.drop);
      env = { DATABASE_URL: s.urlWithSchema };
      open = async () => PostgresDb.connect(url, { schema: s.schema, max: 2 });
    } else {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tandem-kill-'));
      cleanup.push(async () => fs.rmSync(dir, { recursive: true, force: true }));
      env = { DATABASE_URL: '', TANDEM_DATA_DIR: dir };
      // After kill -9 the data directory's lock is left behind; a new opener waits until it is stale (15 s).
      open = async () => {
        for (let i = 0; ; i++) {
          try {
            return await PgliteDb.open(dir);
          } catch (err) {
            if (i > 40) throw err;
            await sleep(1000);
          }
        }
      };
    }
    const startServe = async () => {
      for (let i = 0; ; i++) {
        try {
          return await ServeProcess.start(env);
        } catch (err) {
          if (TEST_BACKEND === 'postgres' || i > 3 || !/already using the data directory/.test(String(err))) throw err;
          await sleep(5000);
        }
      }
    };

    let db = await open();
    await migrate(db);
    const [client] = await loadClients(db, servicesFor(db), 1, 'Kill load');
    await db.close();

    // ── the load, and kill -9 in the middle of it
    let server = await startServe();
    cleanup.push(() => server.kill());
    const token = await httpToken(server.base, client!);
    const sent = new Map<string, ReturnType<typeof caseBody>>();
    const acked = new Map<string, string>(); // key → case id
    const inDoubt: string[] = []; // sent, no answer (connection reset by the kill)
    const unexpected: string[] = [];
    let attempts = 0;
    const pool = httpPool(WORKERS);
    let killedAt = 0;
    const started = performance.now();
    const worker = async (w: number) => {
      for (let n = 0; ; n++) {
        const key = `kill-${w}-${n}-${Date.now().toString(36)}`;
        const body = caseBody({ summary: `Kill load ${key}` });
        sent.set(key, body);
        attempts++;
        const res = await call(server.base, 'POST', '/api/v1/cases', { token, body, headers: { 'idempotency-key': key }, agent: pool, timeoutMs: 20_000 });
        if (res.status === 201) acked.set(key, (res.body as { id: string }).id);
        else if (res.status === 0) {
          inDoubt.push(key);
          return; // the server is gone
        } else unexpected.push(`${res.status} ${JSON.stringify(res.body).slice(0, 200)}`);
        if (killedAt) {
          // answered, but after the kill was sent: cannot happen with SIGKILL unless the answer was already on the wire
          return;
        }
      }
    };
    const load = Promise.all(Array.from({ length: WORKERS }, (_, w) => worker(w)));
    while (acked.size < KILL_AFTER_ACKS && unexpected.length === 0) await sleep(5);
    await sleep(Math.floor(Math.random() * 40));
    killedAt = performance.now();
    const killed = await server.kill('SIGKILL');
    await load;
    pool.destroy();
    const loadMs = Math.round(killedAt - started);
    expect(killed.signal).toBe('SIGKILL');
    expect(unexpected).toEqual([]);
    expect(inDoubt.length).toBeGreaterThan(0); // the kill really landed mid-load

    // ── restart on the same database; retry every unanswered request with its key
    const restartStarted = performance.now();
    server = await startServe();
    const restartMs = Math.round(performance.now() - restartStarted);
    const token2 = await httpToken(server.base, client!);
    const retry = async (key: string) => call(server.base, 'POST', '/api/v1/cases', { token: token2, body: sent.get(key), headers: { 'idempotency-key': key } });
    const firstRetry = await Promise.all(inDoubt.map(retry));
    const inProgress = firstRetry.filter((r) => r.status === 409).length;
    // Everything a retry can say at once: created now (the request died before its write committed), replayed (it
    // committed), or "still in progress" (its key was taken and the request died; the key is freed after 60 s).
    expect(firstRetry.map((r) => r.status).filter((s) => s !== 201 && s !== 409)).toEqual([]);
    for (const r of firstRetry.filter((x) => x.status === 409)) expect((r.body as { title: string }).title).toBe('Request in progress');
    // The acknowledged ones replay with the same case.
    const ackedKeys = [...acked.keys()].slice(0, 10);
    for (const key of ackedKeys) {
      const r = await retry(key);
      expect(r.status).toBe(201);
      expect(r.headers.get('idempotent-replayed')).toBe('true');
      expect((r.body as { id: string }).id).toBe(acked.get(key));
    }
    await server.kill('SIGTERM');

    // ── a minute later (the keys of the requests that died count as abandoned): retry again
    db = await open();
    await db.query("UPDATE api_idempotency SET started_at = started_at - interval '5 minutes' WHERE completed_at IS NULL");
    await db.close();
    server = await startServe();
    const token3 = await httpToken(server.base, client!);
    const secondRetry = await Promise.all(inDoubt.map((key) => call(server.base, 'POST', '/api/v1/cases', { token: token3, body: sent.get(key), headers: { 'idempotency-key': key } })));
    expect(secondRetry.map((r) => r.status)).toEqual(inDoubt.map(() => 201));
    await server.kill('SIGTERM');

    // ── the database as left
    db = await open();
    let lost = 0;
    for (const [key, id] of acked) {
      const [row] = await db.query<{ summary: string }>('SELECT summary FROM cases WHERE id = $1', [id]);
      if (row?.summary !== sent.get(key)!.summary) lost++;
    }
    const halfWritten = await db.query<{ id: string }>(
      `SELECT c.id FROM cases c
        WHERE NOT EXISTS (SELECT 1 FROM case_offences o WHERE o.case_id = c.id)
           OR NOT EXISTS (SELECT 1 FROM case_team t WHERE t.case_id = c.id AND t.team_role = 'officer_in_case')
           OR NOT EXISTS (SELECT 1 FROM case_events e WHERE e.case_id = c.id AND e.kind = 'case_created')
           OR (SELECT count(*) FROM audit_log a WHERE a.action = 'case:create' AND a.outcome = 'allowed' AND a.entity_id = c.id::text) <> 1`,
    );
    const perKey = await db.query<{ summary: string; n: number }>("SELECT summary, count(*)::int AS n FROM cases WHERE summary LIKE 'Kill load %' GROUP BY summary");
    const counts = new Map(perKey.map((r) => [r.summary, r.n]));
    const duplicates = perKey.filter((r) => r.n > 1).reduce((n, r) => n + r.n - 1, 0);
    const orphanAudits = await db.query<{ entity_id: string }>("SELECT entity_id FROM audit_log a WHERE action = 'case:create' AND outcome = 'allowed' AND NOT EXISTS (SELECT 1 FROM cases c WHERE c.id::text = a.entity_id)");
    const cases = perKey.reduce((n, r) => n + r.n, 0);
    await db.close();
    const verify = await runCli(['audit-verify'], env);

    figures('kill-server', {
      backend: TEST_BACKEND, workers: WORKERS, attempts, successes: acked.size, inDoubt: inDoubt.length, retriedInProgress409: inProgress,
      retriedReplayed: firstRetry.filter((r) => r.status === 201 && r.headers.get('idempotent-replayed') === 'true').length,
      retriedCreated: firstRetry.filter((r) => r.status === 201 && r.headers.get('idempotent-replayed') !== 'true').length, lostWrites: lost, halfWritten: halfWritten.length, duplicates, casesStored: cases,
      fiveXx: [...firstRetry, ...secondRetry].filter((r) => r.status >= 500).length, loadMs, restartMs, ms: Math.round(performance.now() - started), auditVerify: verify.stdout.trim(),
    });

    expect(lost).toBe(0);
    expect(halfWritten).toEqual([]);
    expect(orphanAudits).toEqual([]);
    expect(duplicates).toBe(0);
    for (const key of [...acked.keys(), ...inDoubt]) expect(counts.get(sent.get(key)!.summary), key).toBe(1);
    // Nothing beyond what was sent: every stored case is one of ours.
    expect(cases).toBe(acked.size + inDoubt.length);
    expect(verify.code, verify.stderr).toBe(0);
    expect(verify.stdout).toMatch(/audit log intact: \d+ rows verified/);
  });
});
