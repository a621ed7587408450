import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import type { Db } from '../db/database.ts';
import { type Agent, createUser, signIn, testApp, testDb } from '../testing/harness.ts';
import { apiAgent, count, tokenFor } from './test-support.ts';

describe('admin: registering and revoking API clients', () => {
  let db: Db;
  let app: FastifyInstance;
  let admin: Agent;

  beforeAll(async () => {
    db = await testDb();
    ({ app } = await testApp(db));
    await createUser(db, { username: 'admin', organisationId: 'national', roles: ['admin'] });
    await createUser(db, { username: 'oic', organisationId: 'force-kent', roles: ['investigator'] });
    admin = await signIn(app, 'admin');
  });
  afterAll(async () => {
    await app?.close();
    await db?.close();
  });

  it('shows an empty list with a way to register, linked from the navigation', async () => {
    const page = await admin.get('/admin/api-clients');
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('data-qa="no-clients"');
    expect(page.body).toContain('href="/admin/api-clients"');
    expect(page.body).toContain('data-qa="register-client"');
  });

  it('refuses an incomplete form with the GOV.UK error summary, writing nothing', async () => {
    await admin.get('/admin/api-clients/new');
    const res = await admin.post('/admin/api-clients', { name: '', organisationId: '' });
    expect(res.statusCode).toBe(400);
    expect(res.body).toContain('govuk-error-summary');
    expect(res.body).toContain('Enter the name of the system');
    expect(res.body).toContain('Select the force or RASSO unit the system acts for');
    expect(res.body).toContain('Select at least one thing the system may do');
    expect(await count(db, 'api_clients')).toBe(0);
  });

  it('registers a client and shows its secret once; the secret works at the token endpoint; revoking stops its tokens', async () => {
    await admin.get('/admin/api-clients/new');
    const res = await admin.post('/admin/api-clients', { name: 'Kent Athena', organisationId: 'force-kent', scopes: ['cases:read', 'cases:write'] });
    expect(res.statusCode).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    const clientId = /data-qa="client-id">([^<]+)</.exec(res.body)![1]!;
    const clientSecret = /data-qa="client-secret">([^<]+)</.exec(res.body)![1]!;
    expect(clientSecret).toMatch(/^tdms_/);
    const [stored] = await db.query<{ secret_hash: string }>('SELECT secret_hash FROM api_clients WHERE id = $1', [clientId]);
    expect(stored!.secret_hash).toMatch(/^\$argon2id\$/);
    expect(await count(db, "audit_log WHERE action = 'api-client:register' AND entity_id = $1", [clientId])).toBe(1);

    const list = await admin.get('/admin/api-clients');
    expect(list.body).toContain('Kent Athena');
    expect(list.body).not.toContain(clientSecret);

    const token = await tokenFor(app, { clientId, clientSecret });
    expect((await apiAgent(app, token).get('/api/v1/cases')).statusCode).toBe(200);
    // The service account behind the client cannot sign in to the pages.
    const { Agent } = await import('../testing/harness.ts');
    const browser = new Agent(app);
    await browser.get('/sign-in');
    const attempt = await browser.post('/sign-in', { username: `api-client-${clientId}`, password: '!api-client' });
    expect(attempt.headers.location).not.toBe('/sign-in/code');
    // Nor is it ever offered as a person (team and allocation pickers, reminders list active users only).
    expect(await count(db, "users WHERE active AND username LIKE 'api-client-%'")).toBe(0);

    await admin.get('/admin/api-clients');
    const revoked = await admin.post(`/admin/api-clients/${clientId}/revoke`);
    expect(revoked.statusCode).toBe(303);
    expect((await admin.get(String(revoked.headers.location))).body).toContain('The client was revoked');
    expect((await apiAgent(app, token).get('/api/v1/cases')).statusCode).toBe(401);
    const again = await app.inject({ method: 'POST', url: '/api/v1/oauth/token', headers: { 'content-type': 'application/json' }, payload: { grant_type: 'client_credentials', client_id: clientId, client_secret: clientSecret } });
    expect(again.statusCode).toBe(401);
  });

  it('is for administrators only (403, audited)', async () => {
    const oic = await signIn(app, 'oic');
    const res = await oic.get('/admin/api-clients');
    expect(res.statusCode).toBe(403);
    expect(res.body).not.toContain('href="/admin/api-clients"');
    expect(await count(db, "audit_log WHERE action = 'api:manage-clients' AND outcome = 'denied'")).toBe(1);
  });
});
