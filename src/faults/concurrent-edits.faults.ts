import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { caseBody } from '../api/test-support.ts';
import type { Db } from '../db/database.ts';
import type { Services } from '../services.ts';
import { TEST_BACKEND } from '../testing/harness.ts';
import { call, figures, listeningApp, httpToken, letters, loadClients } from './support.ts';

/**
 * (a) Lost updates: 200 API clients, each on its own keep-alive connection, edit the same 5 cases and 3 suspects
 * over real HTTP with GET → PUT If-Match. Every PUT must be a 200 or a 412; the 200s on a record must have taken
 * the versions one after another (none twice, none skipped); the stored record must be the body of the 200 with
 * the highest version; and the version must have risen by exactly the number of 200s.
 */
const CLIENTS = 200;
const ATTEMPTS = Number(process.env.FAULTS_EDIT_ATTEMPTS ?? 5);
const API_CLIENTS = 10; // registered clients; the 200 simulated clients share their tokens, 20 to a token

interface Rec {
  kind: 'case' | 'suspect';
  caseId: string;
  id: string;
  initial: number;
  wins: { version: number; marker: string }[];
}

describe(`200 clients editing the same records with If-Match (${TEST_BACKEND}, real HTTP)`, () => {
  let db: Db;
  let app: FastifyInstance;
  let services: Services;
  let base: string;
  let tokens: string[];
  const records: Rec[] = [];

  beforeAll(async () => {
    ({ db, app, services, base } = await listeningApp());
    const clients = await loadClients(db, services, API_CLIENTS, 'Edit load');
    tokens = [];
    for (const c of clients) tokens.push(await httpToken(base, c));
    for (let i = 0; i < 5; i++) {
      const res = await call(base, 'POST', '/api/v1/cases', { token: tokens[0], body: caseBody({ summary: `Initial summary ${i}` }) });
      expect(res.status).toBe(201);
      const c = res.body as { id: string; version: number };
      records.push({ kind: 'case', caseId: c.id, id: c.id, initial: c.version, wins: [] });
    }
    for (let i = 0; i < 3; i++) {
      const caseId = records[i]!.caseId;
      const res = await call(base, 'POST', `/api/v1/cases/${caseId}/suspects`, { token: tokens[0], body: { givenName: 'Robert', familyName: 'Hallworth' } });
      expect(res.status).toBe(201);
      const s = res.body as { id: string; version: number };
      records.push({ kind: 'suspect', caseId, id: s.id, initial: s.version, wins: [] });
    }
  });
  afterAll(async () => {
    await app?.close();
    await db?.close();
  });

  it('loses no write: every PUT is a 200 or a 412, and each record holds its last acknowledged write', async () => {
    const statuses = new Map<number, number>();
    const unexpected: string[] = [];
    let attempts = 0;
    let reads = 0;
    const started = performance.now();

    const client = async (n: number) => {
      const token = tokens[n % API_CLIENTS]!;
      const rec = records[n % records.length]!;
      for (let a = 0; a < ATTEMPTS; a++) {
        const read = await call(base, 'GET', `/api/v1/cases/${rec.caseId}`, { token });
        reads++;
        if (read.status !== 200) {
          unexpected.push(`GET ${read.status} ${JSON.stringify(read.body).slice(0, 200)}`);
          continue;
        }
        const c = read.body as { version: number; suspects: { id: string; version: number }[] };
        const version = rec.kind === 'case' ? c.version : c.suspects.find((s) => s.id === rec.id)!.version;
        const marker = rec.kind === 'case' ? `client ${n} attempt ${a}` : `Hallworth-${letters(n)}-${letters(a)}`;
        const put = rec.kind === 'case'
          ? await call(base, 'PUT', `/api/v1/cases/${rec.caseId}`, { token, body: caseBody({ summary: marker }), headers: { 'if-match': `"case-${version}"` } })
          : await call(base, 'PUT', `/api/v1/cases/${rec.caseId}/suspects/${rec.id}`, { token, body: { givenName: 'Robert', familyName: marker }, headers: { 'if-match': `"suspect-${version}"` } });
        attempts++;
        statuses.set(put.status, (statuses.get(put.status) ?? 0) + 1);
        if (put.status === 200) {
          const etag = /"(?:case|suspect)-(\d+)"/.exec(put.headers.get('etag') ?? '');
          rec.wins.push({ version: Number(etag?.[1]), marker });
        } else if (put.status !== 412) {
          unexpected.push(`PUT ${put.status} ${JSON.stringify(put.body).slice(0, 200)}`);
        }
      }
    };
    await Promise.all(Array.from({ length: CLIENTS }, (_, n) => client(n)));
    const ms = Math.round(performance.now() - started);

    // Each record as stored now.
    let lost = 0;
    let duplicateVersions = 0;
    const perRecord = [];
    for (const rec of records) {
      const [row] = rec.kind === 'case'
        ? await db.query<{ version: number; value: string }>('SELECT version, summary AS value FROM cases WHERE id = $1', [rec.id])
        : await db.query<{ version: number; value: string }>('SELECT version, family_name AS value FROM suspects WHERE id = $1', [rec.id]);
      const versions = rec.wins.map((w) => w.version).sort((x, y) => x - y);
      duplicateVersions += versions.length - new Set(versions).size;
      const last = rec.wins.reduce((m, w) => (w.version > m.version ? w : m), { version: rec.initial, marker: '' });
      if (row!.version !== rec.initial + rec.wins.length || (rec.wins.length > 0 && row!.value !== last.marker)) lost++;
      perRecord.push({ kind: rec.kind, versions, row: row!, last, expectedVersion: rec.initial + rec.wins.length });
    }
    const successes = statuses.get(200) ?? 0;
    const conflicts = statuses.get(412) ?? 0;
    const fiveXx = [...statuses].filter(([s]) => s >= 500).reduce((n, [, c]) => n + c, 0);
    figures('concurrent-edits', {
      backend: TEST_BACKEND, clients: CLIENTS, records: records.length, attempts, reads, successes, conflicts, other: unexpected.length, duplicates: duplicateVersions,
      lostWrites: lost, fiveXx, ms, putsPerSecond: Math.round((attempts / ms) * 1000),
    });

    expect(unexpected.slice(0, 5)).toEqual([]);
    expect(attempts).toBe(CLIENTS * ATTEMPTS);
    expect(successes + conflicts).toBe(attempts);
    expect(successes).toBeGreaterThan(0);
    expect(conflicts).toBeGreaterThan(0); // otherwise the clients did not really race
    for (const r of perRecord) {
      // The acknowledged versions are initial+1 … initial+n, each once: no write was acknowledged on top of a version it did not read.
      expect(r.versions).toEqual(Array.from({ length: r.versions.length }, (_, i) => r.expectedVersion - r.versions.length + i + 1));
      expect(r.row.version).toBe(r.expectedVersion);
      if (r.versions.length) expect(r.row.value).toBe(r.last.marker);
    }
    expect(lost).toBe(0);

    // The audit chain took every one of those writes and stayed whole.
    const [{ n }] = (await db.query<{ n: number }>("SELECT count(*)::int AS n FROM audit_log WHERE action IN ('case:update', 'suspect:update')")) as [{ n: number }];
    expect(n).toBe(successes);
    expect((await services.audit.verify()).ok).toBe(true);
  });
});
