import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import type { Db } from '../db/database.ts';
import { FixedClock } from '../platform/clock.ts';
import type { Principal } from '../platform/principal.ts';
import type { Services } from '../services.ts';
import { type Agent, caseIdFrom, createUser, forms, signIn, testApp, testDb } from '../testing/harness.ts';

/**
 * Need-to-know on every Early Advice route: another force's investigator and another Area's prosecutor get 404 on
 * every case-specific route (the case's existence is withheld), nothing changes, and each refusal is audited.
 */
describe('Early Advice access policy', () => {
  let db: Db;
  let app: FastifyInstance;
  let services: Services;
  const clock = new FixedClock(new Date('2026-03-02T10:00:00Z'));
  const ids: Record<string, string> = {};
  let caseId: string;
  let unreferredCaseId: string;
  let reference: string;

  const principal = async (username: string): Promise<Principal> => (await services.identity.principal(ids[username]!))!;

  beforeAll(async () => {
    db = await testDb();
    ({ app, services } = await testApp(db, { clock }));
    ids.inv = await createUser(db, { username: 'hants.inv', organisationId: 'force-hampshire-and-isle-of-wight', roles: ['investigator'] });
    ids.pros = await createUser(db, { username: 'wessex.pros', organisationId: 'rasso-wessex', roles: ['prosecutor'] });
    ids.dcp1 = await createUser(db, { username: 'wessex.dcp1', organisationId: 'rasso-wessex', roles: ['district_crown_prosecutor'] });
    ids.kent = await createUser(db, { username: 'kent.inv', organisationId: 'force-kent', roles: ['investigator', 'police_supervisor'] });
    ids.se = await createUser(db, { username: 'se.dcp', organisationId: 'rasso-south-east', roles: ['prosecutor', 'district_crown_prosecutor', 'paralegal'] });
    ids.vlo = await createUser(db, { username: 'wessex.vlo', organisationId: 'rasso-wessex', roles: ['vlo'] });

    const owner = await signIn(app, 'hants.inv', clock);
    caseId = caseIdFrom(await owner.post('/cases', forms.case()));
    await owner.post(`/cases/${caseId}/victims`, forms.victim());
    unreferredCaseId = caseIdFrom(await owner.post('/cases', forms.case({ summary: 'A second case, not referred.' })));
    reference = (await services.cases.summary(caseId)).reference;

    // request → allocate → advice (plan 1); repeat request → allocate → advice (plan 2, awaiting review); a conference
    const ea = services.earlyAdvice;
    const inv = await principal('inv');
    const loe = (owner: string, due: string) => ({ description: 'Obtain CCTV', category: 'general' as const, rationale: '', ownerUserId: owner, dueDate: due });
    const conversation = { heldAt: new Date('2026-03-02T09:00:00Z'), channel: 'phone' as const, participantUserIds: [ids.inv!], otherParticipants: [] };
    const r1 = await ea.request(inv, caseId, { caseSummary: 'Summary', questions: 'Questions', strategy: 'Strategy', priority: 'standard' });
    await ea.allocate(await principal('dcp1'), r1.id, { prosecutorId: ids.pros!, version: 1 });
    await ea.giveAdvice(await principal('pros'), caseId, r1.id, { conversation, advice: 'Advice 1', linesOfEnquiry: [loe(ids.inv!, '2026-03-20')], version: 2 });
    const r2 = await ea.request(inv, caseId, { caseSummary: 'Summary 2', questions: 'Questions 2', strategy: 'Strategy 2', priority: 'urgent' });
    await ea.allocate(await principal('dcp1'), r2.id, { prosecutorId: ids.pros!, version: 1 });
    const plan2 = await ea.giveAdvice(await principal('pros'), caseId, r2.id, { conversation, advice: 'Advice 2', linesOfEnquiry: [loe(ids.pros!, '2026-03-25')], version: 2 });
    expect(plan2.status).toBe('awaiting_review');
    await ea.recordConference(inv, caseId, {
      kind: 'early_case_planning', heldAt: new Date('2026-03-02T08:00:00Z'), channel: 'video', participantUserIds: [ids.inv!, ids.pros!], externalAttendees: [], agreedStrategy: 'Strategy', actions: [],
    });
    const [l1] = await db.query<{ id: string }>('SELECT id FROM ea_lines_of_enquiry WHERE case_id = $1 AND number = 1', [caseId]);
    Object.assign(ids, { r1: r1.id, r2: r2.id, plan2: plan2.adviceId, loe1: l1!.id });
  });
  afterAll(async () => {
    await app?.close();
    await db?.close();
  });

  const routes = () => [
    ['GET', `/cases/${caseId}/early-advice`],
    ['GET', `/cases/${caseId}/early-advice/request`],
    ['POST', `/cases/${caseId}/early-advice/request`, { caseSummary: 'Intruder', questions: 'x', strategy: 'x', priority: 'urgent' }],
    ['GET', `/cases/${caseId}/early-advice/${ids.r2}/advice`],
    ['POST', `/cases/${caseId}/early-advice/${ids.r2}/advice`, { version: '2', 'conversationDate-day': '2', 'conversationDate-month': '3', 'conversationDate-year': '2026', conversationTime: '09:00', channel: 'phone', participants: ids.inv!, advice: 'Intruder' }],
    ['POST', `/cases/${caseId}/early-advice/action-plans/${ids.plan2}/approve`, { reviewNote: 'Intruder', version: '1' }],
    ['GET', `/cases/${caseId}/lines-of-enquiry/${ids.loe1}`],
    ['POST', `/cases/${caseId}/lines-of-enquiry/${ids.loe1}`, { status: 'done', note: 'Intruder', version: '1' }],
    ['GET', `/cases/${caseId}/conferences/new`],
    ['POST', `/cases/${caseId}/conferences`, { kind: 'early_case_planning', 'heldDate-day': '2', 'heldDate-month': '3', 'heldDate-year': '2026', heldTime: '09:00', channel: 'phone', participants: ids.inv!, agreedStrategy: 'Intruder' }],
    ['GET', `/early-advice/requests/${ids.r1}/allocate`],
    ['POST', `/early-advice/requests/${ids.r1}/allocate`, { prosecutorId: ids.se!, version: '2' }],
  ] as [string, string, Record<string, string>?][];

  async function snapshot() {
    return (await db.query<{ t: string }>(
      `SELECT concat_ws('|', (SELECT string_agg(concat(id, status, version, allocated_to), ',' ORDER BY id) FROM ea_requests),
         (SELECT count(*) FROM ea_conversations), (SELECT string_agg(concat(id, status, version), ',' ORDER BY id) FROM ea_advice),
         (SELECT string_agg(concat(id, status, version, status_note), ',' ORDER BY id) FROM ea_lines_of_enquiry), (SELECT count(*) FROM ea_conferences),
         (SELECT count(*) FROM jobs), (SELECT count(*) FROM notifications), (SELECT count(*) FROM case_events), (SELECT count(*) FROM case_team),
         (SELECT string_agg(concat(stage, referred_at, version), ',' ORDER BY id) FROM cases)) AS t`,
    ))[0]!.t;
  }

  async function expectRefusedEverywhere(agent: Agent, status: number) {
    const before = await snapshot();
    for (const [method, url, form] of routes()) {
      await agent.get('/cases'); // a fresh CSRF token, as a browser would have
      const res = method === 'GET' ? await agent.get(url) : await agent.post(url, form ?? {});
      expect(res.statusCode, `${method} ${url}`).toBe(status);
      if (status === 404) expect(res.body, `${method} ${url}`).toContain('Page not found');
      expect(res.body, `${method} ${url} leaks the case`).not.toContain(reference);
      expect(res.body).not.toContain('Quintrell');
    }
    expect(await snapshot()).toBe(before);
  }

  const denials = async () => (await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM audit_log WHERE outcome = 'denied' AND case_id = $1`, [caseId]))[0]!.n;

  it('refuses another force’s investigator on every Early Advice route with 404, changes nothing, audits each refusal', async () => {
    const kent = await signIn(app, 'kent.inv', clock);
    const before = await denials();
    await expectRefusedEverywhere(kent, 404);
    expect(await denials() - before).toBe(routes().length);
    // the queue is the RASSO unit's, and their own tracker shows nothing of the case
    expect((await kent.get('/early-advice')).statusCode).toBe(403);
    const mine = await kent.get('/lines-of-enquiry');
    expect(mine.statusCode).toBe(200);
    expect(mine.body).not.toContain(reference);
  });

  it('refuses another CPS Area’s prosecutor (even a DCP and paralegal) on every route with 404; their queue does not show the case', async () => {
    const se = await signIn(app, 'se.dcp', clock);
    const before = await denials();
    await expectRefusedEverywhere(se, 404);
    expect(await denials() - before).toBe(routes().length);
    const queue = await se.get('/early-advice?status=all');
    expect(queue.statusCode).toBe(200);
    expect(queue.body).not.toContain(reference);
    expect(queue.body).toContain('No Early Advice requests match');
  });

  it('hides a case the police have not referred from the Area’s own unit', async () => {
    const pros = await signIn(app, 'wessex.pros', clock);
    expect((await pros.get(`/cases/${unreferredCaseId}/early-advice`)).statusCode).toBe(404);
    expect((await pros.get(`/cases/${caseId}/early-advice`)).statusCode).toBe(200);
  });

  it('lets each role do only its part: police cannot advise or approve, a VLO reads but cannot advise, a prosecutor cannot approve', async () => {
    const before = await snapshot();
    const inv = await signIn(app, 'hants.inv', clock);
    await inv.get(`/cases/${caseId}/early-advice`);
    expect((await inv.get(`/cases/${caseId}/early-advice/${ids.r2}/advice`)).statusCode).toBe(403);
    expect((await inv.post(`/cases/${caseId}/early-advice/action-plans/${ids.plan2}/approve`, { reviewNote: '', version: '1' })).statusCode).toBe(403);
    expect((await inv.get(`/early-advice/requests/${ids.r1}/allocate`)).statusCode).toBe(404);
    const vlo = await signIn(app, 'wessex.vlo', clock);
    expect((await vlo.get(`/cases/${caseId}/early-advice`)).statusCode).toBe(200);
    expect((await vlo.get(`/cases/${caseId}/conferences/new`)).statusCode).toBe(403);
    expect((await vlo.post(`/cases/${caseId}/lines-of-enquiry/${ids.loe1}`, { status: 'done', note: 'x', version: '1' })).statusCode).toBe(403);
    const pros = await signIn(app, 'wessex.pros', clock);
    await pros.get(`/cases/${caseId}/early-advice`);
    expect((await pros.post(`/cases/${caseId}/early-advice/action-plans/${ids.plan2}/approve`, { reviewNote: '', version: '1' })).statusCode).toBe(403);
    expect(await snapshot()).toBe(before);
  });

  it('refuses a signed-out visitor on every route (sign-in redirect for pages, CSRF refusal for posts)', async () => {
    for (const [method, url] of [...routes(), ['GET', '/early-advice'], ['GET', '/lines-of-enquiry']] as [string, string][]) {
      const res = await app.inject({ method: method as 'GET' | 'POST', url, headers: { accept: 'text/html' } });
      expect([302, 303, 403], `${method} ${url}`).toContain(res.statusCode);
      expect(res.body).not.toContain(reference);
    }
  });
});
