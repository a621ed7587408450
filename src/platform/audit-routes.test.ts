import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import type { Db } from '../db/database.ts';
import type { Services } from '../services.ts';
import { type Agent, caseIdFrom, createUser, forms, signIn, testApp, testDb } from '../testing/harness.ts';
import { londonMidnight } from './audit-routes.ts';

/** The text of every cell marked data-qa=name in the audit table, top to bottom. */
const cells = (html: string, name: string) =>
  [...html.matchAll(new RegExp(`data-qa="${name}">([\\s\\S]*?)</t[dh]>`, 'g'))].map((m) => m[1]!.replace(/<span class="govuk-visually-hidden">[\s\S]*?<\/span>/g, '').replace(/<[^>]+>/g, '').trim());

const londonToday = () => new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/London' }).format(new Date());

describe('audit log page', () => {
  let db: Db;
  let app: FastifyInstance;
  let services: Services;
  let admin: Agent;
  let investigator: Agent;
  let adminId: string;
  let investigatorId: string;
  let caseReference: string;

  beforeAll(async () => {
    db = await testDb();
    ({ app, services } = await testApp(db));
    adminId = await createUser(db, { username: 'audit.admin', organisationId: 'national', roles: ['admin'] });
    investigatorId = await createUser(db, { username: 'hants.inv', organisationId: 'force-hampshire-and-isle-of-wight', roles: ['investigator'] });
    investigator = await signIn(app, 'hants.inv');
    const caseId = caseIdFrom(await investigator.post('/cases', forms.case()));
    caseReference = (await db.query<{ reference: string }>('SELECT reference FROM cases WHERE id = $1', [caseId]))[0]!.reference;
    await investigator.post('/cases', forms.case({ summary: 'A second case, so the case filter has something to leave out.' }));
    admin = await signIn(app, 'audit.admin');
  });
  afterAll(async () => {
    await app?.close();
    await db?.close();
  });

  it('shows an administrator the log newest first, says how to verify it, and records the view', async () => {
    const res = await admin.get('/admin/audit');
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('tandem audit-verify');
    expect(res.body).toMatch(/<caption[^>]*>Audit events, newest first/);
    expect(res.body).toContain('<th scope="col"');
    const seqs = cells(res.body, 'seq').map(Number);
    expect(seqs.length).toBeGreaterThan(3);
    expect(seqs).toEqual([...seqs].sort((a, b) => b - a));
    // The view itself is the newest row.
    expect(cells(res.body, 'action')[0]).toBe('audit:read');
    expect(cells(res.body, 'user')[0]).toBe('audit.admin');
    const views = await db.query<{ outcome: string }>(`SELECT outcome FROM audit_log WHERE action = 'audit:read' AND actor_user_id = $1`, [adminId]);
    expect(views.map((v) => v.outcome)).toContain('allowed');
  });

  it('filters by user', async () => {
    const res = await admin.get('/admin/audit?user=HANTS.INV');
    expect(res.statusCode).toBe(200);
    const users = cells(res.body, 'user');
    expect(users.length).toBeGreaterThan(0);
    expect(new Set(users)).toEqual(new Set(['hants.inv']));
    expect(cells(res.body, 'action')).toContain('case:create');
    expect(res.body).toContain('value="HANTS.INV"');
    const [view] = await db.query<{ detail: { filter: { userId: string } } }>(`SELECT detail FROM audit_log WHERE action = 'audit:read' ORDER BY seq DESC LIMIT 1`);
    expect(view!.detail.filter.userId).toBe(investigatorId);
  });

  it('filters by case reference, and links each case to its own events', async () => {
    const res = await admin.get(`/admin/audit?case=${caseReference.toLowerCase()}`);
    expect(res.statusCode).toBe(200);
    const refs = cells(res.body, 'case');
    expect(refs.length).toBeGreaterThan(0);
    expect(new Set(refs)).toEqual(new Set([caseReference]));
    expect(cells(res.body, 'action')).toContain('case:create');
    expect(res.body).toContain(`href="/admin/audit?case=${caseReference}"`);
  });

  it('filters by action and by dates, and shows an empty state', async () => {
    const today = londonToday();
    const res = await admin.get(`/admin/audit?action=case:create&from=${today}&to=${today}`);
    expect(res.statusCode).toBe(200);
    expect(cells(res.body, 'action')).toEqual(['case:create', 'case:create']);
    expect(res.body).toMatch(/data-qa="result-count"[^>]*>2 events/);

    const none = await admin.get('/admin/audit?from=2001-01-01&to=2001-01-31');
    expect(none.statusCode).toBe(200);
    expect(none.body).toContain('data-qa="no-events"');
    expect(none.body).toMatch(/data-qa="result-count"[^>]*>0 events/);
  });

  it('paginates 50 to a page', async () => {
    for (let i = 0; i < 60; i++) await services.audit.record({ action: 'test:filler', outcome: 'allowed' });
    const first = await admin.get('/admin/audit?action=test:filler');
    expect(cells(first.body, 'action')).toHaveLength(50);
    expect(first.body).toContain('60 events, showing 1 to 50');
    expect(first.body).toContain('govuk-pagination');
    expect(first.body).toContain('href="/admin/audit?action=test%3Afiller&amp;page=2"');
    const second = await admin.get('/admin/audit?action=test:filler&page=2');
    expect(cells(second.body, 'action')).toHaveLength(10);
    expect(second.body).toContain('showing 51 to 60');
    expect(cells(second.body, 'user')[0]).toBe('Not signed in');
  });

  it('refuses anyone who is not an administrator, and records the refusal', async () => {
    const res = await investigator.get('/admin/audit');
    expect(res.statusCode).toBe(403);
    expect(res.body).not.toContain('data-qa="audit-table"');
    const denied = await db.query<{ outcome: string; actor_organisation_id: string }>(
      `SELECT outcome, actor_organisation_id FROM audit_log WHERE action = 'audit:read' AND actor_user_id = $1`, [investigatorId]);
    expect(denied).toEqual([{ outcome: 'denied', actor_organisation_id: 'force-hampshire-and-isle-of-wight' }]);
  });

  it('sends someone signed out to sign in', async () => {
    const res = await app.inject({ method: 'GET', url: '/admin/audit', headers: { accept: 'text/html' } });
    expect(res.statusCode).toBe(302);
    expect(res.headers.location).toBe('/sign-in');
  });

  it('explains bad filters in an error summary instead of failing', async () => {
    const bad = await admin.get('/admin/audit?from=2025-02-30&to=yesterday');
    expect(bad.statusCode).toBe(400);
    expect(bad.body).toContain('govuk-error-summary');
    expect(bad.body).toContain('href="#from"');
    expect(bad.body).toContain('Enter the date from as a real date in the format YYYY-MM-DD');
    expect(bad.body).toContain('Enter the date to as a real date');
    expect(bad.body).toContain('value="yesterday"');
    expect(bad.body).not.toContain('data-qa="audit-table"');

    const reversed = await admin.get('/admin/audit?from=2025-03-10&to=2025-03-01');
    expect(reversed.statusCode).toBe(400);
    expect(reversed.body).toContain('The date to must be the same as or after the date from');

    const unknown = await admin.get('/admin/audit?user=nobody&case=XXX-99-999999&action=made:up');
    expect(unknown.statusCode).toBe(400);
    for (const msg of ['Enter the username of an existing user', 'Enter the reference of an existing case', 'Select an action from the list']) expect(unknown.body).toContain(msg);

    const repeated = await admin.get('/admin/audit?from=2025-01-01&from=nonsense&page=abc');
    expect(repeated.statusCode).toBe(200);
  });
});

describe('londonMidnight', () => {
  it('is midnight local time, in winter and in summer, including the days the clocks change', () => {
    expect(londonMidnight('2025-01-15').toISOString()).toBe('2025-01-15T00:00:00.000Z');
    expect(londonMidnight('2025-06-01').toISOString()).toBe('2025-05-31T23:00:00.000Z');
    expect(londonMidnight('2025-03-30').toISOString()).toBe('2025-03-30T00:00:00.000Z');
    expect(londonMidnight('2025-10-26').toISOString()).toBe('2025-10-25T23:00:00.000Z');
  });
});
