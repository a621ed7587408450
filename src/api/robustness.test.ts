import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import type { Db } from '../db/database.ts';
import { FixedClock } from '../platform/clock.ts';
import type { Services } from '../services.ts';
import { createUser, testApp, testDb } from '../testing/harness.ts';
import { apiAgent, caseBody, count, registerClient, tokenFor } from './test-support.ts';

/**
 * Hostile JSON for one operation, from its request schema in the OpenAPI document: each of the schema's fields (and
 * stray ones, prototype keys included) set to wrong types, huge, unicode, control and injection strings, odd numbers,
 * nested objects and arrays. Only some fields are present in each body.
 */
const hostileString = fc.oneof(
  fc.string({ maxLength: 30 }),
  fc.string({ unit: 'binary', maxLength: 30 }),
  fc.constantFrom('', ' ', '\u0000', '\u202e\u200b\ufeff', '😀'.repeat(50), 'x'.repeat(20_000), "'; DROP TABLE cases; --", '<script>alert(1)</script>', '2025-02-30', '9999-99-99',
    '../../etc/passwd', '%00', 'SOA2003-s1', 'https://127.0.0.1:1/hook', '1e308'),
);
const hostileJson = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: 'small', withCrossShrink: true },
    hostileString, fc.integer(), fc.double(), fc.constantFrom(0, -1, 1e308, Number.MAX_SAFE_INTEGER, true, false, null),
    fc.array(tie('value'), { maxLength: 3 }), fc.dictionary(fc.constantFrom('day', 'month', 'year', 'a', '__proto__', 'constructor'), tie('value'), { maxKeys: 3 })),
})).value;
const bodyFor = (fields: string[]) => fc.record(Object.fromEntries([...fields, 'unexpected', '__proto__'].map((f) => [f, hostileJson])), { requiredKeys: [] });

const RUNS = Number(process.env.FUZZ_RUNS ?? 30);

