import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { caseBody } from '../api/test-support.ts';
import type { Db } from '../db/database.ts';
import type { Services } from '../services.ts';
import { TEST_BACKEND } from '../testing/harness.ts';
import { call, figures, listeningApp, httpToken, type HttpResult, loadClients, shuffle } from './support.ts';

/**
 * (b) Retry storm: 250 Early Advice requests, each sent 4 times under one Idempotency-Key, all 1,000 at once over
 * real HTTP, shuffled, a quarter of them after a few milliseconds. Exactly one request row per key; every answer a
 * 201 (first or replayed) or a 409 "still in progress"; every 201 for a key the same request; and a retry after the
 * storm replays it.
 */
const KEYS = Number(process.env.FAULTS_STORM_KEYS ?? 250);
const COPIES = 4;

describe(`Idempotency-Key retry storm on Early Advice requests (${TEST_BACKEND}, real HTTP)`, () => {
  let db: Db;
  let app: FastifyInstance;
  let services: Services;
  let base: string;
  let token: string;
  const cases: string[] = [];

  beforeAll(async () => {
    ({ db, app, services, base } = await listeningApp());
    const [client] = await loadClients(db, services, 1, 'Storm');
    token = await httpToken(base, client!);
    // One case per key: a case has one open Early Advice request at a time, so a second row for a key would also
    // show up as a 409 "already requested" rather than pass unnoticed.
    for (let i = 0; i < KEYS; i++) {
      const res = await call(base, 'POST', '/api/v1/cases', { token, body: caseBody({ summary: `Storm case ${i}` }) });
      expect(res.status).toBe(201);
      cases.push((res.body as { id: string }).id);
    }
  });
  afterAll(async () => {
    await app?.close();
    await db?.close();
  });

  const key = (i: number) => `storm-${String(i).padStart(4, '0')}-${cases[i]!.slice(0, 8)}`;
  const body = (i: number) => ({ caseSummary: `Summary for the prosecutor, storm ${i}`, questions: 'Is a charge likely?', strategy: 'Suspect-focused enquiries', priority: i % 3 === 0 ? 'high' : 'standard' });
  const send = (i: number) => call(base, 'POST', `/api/v1/cases/${cases[i]}/early-advice-requests`, { token, body: body(i), headers: { 'idempotency-key': key(i) }, timeoutMs: 120_000 });

  it('writes one request per key, answers every copy with the same request or "in progress", and replays it afterwards', async () => {
    const sends = shuffle(Array.from({ length: KEYS * COPIES }, (_, n) => n % KEYS), 20251129);
    const byKey = new Map<number, HttpResult[]>();
    const started = performance.now();
    await Promise.all(sends.map(async (i, n) => {
      if (n % 4 === 1) await sleep(n % 7); // some copies a few milliseconds later, as a client's retry would be
      const res = await send(i);
      byKey.set(i, [...(byKey.get(i) ?? []), res]);
    }));
    const ms = Math.round(performance.now() - started);

    const all = [...byKey.values()].flat();
    const created = all.filter((r) => r.status === 201 && r.headers.get('idempotent-replayed') !== 'true').length;
    const replayed = all.filter((r) => r.status === 201 && r.headers.get('idempotent-replayed') === 'true').length;
    const inFlight = all.filter((r) => r.status === 409 && (r.body as { title?: string }).title === 'Request in progress').length;
    const other = all.filter((r) => r.status !== 201 && !(r.status === 409 && (r.body as { title?: string }).title === 'Request in progress'));
    const rows = await db.query<{ case_id: string; n: number }>('SELECT case_id, count(*)::int AS n FROM ea_requests GROUP BY case_id');
    const rowsPerCase = new Map(rows.map((r) => [r.case_id, r.n]));
    const duplicates = rows.filter((r) => r.n > 1).reduce((n, r) => n + r.n - 1, 0);
    let differingBodies = 0;
    for (const [i, rs] of byKey) {
      const ids = new Set(rs.filter((r) => r.status === 201).map((r) => JSON.stringify(r.body)));
      if (ids.size > 1) differingBodies++;
      void i;
    }
    figures('retry-storm', {
      backend: TEST_BACKEND, keys: KEYS, attempts: all.length, successes: created + replayed, created, replayed, conflicts409: inFlight, other: other.length,
      fiveXx: all.filter((r) => r.status >= 500).length, duplicates, differingBodies, requestRows: rows.reduce((n, r) => n + r.n, 0), ms,
    });

    expect(all).toHaveLength(KEYS * COPIES);
    expect(other.map((r) => `${r.status} ${JSON.stringify(r.body).slice(0, 200)}`).slice(0, 5)).toEqual([]);
    expect(created).toBe(KEYS); // each key ran its request exactly once
    for (let i = 0; i < KEYS; i++) expect(rowsPerCase.get(cases[i]!) ?? 0, `request rows for key ${i}`).toBe(1);
    expect(duplicates).toBe(0);
    expect(differingBodies).toBe(0);

    // After the storm every key replays the one request it made.
    for (let i = 0; i < KEYS; i++) {
      const first = byKey.get(i)!.find((r) => r.status === 201)!;
      const again = await send(i);
      expect(again.status).toBe(201);
      expect(again.headers.get('idempotent-replayed')).toBe('true');
      expect(again.body).toEqual(first.body);
      const [row] = await db.query<{ id: string }>('SELECT id FROM ea_requests WHERE case_id = $1', [cases[i]]);
      expect((again.body as { id: string }).id).toBe(row!.id);
    }
    expect((await services.audit.verify()).ok).toBe(true);
  });
});
