import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import type { Db } from '../db/database.ts';
import { FixedClock } from '../platform/clock.ts';
import type { Principal } from '../platform/principal.ts';
import type { Services } from '../services.ts';
import { type Agent, caseIdFrom, createUser, forms, signIn, testApp, testDb } from '../testing/harness.ts';

/**
 * The Early Advice journey through the pages: request → allocation → conversation and advice with two lines of
 * enquiry (one a digital device request with its rationale) → the investigator completes them; a repeat request whose
 * action plan needs a District Crown Prosecutor other than the drafter; conferences on the timeline. Every refusal
 * says why and writes nothing.
 */
describe('Early Advice', () => {
  let db: Db;
  let app: FastifyInstance;
  let services: Services;
  const clock = new FixedClock(new Date('2026-03-02T10:00:00Z')); // Monday 2 March 2026, 10:00 in London (GMT)
  const ids: Record<string, string> = {};
  let caseId: string;
  let eaId: string;
  let reference: string;

  const count = async (sql: string, params: unknown[] = []) => (await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${sql}`, params))[0]!.n;
  /** Everything Early Advice could write, so a refusal can be shown to have changed nothing. */
  const snapshot = async () => (await db.query<{ t: string }>(
    `SELECT concat_ws('|', (SELECT string_agg(concat(id, status, version, allocated_to), ',' ORDER BY id) FROM ea_requests),
       (SELECT count(*) FROM ea_conversations), (SELECT string_agg(concat(id, status, version), ',' ORDER BY id) FROM ea_advice),
       (SELECT string_agg(concat(id, status, version), ',' ORDER BY id) FROM ea_lines_of_enquiry), (SELECT count(*) FROM ea_conferences),
       (SELECT count(*) FROM ea_conference_actions), (SELECT count(*) FROM jobs), (SELECT count(*) FROM notifications),
       (SELECT count(*) FROM case_events), (SELECT count(*) FROM case_team), (SELECT string_agg(concat(stage, referred_at), ',') FROM cases)) AS t`,
  ))[0]!.t;
  const principal = async (username: string): Promise<Principal> => (await services.identity.principal(ids[username]!))!;

  // One signed-in agent per user while the clock stands still (sessions time out when it moves on).
  const agents = new Map<string, Promise<Agent>>();
  const sign = (username: string) => {
    const key = `${username}@${clock.now().toISOString()}`;
    if (!agents.has(key)) agents.set(key, signIn(app, username, clock));
    return agents.get(key)!;
  };

  const adviceForm = (over: Record<string, string | string[]> = {}) => ({
    version: '2',
    'conversationDate-day': '2', 'conversationDate-month': '3', 'conversationDate-year': '2026', conversationTime: '09:30', channel: 'video',
    participants: [ids['hants.inv']!], otherParticipants: 'DS Example, supervisor',
    advice: 'The evidential position on consent turns on the messages after the night out. Obtain them before interview.',
    'loe1-description': 'Obtain CCTV from the taxi rank and the venue for the night in question', 'loe1-category': 'general', 'loe1-owner': ids['hants.inv']!,
    'loe1-due-day': '16', 'loe1-due-month': '3', 'loe1-due-year': '2026',
    'loe2-description': 'Download the suspect’s phone: messages to and about V1 in the week after', 'loe2-category': 'digital_device',
    'loe2-rationale': 'The suspect says V1 agreed by message. Only messages between the suspect and V1 in that week are needed; V1’s own phone is not required.',
    'loe2-owner': ids['hants.inv']!, 'loe2-due-day': '20', 'loe2-due-month': '3', 'loe2-due-year': '2026',
    ...over,
  });

  beforeAll(async () => {
    db = await testDb();
    ({ app, services } = await testApp(db, { clock }));
    ids['hants.inv'] = await createUser(db, { username: 'hants.inv', displayName: 'DC Ellis Hart', organisationId: 'force-hampshire-and-isle-of-wight', roles: ['investigator'] });
    ids['wessex.para'] = await createUser(db, { username: 'wessex.para', displayName: 'Pat Para', organisationId: 'rasso-wessex', roles: ['paralegal'] });
    ids['wessex.pros'] = await createUser(db, { username: 'wessex.pros', displayName: 'Priya Prosecutor', organisationId: 'rasso-wessex', roles: ['prosecutor'] });
    ids['wessex.dcp1'] = await createUser(db, { username: 'wessex.dcp1', displayName: 'Dana DCP', organisationId: 'rasso-wessex', roles: ['district_crown_prosecutor'] });
    ids['wessex.dcp2'] = await createUser(db, { username: 'wessex.dcp2', displayName: 'Devi DCP', organisationId: 'rasso-wessex', roles: ['district_crown_prosecutor'] });
    const inv = await sign('hants.inv');
    caseId = caseIdFrom(await inv.post('/cases', forms.case()));
    await inv.post(`/cases/${caseId}/victims`, forms.victim());
    reference = (await services.cases.summary(caseId)).reference;
  });
  afterAll(async () => {
    await app?.close();
    await db?.close();
  });

  it('links the case page to Early Advice, and refuses an incomplete request without writing anything', async () => {
    const inv = await sign('hants.inv');
    const page = await inv.get(`/cases/${caseId}`);
    expect(page.body).toContain(`href="/cases/${caseId}/early-advice"`);
    const ea = await inv.get(`/cases/${caseId}/early-advice`);
    expect(ea.statusCode).toBe(200);
    expect(ea.body).toContain('data-qa="request-ea"');
    expect(ea.body).toContain('No Early Advice has been requested');

    await inv.get(`/cases/${caseId}/early-advice/request`);
    const before = await snapshot();
    const bad = await inv.post(`/cases/${caseId}/early-advice/request`, { caseSummary: '', questions: 'Is there a realistic prospect?', strategy: '', priority: '' });
    expect(bad.statusCode).toBe(400);
    expect(bad.body).toContain('There is a problem');
    expect(bad.body).toContain('Enter a summary of the case for the prosecutor');
    expect(bad.body).toContain('Enter the suspect-focused investigation strategy so far');
    expect(bad.body).toContain('Select the priority of the request');
    expect(bad.body).toContain('Is there a realistic prospect?'); // what was typed is kept
    expect(await snapshot()).toBe(before);
  });

  it('requests Early Advice: routed to the Area’s RASSO unit, case referred, target in working days with reminders', async () => {
    const inv = await sign('hants.inv');
    await inv.get(`/cases/${caseId}/early-advice/request`);
    const res = await inv.post(`/cases/${caseId}/early-advice/request`, {
      caseSummary: 'V1 reports rape after a night out; suspect S1 known to V1.', questions: 'Is consent the only live issue? Which lines of enquiry are reasonable?',
      strategy: 'S1 interviewed under caution; previous intelligence reports on S1 checked.', priority: 'standard',
    });
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe(`/cases/${caseId}/early-advice?done=requested`);
    const [r] = await db.query<{ id: string; cps_area_id: string; status: string; target_date: string; target_working_days: number; case_reference: string }>('SELECT * FROM ea_requests WHERE case_id = $1', [caseId]);
    eaId = r!.id;
    expect(r).toMatchObject({ cps_area_id: 'wessex', status: 'awaiting_allocation', target_working_days: 20, target_date: '2026-03-30', case_reference: reference });
    const kase = await services.cases.summary(caseId);
    expect(kase.stage).toBe('early_advice');
    expect(kase.referredAt).not.toBeNull();
    expect(await count(`jobs WHERE kind = 'early-advice:target-reminder' AND payload->>'requestId' = $1`, [eaId])).toBe(2);
    // the unit's allocators are told, by case reference only
    const told = await db.query<{ user_id: string; message: string }>(`SELECT user_id, message FROM notifications WHERE kind = 'ea-requested' ORDER BY user_id`);
    expect(told.map((n) => n.user_id).sort()).toEqual([ids['wessex.para'], ids['wessex.dcp1'], ids['wessex.dcp2']].sort());
    expect(told[0]!.message).toContain(reference);

    const page = await inv.get(`/cases/${caseId}/early-advice?done=requested`);
    expect(page.body).toContain('Early Advice requested');
    expect(page.body).toContain('Awaiting allocation');
    expect(page.body).toContain('30 March 2026');
    expect(page.body).not.toContain('data-qa="request-ea"'); // one open request at a time

    const before = await snapshot();
    await inv.get(`/cases/${caseId}/early-advice/request`);
    const again = await inv.post(`/cases/${caseId}/early-advice/request`, { caseSummary: 'x', questions: 'x', strategy: 'x', priority: 'urgent' });
    expect(again.statusCode).toBe(409);
    expect(again.body).toContain('Early Advice request 1 on this case is still open');
    expect(await snapshot()).toBe(before);
  });

  it('shows the request in the unit’s queue, and only a DCP or paralegal allocates it, to one of the unit’s prosecutors', async () => {
    const pros = await sign('wessex.pros');
    const queue = await pros.get('/early-advice');
    expect(queue.statusCode).toBe(200);
    expect(queue.body).toContain(reference);
    expect(queue.body).not.toContain('data-qa="allocate-link"'); // a prosecutor triages but does not allocate
    const before = await snapshot();
    expect((await pros.get(`/early-advice/requests/${eaId}/allocate`)).statusCode).toBe(403);
    expect((await pros.post(`/early-advice/requests/${eaId}/allocate`, { prosecutorId: ids['wessex.pros']!, version: '1' })).statusCode).toBe(403);
    expect(await snapshot()).toBe(before);

    const para = await sign('wessex.para');
    const q = await para.get('/early-advice?status=awaiting_allocation&priority=standard&sort=priority&order=asc');
    expect(q.body).toContain(reference);
    expect(q.body).toMatch(/data-qa="age">0</);
    expect((await para.get('/early-advice?priority=urgent')).body).not.toContain(reference);
    expect((await para.get('/early-advice?allocated=me')).body).toContain('No Early Advice requests match');
    const form = await para.get(`/early-advice/requests/${eaId}/allocate`);
    expect(form.statusCode).toBe(200);
    expect(form.body).toContain('Priya Prosecutor');
    expect(form.body).toContain(`<option value="${ids['wessex.pros']}"`);
    expect(form.body).not.toContain(`<option value="${ids['wessex.para']}"`); // paralegals are not allocatable

    const bad = await para.post(`/early-advice/requests/${eaId}/allocate`, { prosecutorId: '', version: '1' });
    expect(bad.statusCode).toBe(400);
    expect(bad.body).toContain('Select the prosecutor to allocate the request to');
    expect(await snapshot()).toBe(before);

    const ok = await para.post(`/early-advice/requests/${eaId}/allocate`, { prosecutorId: ids['wessex.pros']!, version: '1' });
    expect(ok.statusCode).toBe(303);
    const team = await db.query<{ user_id: string; team_role: string }>('SELECT user_id, team_role FROM case_team WHERE case_id = $1', [caseId]);
    expect(team).toContainEqual({ user_id: ids['wessex.pros'], team_role: 'prosecutor' });
    expect(await count(`notifications WHERE kind = 'ea-allocated' AND user_id = $1`, [ids['wessex.pros']])).toBe(1);

    // a stale allocation form (version 1) is a conflict, not a silent overwrite
    await para.get(`/early-advice/requests/${eaId}/allocate`);
    const stale = await para.post(`/early-advice/requests/${eaId}/allocate`, { prosecutorId: ids['wessex.dcp1']!, version: '1' });
    expect(stale.statusCode).toBe(409);
    expect(stale.body).toContain('Someone else changed this record');
  });

  it('refuses advice without a recorded conversation, with a clear message and nothing written', async () => {
    const pros = await sign('wessex.pros');
    const page = await pros.get(`/cases/${caseId}/early-advice`);
    expect(page.body).toContain('data-qa="give-advice"');
    const form = await pros.get(`/cases/${caseId}/early-advice/${eaId}/advice`);
    expect(form.statusCode).toBe(200);
    expect(form.body).toContain('DC Ellis Hart');

    const before = await snapshot();
    const res = await pros.post(`/cases/${caseId}/early-advice/${eaId}/advice`, adviceForm({
      'conversationDate-day': '', 'conversationDate-month': '', 'conversationDate-year': '', conversationTime: '', channel: '', participants: [],
    }));
    expect(res.statusCode).toBe(400);
    expect(res.body).toContain('There is a problem');
    expect(res.body).toContain('Enter the date of the conversation');
    expect(res.body).toContain('Enter the time of the conversation');
    expect(res.body).toContain('Select how the conversation was held');
    expect(res.body).toContain('Select the investigator you held the conversation with');
    expect(res.body).toContain('Obtain CCTV from the taxi rank'); // what was typed is kept
    expect(await snapshot()).toBe(before);

    // The service itself refuses, whatever the caller
    await expect(services.earlyAdvice.giveAdvice(await principal('wessex.pros'), caseId, eaId, { conversation: null, advice: 'Advice', linesOfEnquiry: [], version: 2 }))
      .rejects.toThrow('Advice can only be given together with a record of the conversation');
    await expect(services.earlyAdvice.giveAdvice(await principal('wessex.pros'), caseId, eaId, {
      conversation: { heldAt: new Date('2026-03-02T09:00:00Z'), channel: 'phone', participantUserIds: [], otherParticipants: [] }, advice: 'Advice', linesOfEnquiry: [], version: 2,
    })).rejects.toThrow('The conversation must include a police officer on the case team');
    expect(await snapshot()).toBe(before);
    expect(await services.earlyAdvice.hasEarlyAdvice(caseId)).toBe(false);
  });

  it('refuses a digital device request without a necessity-and-proportionality rationale, and nothing is written', async () => {
    const pros = await sign('wessex.pros');
    await pros.get(`/cases/${caseId}/early-advice/${eaId}/advice`);
    const before = await snapshot();
    const res = await pros.post(`/cases/${caseId}/early-advice/${eaId}/advice`, adviceForm({ 'loe2-rationale': '' }));
    expect(res.statusCode).toBe(400);
    expect(res.body).toContain('Explain why line of enquiry 2 (digital device request) is necessary and proportionate');
    expect(res.body).toContain('href="#loe2-rationale"');
    expect(await snapshot()).toBe(before);

    await expect(services.earlyAdvice.giveAdvice(await principal('wessex.pros'), caseId, eaId, {
      conversation: { heldAt: new Date('2026-03-02T09:00:00Z'), channel: 'phone', participantUserIds: [ids['hants.inv']!], otherParticipants: [] }, advice: 'Advice', version: 2,
      linesOfEnquiry: [{ description: 'Third-party counselling records', category: 'third_party_material', rationale: '  ', ownerUserId: ids['hants.inv']!, dueDate: '2026-03-20' }],
    })).rejects.toThrow('record why it is necessary and proportionate');
    expect(await snapshot()).toBe(before);
  });

  it('gives advice with the conversation and two lines of enquiry; the first action plan is issued at once', async () => {
    const pros = await sign('wessex.pros');
    await pros.get(`/cases/${caseId}/early-advice/${eaId}/advice`);
    const res = await pros.post(`/cases/${caseId}/early-advice/${eaId}/advice`, adviceForm());
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe(`/cases/${caseId}/early-advice?done=advice-given`);
    expect(await services.earlyAdvice.hasEarlyAdvice(caseId)).toBe(true);
    const [conv] = await db.query<{ held_at: Date; channel: string; participants: { userId: string }[]; other_participants: string[] }>('SELECT * FROM ea_conversations WHERE request_id = $1', [eaId]);
    expect(conv!.held_at.toISOString()).toBe('2026-03-02T09:30:00.000Z');
    expect(conv!.channel).toBe('video');
    expect(conv!.participants.map((p) => p.userId)).toEqual([ids['wessex.pros'], ids['hants.inv']]);
    expect(conv!.other_participants).toEqual(['DS Example, supervisor']);
    const loes = await db.query<{ number: number; category: string; rationale: string; status: string; due_date: string }>('SELECT number, category, rationale, status, due_date FROM ea_lines_of_enquiry WHERE case_id = $1 ORDER BY number', [caseId]);
    expect(loes.map((l) => [l.number, l.category, l.status, l.due_date])).toEqual([[1, 'general', 'open', '2026-03-16'], [2, 'digital_device', 'open', '2026-03-20']]);
    expect(await count(`jobs WHERE kind = 'early-advice:loe-reminder'`)).toBe(4);
    // the database will not hold a digital device request without its rationale either
    await expect(db.query(`UPDATE ea_lines_of_enquiry SET rationale = ' ' WHERE case_id = $1 AND category = 'digital_device'`, [caseId])).rejects.toThrow();
    expect((await services.cases.summary(caseId)).stage).toBe('early_advice_given');
    expect((await db.query<{ status: string }>('SELECT status FROM ea_requests WHERE id = $1', [eaId]))[0]!.status).toBe('advice_given');
    expect(await count(`audit_log WHERE action = 'ea:advise' AND outcome = 'allowed' AND case_id = $1`, [caseId])).toBe(1);

    const inv = await sign('hants.inv');
    const page = await inv.get(`/cases/${caseId}/early-advice`);
    expect(page.body).toContain('Advice given');
    expect(page.body).toContain('The evidential position on consent');
    expect(page.body).toContain('Obtain CCTV from the taxi rank');
    expect(page.body).toContain('Only messages between the suspect and V1 in that week are needed');
    expect(page.body).toContain('data-qa="update-loe-1"');
    expect(page.body).not.toContain('app-overdue');
    const timeline = await inv.get(`/cases/${caseId}`);
    expect(timeline.body).toContain('Early Advice conversation (by video)');
    expect(timeline.body).toContain('Early Advice given (action plan 1 with 2 lines of enquiry)');
    const mine = await inv.get('/lines-of-enquiry');
    expect(mine.body).toContain('Obtain CCTV from the taxi rank');
    expect(mine.body).toContain(reference);
    expect(await count(`notifications WHERE kind = 'ea-given' AND user_id = $1`, [ids['hants.inv']])).toBe(1);
  });

  it('highlights overdue lines of enquiry, and the investigator completes them (with optimistic concurrency)', async () => {
    clock.set(new Date('2026-03-17T10:00:00Z')); // LOE 1 was due yesterday
    const inv = await sign('hants.inv');
    const page = await inv.get(`/cases/${caseId}/early-advice`);
    expect(page.body).toMatch(/<tr class="govuk-table__row" data-qa="loe-1">[\s\S]*?class="app-overdue"[^>]*>Overdue<[\s\S]*?<\/tr>/);
    expect(page.body).not.toMatch(/data-qa="loe-2">[\s\S]*?Overdue[\s\S]*?<\/tr>/);
    const pros = await sign('wessex.pros');
    expect((await pros.get(`/cases/${caseId}/early-advice`)).body).toContain('class="app-overdue"'); // the prosecutor’s tracker too

    const [loe1, loe2] = await db.query<{ id: string; version: number }>('SELECT id, version FROM ea_lines_of_enquiry WHERE case_id = $1 ORDER BY number', [caseId]);
    const form = await inv.get(`/cases/${caseId}/lines-of-enquiry/${loe1!.id}`);
    expect(form.statusCode).toBe(200);
    expect(form.body).toContain('Overdue');
    const before = await snapshot();
    const bad = await inv.post(`/cases/${caseId}/lines-of-enquiry/${loe1!.id}`, { status: 'not_pursued', note: '', version: '1' });
    expect(bad.statusCode).toBe(400);
    expect(bad.body).toContain('Explain why this line of enquiry is not being pursued');
    expect(await snapshot()).toBe(before);

    expect((await inv.post(`/cases/${caseId}/lines-of-enquiry/${loe1!.id}`, { status: 'done', note: 'CCTV seized and viewed: shows V1 and S1 leaving separately.', version: '1' })).statusCode).toBe(303);
    // a second tab with the old version cannot overwrite it
    const stale = await inv.post(`/cases/${caseId}/lines-of-enquiry/${loe1!.id}`, { status: 'in_progress', note: 'old', version: '1' });
    expect(stale.statusCode).toBe(409);
    expect(stale.body).toContain('Someone else changed this record');
    await inv.get(`/cases/${caseId}/lines-of-enquiry/${loe2!.id}`);
    expect((await inv.post(`/cases/${caseId}/lines-of-enquiry/${loe2!.id}`, { status: 'in_progress', note: 'Phone submitted for download.', version: '1' })).statusCode).toBe(303);
    await inv.get(`/cases/${caseId}/lines-of-enquiry/${loe2!.id}`);
    expect((await inv.post(`/cases/${caseId}/lines-of-enquiry/${loe2!.id}`, { status: 'done', note: 'Messages extracted and reviewed.', version: '2' })).statusCode).toBe(303);

    const statuses = await db.query<{ status: string; completed_at: Date | null }>('SELECT status, completed_at FROM ea_lines_of_enquiry WHERE case_id = $1 ORDER BY number', [caseId]);
    expect(statuses.map((s) => s.status)).toEqual(['done', 'done']);
    expect(statuses.every((s) => s.completed_at)).toBe(true);
    const after = await inv.get(`/cases/${caseId}/early-advice`);
    expect(after.body).not.toContain('app-overdue');
    expect((await inv.get('/lines-of-enquiry')).body).toContain('You have no outstanding lines of enquiry');
    expect(await services.earlyAdvice.caseStatus(caseId)).toMatchObject({ requests: 1, openRequest: null, linesOfEnquiry: { issued: 2, outstanding: 0 } });
  });

  it('allows repeat Early Advice, but a second action plan is issued only after another DCP approves it', async () => {
    const inv = await sign('hants.inv');
    await inv.get(`/cases/${caseId}/early-advice/request`);
    expect((await inv.post(`/cases/${caseId}/early-advice/request`, { caseSummary: 'Phone download complete.', questions: 'Is a further statement from W1 needed?', strategy: 'Messages reviewed.', priority: 'high' })).statusCode).toBe(303);
    const [r2] = await db.query<{ id: string; target_date: string }>('SELECT id, target_date FROM ea_requests WHERE case_id = $1 AND sequence = 2', [caseId]);
    expect(r2!.target_date).toBe('2026-03-31'); // 10 working days from Tuesday 17 March
    expect((await services.cases.summary(caseId)).stage).toBe('early_advice');

    // a DCP allocates the request to themselves and drafts the advice
    const dcp1 = await sign('wessex.dcp1');
    await dcp1.get(`/early-advice/requests/${r2!.id}/allocate`);
    expect((await dcp1.post(`/early-advice/requests/${r2!.id}/allocate`, { prosecutorId: ids['wessex.dcp1']!, version: '1' })).statusCode).toBe(303);
    const form = await dcp1.get(`/cases/${caseId}/early-advice/${r2!.id}/advice`);
    expect(form.body).toContain('this becomes action plan 2');
    const res = await dcp1.post(`/cases/${caseId}/early-advice/${r2!.id}/advice`, adviceForm({
      'conversationDate-day': '17', conversationTime: '09:00', channel: 'phone', advice: 'Take a further statement from W1 about the messages.',
      'loe1-description': 'Further statement from W1 about what V1 said the next morning', 'loe1-due-day': '27',
      'loe2-description': '', 'loe2-category': '', 'loe2-rationale': '', 'loe2-owner': '', 'loe2-due-day': '', 'loe2-due-month': '', 'loe2-due-year': '',
    }));
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe(`/cases/${caseId}/early-advice?done=advice-drafted`);
    const [plan] = await db.query<{ id: string; status: string; plan_number: number; version: number }>(`SELECT id, status, plan_number, version FROM ea_advice WHERE request_id = $1`, [r2!.id]);
    expect(plan).toMatchObject({ status: 'awaiting_review', plan_number: 2 });
    const [pending] = await db.query<{ id: string; number: number }>('SELECT id, number FROM ea_lines_of_enquiry WHERE advice_id = $1', [plan!.id]);
    expect(pending!.number).toBe(3);
    expect(await count(`jobs WHERE kind = 'early-advice:loe-reminder' AND payload->>'loeId' = $1`, [pending!.id])).toBe(0);
    expect((await services.cases.summary(caseId)).stage).toBe('early_advice'); // not yet "given"
    expect(await count(`notifications WHERE kind = 'action-plan-review' AND user_id = $1`, [ids['wessex.dcp2']])).toBe(1);

    // until approved, the lines of enquiry are not issued to the police
    const policeView = await inv.get(`/cases/${caseId}/early-advice`);
    expect(policeView.body).not.toContain('Further statement from W1');
    expect(policeView.body).not.toContain('Take a further statement');
    expect(policeView.body).toContain('data-qa="awaiting-review"');
    expect((await inv.get(`/cases/${caseId}/lines-of-enquiry/${pending!.id}`)).statusCode).toBe(404);
    expect((await inv.get('/lines-of-enquiry')).body).not.toContain('Further statement from W1');

    const before = await snapshot();
    // a prosecutor who is not a DCP cannot approve it
    const pros = await sign('wessex.pros');
    await pros.get(`/cases/${caseId}/early-advice`);
    expect((await pros.post(`/cases/${caseId}/early-advice/action-plans/${plan!.id}/approve`, { reviewNote: '', version: String(plan!.version) })).statusCode).toBe(403);
    // nor can the DCP who drafted it
    const own = await dcp1.get(`/cases/${caseId}/early-advice`);
    expect(own.body).toContain('You drafted this action plan');
    expect(own.body).not.toContain('data-qa="approve-plan"');
    const self = await dcp1.post(`/cases/${caseId}/early-advice/action-plans/${plan!.id}/approve`, { reviewNote: 'Looks right to me', version: String(plan!.version) });
    expect(self.statusCode).toBe(403);
    expect(self.body).toContain('You drafted this action plan, so another District Crown Prosecutor must review it');
    await expect(services.earlyAdvice.approveActionPlan(await principal('wessex.dcp1'), caseId, plan!.id, { reviewNote: '', version: plan!.version })).rejects.toThrow('You drafted this action plan');
    expect(await snapshot()).toBe(before);
    expect(await count(`audit_log WHERE action = 'ea:approve-action-plan' AND outcome = 'denied' AND actor_user_id = $1`, [ids['wessex.dcp1']])).toBe(2);
    // the database holds the two-person rule too
    await expect(db.query(`UPDATE ea_advice SET status = 'issued', issued_at = now(), reviewed_by = drafted_by WHERE id = $1`, [plan!.id])).rejects.toThrow();
    await expect(db.query(`UPDATE ea_advice SET status = 'issued', issued_at = now() WHERE id = $1`, [plan!.id])).rejects.toThrow();

    // another DCP approves: the plan is issued to the police
    const dcp2 = await sign('wessex.dcp2');
    const review = await dcp2.get(`/cases/${caseId}/early-advice`);
    expect(review.body).toContain('data-qa="approve-plan"');
    const ok = await dcp2.post(`/cases/${caseId}/early-advice/action-plans/${plan!.id}/approve`, { reviewNote: 'Proportionate; agreed.', version: String(plan!.version) });
    expect(ok.statusCode).toBe(303);
    const [issued] = await db.query<{ status: string; reviewed_by: string }>('SELECT status, reviewed_by FROM ea_advice WHERE id = $1', [plan!.id]);
    expect(issued).toEqual({ status: 'issued', reviewed_by: ids['wessex.dcp2'] });
    expect(await count(`jobs WHERE kind = 'early-advice:loe-reminder' AND payload->>'loeId' = $1`, [pending!.id])).toBe(2);
    expect((await services.cases.summary(caseId)).stage).toBe('early_advice_given');
    const nowVisible = await inv.get(`/cases/${caseId}/early-advice`);
    expect(nowVisible.body).toContain('Further statement from W1');
    expect(nowVisible.body).toContain('approved by Devi DCP');
    expect((await inv.get(`/cases/${caseId}/lines-of-enquiry/${pending!.id}`)).statusCode).toBe(200);
  });

  it('records early case planning and forensic strategy conferences (external forensic scientists named) on the timeline', async () => {
    const inv = await sign('hants.inv');
    const form = await inv.get(`/cases/${caseId}/conferences/new`);
    expect(form.statusCode).toBe(200);
    const base = {
      kind: 'forensic_strategy', 'heldDate-day': '17', 'heldDate-month': '3', 'heldDate-year': '2026', heldTime: '08:30', channel: 'in_person',
      participants: [ids['hants.inv']!, ids['wessex.pros']!], externalAttendees: '', agreedStrategy: 'Prioritise the swabs for DNA; toxicology on the blood sample.',
      'action1-description': 'Submit intimate swabs for DNA analysis', 'action1-responsible': 'Dr Jane Example (forensic scientist)',
      'action1-due-day': '31', 'action1-due-month': '3', 'action1-due-year': '2026',
    };
    const before = await snapshot();
    const noScientist = await inv.post(`/cases/${caseId}/conferences`, base);
    expect(noScientist.statusCode).toBe(400);
    expect(noScientist.body).toContain('Enter the forensic scientists who attended the forensic strategy conference');
    const policeOnly = await inv.post(`/cases/${caseId}/conferences`, { ...base, kind: 'early_case_planning', participants: [ids['hants.inv']!] });
    expect(policeOnly.statusCode).toBe(400);
    expect(policeOnly.body).toContain('a conference needs both police and CPS');
    const badAction = await inv.post(`/cases/${caseId}/conferences`, { ...base, externalAttendees: 'Dr Jane Example, forensic scientist', 'action1-responsible': '' });
    expect(badAction.statusCode).toBe(400);
    expect(badAction.body).toContain('Enter who is responsible for action 1');
    expect(await snapshot()).toBe(before);

    expect((await inv.post(`/cases/${caseId}/conferences`, { ...base, externalAttendees: 'Dr Jane Example, forensic scientist, Regional Forensic Unit\nMr Sam Sample, toxicologist' })).statusCode).toBe(303);
    const pros = await sign('wessex.pros');
    await pros.get(`/cases/${caseId}/conferences/new`);
    expect((await pros.post(`/cases/${caseId}/conferences`, {
      kind: 'early_case_planning', 'heldDate-day': '16', 'heldDate-month': '3', 'heldDate-year': '2026', heldTime: '14:00', channel: 'video',
      participants: [ids['hants.inv']!, ids['wessex.pros']!], agreedStrategy: 'Focus on S1’s conduct before and after; check previous reports.',
    })).statusCode).toBe(303);

    const page = await inv.get(`/cases/${caseId}/early-advice`);
    expect(page.body).toContain('Forensic strategy conference');
    expect(page.body).toContain('Dr Jane Example, forensic scientist, Regional Forensic Unit');
    expect(page.body).toContain('Submit intimate swabs for DNA analysis');
    expect(page.body).toContain('Early case planning conference');
    const timeline = await inv.get(`/cases/${caseId}`);
    expect(timeline.body).toContain('Forensic strategy conference held (in person; 1 action agreed)');
    expect(timeline.body).toContain('Early case planning conference held (by video; no actions)');
  });

  it('never puts the victim’s identity in a notification', async () => {
    const all = await db.query<{ message: string; link: string | null }>('SELECT message, link FROM notifications');
    expect(all.length).toBeGreaterThan(5);
    for (const n of all) {
      for (const secret of ['Amelia', 'Quintrell', '07700 900123', 'victim@example.invalid']) expect(`${n.message} ${n.link}`).not.toContain(secret);
    }
  });
});