describe('API robustness: hostile input gives a clear 4xx, never a 5xx, and writes nothing', () => {
  let db: Db;
  let app: FastifyInstance;
  let services: Services;
  const clock = new FixedClock(new Date('2025-03-03T10:00:00Z'));
  let api: ReturnType<typeof apiAgent>;
  let caseId: string;

  beforeAll(async () => {
    db = await testDb();
    ({ app, services } = await testApp(db, { clock }));
    const adminId = await createUser(db, { username: 'admin', organisationId: 'national', roles: ['admin'] });
    const client = await registerClient(services, adminId, { name: 'Niche', organisationId: 'force-hampshire-and-isle-of-wight', scopes: ['cases:read', 'cases:write', 'early-advice:write', 'charging:write', 'webhooks:manage'] });
    api = apiAgent(app, await tokenFor(app, client));
    caseId = (await api.post('/api/v1/cases', caseBody())).json().id;
  });
  afterAll(async () => {
    await app?.close();
    await db?.close();
  });

  it('answers hostile bodies to every write operation in the OpenAPI document with problem+json 4xx and no new rows', async () => {
    const doc = (await api.get('/api/v1/openapi.json')).json() as {
      paths: Record<string, Record<string, { requestBody?: { content: Record<string, { schema: { $ref?: string } }> }; parameters?: { $ref?: string; name?: string }[] }>>;
      components: { schemas: Record<string, { properties?: Record<string, unknown> }> };
    };
    // The records the path parameters name: one of each, so a body reaches validation, not a 404.
    const person = async (collection: string) => {
      const res = await api.post(`/api/v1/cases/${caseId}/${collection}`, {
        victims: { givenName: 'Amelia', familyName: 'Quintrell', dateOfBirth: '1998-06-14', ageAtOffence: 26, contactMethod: 'phone', phone: '07700 900123', mayLeaveMessage: false, interviewerSex: 'female', enhancedRights: true },
        suspects: { givenName: 'Robert', familyName: 'Hallworth' },
        witnesses: { givenName: 'Wendy', familyName: 'Witness', relationship: 'Friend' },
      }[collection]);
      expect(res.statusCode).toBe(201);
      return { personId: res.json().id as string, etag: String(res.headers.etag) };
    };
    const ids: Record<string, { personId: string; etag: string }> = { victims: await person('victims'), suspects: await person('suspects'), witnesses: await person('witnesses') };
    const targets: { method: 'POST' | 'PUT'; path: string; url: string; fields: string[]; etag?: string }[] = [];
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        const json = op.requestBody?.content['application/json'];
        if (!json) continue; // the token endpoint is form-encoded: tested below
        const ref = json.schema.$ref?.split('/').pop();
        const fields = Object.keys((ref && doc.components.schemas[ref]?.properties) ?? {});
        const collection = /\/cases\/\{caseId\}\/(\w+)\/\{personId\}$/.exec(path)?.[1] ?? '';
        const url = path.replace('{caseId}', caseId).replace('{personId}', ids[collection]?.personId ?? 'none');
        targets.push({ method: method.toUpperCase() as 'POST' | 'PUT', path, url, fields, etag: ids[collection]?.etag });
      }
    }
    // Every write in the spec is covered (a new operation joins this test by being documented).
    expect(targets.map((t) => `${t.method} ${t.path}`)).toEqual(expect.arrayContaining([
      'POST /api/v1/cases', 'PUT /api/v1/cases/{caseId}', 'POST /api/v1/cases/{caseId}/victims', 'PUT /api/v1/cases/{caseId}/suspects/{personId}',
      'POST /api/v1/cases/{caseId}/early-advice-requests', 'POST /api/v1/cases/{caseId}/charging-submissions', 'POST /api/v1/webhook-subscriptions',
    ]));
    expect(targets.every((t) => t.fields.length > 0)).toBe(true);

    const tables = (await db.query<{ t: string }>(`SELECT table_name AS t FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'
      AND table_name NOT IN ('audit_log', 'api_rate_windows', 'api_tokens', 'schema_migrations') ORDER BY 1`)).map((r) => r.t);
    const counts = async () => Promise.all(tables.map((t) => count(db, t)));
    const before = await counts();
    const statuses = new Map<number, number>();
    let sent = 0;
    for (const t of targets) {
      await fc.assert(fc.asyncProperty(bodyFor(t.fields), async (body) => {
        // The current ETag, so an update reaches validation rather than stopping at the version check.
        const etag = t.method === 'PUT' ? (t.etag ?? String((await api.get(`/api/v1/cases/${caseId}`)).headers.etag ?? '')) : '';
        const headers = { 'idempotency-key': `fuzz-${++sent}-key`, ...(etag ? { 'if-match': etag } : {}) };
        const res = t.method === 'POST' ? await api.post(t.url, body, headers) : await api.put(t.url, body, headers);
        statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1);
        if (res.statusCode >= 500 || res.statusCode < 400) throw new Error(`${t.method} ${t.url} ${JSON.stringify(body).slice(0, 300)} → ${res.statusCode} ${res.body.slice(0, 300)}`);
        expect(String(res.headers['content-type'])).toMatch(/^application\/problem\+json/);
        expect(res.json().detail ?? res.json().title).toBeTruthy();
      }), { numRuns: RUNS, seed: 20251129, endOnFailure: true });
    }
    console.log(JSON.stringify({ fuzz: 'api', operations: targets.length, requests: sent, statuses: Object.fromEntries(statuses) }));
    expect(statuses.get(400)).toBeGreaterThan(sent / 2); // most reach validation, not an access or version check
    expect(await counts()).toEqual(before);
  }, 300_000);

  it('answers hostile token requests with problem+json 4xx and issues nothing', async () => {
    const before = await count(db, 'api_tokens');
    await fc.assert(fc.asyncProperty(fc.record({ grant_type: hostileString, client_id: hostileString, client_secret: hostileString, scope: hostileString }, { requiredKeys: [] }), async (form) => {
      const res = await app.inject({ method: 'POST', url: '/api/v1/oauth/token', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: new URLSearchParams(form).toString() });
      expect(res.statusCode).toBeGreaterThanOrEqual(400);
      expect(res.statusCode).toBeLessThan(500);
      expect(String(res.headers['content-type'])).toMatch(/json/);
    }), { numRuns: 50, seed: 7 });
    expect(await count(db, 'api_tokens')).toBe(before);
  });

  it('answers an array body, a bad Idempotency-Key and an oversized body with problem+json', async () => {
    const cases = [
      [await api.post('/api/v1/cases', [caseBody()]), 400],
      [await api.post('/api/v1/cases', caseBody(), { 'idempotency-key': 'short' }), 400],
      [await api.post('/api/v1/cases', { ...caseBody(), summary: 'x'.repeat(1_100_000) }), 413],
    ] as const;
    for (const [res, status] of cases) {
      expect(res.statusCode).toBe(status);
      expect(String(res.headers['content-type'])).toMatch(/^application\/problem\+json/);
    }
  });
});
