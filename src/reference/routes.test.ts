import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import type { Db } from '../db/database.ts';
import type { Services } from '../services.ts';
import { type Agent, createUser, signIn, testApp, testDb } from '../testing/harness.ts';

const versionIn = (html: string) => /name="version" value="(\d+)"/.exec(html)![1]!;

describe('reference data pages', () => {
  let db: Db;
  let app: FastifyInstance;
  let services: Services;
  let admin: Agent;
  let analyst: Agent;
  let adminId: string;
  let analystId: string;

  const outcome = async (code: number) =>
    (await db.query<{ title: string; active: boolean; needs_check: boolean; version: number }>('SELECT title, active, needs_check, version FROM outcome_types WHERE code = $1', [code]))[0]!;
  const mappings = async (forceId: string) =>
    db.query<{ cps_area_id: string; is_primary: boolean; needs_check: boolean; note: string | null }>(
      'SELECT cps_area_id, is_primary, needs_check, note FROM force_area_map WHERE force_id = $1 ORDER BY is_primary DESC, cps_area_id', [forceId]);
  const auditRows = async (entityType: string, entityId: string) =>
    db.query<{ actor_user_id: string; outcome: string; detail: { changes: Record<string, { from: string; to: string }> } }>(
      `SELECT actor_user_id, outcome, detail FROM audit_log WHERE action = 'reference:update' AND entity_type = $1 AND entity_id = $2 ORDER BY seq`, [entityType, entityId]);

  beforeAll(async () => {
    db = await testDb();
    ({ app, services } = await testApp(db));
    adminId = await createUser(db, { username: 'ref.admin', organisationId: 'national', roles: ['admin'] });
    analystId = await createUser(db, { username: 'ref.analyst', organisationId: 'national', roles: ['analyst'] });
    admin = await signIn(app, 'ref.admin');
    analyst = await signIn(app, 'ref.analyst');
  });
  afterAll(async () => {
    await app?.close();
    await db?.close();
  });

  it('lets an analyst read every table, with unconfirmed rows marked, but not change anything', async () => {
    const page = await analyst.get('/reference');
    expect(page.statusCode).toBe(200);
    for (const qa of ['areas-table', 'forces-table', 'offences-table', 'outcomes-table']) expect(page.body).toContain(`data-qa="${qa}"`);
    expect((page.body.match(/<caption/g) ?? []).length).toBe(4);
    expect(page.body).toContain('Cymru/Wales');
    expect(page.body).toContain('Assault by penetration');
    expect(page.body).toMatch(/data-qa="force-city-of-london"[\s\S]*?To be confirmed[\s\S]*?<\/tr>/);
    expect(page.body).toMatch(/data-qa="outcome-14"[\s\S]*?To be confirmed/);
    expect(page.body).not.toContain('/edit"');

    for (const url of ['/reference/outcome-types/14/edit', '/reference/offences/SOA2003-s3/edit', '/reference/forces/city-of-london/edit']) {
      expect((await analyst.get(url)).statusCode, url).toBe(403);
    }
    const before = await outcome(14);
    const post = await analyst.post('/reference/outcome-types/14/edit', { title: 'Changed by an analyst', active: 'yes', needsCheck: 'no', version: before.version });
    expect(post.statusCode).toBe(403);
    expect(await outcome(14)).toEqual(before);
    const denied = await db.query<{ action: string }>(`SELECT action FROM audit_log WHERE actor_user_id = $1 AND outcome = 'denied'`, [analystId]);
    expect(denied.map((d) => d.action)).toContain('reference:update');
  });

  it('refuses roles without reference access', async () => {
    await createUser(db, { username: 'ref.inv', organisationId: 'force-kent', roles: ['investigator'] });
    const inv = await signIn(app, 'ref.inv');
    expect((await inv.get('/reference')).statusCode).toBe(403);
  });

  it('lets an administrator correct an outcome type, audited, and shows it', async () => {
    const form = await admin.get('/reference/outcome-types/14/edit');
    expect(form.statusCode).toBe(200);
    expect(form.body).toContain('<label class="govuk-label govuk-label--m" for="title">');
    const version = Number(versionIn(form.body));
    const res = await admin.post('/reference/outcome-types/14/edit', { title: 'Evidential difficulties: suspect identified; victim does not support action', active: 'yes', needsCheck: 'no', version });
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe('/reference?done=outcome-type');
    const page = await admin.get('/reference?done=outcome-type');
    expect(page.body).toContain('govuk-notification-banner--success');
    expect(page.body).toContain('Outcome type saved.');
    expect(page.body).toMatch(/data-qa="outcome-14"[\s\S]*?Evidential difficulties: suspect identified; victim does not support action[\s\S]*?Confirmed/);
    expect(await outcome(14)).toEqual({ title: 'Evidential difficulties: suspect identified; victim does not support action', active: true, needs_check: false, version: version + 1 });
    const [row] = await auditRows('outcome_type', '14');
    expect(row!.actor_user_id).toBe(adminId);
    expect(row!.detail.changes.title!.to).toBe('Evidential difficulties: suspect identified; victim does not support action');
    expect(row!.detail.changes.needs_check).toEqual({ from: 'Yes', to: 'No' });
    // The cached copy other pages use has been reloaded.
    expect((await services.reference.outcomeTypes()).find((o) => o.code === 14)!.needs_check).toBe(false);

    const again = await admin.post('/reference/outcome-types/14/edit', { title: 'Evidential difficulties: suspect identified; victim does not support action', active: 'yes', needsCheck: 'no', version: version + 1 });
    expect(again.headers.location).toBe('/reference?done=unchanged');
    expect(await auditRows('outcome_type', '14')).toHaveLength(1);
  });

  it('refuses a stale edit with the conflict page and leaves the record unchanged', async () => {
    const stale = Number(versionIn((await admin.get('/reference/outcome-types/9/edit')).body));
    expect((await admin.post('/reference/outcome-types/9/edit', { title: 'First edit wins', active: 'yes', needsCheck: 'yes', version: stale })).statusCode).toBe(303);
    const res = await admin.post('/reference/outcome-types/9/edit', { title: 'Edit from an old form', active: 'yes', needsCheck: 'yes', version: stale });
    expect(res.statusCode).toBe(409);
    expect(res.body).toContain('Someone else changed this record');
    expect(res.body).toContain('First edit wins');
    expect(res.body).toContain('Edit from an old form');
    expect(res.body).toContain('href="/reference/outcome-types/9/edit"');
    expect(await outcome(9)).toMatchObject({ title: 'First edit wins', version: stale + 1 });
    expect(await auditRows('outcome_type', '9')).toHaveLength(1);
  });

  it('shows every error for invalid input and changes nothing', async () => {
    const before = await outcome(3);
    const res = await admin.post('/reference/outcome-types/3/edit', { title: '   ', version: before.version });
    expect(res.statusCode).toBe(400);
    expect(res.body).toContain('govuk-error-summary');
    expect(res.body).toContain('<title>Error:');
    for (const msg of ['Enter the title of the outcome type', 'Select whether the outcome type still needs to be confirmed', 'Select whether the outcome type is in use']) expect(res.body).toContain(msg);
    expect(res.body).toContain('href="#title"');
    expect((await admin.post('/reference/outcome-types/3/edit', { title: 'x'.repeat(201), active: 'yes', needsCheck: 'no', version: before.version })).statusCode).toBe(400);
    expect((await admin.post('/reference/outcome-types/3/edit', { title: 'No version', active: 'yes', needsCheck: 'no' })).statusCode).toBe(400);
    expect(await outcome(3)).toEqual(before);
    expect((await admin.get('/reference/outcome-types/999/edit')).statusCode).toBe(404);
    expect((await admin.get('/reference/outcome-types/abc/edit')).statusCode).toBe(404);
  });

  it('lets an administrator change an offence', async () => {
    const form = await admin.get('/reference/offences/SOA2003-s3/edit');
    const version = Number(versionIn(form.body));
    const res = await admin.post('/reference/offences/SOA2003-s3/edit', { title: 'Sexual assault', maxPenalty: '10 years (on indictment)', active: 'yes', version });
    expect(res.statusCode).toBe(303);
    expect((await admin.get('/reference')).body).toContain('10 years (on indictment)');
    const [row] = await auditRows('offence', 'SOA2003-s3');
    expect(row!.detail.changes).toEqual({ max_penalty: { from: '10 years', to: '10 years (on indictment)' } });
    const bad = await admin.post('/reference/offences/SOA2003-s3/edit', { title: 'Sexual assault', maxPenalty: '', active: 'maybe', version: version + 1 });
    expect(bad.statusCode).toBe(400);
    expect(bad.body).toContain('Enter the maximum penalty');
    expect(bad.body).toContain('Select whether the offence is in use');
  });

  it('moves a force to another CPS Area, persisted and audited', async () => {
    const form = await admin.get('/reference/forces/city-of-london/edit');
    expect(form.statusCode).toBe(200);
    expect(form.body).toContain('Which CPS Area takes this force’s cases?');
    expect(form.body).not.toContain('value="cps-direct"');
    const version = Number(versionIn(form.body));
    const res = await admin.post('/reference/forces/city-of-london/edit', { primaryAreaId: 'london-south', needsCheck: 'no', note: 'Confirmed with CPS London South', version });
    expect(res.statusCode).toBe(303);
    expect(await mappings('city-of-london')).toEqual([{ cps_area_id: 'london-south', is_primary: true, needs_check: false, note: 'Confirmed with CPS London South' }]);
    expect((await db.query<{ version: number }>(`SELECT version FROM forces WHERE id = 'city-of-london'`))[0]!.version).toBe(version + 1);
    const [row] = await auditRows('force', 'city-of-london');
    expect(row!.actor_user_id).toBe(adminId);
    expect(row!.detail.changes.primary_area).toEqual({ from: 'London North', to: 'London South' });
    expect(await services.reference.primaryAreaFor('city-of-london')).toBe('london-south');
    const page = await admin.get('/reference?done=force');
    expect(page.body).toMatch(/data-qa="force-city-of-london"[\s\S]*?London South[\s\S]*?Confirmed[\s\S]*?<\/tr>/);

    const stale = await admin.post('/reference/forces/city-of-london/edit', { primaryAreaId: 'london-north', needsCheck: 'yes', note: '', version });
    expect(stale.statusCode).toBe(409);
    expect((await mappings('city-of-london'))[0]!.cps_area_id).toBe('london-south');
  });

  it('swaps the Met between its two London Areas, keeping both', async () => {
    const version = Number(versionIn((await admin.get('/reference/forces/metropolitan-police/edit')).body));
    const res = await admin.post('/reference/forces/metropolitan-police/edit', { primaryAreaId: 'london-south', needsCheck: 'no', note: 'Split by borough between London North and London South', version });
    expect(res.statusCode).toBe(303);
    expect((await mappings('metropolitan-police')).map((m) => [m.cps_area_id, m.is_primary])).toEqual([['london-south', true], ['london-north', false]]);
  });

  it('refuses an Area that cannot take a force’s cases', async () => {
    const version = Number(versionIn((await admin.get('/reference/forces/kent/edit')).body));
    const res = await admin.post('/reference/forces/kent/edit', { primaryAreaId: 'cps-direct', needsCheck: 'no', version });
    expect(res.statusCode).toBe(400);
    expect(res.body).toContain('Select the CPS Area that takes this force’s cases');
    expect(res.body).toContain('href="#primaryAreaId"');
    expect((await mappings('kent'))[0]!.cps_area_id).toBe('south-east');
  });
});
