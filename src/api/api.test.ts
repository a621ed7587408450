import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import type { Db } from '../db/database.ts';
import { FixedClock } from '../platform/clock.ts';
import type { Services } from '../services.ts';
import { createUser, signIn, testApp, testDb } from '../testing/harness.ts';
import { apiAgent, caseBody, count, registerClient, tokenFor } from './test-support.ts';

const ALL_ITEMS = ['mg3', 'mg5', 'victim_interview', 'suspect_interview', 'first_account', 'witness_statements', 'forensic_medical', 'digital_material',
  'third_party_schedule', 'scene_cctv', 'bad_character', 'special_measures', 'vps_offer', 'mg6c', 'mg6d', 'disclosure_management'];

const problemOf = (res: { statusCode: number; headers: Record<string, unknown>; json: () => unknown }) => {
  expect(String(res.headers['content-type'])).toMatch(/^application\/problem\+json/);
  const p = res.json() as { status: number; title: string; detail?: string; errors?: { field: string; detail: string }[]; error?: string };
  expect(p.status).toBe(res.statusCode);
  return p;
};

describe('integration API /api/v1', () => {
  let db: Db;
  let app: FastifyInstance;
  let services: Services;
  // Monday 3 March 2025, 10:00
  const clock = new FixedClock(new Date('2025-03-03T10:00:00Z'));
  let adminId: string;
  let hampshire: { clientId: string; clientSecret: string };
  let kent: { clientId: string; clientSecret: string };
  let wessex: { clientId: string; clientSecret: string };
  let hants: ReturnType<typeof apiAgent>;

  beforeAll(async () => {
    db = await testDb();
    ({ app, services } = await testApp(db, { clock }));
    adminId = await createUser(db, { username: 'admin', organisationId: 'national', roles: ['admin'] }).catch(async () => {
      const [org] = await db.query<{ id: string }>("SELECT id FROM organisations WHERE kind = 'national' LIMIT 1");
      return createUser(db, { username: 'admin', organisationId: org!.id, roles: ['admin'] });
    });
    const all = ['cases:read', 'cases:write', 'early-advice:write', 'charging:write', 'webhooks:manage'] as const;
    hampshire = await registerClient(services, adminId, { name: 'Hampshire Niche', organisationId: 'force-hampshire-and-isle-of-wight', scopes: [...all] });
    kent = await registerClient(services, adminId, { name: 'Kent Athena', organisationId: 'force-kent', scopes: [...all] });
    wessex = await registerClient(services, adminId, { name: 'Wessex CMS', organisationId: 'rasso-wessex', scopes: ['cases:read'] });
    hants = apiAgent(app, await tokenFor(app, hampshire));
  });
  afterAll(async () => {
    await app?.close();
    await db?.close();
  });

  describe('tokens (OAuth 2.0 client credentials)', () => {
    it('issues a short-lived bearer token for a form or JSON request, and for HTTP Basic credentials; only its hash is stored', async () => {
      const form = await app.inject({ method: 'POST', url: '/api/v1/oauth/token', headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload: `grant_type=client_credentials&client_id=${hampshire.clientId}&client_secret=${encodeURIComponent(hampshire.clientSecret)}&scope=cases:read` });
      expect(form.statusCode).toBe(200);
      expect(form.headers['cache-control']).toBe('no-store');
      const t = form.json();
      expect(t).toMatchObject({ token_type: 'Bearer', expires_in: 900, scope: 'cases:read' });
      expect(await count(db, 'api_tokens WHERE token_hash = $1', [t.access_token])).toBe(0);

      const json = await app.inject({ method: 'POST', url: '/api/v1/oauth/token', headers: { 'content-type': 'application/json' }, payload: { grant_type: 'client_credentials', client_id: kent.clientId, client_secret: kent.clientSecret } });
      expect(json.statusCode).toBe(200);
      expect(json.json().scope.split(' ')).toContain('cases:write');

      const basic = await app.inject({ method: 'POST', url: '/api/v1/oauth/token', headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${wessex.clientId}:${wessex.clientSecret}`).toString('base64')}` }, payload: 'grant_type=client_credentials' });
      expect(basic.statusCode).toBe(200);
    });

    it('refuses a wrong secret (401 invalid_client with WWW-Authenticate), a wrong grant, an ungranted scope, and an expired token', async () => {
      const wrong = await app.inject({ method: 'POST', url: '/api/v1/oauth/token', headers: { 'content-type': 'application/json' }, payload: { grant_type: 'client_credentials', client_id: hampshire.clientId, client_secret: 'tdms_nope' } });
      expect(wrong.statusCode).toBe(401);
      expect(wrong.headers['www-authenticate']).toMatch(/^Basic/);
      expect(problemOf(wrong).error).toBe('invalid_client');

      const grant = await app.inject({ method: 'POST', url: '/api/v1/oauth/token', headers: { 'content-type': 'application/json' }, payload: { grant_type: 'password', client_id: hampshire.clientId, client_secret: hampshire.clientSecret } });
      expect(problemOf(grant).error).toBe('unsupported_grant_type');

      const scope = await app.inject({ method: 'POST', url: '/api/v1/oauth/token', headers: { 'content-type': 'application/json' }, payload: { grant_type: 'client_credentials', client_id: wessex.clientId, client_secret: wessex.clientSecret, scope: 'cases:write' } });
      expect(scope.statusCode).toBe(400);
      expect(problemOf(scope).error).toBe('invalid_scope');

      const token = await tokenFor(app, hampshire);
      clock.advance(901_000);
      const expired = await apiAgent(app, token).get('/api/v1/cases');
      clock.advance(-901_000);
      expect(expired.statusCode).toBe(401);
      expect(expired.headers['www-authenticate']).toContain('error="invalid_token"');
      expect(problemOf(expired).title).toBe('Unauthorized');
    });

    it('needs a bearer token: a signed-in browser session gives no access to the API', async () => {
      const none = await app.inject({ method: 'GET', url: '/api/v1/cases' });
      expect(none.statusCode).toBe(401);
      expect(none.headers['www-authenticate']).toBe('Bearer realm="tandem-api"');
      problemOf(none);
      await createUser(db, { username: 'oic', organisationId: 'force-hampshire-and-isle-of-wight', roles: ['investigator'] });
      const agent = await signIn(app, 'oic', clock);
      const withCookie = await agent.get('/api/v1/cases', { accept: 'application/json' });
      expect(withCookie.statusCode).toBe(401);
    });

    it('refuses a token without the scope (403 insufficient_scope) before touching the case', async () => {
      const readOnly = apiAgent(app, await tokenFor(app, hampshire, 'cases:read'));
      const res = await readOnly.post('/api/v1/cases', caseBody());
      expect(res.statusCode).toBe(403);
      expect(res.headers['www-authenticate']).toContain('insufficient_scope');
      problemOf(res);
      expect(await count(db, 'cases')).toBe(0);
    });
  });

  describe('cases', () => {
    let caseId: string;
    let etag: string;

    it('creates a case for the client’s force, audited with the client’s service account as actor', async () => {
      const res = await hants.post('/api/v1/cases', caseBody());
      expect(res.statusCode).toBe(201);
      const c = res.json();
      caseId = c.id;
      etag = String(res.headers.etag);
      expect(res.headers.location).toBe(`/api/v1/cases/${caseId}`);
      expect(c).toMatchObject({ forceId: 'hampshire-and-isle-of-wight', stage: 'investigation', offenceDate: '2025-02-03', reportedDate: '2025-02-10', offences: ['SOA2003-s1'], version: 1 });
      expect(etag).toBe('"case-1"');
      const [actor] = await db.query<{ user_id: string }>("SELECT a.actor_user_id AS user_id FROM audit_log a WHERE a.action = 'case:create' AND a.case_id = $1", [caseId]);
      const [svc] = await db.query<{ service_user_id: string }>('SELECT service_user_id FROM api_clients WHERE id = $1', [hampshire.clientId]);
      expect(actor!.user_id).toBe(svc!.service_user_id);
      expect(await count(db, "audit_log WHERE action = 'api:call' AND entity_id = $1 AND case_id IS NULL", [hampshire.clientId])).toBeGreaterThan(0);
    });

    it('refuses bad input with the form’s own messages as field errors, and writes nothing', async () => {
      const before = await count(db, 'cases');
      const res = await hants.post('/api/v1/cases', { offences: [], reportedDate: '2099-01-01', summary: '' });
      expect(res.statusCode).toBe(400);
      const p = problemOf(res);
      expect(p.errors).toEqual(expect.arrayContaining([
        { field: 'offences', detail: 'Select at least one offence' },
        { field: 'reportedDate', detail: 'The date it was reported must be today or in the past' },
        { field: 'summary', detail: 'Enter a short summary of the allegation' },
      ]));
      expect(await count(db, 'cases')).toBe(before);
      const notJson = await app.inject({ method: 'POST', url: '/api/v1/cases', headers: { authorization: (await hantsHeader()), 'content-type': 'text/plain' }, payload: 'hello' });
      expect(notJson.statusCode).toBe(415);
      problemOf(notJson);
      const broken = await app.inject({ method: 'POST', url: '/api/v1/cases', headers: { authorization: (await hantsHeader()), 'content-type': 'application/json' }, payload: '{"offences": [' });
      expect(broken.statusCode).toBe(400);
      problemOf(broken);
      expect(await count(db, 'cases')).toBe(before);
    });

    async function hantsHeader() {
      return `Bearer ${await tokenFor(app, hampshire)}`;
    }

    it('reads a case with its ETag; lists with pagination', async () => {
      const res = await hants.get(`/api/v1/cases/${caseId}`);
      expect(res.statusCode).toBe(200);
      expect(res.headers.etag).toBe(etag);
      expect(res.json().reference).toMatch(/-25-\d{6}$/);
      for (let i = 0; i < 25; i++) await hants.post('/api/v1/cases', caseBody({ summary: `Case ${i}` }));
      const page1 = await hants.get('/api/v1/cases?sort=reference&order=asc');
      expect(page1.statusCode).toBe(200);
      const body = page1.json();
      expect(body).toMatchObject({ page: 1, pageSize: 25, total: 26 });
      expect(body.items).toHaveLength(25);
      expect(body.links.next).toBe('/api/v1/cases?sort=reference&order=asc&page=2');
      const page2 = (await hants.get(body.links.next)).json();
      expect(page2.items).toHaveLength(1);
      expect(page2.links.next).toBeNull();
    });

    it('hides another force’s case (404, as if it did not exist) and does not list it; a CPS client sees it only once referred', async () => {
      const kentApi = apiAgent(app, await tokenFor(app, kent));
      const other = await kentApi.get(`/api/v1/cases/${caseId}`);
      expect(other.statusCode).toBe(404);
      const missing = await kentApi.get('/api/v1/cases/00000000-0000-4000-8000-000000000000');
      expect(problemOf(other)).toEqual({ ...problemOf(missing), instance: other.json().instance });
      expect((await kentApi.get('/api/v1/cases')).json().total).toBe(0);
      const put = await kentApi.put(`/api/v1/cases/${caseId}`, caseBody({ summary: 'Kent overwrites' }), { 'if-match': etag });
      expect(put.statusCode).toBe(404);
      expect(await count(db, "audit_log WHERE case_id = $1 AND outcome = 'denied' AND action = 'case:read'", [caseId])).toBeGreaterThan(0);

      const cps = apiAgent(app, await tokenFor(app, wessex));
      expect((await cps.get(`/api/v1/cases/${caseId}`)).statusCode).toBe(404);
      const ea = await hants.post(`/api/v1/cases/${caseId}/early-advice-requests`, { caseSummary: 'Summary for the prosecutor', questions: 'Is a charge likely?', strategy: 'Suspect-focused enquiries so far', priority: 'high' });
      expect(ea.statusCode).toBe(201);
      expect(ea.json()).toMatchObject({ caseId, priority: 'high', targetDate: '2025-03-17' });
      const seen = await cps.get(`/api/v1/cases/${caseId}`);
      expect(seen.statusCode).toBe(200);
      expect(seen.json().stage).toBe('early_advice');
      etag = String(seen.headers.etag);
    });

    it('updates a case with If-Match; a stale ETag is refused with 412 and nothing changes; no If-Match is 428', async () => {
      const stale = '"case-1"';
      const ok = await hants.put(`/api/v1/cases/${caseId}`, caseBody({ summary: 'Updated by Niche' }), { 'if-match': etag });
      expect(ok.statusCode).toBe(200);
      expect(ok.json().summary).toBe('Updated by Niche');
      const newTag = String(ok.headers.etag);
      expect(newTag).not.toBe(etag);
      const conflict = await hants.put(`/api/v1/cases/${caseId}`, caseBody({ summary: 'Lost update' }), { 'if-match': stale });
      expect(conflict.statusCode).toBe(412);
      problemOf(conflict);
      const racing = await hants.put(`/api/v1/cases/${caseId}`, caseBody({ summary: 'Lost update' }), { 'if-match': etag });
      expect(racing.statusCode).toBe(412);
      expect((await hants.put(`/api/v1/cases/${caseId}`, caseBody(), {})).statusCode).toBe(428);
      expect((await hants.get(`/api/v1/cases/${caseId}`)).json().summary).toBe('Updated by Niche');
      const bad = await hants.put(`/api/v1/cases/${caseId}`, caseBody({ offenceDate: '2025-02-30' }), { 'if-match': newTag });
      expect(bad.statusCode).toBe(400);
      expect(problemOf(bad).errors).toEqual([{ field: 'offenceDate', detail: 'The date of the offence must be a real date' }]);
    });

    it('adds and updates people (victim identity accepted but never returned), with ETags per person', async () => {
      const victim = await hants.post(`/api/v1/cases/${caseId}/victims`, {
        givenName: 'Amelia', familyName: 'Quintrell', dateOfBirth: '1998-06-14', ageAtOffence: 26, phone: '07700 900123', email: 'victim@example.invalid', address: '1 Test Street',
        vulnerabilities: ['mental_health'], communicationNeeds: '', contactMethod: 'phone', mayLeaveMessage: false, safeTimes: 'after 6pm', interviewerSex: 'female', enhancedRights: true,
      });
      expect(victim.statusCode).toBe(201);
      expect(victim.json()).toMatchObject({ kind: 'victim', label: 'V1', version: 1 });
      expect(victim.body).not.toContain('Quintrell');
      const read = await hants.get(`/api/v1/cases/${caseId}`);
      expect(read.body).not.toContain('Quintrell');
      expect(read.body).not.toContain('Amelia');

      const badSuspect = await hants.post(`/api/v1/cases/${caseId}/suspects`, { givenName: '', familyName: 'Hallworth', phones: ['12345'] });
      expect(badSuspect.statusCode).toBe(400);
      expect(problemOf(badSuspect).errors!.map((e) => e.field)).toEqual(expect.arrayContaining(['givenName', 'phones']));
      expect(await count(db, 'suspects WHERE case_id = $1', [caseId])).toBe(0);

      const suspect = await hants.post(`/api/v1/cases/${caseId}/suspects`, { givenName: 'Robert', familyName: 'Hallworth', aliases: ['Bob Hallworth'], dateOfBirth: '1987-11-02', phones: ['07700 900456'], vehicles: ['HX15 ABC'] });
      expect(suspect.statusCode).toBe(201);
      const s = suspect.json();
      expect(suspect.headers.etag).toBe('"suspect-1"');
      const upd = await hants.put(`/api/v1/cases/${caseId}/suspects/${s.id}`, { givenName: 'Robert', familyName: 'Hallworth-Smith' }, { 'if-match': '"suspect-1"' });
      expect(upd.statusCode).toBe(200);
      expect(upd.headers.etag).toBe('"suspect-2"');
      const stale = await hants.put(`/api/v1/cases/${caseId}/suspects/${s.id}`, { givenName: 'Rob', familyName: 'H' }, { 'if-match': '"suspect-1"' });
      expect(stale.statusCode).toBe(412);
      const [row] = await db.query<{ family_name: string }>('SELECT family_name FROM suspects WHERE id = $1', [s.id]);
      expect(row!.family_name).toBe('Hallworth-Smith');

      const witness = await hants.post(`/api/v1/cases/${caseId}/witnesses`, { givenName: 'Wendy', familyName: 'Witness', relationship: 'Friend' });
      expect(witness.statusCode).toBe(201);
      expect((await hants.put(`/api/v1/cases/${caseId}/witnesses/${witness.json().id}`, { givenName: 'Wendy', familyName: 'Witness', relationship: 'Flatmate' }, { 'if-match': '"witness-1"' })).statusCode).toBe(200);
    });

    it('refuses a second Early Advice request while one is open (409, nothing written) and bad input (400)', async () => {
      const before = await count(db, 'ea_requests');
      const again = await hants.post(`/api/v1/cases/${caseId}/early-advice-requests`, { caseSummary: 'x', questions: 'y', strategy: 'z', priority: 'standard' });
      expect(again.statusCode).toBe(409);
      problemOf(again);
      const bad = await hants.post(`/api/v1/cases/${caseId}/early-advice-requests`, { priority: 'whenever' });
      expect(bad.statusCode).toBe(400);
      expect(problemOf(bad).errors!.map((e) => e.field)).toEqual(['caseSummary', 'questions', 'strategy', 'priority']);
      expect(await count(db, 'ea_requests')).toBe(before);
    });

    it('submits a file for charging with missing items flagged, and reads decisions', async () => {
      const list = (await hants.get('/api/v1/cases?sort=reference&order=asc')).json();
      const fresh = list.items.find((c: { id: string }) => c.id !== caseId).id as string;
      const bad = await hants.post(`/api/v1/cases/${fresh}/charging-submissions`, { provided: ['mg3'], notApplicable: ['mg3'], summary: 'File' });
      expect(bad.statusCode).toBe(400);
      expect(problemOf(bad).errors![0]!.field).toBe('notApplicable');
      expect(await count(db, 'charging_submissions')).toBe(0);
      const res = await hants.post(`/api/v1/cases/${fresh}/charging-submissions`, { provided: ALL_ITEMS.filter((i) => i !== 'forensic_medical' && i !== 'mg6d'), notApplicable: ['mg6d'], summary: 'Full file for a charging decision.' });
      expect(res.statusCode).toBe(201);
      expect(res.json().missing).toEqual([{ code: 'forensic_medical', title: expect.any(String) }]);
      const decisions = await hants.get(`/api/v1/cases/${fresh}/decisions`);
      expect(decisions.statusCode).toBe(200);
      expect(decisions.json()).toEqual({ caseId: fresh, decisions: [], policeOutcomes: [] });
      const kentApi = apiAgent(app, await tokenFor(app, kent));
      expect((await kentApi.get(`/api/v1/cases/${fresh}/decisions`)).statusCode).toBe(404);
      expect((await kentApi.post(`/api/v1/cases/${fresh}/charging-submissions`, { provided: [], notApplicable: [], summary: 'x' })).statusCode).toBe(404);
    });
  });

  describe('Idempotency-Key', () => {
    it('replays the stored response for the same key and body, writing nothing more', async () => {
      const before = await count(db, 'cases');
      const first = await hants.post('/api/v1/cases', caseBody({ summary: 'Idempotent' }), { 'idempotency-key': 'niche-0001-create' });
      expect(first.statusCode).toBe(201);
      // the same body with keys in another order is the same request
      const { summary, ...rest } = caseBody({ summary: 'Idempotent' });
      const retry = await hants.post('/api/v1/cases', { summary, ...rest }, { 'idempotency-key': 'niche-0001-create' });
      expect(retry.statusCode).toBe(201);
      expect(retry.headers['idempotent-replayed']).toBe('true');
      expect(retry.json()).toEqual(first.json());
      expect(retry.headers.location).toBe(first.headers.location);
      expect(await count(db, 'cases')).toBe(before + 1);
    });

    it('refuses the same key with a different body (422) and a key whose first request is still in flight (409)', async () => {
      const before = await count(db, 'cases');
      const other = await hants.post('/api/v1/cases', caseBody({ summary: 'Something else' }), { 'idempotency-key': 'niche-0001-create' });
      expect(other.statusCode).toBe(422);
      problemOf(other);
      // A request under this key has reserved it and not yet finished (as a concurrent request would have).
      await db.query('INSERT INTO api_idempotency (client_id, key, request_hash, started_at) VALUES ($1, $2, $3, $4)', [hampshire.clientId, 'niche-0002-create', 'in-flight', clock.now()]);
      const concurrent = await hants.post('/api/v1/cases', caseBody(), { 'idempotency-key': 'niche-0002-create' });
      expect(concurrent.statusCode).toBe(409);
      problemOf(concurrent);
      expect(await count(db, 'cases')).toBe(before);
    });

    it('releases the key when the request is refused, so a corrected retry can use it', async () => {
      const bad = await hants.post('/api/v1/cases', caseBody({ summary: '' }), { 'idempotency-key': 'niche-0003-create' });
      expect(bad.statusCode).toBe(400);
      const good = await hants.post('/api/v1/cases', caseBody({ summary: 'Corrected' }), { 'idempotency-key': 'niche-0003-create' });
      expect(good.statusCode).toBe(201);
    });

    it('gives one case for many concurrent retries of one request', async () => {
      const before = await count(db, 'cases');
      const results = await Promise.all(Array.from({ length: 6 }, () => hants.post('/api/v1/cases', caseBody({ summary: 'Storm' }), { 'idempotency-key': 'niche-storm-0001' })));
      expect(results.every((r) => r.statusCode === 201 || r.statusCode === 409)).toBe(true);
      expect(await count(db, 'cases')).toBe(before + 1);
    });
  });

  it('limits each client’s requests per minute (429 with Retry-After)', async () => {
    await db.query('UPDATE api_clients SET rate_limit_per_minute = 3 WHERE id = $1', [wessex.clientId]);
    const cps = apiAgent(app, await tokenFor(app, wessex));
    clock.advance(60_000);
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await cps.get('/api/v1/cases')).statusCode);
    expect(statuses).toEqual([200, 200, 200, 429]);
    const limited = await cps.get('/api/v1/cases');
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    problemOf(limited);
  });

  it('answers unknown API paths and malformed ids with problem+json 404, never 500', async () => {
    const a = await hants.get('/api/v1/nothing-here');
    expect(a.statusCode).toBe(404);
    problemOf(a);
    const b = await hants.get('/api/v1/cases/not-a-uuid');
    expect(b.statusCode).toBe(404);
    problemOf(b);
  });
});
