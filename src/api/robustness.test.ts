import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import type { Db } from '../db/database.ts';
import { FixedClock } from '../platform/clock.ts';
import type { Services } from '../services.ts';
import { createUser, testApp, testDb } from '../testing/harness.ts';
import { apiAgent, caseBody, count, registerClient, tokenFor } from './test-support.ts';

/** A small seeded generator of hostile JSON: wrong types, huge, unicode and control strings, deep nesting. */
function hostile(seed: number) {
  let s = seed >>> 0;
  const rnd = () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32);
  const pick = <T>(xs: T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const strings = ['', ' ', '\u0000', '\u202e\u200b', '😀'.repeat(50), 'x'.repeat(20000), "'; DROP TABLE cases; --", '<script>alert(1)</script>', '2025-02-30', '9999-99-99', '../../etc/passwd', '%00', 'SOA2003-s1'];
  const value = (depth: number): unknown => {
    const k = Math.floor(rnd() * (depth > 2 ? 5 : 8));
    switch (k) {
      case 0: return pick(strings);
      case 1: return pick([0, -1, 1e308, 3.5, Number.MAX_SAFE_INTEGER]);
      case 2: return pick([true, false, null]);
      case 3: return pick(strings).slice(0, 10);
      case 4: return { day: pick(strings), month: 2, year: [2025] };
      case 5: return Array.from({ length: Math.floor(rnd() * 4) }, () => value(depth + 1));
      default: return Object.fromEntries(Array.from({ length: Math.floor(rnd() * 4) }, () => [pick(['a', 'offences', '__proto__', 'constructor', 'day']), value(depth + 1)]));
    }
  };
  const fields = ['offences', 'offenceDate', 'reportedDate', 'summary', 'cpsAreaId', 'givenName', 'familyName', 'dateOfBirth', 'aliases', 'phones', 'vulnerabilities',
    'contactMethod', 'mayLeaveMessage', 'caseSummary', 'questions', 'strategy', 'priority', 'provided', 'notApplicable', 'url', 'eventTypes', 'ageAtOffence'];
  return () => Object.fromEntries(fields.filter(() => rnd() < 0.6).map((f) => [f, value(0)]));
}

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

  it('answers 300 hostile bodies across every write with problem+json 4xx and no new rows', async () => {
    const tables = ['cases', 'victims', 'suspects', 'witnesses', 'ea_requests', 'charging_submissions', 'api_webhook_subscriptions', 'api_idempotency'];
    const before = await Promise.all(tables.map((t) => count(db, t)));
    const gen = hostile(20251129);
    const targets: ['POST' | 'PUT', string, Record<string, string>?][] = [
      ['POST', '/api/v1/cases'], ['PUT', `/api/v1/cases/${caseId}`, { 'if-match': '"case-1"' }], ['POST', `/api/v1/cases/${caseId}/victims`],
      ['POST', `/api/v1/cases/${caseId}/suspects`], ['POST', `/api/v1/cases/${caseId}/witnesses`], ['POST', `/api/v1/cases/${caseId}/early-advice-requests`],
      ['POST', `/api/v1/cases/${caseId}/charging-submissions`], ['POST', '/api/v1/webhook-subscriptions'],
    ];
    const statuses = new Map<number, number>();
    for (let i = 0; i < 300; i++) {
      const [method, url, headers] = targets[i % targets.length]!;
      const body = gen();
      const res = method === 'POST' ? await api.post(url, body, { 'idempotency-key': `fuzz-${i}-key`, ...headers }) : await api.put(url, body, { 'idempotency-key': `fuzz-${i}-key`, ...headers });
      statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1);
      if (res.statusCode >= 500 || res.statusCode < 400) throw new Error(`${method} ${url} ${JSON.stringify(body).slice(0, 300)} → ${res.statusCode} ${res.body.slice(0, 300)}`);
      expect(String(res.headers['content-type'])).toMatch(/^application\/problem\+json/);
      expect(res.json().detail ?? res.json().title).toBeTruthy();
    }
    expect([...statuses.keys()].every((s) => s >= 400 && s < 500)).toBe(true);
    expect(await Promise.all(tables.map((t) => count(db, t)))).toEqual(before);
  }, 120_000);

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
