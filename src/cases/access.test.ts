import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import type { Db } from '../db/database.ts';
import { type Agent, caseIdFrom, createUser, forms, signIn, testApp, testDb } from '../testing/harness.ts';

/**
 * Need-to-know across every case route: another force's investigator, a CPS unit before referral and of the wrong
 * Area, and roles without case access are all refused, nothing changes, and each refusal is audited.
 */
describe('case access policy on every case route', () => {
  let db: Db;
  let app: FastifyInstance;
  let owner: Agent;
  let caseId: string;
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    db = await testDb();
    ({ app } = await testApp(db));
    await createUser(db, { username: 'hants', organisationId: 'force-hampshire-and-isle-of-wight', roles: ['police_supervisor'] });
    ids.kent = await createUser(db, { username: 'kent', organisationId: 'force-kent', roles: ['investigator', 'police_supervisor'] });
    await createUser(db, { username: 'wessex.pros', organisationId: 'rasso-wessex', roles: ['prosecutor'] });
    await createUser(db, { username: 'se.pros', organisationId: 'rasso-south-east', roles: ['prosecutor', 'district_crown_prosecutor'] });
    await createUser(db, { username: 'analyst', organisationId: 'national', roles: ['analyst'] });
    await createUser(db, { username: 'admin', organisationId: 'national', roles: ['admin'] });
    owner = await signIn(app, 'hants');
    caseId = caseIdFrom(await owner.post('/cases', forms.case()));
    await owner.post(`/cases/${caseId}/victims`, forms.victim());
    await owner.post(`/cases/${caseId}/suspects`, forms.suspect());
    await owner.post(`/cases/${caseId}/witnesses`, { givenName: 'Wendy', familyName: 'Witnessby', relationship: 'friend of V1' });
    const [v] = await db.query<{ id: string }>('SELECT id FROM victims WHERE case_id = $1', [caseId]);
    const [s] = await db.query<{ id: string }>('SELECT id FROM suspects WHERE case_id = $1', [caseId]);
    const [w] = await db.query<{ id: string }>('SELECT id FROM witnesses WHERE case_id = $1', [caseId]);
    Object.assign(ids, { victim: v!.id, suspect: s!.id, witness: w!.id });
  });
  afterAll(async () => {
    await app?.close();
    await db?.close();
  });

  const routes = () => [
    ['GET', `/cases/${caseId}`],
    ['GET', `/cases/${caseId}/edit`],
    ['POST', `/cases/${caseId}/edit`, { ...forms.case({ summary: 'hijacked' }), version: '1' }],
    ['GET', `/cases/${caseId}/victims/new`],
    ['POST', `/cases/${caseId}/victims`, forms.victim({ givenName: 'Intruder' })],
    ['GET', `/cases/${caseId}/victims/${ids.victim}/edit`],
    ['POST', `/cases/${caseId}/victims/${ids.victim}/edit`, { ...forms.victim({ givenName: 'Intruder' }), version: '1' }],
    ['GET', `/cases/${caseId}/suspects/new`],
    ['POST', `/cases/${caseId}/suspects`, forms.suspect({ givenName: 'Intruder' })],
    ['GET', `/cases/${caseId}/suspects/${ids.suspect}/edit`],
    ['POST', `/cases/${caseId}/suspects/${ids.suspect}/edit`, { ...forms.suspect({ givenName: 'Intruder' }), version: '1' }],
    ['GET', `/cases/${caseId}/witnesses/new`],
    ['POST', `/cases/${caseId}/witnesses`, { givenName: 'Intruder', familyName: 'X' }],
    ['GET', `/cases/${caseId}/witnesses/${ids.witness}/edit`],
    ['POST', `/cases/${caseId}/witnesses/${ids.witness}/edit`, { givenName: 'Intruder', familyName: 'X', version: '1' }],
    ['GET', `/cases/${caseId}/team`],
    ['POST', `/cases/${caseId}/team`, { userId: ids.kent, teamRole: 'investigator' }],
    ['POST', `/cases/${caseId}/team/${ids.kent}/remove`],
    ['POST', `/cases/${caseId}/timeline`, { 'occurredDate-day': '1', 'occurredDate-month': '3', 'occurredDate-year': '2025', summary: 'Intruder note' }],
  ] as [string, string, Record<string, string | string[]>?][];

  async function snapshot() {
    const rows = await db.query<{ t: string }>(
      `SELECT concat_ws('|', (SELECT string_agg(concat(version, summary), ',') FROM cases),
         (SELECT string_agg(concat(id, version), ',' ORDER BY id) FROM victims), (SELECT string_agg(concat(id, version, given_name), ',' ORDER BY id) FROM suspects),
         (SELECT string_agg(concat(id, version), ',' ORDER BY id) FROM witnesses), (SELECT count(*) FROM case_team), (SELECT count(*) FROM case_events)) AS t`,
    );
    return rows[0]!.t;
  }

  async function expectRefusedEverywhere(agent: Agent, status: number | ((method: string) => number)) {
    const before = await snapshot();
    for (const [method, url, form] of routes()) {
      await agent.get('/cases'); // a fresh CSRF token, as a real browser would have
      const res = method === 'GET' ? await agent.get(url) : await agent.post(url, form ?? {});
      const expected = typeof status === 'number' ? status : status(method);
      expect(res.statusCode, `${method} ${url}`).toBe(expected);
      if (expected === 404) expect(res.body).toContain('Page not found');
      expect(res.body, `${method} ${url} leaks the victim`).not.toContain('Quintrell');
      expect(res.body).not.toContain('Hallworth');
    }
    expect(await snapshot()).toBe(before);
  }

  it('refuses another force’s investigator on every route with 404, changes nothing, and audits each refusal', async () => {
    const kent = await signIn(app, 'kent');
    const deniedBefore = (await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM audit_log WHERE outcome = 'denied' AND case_id = $1`, [caseId]))[0]!.n;
    await expectRefusedEverywhere(kent, 404);
    const deniedAfter = (await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM audit_log WHERE outcome = 'denied' AND case_id = $1`, [caseId]))[0]!.n;
    expect(deniedAfter - deniedBefore).toBe(routes().length);
    const list = await kent.get(`/cases?q=${encodeURIComponent('HIW')}`);
    expect(list.body).not.toContain(`/cases/${caseId}`);
  });

  it('hides the case from roles with no relationship to it (analyst, admin) and from CPS before referral', async () => {
    for (const user of ['analyst', 'admin', 'wessex.pros']) {
      const agent = await signIn(app, user);
      const res = await agent.get(`/cases/${caseId}`);
      expect(res.statusCode, user).toBe(404);
    }
  });

  it('lets the mapped CPS Area read once referred, but not edit police records; other Areas still see nothing', async () => {
    await db.query('UPDATE cases SET referred_at = now() WHERE id = $1', [caseId]);
    const wessex = await signIn(app, 'wessex.pros');
    const page = await wessex.get(`/cases/${caseId}`);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('Quintrell');
    const list = await wessex.get('/cases');
    expect(list.body).toContain(`/cases/${caseId}`);
    // reads are allowed, every change to the police record is forbidden (403: the prosecutor knows the case exists)
    const writes = routes().filter(([m, url]) => m === 'POST' && !url.endsWith('/timeline') && !url.includes('/team'));
    const before = await snapshot();
    for (const [, url, form] of writes) {
      await wessex.get(`/cases/${caseId}`);
      const res = await wessex.post(url, form ?? {});
      expect(res.statusCode, url).toBe(403);
    }
    expect(await snapshot()).toBe(before);

    const southEast = await signIn(app, 'se.pros');
    await expectRefusedEverywhere(southEast, 404);
  });

  it('refuses a signed-out visitor on every case route (sign-in redirect for pages, CSRF for posts)', async () => {
    for (const [method, url] of routes()) {
      const res = await app.inject({ method: method as 'GET' | 'POST', url, headers: { accept: 'text/html' } });
      expect([302, 303, 403], `${method} ${url}`).toContain(res.statusCode);
      expect(res.body).not.toContain('Quintrell');
    }
  });
});
