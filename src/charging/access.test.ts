import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import type { Db } from '../db/database.ts';
import { FixedClock } from '../platform/clock.ts';
import { type Agent, caseIdFrom, createUser, forms, signIn, testApp, testDb } from '../testing/harness.ts';

/**
 * Need-to-know on every charging route: another force's investigator and another CPS Area's prosecutor get 404
 * on all of them, nothing changes, and each refusal is audited.
 */
describe('charging access policy on every charging route', () => {
  let db: Db;
  let app: FastifyInstance;
  const clock = new FixedClock(new Date('2026-02-02T10:00:00Z'));
  let caseId: string;
  let unreferredId: string;
  let vrrId: string;
  let owner: Agent;
  let pros: Agent;

  beforeAll(async () => {
    db = await testDb();
    ({ app } = await testApp(db, { clock }));
    await createUser(db, { username: 'hants', organisationId: 'force-hampshire-and-isle-of-wight', roles: ['investigator', 'police_supervisor'] });
    await createUser(db, { username: 'wessex.pros', organisationId: 'rasso-wessex', roles: ['prosecutor'] });
    await createUser(db, { username: 'kent', organisationId: 'force-kent', roles: ['investigator', 'police_supervisor'] });
    await createUser(db, { username: 'se.pros', organisationId: 'rasso-south-east', roles: ['prosecutor', 'district_crown_prosecutor'] });
    owner = await signIn(app, 'hants', clock);
    await owner.get('/cases/new');
    caseId = caseIdFrom(await owner.post('/cases', forms.case()));
    await owner.get('/cases/new');
    unreferredId = caseIdFrom(await owner.post('/cases', forms.case()));
    await owner.get(`/cases/${caseId}/charging/file`);
    expect((await owner.post(`/cases/${caseId}/charging/file`, { provided: ['mg3', 'mg5'], summary: 'File for a charging decision.' })).statusCode).toBe(303);
    pros = await signIn(app, 'wessex.pros', clock);
    await pros.get(`/cases/${caseId}/charging/meeting`);
    expect((await pros.post(`/cases/${caseId}/charging/meeting`, { 'heldOn-day': '2', 'heldOn-month': '2', 'heldOn-year': '2026', format: 'video', attendees: 'Prosecutor\nOfficer in case' })).statusCode).toBe(303);
    const form = await pros.get(`/cases/${caseId}/charging/decision/nfa_public_interest`);
    const version = /name="version" value="(\d+)"/.exec(form.body)![1]!;
    expect((await pros.post(`/cases/${caseId}/charging/decision/nfa_public_interest`, { version, publicInterestReasons: 'Not in the public interest.' })).statusCode).toBe(303);
    const [w] = await db.query<{ id: string }>('SELECT id FROM vrr_windows WHERE case_id = $1', [caseId]);
    await pros.get(`/cases/${caseId}/charging/vrr`);
    expect((await pros.post(`/cases/${caseId}/charging/vrr`, { windowId: w!.id, 'requestedOn-day': '2', 'requestedOn-month': '2', 'requestedOn-year': '2026' })).statusCode).toBe(303);
    vrrId = (await db.query<{ id: string }>('SELECT id FROM vrr_requests WHERE case_id = $1', [caseId]))[0]!.id;
  });
  afterAll(async () => {
    await app?.close();
    await db?.close();
  });

  const routes = (id = caseId) => {
    const d = (name: string) => ({ [`${name}-day`]: '2', [`${name}-month`]: '2', [`${name}-year`]: '2026' });
    return [
      ['GET', `/cases/${id}/charging`],
      ['GET', `/cases/${id}/charging/file`],
      ['POST', `/cases/${id}/charging/file`, { provided: ['mg3'], summary: 'Intruder file' }],
      ['GET', `/cases/${id}/charging/file/edit`],
      ['POST', `/cases/${id}/charging/file/edit`, { provided: ['mg3'], summary: 'Intruder file', version: '1' }],
      ['GET', `/cases/${id}/charging/meeting`],
      ['POST', `/cases/${id}/charging/meeting`, { ...d('heldOn'), format: 'in_person', attendees: 'A\nB' }],
      ['GET', `/cases/${id}/charging/decision`],
      ['POST', `/cases/${id}/charging/decision`, { decision: 'charge_full_code' }],
      ['GET', `/cases/${id}/charging/decision/charge_full_code`],
      ['POST', `/cases/${id}/charging/decision/charge_full_code`, { version: '1', evidentialReasons: 'x', publicInterestReasons: 'y', offences: 'SOA2003-s1' }],
      ['GET', `/cases/${id}/charging/police-outcome`],
      ['POST', `/cases/${id}/charging/police-outcome`, { outcomeTypeCode: '16', reasons: 'x', suspectInterviewed: 'yes', eaNotSoughtReason: 'x' }],
      ['GET', `/cases/${id}/charging/vrr`],
      ['POST', `/cases/${id}/charging/vrr`, { windowId: '00000000-0000-0000-0000-000000000000', ...d('requestedOn') }],
      ['GET', `/cases/${id}/charging/vrr/${vrrId}`],
      ['POST', `/cases/${id}/charging/vrr/${vrrId}/acknowledge`, { ...d('acknowledgedOn'), version: '1' }],
      ['POST', `/cases/${id}/charging/vrr/${vrrId}/result`, { result: 'overturned', ...d('resultOn'), notes: 'x', version: '1' }],
      ['GET', `/cases/${id}/charging/court`],
      ['POST', `/cases/${id}/charging/court`, { step: 'sent_for_trial', ...d('occurredOn'), notes: 'x' }],
    ] as [string, string, Record<string, string | string[]>?][];
  };

  async function snapshot() {
    const rows = await db.query<{ t: string }>(
      `SELECT concat_ws('|', (SELECT string_agg(concat(id, stage, version), ',' ORDER BY id) FROM cases),
         (SELECT string_agg(concat(id, status, version), ',' ORDER BY id) FROM charging_submissions), (SELECT count(*) FROM charging_meetings),
         (SELECT count(*) FROM charging_decisions), (SELECT count(*) FROM police_outcomes), (SELECT count(*) FROM court_progress),
         (SELECT string_agg(concat(id, status, version), ',' ORDER BY id) FROM vrr_requests), (SELECT count(*) FROM case_events), (SELECT count(*) FROM jobs)) AS t`,
    );
    return rows[0]!.t;
  }

  it('shows every page to the case team with the right actions', async () => {
    const page = await owner.get(`/cases/${caseId}/charging`);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('data-qa="vrr-request"');
    expect(page.body).toContain('data-qa="decision-nfa_public_interest"');
    expect(page.body).not.toContain('data-qa="decide-link"');
    for (const url of [`/cases/${caseId}/charging`, `/cases/${caseId}/charging/vrr/${vrrId}`, `/cases/${caseId}/charging/decision`, `/cases/${caseId}/charging/court`]) {
      expect((await pros.get(url)).statusCode, url).toBe(200);
    }
  });

  for (const [who, username] of [['another force’s investigator', 'kent'], ['another Area’s prosecutor', 'se.pros']] as const) {
    it(`refuses ${who} on every route with 404, changes nothing, and audits each refusal`, async () => {
      const agent = await signIn(app, username, clock);
      const before = await snapshot();
      const denied = async () => (await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM audit_log WHERE outcome = 'denied' AND case_id = $1`, [caseId]))[0]!.n;
      const deniedBefore = await denied();
      for (const [method, url, form] of routes()) {
        await agent.get('/cases');
        const res = method === 'GET' ? await agent.get(url) : await agent.post(url, form ?? {});
        expect(res.statusCode, `${method} ${url}`).toBe(404);
        expect(res.body).toContain('Page not found');
        expect(res.body).not.toContain('Quintrell');
      }
      expect(await snapshot()).toBe(before);
      expect((await denied()) - deniedBefore).toBe(routes().length);
    });
  }

  it('hides a case the police have not referred from the mapped CPS Area', async () => {
    const before = await snapshot();
    for (const [method, url, form] of routes(unreferredId)) {
      await pros.get('/cases');
      const res = method === 'GET' ? await pros.get(url) : await pros.post(url, form ?? {});
      expect(res.statusCode, `${method} ${url}`).toBe(404);
    }
    expect(await snapshot()).toBe(before);
  });

  it('refuses a signed-out visitor on every charging route', async () => {
    for (const [method, url] of routes()) {
      const res = await app.inject({ method: method as 'GET' | 'POST', url, headers: { accept: 'text/html' } });
      expect([302, 303, 403], `${method} ${url}`).toContain(res.statusCode);
    }
  });
});
