import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiAgent, caseBody, registerClient, tokenFor } from '../api/test-support.ts';
import { type Db, PostgresDb } from '../db/database.ts';
import { systemClock } from '../platform/clock.ts';
import { enqueue, type Job, JobWorker } from '../platform/jobs.ts';
import type { Services } from '../services.ts';
import { caseIdFrom, createUser, forms, signIn, TEST_BACKEND, testApp, testDb } from '../testing/harness.ts';

/**
 * Two app instances on one database behave as one service. On PostgreSQL each instance has its own connection pool
 * (as two processes would); on PGlite (one process per data directory) they share the database but nothing else.
 */
describe(`two app instances on one database (${TEST_BACKEND})`, () => {
  let dbA: Db;
  let dbB: Db;
  let a: { app: FastifyInstance; services: Services };
  let b: { app: FastifyInstance; services: Services };
  let adminId: string;

  beforeAll(async () => {
    dbA = await testDb();
    if (dbA instanceof PostgresDb) {
      const schema = /search_path=(\w+)/.exec(String((dbA.pool.options as { options?: string }).options))![1]!;
      dbB = PostgresDb.connect(process.env.TEST_DATABASE_URL!, { schema, max: 4 });
    } else {
      dbB = dbA;
    }
    a = await testApp(dbA);
    b = await testApp(dbB);
    await createUser(dbA, { username: 'hants.inv', organisationId: 'force-hampshire-and-isle-of-wight', roles: ['investigator'] });
    const [org] = await dbA.query<{ id: string }>("SELECT id FROM organisations WHERE kind = 'national' LIMIT 1");
    adminId = await createUser(dbA, { username: 'admin', organisationId: org!.id, roles: ['admin'] });
  });
  afterAll(async () => {
    await a?.app.close();
    await b?.app.close();
    if (dbB !== dbA) await dbB?.close();
    await dbA?.close();
  });

  it('a session started on one instance works on the other, and signing out on one ends it on both', async () => {
    const onA = await signIn(a.app, 'hants.inv');
    const onB = onA.on(b.app);
    const list = await onB.get('/cases');
    expect(list.statusCode).toBe(200);
    expect(list.body).toContain('Sign out');
    // A form rendered by B posts to A: the CSRF token and session are valid on both.
    const caseId = caseIdFrom(await onA.post('/cases', forms.case()));
    expect((await onB.get(`/cases/${caseId}`)).statusCode).toBe(200);
    const out = await onB.post('/sign-out');
    expect(out.statusCode).toBe(303);
    const after = await onA.get('/cases'); // A still presents the old session cookie
    expect(after.statusCode).toBe(302);
    expect(after.headers.location).toMatch(/^\/sign-in/);
  });

  it('an edit on one instance with a stale version on the other is a conflict, and the first edit stands', async () => {
    const onA = await signIn(a.app, 'hants.inv');
    const onB = onA.on(b.app);
    const caseId = caseIdFrom(await onA.post('/cases', forms.case()));
    const version = /name="version" value="(\d+)"/.exec((await onA.get(`/cases/${caseId}/edit`)).body)![1]!;
    expect((await onA.post(`/cases/${caseId}/edit`, { ...forms.case({ summary: 'Edited on instance A.' }), version })).statusCode).toBe(303);
    await onB.get(`/cases/${caseId}/edit`); // fresh CSRF token from B; the version posted is still the old one
    const stale = await onB.post(`/cases/${caseId}/edit`, { ...forms.case({ summary: 'Edited on instance B from an old form.' }), version });
    expect(stale.statusCode).toBe(409);
    const page = await onB.get(`/cases/${caseId}`);
    expect(page.body).toContain('Edited on instance A.');
    expect(page.body).not.toContain('instance B from an old form');

    // The API's ETags hold across instances too.
    const client = await registerClient(a.services, adminId, { name: 'Hampshire Niche', organisationId: 'force-hampshire-and-isle-of-wight', scopes: ['cases:read', 'cases:write'] });
    const token = await tokenFor(a.app, client);
    const apiA = apiAgent(a.app, token);
    const apiB = apiAgent(b.app, token); // a token issued by A is accepted by B
    const etag = String((await apiB.get(`/api/v1/cases/${caseId}`)).headers.etag);
    expect((await apiA.put(`/api/v1/cases/${caseId}`, caseBody({ summary: 'API edit on A' }), { 'if-match': etag })).statusCode).toBe(200);
    expect((await apiB.put(`/api/v1/cases/${caseId}`, caseBody({ summary: 'API edit on B' }), { 'if-match': etag })).statusCode).toBe(412);
    expect((await apiB.get(`/api/v1/cases/${caseId}`)).json().summary).toBe('API edit on A');
  });

  it('counts an API client’s requests once across both instances', async () => {
    const client = await registerClient(a.services, adminId, { name: 'Limited', organisationId: 'force-hampshire-and-isle-of-wight', scopes: ['cases:read'] });
    await dbA.query('UPDATE api_clients SET rate_limit_per_minute = 4 WHERE id = $1', [client.clientId]);
    const token = await tokenFor(b.app, client);
    const apiA = apiAgent(a.app, token);
    const apiB = apiAgent(b.app, token);
    // Stay inside one one-minute window so the count is not split across two.
    const msLeft = 60_000 - (Date.now() % 60_000);
    if (msLeft < 5_000) await sleep(msLeft + 50);
    const statuses: number[] = [];
    for (const api of [apiA, apiB, apiA, apiB, apiA, apiB]) statuses.push((await api.get('/api/v1/cases')).statusCode);
    expect(statuses).toEqual([200, 200, 200, 200, 429, 429]);
  });

  it('delivers each job enqueued through one instance exactly once across the workers of both', async () => {
    const delivered: number[] = [];
    const handlers = {
      'test:scale-out': async (job: Job) => {
        await sleep(2); // long enough for the other worker to try the same rows
        delivered.push(job.id);
      },
    };
    const wA = new JobWorker(dbA, systemClock, handlers, { batch: 3 });
    const wB = new JobWorker(dbB, systemClock, handlers, { batch: 3 });
    await dbA.transaction(async (tx) => {
      for (let i = 0; i < 40; i++) await enqueue(tx, systemClock, 'test:scale-out', { i });
    });
    const ran = await Promise.all([wA.runDue(), wB.runDue()]);
    const jobs = await dbA.query<{ id: number; locked_by: string; attempts: number; done: boolean }>(
      "SELECT id, locked_by, attempts, done_at IS NOT NULL AS done FROM jobs WHERE kind = 'test:scale-out' ORDER BY id",
    );
    expect(jobs).toHaveLength(40);
    expect(ran[0] + ran[1]).toBe(40);
    expect([...delivered].sort((x, y) => x - y)).toEqual(jobs.map((j) => j.id)); // each once, none twice
    expect(jobs.every((j) => j.done && j.attempts === 1)).toBe(true);
    if (TEST_BACKEND === 'postgres') {
      // Separate pools really ran side by side: both workers took a share.
      expect(new Set(jobs.map((j) => j.locked_by))).toEqual(new Set([wA.id, wB.id]));
    }
  });
});
