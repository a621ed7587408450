import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import type { Db } from '../db/database.ts';
import { FixedClock } from '../platform/clock.ts';
import { JobWorker } from '../platform/jobs.ts';
import type { Principal } from '../platform/principal.ts';
import type { Services } from '../services.ts';
import { type Agent, createUser, forms, signIn, testApp, testDb } from '../testing/harness.ts';
import { safeWindow } from './service.ts';
import { count, date, idOf, openCase } from './test-support.ts';

/**
 * Victims' Code clocks with an injected clock: 1 working day (enhanced rights) or 5, reckoned on London dates with
 * England and Wales bank holidays; met by a recorded contact; an overdue duty alerts its owner exactly once and shows
 * on the supervisor dashboard with compliance rates.
 */
describe('Victims’ Code clocks', () => {
  let db: Db;
  let app: FastifyInstance;
  let services: Services;
  const clock = new FixedClock(new Date('2026-12-14T09:00:00Z'));
  let caseId: string;
  let v1: string; // enhanced rights
  let v2: string; // standard
  let police: Principal;
  const users: Record<string, string> = {};

  const event = async (kind: Parameters<Services['victims']['recordDutyEvent']>[1]['kind'], occurredAt: string, victimIds?: string[]) =>
    db.transaction((tx) => services.victims.recordDutyEvent(tx, { caseId, kind, occurredAt: new Date(occurredAt), actorUserId: users.oic!, victimIds }));
  const duty = async (id: string) => (await db.query<{ due_date: string; due_at: Date; owner_side: string; working_days: number; met_at: Date | null; alerted_user_id: string | null }>('SELECT * FROM victim_duties WHERE id = $1', [id]))[0]!;

  beforeAll(async () => {
    db = await testDb();
    ({ app, services } = await testApp(db, { clock }));
    users.oic = await createUser(db, { username: 'oic', displayName: 'DC Olive Case', organisationId: 'force-hampshire-and-isle-of-wight', roles: ['investigator'] });
    users.sup = await createUser(db, { username: 'sup', organisationId: 'force-hampshire-and-isle-of-wight', roles: ['police_supervisor'] });
    users.dcp = await createUser(db, { username: 'dcp', displayName: 'Dee Crown', organisationId: 'rasso-wessex', roles: ['district_crown_prosecutor'] });
    users.lead = await createUser(db, { username: 'lead', organisationId: 'national', roles: ['national_lead'] });
    police = (await services.identity.principal(users.oic))!;
    const agent = await signIn(app, 'oic', clock);
    caseId = await openCase(agent, { suspect: true });
    await agent.post(`/cases/${caseId}/victims`, forms.victim({ givenName: 'Second', familyName: 'Person', enhancedRights: 'no', contactMethod: 'email', mayLeaveMessage: 'yes', safeTimes: '' }));
    v1 = await idOf(db, `SELECT id FROM victims WHERE case_id = $1 AND label = 'V1'`, [caseId]);
    v2 = await idOf(db, `SELECT id FROM victims WHERE case_id = $1 AND label = 'V2'`, [caseId]);
    await db.transaction((tx) => services.cases.recordProgress(tx, caseId, { referred: true }));
  });
  afterAll(async () => {
    await app?.close();
    await db?.close();
  });

  it('starts a duty per victim: 1 working day with enhanced rights, 5 without, skipping weekends and bank holidays', async () => {
    // Friday 18 December 2026, afternoon: enhanced → end of Monday 21st; standard → Friday 25th and Monday 28th are
    // bank holidays, so 21, 22, 23, 24, 29 → Tuesday 29th
    const friday = await event('arrest', '2026-12-18T15:00:00Z');
    expect(friday.dutyIds).toHaveLength(2);
    const [d1, d2] = await Promise.all(friday.dutyIds.map(duty));
    const byDays = Object.fromEntries([d1!, d2!].map((d) => [d.working_days, d]));
    expect(byDays[1]).toMatchObject({ due_date: '2026-12-21', owner_side: 'police' });
    expect(new Date(byDays[1]!.due_at).toISOString()).toBe('2026-12-21T23:59:59.999Z');
    expect(byDays[5]).toMatchObject({ due_date: '2026-12-29' });

    // Christmas Eve: next working day is Tuesday 29th (25th, the weekend and the Boxing Day substitute are not)
    const eve = await event('interview_under_caution', '2026-12-24T11:00:00Z', [v1]);
    expect((await duty(eve.dutyIds[0]!)).due_date).toBe('2026-12-29');
    // Standard from Wednesday 23rd: 24, 29, 30, 31, then New Year's Day → Monday 4 January 2027
    const wed = await event('released_on_bail', '2026-12-23T10:00:00Z', [v2]);
    expect((await duty(wed.dutyIds[0]!)).due_date).toBe('2027-01-04');
    // Maundy Thursday 2027: Good Friday and Easter Monday → Tuesday 30 March
    const easter = await event('released_under_investigation', '2027-03-25T16:00:00Z', [v1]);
    expect((await duty(easter.dutyIds[0]!)).due_date).toBe('2027-03-30');
    // 23:30 UTC on Friday 28 August 2026 is 00:30 on Saturday in London (BST); the summer bank holiday is Monday
    // 31st, so the next working day is Tuesday 1 September, ending at 23:59:59.999 BST = 22:59:59.999 UTC
    const bst = await event('released_without_charge', '2026-08-28T23:30:00Z', [v1]);
    const b = await duty(bst.dutyIds[0]!);
    expect(b.due_date).toBe('2026-09-01');
    expect(new Date(b.due_at).toISOString()).toBe('2026-09-01T22:59:59.999Z');
    for (const id of [...eve.dutyIds, ...wed.dutyIds, ...easter.dutyIds, ...bst.dutyIds]) await db.query('DELETE FROM victim_duties WHERE id = $1', [id]);
  });

  it('recordDutyEvent joins the caller’s transaction, and records the same event once', async () => {
    const before = await count(db, 'SELECT count(*)::int AS n FROM victim_duties');
    const jobsBefore = await count(db, 'SELECT count(*)::int AS n FROM jobs');
    await expect(db.transaction(async (tx) => {
      await services.victims.recordDutyEvent(tx, { caseId, kind: 'nfa_cps', occurredAt: new Date('2026-12-15T12:00:00Z'), actorUserId: users.dcp! });
      throw new Error('the charging decision failed');
    })).rejects.toThrow('the charging decision failed');
    expect(await count(db, 'SELECT count(*)::int AS n FROM victim_duties')).toBe(before);
    expect(await count(db, 'SELECT count(*)::int AS n FROM jobs')).toBe(jobsBefore);
    const first = await event('trial_date_set', '2026-12-15T12:00:00Z');
    const again = await event('trial_date_set', '2026-12-15T12:00:00Z');
    expect(again).toMatchObject({ created: false, eventId: first.eventId, dutyIds: first.dutyIds });
    await db.query('DELETE FROM victim_code_events WHERE id = $1', [first.eventId]);
  });

  it('maps charging events to duties: a charge (police tell), a CPS NFA (CPS tell), a not-guilty plea', async () => {
    const at = new Date('2026-12-16T12:00:00Z');
    await db.transaction(async (tx) => {
      await services.victims.onChargingEvent(tx, { kind: 'decision', caseId, at, actorUserId: users.dcp!, detail: { decision: 'charge_full_code' } });
      await services.victims.onChargingEvent(tx, { kind: 'decision', caseId, at: new Date('2026-12-16T13:00:00Z'), actorUserId: users.dcp!, detail: { decision: 'nfa_evidential' } });
      await services.victims.onChargingEvent(tx, { kind: 'court_progress', caseId, at, actorUserId: users.dcp!, detail: { step: 'trial_listed', occurredOn: '2026-12-16' } });
      await services.victims.onChargingEvent(tx, { kind: 'file_submitted', caseId, at, actorUserId: users.oic!, detail: {} });
    });
    const rows = await db.query<{ kind: string; owner_side: string }>(`SELECT DISTINCT kind, owner_side FROM victim_duties WHERE kind IN ('charging_decision','nfa_cps','plea_entered') ORDER BY kind`);
    expect(rows).toEqual([{ kind: 'charging_decision', owner_side: 'police' }, { kind: 'nfa_cps', owner_side: 'cps' }, { kind: 'plea_entered', owner_side: 'police' }]);
    expect(await count(db, `SELECT count(*)::int AS n FROM pre_trial_meetings WHERE status = 'offer_due'`)).toBe(2);
    await db.query(`DELETE FROM victim_code_events WHERE kind IN ('charging_decision','plea_entered')`);
    await db.query('DELETE FROM pre_trial_meetings');
    await db.query('DELETE FROM trial_pleas');
  });

  it('alerts the owner once when a duty goes overdue, shows it on the dashboard, and counts a late contact as late', async () => {
    await db.query('DELETE FROM notifications');
    const worker = new JobWorker(db, clock, services.jobHandlers);
    const arrestV1 = await idOf(db, `SELECT d.id FROM victim_duties d WHERE d.kind = 'arrest' AND d.victim_id = $1`, [v1]);
    const nfaV1 = await idOf(db, `SELECT d.id FROM victim_duties d WHERE d.kind = 'nfa_cps' AND d.victim_id = $1`, [v1]);

    // Monday 21st, 20:00: the enhanced arrest duty is due today, not yet overdue; nothing is sent
    clock.set(new Date('2026-12-21T20:00:00Z'));
    await worker.runDue();
    expect(await count(db, `SELECT count(*)::int AS n FROM notifications WHERE kind = 'victim-duty-overdue' AND dedupe_key LIKE $1`, [`%${arrestV1}`])).toBe(0);

    // Tuesday 22nd: overdue. The officer in case is alerted; the CPS NFA duty (due 17th) goes to the DCP
    clock.set(new Date('2026-12-22T08:00:00Z'));
    await worker.runDue();
    await db.query(`UPDATE jobs SET done_at = NULL, locked_until = NULL WHERE kind = 'victims.duty-overdue'`); // as if "done" was lost
    await worker.runDue();
    const alerts = await db.query<{ user_id: string; message: string; link: string; dedupe_key: string }>(`SELECT user_id, message, link, dedupe_key FROM notifications WHERE kind = 'victim-duty-overdue'`);
    const forArrest = alerts.filter((a) => a.dedupe_key.endsWith(arrestV1));
    expect(forArrest).toHaveLength(1);
    expect(forArrest[0]!.user_id).toBe(users.oic);
    expect(forArrest[0]!.message).toContain('Suspect arrested');
    expect(forArrest[0]!.message).toContain('victim V1');
    expect(forArrest[0]!.link).toBe(`/cases/${caseId}/victim-care#victim-${v1}`);
    expect(alerts.filter((a) => a.dedupe_key.endsWith(nfaV1)).map((a) => a.user_id)).toEqual([users.dcp]);
    for (const a of alerts) expect(a.message).not.toMatch(/Quintrell|Amelia|Hallworth/);
    expect((await duty(arrestV1)).alerted_user_id).toBe(users.oic);

    // the police supervisor's dashboard: the force's overdue duties and compliance
    const sup = await signIn(app, 'sup', clock);
    const dash = await sup.get('/victim-care/dashboard');
    expect(dash.statusCode).toBe(200);
    expect(dash.body).toContain('data-qa="overdue-row"');
    expect(dash.body).toContain('Suspect arrested');
    expect(dash.body).toMatch(/data-qa="compliance-rate">0%/);
    expect(dash.body).not.toMatch(/Quintrell|Hallworth/);
    const data = await services.victims.dashboard((await services.identity.principal(users.sup!))!, { owner: 'police', sort: 'due', order: 'asc', page: 1 });
    expect(data.overdue.rows.map((r) => r.kind)).toEqual(['arrest']);
    expect(data.total).toMatchObject({ onTime: 0, late: 0 });

    // a contact on Tuesday meets the duty, late; V2's standard arrest duty (due 29th) is met on time
    const oic = await signIn(app, 'oic', clock);
    await oic.get(`/cases/${caseId}/victim-care/victims/${v1}/contacts/new`);
    const late = await oic.post(`/cases/${caseId}/victim-care/victims/${v1}/contacts`, { ...date('2026-12-22', 'contactedOn'), channel: 'in_person', purpose: 'code_update', dutyIds: arrestV1 });
    expect(late.statusCode).toBe(303);
    const arrestV2 = await idOf(db, `SELECT d.id FROM victim_duties d WHERE d.kind = 'arrest' AND d.victim_id = $1`, [v2]);
    await oic.get(`/cases/${caseId}/victim-care/victims/${v2}/contacts/new`);
    expect((await oic.post(`/cases/${caseId}/victim-care/victims/${v2}/contacts`, { ...date('2026-12-22', 'contactedOn'), channel: 'email', purpose: 'code_update', dutyIds: arrestV2 })).statusCode).toBe(303);
    await worker.runDue();
    expect(await count(db, `SELECT count(*)::int AS n FROM notifications WHERE dedupe_key LIKE $1`, [`%${arrestV2}`])).toBe(0);

    const after = await services.victims.dashboard((await services.identity.principal(users.sup!))!, { owner: 'all', sort: 'due', order: 'asc', page: 1 });
    const police = after.byOwner.find((r) => r.name === 'Police')!;
    expect(police).toMatchObject({ onTime: 1, late: 1, overdue: 0 });
    expect(police.rate).toBeCloseTo(0.5);
    const page = await (await signIn(app, 'oic', clock)).get(`/cases/${caseId}/victim-care`);
    expect(page.body).toContain('Told late');
    expect(page.body).toContain('Told on time');

    // the DCP sees the Area's (referred) cases: the CPS NFA duty is still overdue
    const dcp = await signIn(app, 'dcp', clock);
    const cpsDash = await dcp.get('/victim-care/dashboard?owner=cps');
    expect(cpsDash.body).toContain('No further action (CPS decision)');
    // the national lead sees rates by Area and no case list
    const lead = await signIn(app, 'lead', clock);
    const national = await lead.get('/victim-care/dashboard');
    expect(national.statusCode).toBe(200);
    expect(national.body).toContain('data-qa="by-area"');
    expect(national.body).not.toContain('data-qa="overdue-list"');
    expect(national.body).not.toContain('HIW-');
    // an investigator has no dashboard
    expect((await oic.get('/victim-care/dashboard')).statusCode).toBe(403);
  });

  it('refuses to meet a duty twice or before its event, and warns before a contact against the victim’s preferences', async () => {
    const oic: Agent = await signIn(app, 'oic', clock);
    const arrestV1 = await idOf(db, `SELECT d.id FROM victim_duties d WHERE d.kind = 'arrest' AND d.victim_id = $1`, [v1]);
    const nfaV1 = await idOf(db, `SELECT d.id FROM victim_duties d WHERE d.kind = 'nfa_cps' AND d.victim_id = $1`, [v1]);
    const contacts = () => count(db, 'SELECT count(*)::int AS n FROM victim_contacts');
    const before = await contacts();
    const url = `/cases/${caseId}/victim-care/victims/${v1}/contacts`;
    await oic.get(`${url}/new`);
    const twice = await oic.post(url, { ...date('2026-12-21', 'contactedOn'), channel: 'phone', contactedTime: '19:00', purpose: 'code_update', dutyIds: arrestV1 });
    expect(twice.statusCode).toBe(400);
    expect(twice.body).toContain('already been told');
    expect(twice.body).toContain('DC Olive Case');
    const early = await oic.post(url, { ...date('2026-12-14', 'contactedOn'), channel: 'phone', contactedTime: '19:00', purpose: 'decision', dutyIds: nfaV1 });
    expect(early.statusCode).toBe(400);
    expect(early.body).toContain('before');
    // V1 prefers phone, no messages, after 6pm: an email, and a voicemail at 2pm, are each warned about
    const email = await oic.post(url, { ...date('2026-12-22', 'contactedOn'), channel: 'email', purpose: 'support' });
    expect(email.statusCode).toBe(400);
    expect(email.body).toContain('The victim asked to be contacted by phone');
    const voicemail = await oic.post(url, { ...date('2026-12-21', 'contactedOn'), contactedTime: '14:00', channel: 'phone', voicemailLeft: 'yes', purpose: 'support' });
    expect(voicemail.body).toContain('no messages to be left');
    expect(voicemail.body).toContain('safe times are “after 6pm”');
    const noReason = await oic.post(url, { ...date('2026-12-21', 'contactedOn'), contactedTime: '14:00', channel: 'phone', voicemailLeft: 'yes', purpose: 'support', acknowledgePreference: 'yes' });
    expect(noReason.statusCode).toBe(400);
    expect(noReason.body).toContain('Enter why the victim was contacted this way');
    expect(await contacts()).toBe(before);
    const ok = await oic.post(url, { ...date('2026-12-21', 'contactedOn'), contactedTime: '14:00', channel: 'phone', voicemailLeft: 'yes', purpose: 'support', acknowledgePreference: 'yes', overrideReason: 'Urgent safeguarding call' });
    expect(ok.statusCode).toBe(303);
    const [c] = await db.query<{ preference_warnings: string[]; override_reason: string }>('SELECT preference_warnings, override_reason FROM victim_contacts WHERE override_reason <> $$$$');
    expect(c!.preference_warnings.sort()).toEqual(['safe_times', 'voicemail']);
    expect(c!.override_reason).toBe('Urgent safeguarding call');
    void police;
  });

  it('reads common safe-time notes', () => {
    expect(safeWindow('after 6pm')).toEqual({ from: 18 * 60, to: 24 * 60 - 1 });
    expect(safeWindow('weekdays 9am to 5pm')).toEqual({ from: 9 * 60, to: 17 * 60 });
    expect(safeWindow('before 10:30am')).toEqual({ from: 0, to: 10 * 60 + 30 });
    expect(safeWindow('after 6')).toEqual({ from: 18 * 60, to: 24 * 60 - 1 });
    expect(safeWindow('any time')).toBeNull();
  });

  it('records an event from the form, refusing an incomplete one with nothing written', async () => {
    const oic = await signIn(app, 'oic', clock);
    const events = () => count(db, 'SELECT count(*)::int AS n FROM victim_code_events');
    const before = await events();
    await oic.get(`/cases/${caseId}/victim-care/events/new`);
    const bad = await oic.post(`/cases/${caseId}/victim-care/events`, { kind: 'trial_date_set', ...date('2026-12-22', 'occurredOn') });
    expect(bad.statusCode).toBe(400);
    expect(bad.body).toContain('Enter the trial date');
    const future = await oic.post(`/cases/${caseId}/victim-care/events`, { kind: 'arrest', ...date('2027-01-22', 'occurredOn') });
    expect(future.statusCode).toBe(400);
    expect(await events()).toBe(before);
    const ok = await oic.post(`/cases/${caseId}/victim-care/events`, { kind: 'trial_date_set', ...date('2026-12-22', 'occurredOn'), ...date('2027-03-08', 'subjectDate') });
    expect(ok.statusCode).toBe(303);
    const page = await oic.get(`/cases/${caseId}/victim-care`);
    expect(page.body).toContain('Trial date set (8 March 2027)');
  });
});
