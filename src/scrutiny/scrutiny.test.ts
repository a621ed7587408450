import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import type { Db } from '../db/database.ts';
import { FixedClock } from '../platform/clock.ts';
import type { Services } from '../services.ts';
import { type Agent, caseIdFrom, createUser, forms, signIn, testApp, testDb } from '../testing/harness.ts';
import { appRoutes } from '../testing/routes.ts';

/** Identifying details of the test case: none may ever reach a panel member. */
const SECRETS = ['Amelia', 'Quintrell', 'Millie', 'Hallworth', 'Robert', 'Bobby', '900123', '900456', 'SO14 1AA', 'Test Street', 'Harbour Road', 'HX15', 'example.invalid', 'robh87', 'Oakfield', 'Tamsin', 'Pellow'];

describe('scrutiny panels: selection, redacted packs, findings, re-opening into Early Advice, JOIMs', () => {
  let db: Db;
  let app: FastifyInstance;
  let services: Services;
  const clock = new FixedClock(new Date('2026-03-10T10:00:00Z'));
  let oic: Agent, sup: Agent, dcp: Agent, member: Agent, outsider: Agent, kentSup: Agent;
  let caseId: string;
  let reference: string;
  let panelId: string;
  let selectionId: string;
  let packId: string;
  let externalId: string;
  let victimId: string, suspectId: string, witnessId: string;

  const count = async (sql: string, params: unknown[] = []) => (await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${sql}`, params))[0]!.n;
  const noSecrets = (body: string) => SECRETS.filter((s) => body.includes(s));

  beforeAll(async () => {
    db = await testDb();
    ({ app, services } = await testApp(db, { clock }));
    await db.query(`INSERT INTO organisations (id, kind, name) VALUES ('panel-test', 'panel', 'Hampshire community scrutiny members'), ('panel-other', 'panel', 'Another panel')`);
    await createUser(db, { username: 'oic', organisationId: 'force-hampshire-and-isle-of-wight', roles: ['investigator'], displayName: 'DC Sam Patel' });
    await createUser(db, { username: 'sup', organisationId: 'force-hampshire-and-isle-of-wight', roles: ['police_supervisor'], displayName: 'DS Alex Morgan' });
    await createUser(db, { username: 'dcp', organisationId: 'rasso-wessex', roles: ['district_crown_prosecutor'], displayName: 'Chris Evans' });
    externalId = await createUser(db, { username: 'member', organisationId: 'panel-test', roles: ['panel_member'], displayName: 'Casey Lloyd' });
    await createUser(db, { username: 'outsider', organisationId: 'panel-other', roles: ['panel_member'], displayName: 'Not On Panel' });
    await createUser(db, { username: 'kentsup', organisationId: 'force-kent', roles: ['police_supervisor'], displayName: 'DS Kent' });
    [oic, sup, dcp, member, outsider, kentSup] = (await Promise.all(['oic', 'sup', 'dcp', 'member', 'outsider', 'kentsup'].map((u) => signIn(app, u, clock)))) as [Agent, Agent, Agent, Agent, Agent, Agent];

    // A case with identifying detail in every free-text field, closed by the police (outcome 16) without Early Advice.
    await oic.get('/cases/new');
    caseId = caseIdFrom(await oic.post('/cases', forms.case({ summary: 'Amelia Quintrell (known as Millie) says Robert Hallworth raped her at 22 Harbour Road after a party; Millie’s friend from Oakfield Academy saw Bobby leave. Call 07700 900123.' })));
    reference = (await services.cases.summary(caseId)).reference;
    await oic.get(`/cases/${caseId}/victims/new`);
    await oic.post(`/cases/${caseId}/victims`, forms.victim());
    await oic.get(`/cases/${caseId}/suspects/new`);
    await oic.post(`/cases/${caseId}/suspects`, forms.suspect());
    await oic.get(`/cases/${caseId}/witnesses/new`);
    await oic.post(`/cases/${caseId}/witnesses`, { givenName: 'Tamsin', familyName: 'Pellow', phone: '', email: '', address: '', relationship: 'Friend of Amelia' });
    await oic.get(`/cases/${caseId}/charging/police-outcome`);
    const nfa = await oic.post(`/cases/${caseId}/charging/police-outcome`, {
      outcomeTypeCode: '16', suspectInterviewed: 'yes', reasons: 'Amelia Quintrell withdrew support; Hallworth’s account was not tested further.', eaNotSoughtReason: 'Millie asked for no further contact on 07700 900123.',
    });
    expect(nfa.statusCode).toBe(303);
    victimId = (await db.query<{ id: string }>('SELECT id FROM victims WHERE case_id = $1', [caseId]))[0]!.id;
    suspectId = (await db.query<{ id: string }>('SELECT id FROM suspects WHERE case_id = $1', [caseId]))[0]!.id;
    witnessId = (await db.query<{ id: string }>('SELECT id FROM witnesses WHERE case_id = $1', [caseId]))[0]!.id;
  });
  afterAll(async () => {
    await app?.close();
    await db?.close();
  });

  it('a police supervisor sets up the panel and adds an external member; others cannot', async () => {
    const form = await sup.get('/scrutiny/panels/new');
    expect(form.statusCode).toBe(200);
    const res = await sup.post('/scrutiny/panels', { pair: 'hampshire-and-isle-of-wight|wessex', name: 'Hampshire and Wessex joint rape scrutiny panel' });
    expect(res.statusCode).toBe(303);
    panelId = /\/scrutiny\/panels\/([0-9a-f-]{36})/.exec(String(res.headers.location))![1]!;
    await sup.get(`/scrutiny/panels/${panelId}`);
    expect((await sup.post(`/scrutiny/panels/${panelId}/members`, { userId: externalId })).statusCode).toBe(303);
    const page = await sup.get(`/scrutiny/panels/${panelId}`);
    expect(page.body).toContain('Casey Lloyd');
    expect(page.body).toContain('Community member');
    // the member cannot add members; someone outside the panel (or another force) is told it does not exist
    expect((await member.post(`/scrutiny/panels/${panelId}/members`, { userId: externalId })).statusCode).toBe(403);
    expect((await outsider.get(`/scrutiny/panels/${panelId}`)).statusCode).toBe(404);
    expect((await kentSup.get(`/scrutiny/panels/${panelId}`)).statusCode).toBe(404);
    // a panel member can never set one up
    expect((await member.get('/scrutiny/panels/new')).statusCode).toBe(403);
  });

  it('bad selection input shows the GOV.UK error summary and writes nothing', async () => {
    await sup.get(`/scrutiny/panels/${panelId}/selections/new`);
    const bad = await sup.post(`/scrutiny/panels/${panelId}/selections`, { randomSize: '0', 'periodFrom-day': '31', 'periodFrom-month': '2', 'periodFrom-year': '2026' });
    expect(bad.statusCode).toBe(400);
    expect(bad.body).toContain('There is a problem');
    expect(bad.body).toContain('The start of the period must be a real date');
    expect(await count('scrutiny_selections')).toBe(0);
  });

  it('selects NFA decisions by a stored, reproducible rule and generates frozen, redacted packs', async () => {
    await sup.get(`/scrutiny/panels/${panelId}/selections/new`);
    const res = await sup.post(`/scrutiny/panels/${panelId}/selections`, {
      'periodFrom-day': '1', 'periodFrom-month': '1', 'periodFrom-year': '2026', 'periodTo-day': '31', 'periodTo-month': '3', 'periodTo-year': '2026',
      randomSize: '0', seed: '17', vulnerable: '0', no_ea: '0', outcome_16: '3', long_investigation: '0', longDays: '365',
    });
    expect(res.statusCode).toBe(303);
    selectionId = /\/scrutiny\/selections\/([0-9a-f-]{36})/.exec(String(res.headers.location))![1]!;
    const page = await sup.get(`/scrutiny/selections/${selectionId}`);
    expect(page.body).toContain(reference);
    expect(page.body).toContain('Victim withdrew support (outcome 16)');
    expect(page.body).toMatch(/Seed[\s\S]*17/);
    expect(await services.scrutiny.reproduce(selectionId)).toEqual([caseId]);

    expect((await sup.post(`/scrutiny/selections/${selectionId}/packs`)).statusCode).toBe(303);
    const [pack] = await db.query<{ id: string; content: unknown; status: string }>('SELECT id, content, status FROM scrutiny_packs');
    packId = pack!.id;
    expect(pack!.status).toBe('awaiting_release');
    const stored = JSON.stringify(pack!.content);
    expect(noSecrets(stored)).toEqual([]);
    expect(stored).toContain('[VICTIM]');
    expect(stored).toContain('[SUSPECT 1]');
    expect(stored).toContain('[PHONE]');
    // generating again adds nothing: one frozen pack per selected case
    await sup.post(`/scrutiny/selections/${selectionId}/packs`);
    expect(await count('scrutiny_packs')).toBe(1);
  });

  it('a pack cannot be opened by a member before release; the coordinator checks and releases it', async () => {
    expect((await member.get(`/scrutiny/packs/${packId}`)).statusCode).toBe(404);
    expect(await count(`audit_log WHERE action = 'scrutiny:pack-view' AND outcome = 'denied' AND case_id = $1`, [caseId])).toBe(1);
    expect((await member.get(`/scrutiny/panels/${panelId}`)).body).toContain('No packs have been released');
    const check = await sup.get(`/scrutiny/packs/${packId}`);
    expect(check.statusCode).toBe(200);
    expect(check.body).toContain(reference);
    // a member cannot release, nor record a finding on an unreleased pack
    await member.get(`/scrutiny/panels/${panelId}`);
    expect((await member.post(`/scrutiny/packs/${packId}/release`, { version: '1' })).statusCode).toBe(403);
    expect((await member.post(`/scrutiny/packs/${packId}/findings`, { themes: 'forensics', text: 'x' })).statusCode).toBe(404);
    const version = /name="version" value="(\d+)"/.exec(check.body)![1]!;
    expect((await sup.post(`/scrutiny/packs/${packId}/release`, { version })).statusCode).toBe(303);
    const open = await member.get(`/scrutiny/packs/${packId}`);
    expect(open.statusCode).toBe(200);
    expect(open.body).toContain('[VICTIM]');
    expect(noSecrets(open.body)).toEqual([]);
    expect(open.body).not.toContain(reference);
    expect(open.body).not.toContain(caseId);
    expect(await count(`audit_log WHERE action = 'scrutiny:pack-view' AND outcome = 'allowed' AND case_id = $1 AND actor_user_id = $2`, [caseId, externalId])).toBe(1);
  });

  it('a panel member reaches no unredacted material through any route of the app', async () => {
    const routes = listRoutes(app);
    const gets = routes.filter((r) => r.startsWith('GET ')).map((r) => r.slice(4));
    expect(gets.length).toBeGreaterThan(40);
    const ids: Record<string, string> = { caseId, victimId, suspectId, witnessId, panelId, packId, selectionId };
    const fill = (path: string) => path.replace(/:(\w+)/g, (_m, name: string) => ids[name] ?? caseId).replace(/\*$/, '');
    const refusedCaseRoutes: string[] = [];
    const leaks: string[] = [];
    for (const path of gets) {
      const url = fill(path);
      const res = await member.get(url);
      if (path.includes(':caseId') || path.includes(':victimId') || path.includes(':suspectId') || path.includes(':witnessId')) {
        if ([401, 403, 404].includes(res.statusCode)) refusedCaseRoutes.push(path);
        else leaks.push(`${path} → ${res.statusCode}`);
      }
      const found = noSecrets(res.body);
      if (found.length || res.body.includes(reference)) leaks.push(`${path} shows ${found.join(', ') || reference}`);
    }
    expect(leaks).toEqual([]);
    expect(refusedCaseRoutes.length).toBeGreaterThan(10);
  });

  it('the member records a finding and a recommendation; the owner re-opens the case into Early Advice', async () => {
    await member.get(`/scrutiny/packs/${packId}`);
    const bad = await member.post(`/scrutiny/packs/${packId}/findings`, { text: '' });
    expect(bad.statusCode).toBe(400);
    expect(bad.body).toContain('Select at least one theme for the finding');
    expect(await count('scrutiny_findings')).toBe(0);
    expect((await member.post(`/scrutiny/packs/${packId}/findings`, { themes: ['ea_not_sought', 'isva_support'], text: 'No ISVA referral is recorded and EA was not sought for [VICTIM].' })).statusCode).toBe(303);
    const supId = (await db.query<{ id: string }>(`SELECT id FROM users WHERE username = 'sup'`))[0]!.id;
    expect((await member.post(`/scrutiny/packs/${packId}/recommendations`, { kind: 'reopen_ea', text: 'Re-open and seek Early Advice on the suspect’s account.', ownerUserId: supId, 'dueOn-day': '1', 'dueOn-month': '3', 'dueOn-year': '2026' })).statusCode).toBe(303);
    const page = await member.get(`/scrutiny/packs/${packId}`);
    expect(page.body).toContain('Early Advice not sought');
    expect(page.body).toContain('Overdue');
    // the member cannot re-open: that is the police's, through Early Advice
    expect(page.body).not.toContain('data-qa="reopen-link"');
    const recId = (await db.query<{ id: string }>('SELECT id FROM scrutiny_recommendations'))[0]!.id;
    expect((await member.get(`/scrutiny/recommendations/${recId}/reopen`)).statusCode).toBe(403);

    const supPage = await sup.get(`/scrutiny/packs/${packId}`);
    expect(supPage.body).toContain('data-qa="reopen-link"');
    // the owner moves it on; a stale form is refused with both versions shown, nothing overwritten
    expect((await sup.post(`/scrutiny/recommendations/${recId}/status`, { status: 'in_progress', statusNote: 'Reviewing the file', version: '1' })).statusCode).toBe(303);
    const stale = await sup.post(`/scrutiny/recommendations/${recId}/status`, { status: 'not_accepted', statusNote: '', version: '1' });
    expect(stale.statusCode).toBe(409);
    expect((await db.query<{ status: string }>('SELECT status FROM scrutiny_recommendations WHERE id = $1', [recId]))[0]!.status).toBe('in_progress');
    expect((await member.post(`/scrutiny/recommendations/${recId}/status`, { status: 'done', statusNote: '', version: '2' })).statusCode).toBe(403);
    // Refused for who they are, not for what they sent: an empty form from the member is 403 too, not a validation page.
    expect((await member.post(`/scrutiny/recommendations/${recId}/status`, {})).statusCode).toBe(403);
    const form = await sup.get(`/scrutiny/recommendations/${recId}/reopen`);
    expect(form.statusCode).toBe(200);
    const empty = await sup.post(`/scrutiny/recommendations/${recId}/reopen`, { caseSummary: '', questions: '', strategy: '', priority: '' });
    expect(empty.statusCode).toBe(400);
    expect(await count('ea_requests WHERE case_id = $1', [caseId])).toBe(0);
    const res = await sup.post(`/scrutiny/recommendations/${recId}/reopen`, { caseSummary: 'V1 reported rape; NFA outcome 16.', questions: 'Is there a realistic prospect with further enquiries?', strategy: 'Suspect-focused review.', priority: 'standard' });
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe(`/cases/${caseId}/early-advice?done=requested`);
    expect((await services.cases.summary(caseId)).stage).toBe('early_advice');
    expect(await count('ea_requests WHERE case_id = $1', [caseId])).toBe(1);
    expect((await db.query<{ status: string; ea_request_id: string | null }>('SELECT status, ea_request_id FROM scrutiny_recommendations'))[0]).toMatchObject({ status: 'done' });
  });

  it('learning across panels: theme counts as chart, table and CSV; not for panel members', async () => {
    const page = await sup.get('/scrutiny/learning');
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('role="img"');
    expect(page.body).toMatch(/Early Advice not sought<\/th>[\s\S]*?>1</);
    const csv = await sup.get('/scrutiny/learning.csv');
    expect(csv.headers['content-type']).toContain('text/csv');
    expect(csv.body).toContain('panel,quarter,theme,findings');
    expect(csv.body).toContain('2026 Q1,ISVA and support,1');
    expect((await member.get('/scrutiny/learning')).statusCode).toBe(403);
  });

  it('JOIMs: a force and its Area record priorities and actions; overdue actions are flagged; other forces are refused', async () => {
    await sup.get('/joims/new');
    const bad = await sup.post('/joims', { attendees: '' });
    expect(bad.statusCode).toBe(400);
    expect(await count('joim_meetings')).toBe(0);
    const res = await sup.post('/joims', { pairAreaOrForce: 'wessex', 'heldOn-day': '2', 'heldOn-month': '2', 'heldOn-year': '2026', attendees: 'DS Alex Morgan, Chris Evans', priorities: 'Early Advice in every rape case\nISVA referral recorded' });
    expect(res.statusCode).toBe(303);
    const joimId = /\/joims\/([0-9a-f-]{36})/.exec(String(res.headers.location))![1]!;
    const page = await sup.get(`/joims/${joimId}`);
    expect(page.body).toContain('ISVA referral recorded');
    const dcpId = (await db.query<{ id: string }>(`SELECT id FROM users WHERE username = 'dcp'`))[0]!.id;
    expect((await sup.post(`/joims/${joimId}/actions`, { text: 'Audit EA uptake', ownerUserId: dcpId, 'dueOn-day': '1', 'dueOn-month': '3', 'dueOn-year': '2026' })).statusCode).toBe(303);
    const list = await dcp.get('/joims');
    expect(list.body).toContain('data-qa="overdue-actions"');
    expect(list.body).toContain('Audit EA uptake');
    expect((await kentSup.get(`/joims/${joimId}`)).statusCode).toBe(404);
    expect((await member.get('/joims')).statusCode).toBe(403);
  });
});

/** Every registered route as "METHOD /path", from the shared route-table helper. */
const listRoutes = (app: FastifyInstance): string[] => appRoutes(app).map(([m, url]) => `${m} ${url}`);
