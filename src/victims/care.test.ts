import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import type { Db } from '../db/database.ts';
import { FixedClock } from '../platform/clock.ts';
import { JobWorker } from '../platform/jobs.ts';
import type { Services } from '../services.ts';
import { type Agent, createUser, signIn, testApp, testDb } from '../testing/harness.ts';
import { charge, count, date, idOf, openCase } from './test-support.ts';

/**
 * The CPS side of victim care: a Victim Liaison Officer per victim of a charged case, the prosecutor's not-guilty
 * plea making the pre-trial meeting offer due on the VLO's worklist, the meeting recorded, special measures, and
 * letters sent through the outbox.
 */
describe('VLO worklist, pre-trial meetings, special measures and letters', () => {
  let db: Db;
  let app: FastifyInstance;
  let services: Services;
  const clock = new FixedClock(new Date('2026-11-02T09:00:00Z'));
  let caseId: string;
  let victimId: string;
  let witnessId: string;
  const users: Record<string, string> = {};
  let pros: Agent;
  let vlo: Agent;

  beforeAll(async () => {
    db = await testDb();
    ({ app, services } = await testApp(db, { clock }));
    users.police = await createUser(db, { username: 'oic', organisationId: 'force-hampshire-and-isle-of-wight', roles: ['investigator'] });
    users.pros = await createUser(db, { username: 'pros', displayName: 'Priya Prosecutor', organisationId: 'rasso-wessex', roles: ['prosecutor'] });
    users.vlo = await createUser(db, { username: 'vlo', displayName: 'Val Liaison', organisationId: 'rasso-wessex', roles: ['vlo'] });
    users.vlo2 = await createUser(db, { username: 'vlo2', displayName: 'Vic Other', organisationId: 'rasso-wessex', roles: ['vlo'] });
    users.sevlo = await createUser(db, { username: 'se.vlo', displayName: 'Sam Southeast', organisationId: 'rasso-south-east', roles: ['vlo'] });
    users.para = await createUser(db, { username: 'para', organisationId: 'rasso-wessex', roles: ['paralegal'] });
    const police = await signIn(app, 'oic', clock);
    caseId = await openCase(police, { witness: true, victim: { vulnerabilities: [] } });
    victimId = await idOf(db, 'SELECT id FROM victims WHERE case_id = $1', [caseId]);
    witnessId = await idOf(db, 'SELECT id FROM witnesses WHERE case_id = $1', [caseId]);
    await db.transaction((tx) => services.cases.recordProgress(tx, caseId, { referred: true, stage: 'charging_decision' }));
    pros = await signIn(app, 'pros', clock);
    vlo = await signIn(app, 'vlo', clock);
  });
  afterAll(async () => {
    await app?.close();
    await db?.close();
  });

  it('assigns VLOs and takes pleas only once the case is charged', async () => {
    expect((await pros.get(`/cases/${caseId}/victim-care/plea/new`)).statusCode).toBe(409);
    expect((await vlo.get(`/cases/${caseId}/victim-care/victims/${victimId}/vlo`)).statusCode).toBe(409);
    expect((await vlo.get('/victim-care/worklist?show=unassigned')).body).not.toContain(`/cases/${caseId}/`);
    await db.transaction((tx) => services.cases.recordProgress(tx, caseId, { stage: 'charged' }));
    const care = await pros.get(`/cases/${caseId}/victim-care`);
    expect(care.body).toContain('data-qa="record-plea"');
    expect(care.body).not.toContain('data-qa="assign-vlo-V1"'); // prosecutors do not assign VLOs
  });

  it('prosecutor records a not-guilty plea → offer due on the worklist → VLO takes the victim → meeting recorded', async () => {
    // the prosecutor records the plea on Friday 6 November 2026; the offer is due 5 working days on: Friday 13th
    clock.set(new Date('2026-11-06T10:00:00Z'));
    pros = await signIn(app, 'pros', clock);
    await pros.get(`/cases/${caseId}/victim-care/plea/new`);
    const bad = await pros.post(`/cases/${caseId}/victim-care/plea`, { ...date('2026-11-06', 'enteredOn') });
    expect(bad.statusCode).toBe(400);
    expect(bad.body).toContain('Select the plea');
    expect(await count(db, 'SELECT count(*)::int AS n FROM trial_pleas')).toBe(0);
    const res = await pros.post(`/cases/${caseId}/victim-care/plea`, { plea: 'not_guilty', ...date('2026-11-06', 'enteredOn') });
    expect(res.statusCode).toBe(303);
    const [m] = await db.query<{ id: string; status: string; offer_due_date: string }>('SELECT id, status, offer_due_date FROM pre_trial_meetings');
    expect(m).toMatchObject({ status: 'offer_due', offer_due_date: '2026-11-13' });
    const timeline = await pros.get(`/cases/${caseId}`);
    expect(timeline.body).toContain('Plea recorded: not guilty');

    // the VLO's worklist: the victim of a charged case without a VLO, due a meeting offer
    vlo = await signIn(app, 'vlo', clock);
    expect((await vlo.get('/victim-care/worklist')).body).toContain('data-qa="empty-worklist"');
    const unassigned = await vlo.get('/victim-care/worklist?show=unassigned');
    expect(unassigned.body).toContain('Offer a pre-trial meeting');
    expect(unassigned.body).toContain('13 November 2026');
    const assign = await vlo.post(`/cases/${caseId}/victim-care/victims/${victimId}/vlo`, { vloUserId: users.vlo!, returnTo: 'worklist' });
    expect(assign.statusCode).toBe(303);
    expect(assign.headers.location).toBe('/victim-care/worklist?done=vlo');
    const mine = await vlo.get('/victim-care/worklist');
    expect(mine.body).toContain('data-qa="worklist-row"');
    expect(mine.body).toContain(`href="/cases/${caseId}/victim-care/meetings/${m!.id}" data-qa="due-next-link">Offer a pre-trial meeting`);

    // the meeting: a held meeting needs an accepted offer, attendees, topics and an outcome; nothing is written until valid
    const form = await vlo.get(`/cases/${caseId}/victim-care/meetings/${m!.id}`);
    expect(form.statusCode).toBe(200);
    const version = /name="version" value="(\d+)"/.exec(form.body)![1]!;
    const held = { version, ...date('2026-11-09', 'offeredOn'), offerChannel: 'phone', response: 'accepted', ...date('2026-11-10', 'respondedOn'), ...date('2026-11-20', 'heldOn') };
    clock.set(new Date('2026-11-23T10:00:00Z'));
    vlo = await signIn(app, 'vlo', clock);
    await vlo.get(`/cases/${caseId}/victim-care/meetings/${m!.id}`);
    const invalid = await vlo.post(`/cases/${caseId}/victim-care/meetings/${m!.id}`, { ...held, response: 'declined' });
    expect(invalid.statusCode).toBe(400);
    expect(invalid.body).toContain('only be recorded as held if the victim accepted');
    expect(invalid.body).toContain('Enter who attended the meeting');
    expect((await db.query<{ status: string }>('SELECT status FROM pre_trial_meetings'))[0]!.status).toBe('offer_due');
    const saved = await vlo.post(`/cases/${caseId}/victim-care/meetings/${m!.id}`, {
      ...held, attendees: 'Priya Prosecutor (prosecutor)\nVal Liaison (VLO)\nThe victim’s ISVA', topics: ['special_measures', 'giving_evidence', 'concerns'],
      outcome: 'V1 wants to give evidence by s.28 pre-recorded cross-examination.', actions: 'Prosecutor to apply for s.28 – Priya\nArrange court visit – Val',
    });
    expect(saved.statusCode).toBe(303);
    const [after] = await db.query<{ status: string; attendees: string[]; topics: string[]; actions: string[]; version: number }>('SELECT status, attendees, topics, actions, version FROM pre_trial_meetings');
    expect(after).toMatchObject({ status: 'held', topics: ['special_measures', 'giving_evidence', 'concerns'] });
    expect(after!.attendees).toHaveLength(3);
    expect(after!.actions).toHaveLength(2);
    // the stale form is refused with both versions shown
    const stale = await vlo.post(`/cases/${caseId}/victim-care/meetings/${m!.id}`, { ...held, attendees: 'Someone', topics: 'other', outcome: 'Changed' });
    expect(stale.statusCode).toBe(409);
    expect(stale.body).toContain('data-qa="conflict-table"');
    const page = await vlo.get(`/cases/${caseId}/victim-care`);
    expect(page.body).toMatch(/data-qa="meeting-status">Held/);
    expect((await vlo.get('/victim-care/worklist')).body).not.toContain('Offer a pre-trial meeting');
    // the meeting was offered in time, so no overdue alert
    await new JobWorker(db, clock, services.jobHandlers).runDue();
    expect(await count(db, `SELECT count(*)::int AS n FROM notifications WHERE kind = 'meeting-offer-overdue'`)).toBe(0);
  });

  it('keeps VLO assignment to the unit’s VLOs and refuses a stale reassignment', async () => {
    const form = await vlo.get(`/cases/${caseId}/victim-care/victims/${victimId}/vlo`);
    expect(form.body).toContain('Vic Other');
    expect(form.body).not.toContain('Sam Southeast');
    const current = /name="current" value="([0-9a-f-]*)"/.exec(form.body)![1]!;
    expect(current).toMatch(/^[0-9a-f-]{36}$/);
    expect((await vlo.post(`/cases/${caseId}/victim-care/victims/${victimId}/vlo`, { vloUserId: users.sevlo!, current })).statusCode).toBe(400);
    expect((await vlo.post(`/cases/${caseId}/victim-care/victims/${victimId}/vlo`, { vloUserId: users.vlo2!, current })).statusCode).toBe(303);
    expect((await vlo.post(`/cases/${caseId}/victim-care/victims/${victimId}/vlo`, { vloUserId: users.vlo!, current })).statusCode).toBe(409);
    const rows = await db.query<{ vlo_user_id: string; ended_at: Date | null }>('SELECT vlo_user_id, ended_at FROM vlo_assignments ORDER BY assigned_at, ended_at NULLS LAST');
    expect(rows.filter((r) => !r.ended_at).map((r) => r.vlo_user_id)).toEqual([users.vlo2]);
    const police = await signIn(app, 'oic', clock);
    expect((await police.get(`/cases/${caseId}/victim-care/victims/${victimId}/vlo`)).statusCode).toBe(403);
  });

  it('records special measures per victim and witness, keeping ss.29–30 for vulnerable witnesses', async () => {
    const url = `/cases/${caseId}/victim-care/special-measures`;
    await vlo.get(`${url}/new`);
    const s29 = await vlo.post(url, { person: `victim:${victimId}`, measure: 's29_intermediary', status: 'discussed' });
    expect(s29.statusCode).toBe(400);
    expect(s29.body).toContain('only for vulnerable witnesses');
    expect((await vlo.post(url, { person: `victim:${victimId}`, measure: 's28_pre_recorded_cross_examination', status: 'requested', wishes: 'Wants to be cross-examined before trial' })).statusCode).toBe(303);
    expect((await vlo.post(url, { person: `victim:${victimId}`, measure: 's25_evidence_in_private', status: 'applied', wishes: 'Clear the public gallery' })).statusCode).toBe(303);
    expect((await vlo.post(url, { person: `witness:${witnessId}`, measure: 's23_screens', status: 'discussed' })).statusCode).toBe(303);
    const dup = await vlo.post(url, { person: `victim:${victimId}`, measure: 's28_pre_recorded_cross_examination', status: 'granted' });
    expect(dup.statusCode).toBe(400);
    expect(dup.body).toContain('already recorded');
    expect(await count(db, 'SELECT count(*)::int AS n FROM special_measures')).toBe(3);

    const id = await idOf(db, `SELECT id FROM special_measures WHERE measure = 's28_pre_recorded_cross_examination'`);
    const edit = await vlo.get(`${url}/${id}`);
    const version = /name="version" value="(\d+)"/.exec(edit.body)![1]!;
    expect((await vlo.post(`${url}/${id}`, { version, status: 'granted', wishes: 'Wants to be cross-examined before trial' })).statusCode).toBe(303);
    expect((await vlo.post(`${url}/${id}`, { version, status: 'refused', wishes: '' })).statusCode).toBe(409);
    expect((await db.query<{ status: string }>('SELECT status FROM special_measures WHERE id = $1', [id]))[0]!.status).toBe('granted');
    const page = await vlo.get(`/cases/${caseId}/victim-care`);
    expect(page.body).toContain('s.28 Pre-recorded cross-examination');
    expect(page.body).toContain('s.25 Evidence in private (clearing the public gallery)');
    expect(page.body).toContain('data-qa="witness-measures"');
    // the worklist shows the pending s.25 application as what is due next
    const list = await vlo.get('/victim-care/worklist?show=area');
    expect(list.body).toContain('Special measures: s.25 Evidence in private');
  });

  it('sends a letter through the outbox: recorded as a contact, delivered by the job, readable only by those who may see identity', async () => {
    const duty = await idOf(db, `SELECT id FROM victim_duties WHERE kind = 'plea_entered'`);
    const url = `/cases/${caseId}/victim-care/victims/${victimId}/letters`;
    vlo = await signIn(app, 'vlo', clock);
    await vlo.get(`${url}/new`);
    // V1 prefers phone: a letter is warned about first
    const warned = await vlo.post(url, { template: 'pre_trial_meeting_offer', channel: 'letter', dutyIds: duty });
    expect(warned.statusCode).toBe(400);
    expect(warned.body).toContain('The victim asked to be contacted by phone');
    expect(await count(db, 'SELECT count(*)::int AS n FROM victim_letters')).toBe(0);
    const sent = await vlo.post(url, { template: 'nfa_review_rights', channel: 'letter', dutyIds: duty, acknowledgePreference: 'yes', overrideReason: 'Victim asked for it in writing' });
    expect(sent.statusCode).toBe(303);
    const [letter] = await db.query<{ id: string; status: string; body_enc: string; contact_id: string }>('SELECT id, status, body_enc, contact_id FROM victim_letters');
    expect(letter!.status).toBe('queued');
    expect(letter!.body_enc).not.toContain('Quintrell');
    const [job] = await db.query<{ payload: unknown }>(`SELECT payload FROM jobs WHERE kind = 'victims.send-letter'`);
    expect(JSON.stringify(job)).not.toContain('Quintrell');
    expect((await db.query<{ met_by_contact_id: string }>('SELECT met_by_contact_id FROM victim_duties WHERE id = $1', [duty]))[0]!.met_by_contact_id).toBe(letter!.contact_id);
    await new JobWorker(db, clock, services.jobHandlers).runDue();
    expect((await db.query<{ status: string; provider: string }>('SELECT status, provider FROM victim_letters'))[0]).toMatchObject({ status: 'delivered', provider: 'embedded' });

    const view = await vlo.get(`/cases/${caseId}/victim-care/letters/${letter!.id}`);
    expect(view.statusCode).toBe(200);
    expect(view.body).toContain('Dear Amelia Quintrell,');
    expect(view.body).toContain('Victims’ Right to Review');
    expect(view.body).toContain('Your Victim Liaison Officer is Vic Other');
    // a paralegal (no right to see identity) cannot read or send letters
    const para = await signIn(app, 'para', clock);
    expect((await para.get(`/cases/${caseId}/victim-care/letters/${letter!.id}`)).statusCode).toBe(403);
    expect((await para.get(`${url}/new`)).statusCode).toBe(403);
    const audit = await db.query<{ detail: unknown }>(`SELECT detail FROM audit_log WHERE action LIKE 'victim-letter:%'`);
    expect(audit.length).toBe(2);
    expect(JSON.stringify(audit)).not.toContain('Quintrell');
  });

  it('shows the outbox (the embedded provider’s viewer) to those who may read the letters, for their own force or Area only', async () => {
    const [letter] = await db.query<{ id: string }>('SELECT id FROM victim_letters');
    const auditsBefore = await count(db, `SELECT count(*)::int AS n FROM audit_log WHERE action = 'victim-letter:outbox'`);
    // the CPS Area's VLO and the owning force's investigator see the delivered letter, with no identity in the list
    for (const who of ['vlo', 'oic']) {
      const agent = await signIn(app, who, clock);
      const res = await agent.get('/victim-care/outbox');
      expect(res.statusCode, who).toBe(200);
      expect(res.body).toContain('data-qa="result-count">1 letter<');
      expect(res.body).toContain(`href="/cases/${caseId}/victim-care/letters/${letter!.id}" data-qa="outbox-letter-link">No further action, with the right to ask for a review`);
      expect(res.body).toMatch(/data-qa="outbox-status">Delivered<\/strong><span[^>]*>[^<]*\(embedded\)/);
      for (const s of ['Quintrell', 'Amelia', '07700 900123']) expect(res.body, `${who}: ${s}`).not.toContain(s);
      // and can open the letter from it
      expect((await agent.get(`/cases/${caseId}/victim-care/letters/${letter!.id}`)).body).toContain('Dear Amelia Quintrell,');
    }
    // filters narrow the list, with an empty state that says why
    const queued = await vlo.get('/victim-care/outbox?status=queued');
    expect(queued.body).toContain('data-qa="result-count">0 letters<');
    expect(queued.body).toContain('No letters match these filters.');
    expect((await vlo.get('/victim-care/outbox?template=nfa_review_rights&status=delivered')).body).toContain('data-qa="result-count">1 letter<');
    expect((await vlo.get('/victim-care/outbox?template=case_decision')).body).toContain('data-qa="result-count">0 letters<');
    expect((await vlo.get('/victim-care/outbox?status=nonsense&sort=nonsense&page=-3')).statusCode).toBe(200); // bad filters fall back to defaults
    // another Area's VLO sees an empty outbox; a paralegal (no identity) is refused
    const se = await signIn(app, 'se.vlo', clock);
    const seOutbox = await se.get('/victim-care/outbox');
    expect(seOutbox.statusCode).toBe(200);
    expect(seOutbox.body).toContain('data-qa="empty-outbox"');
    expect(seOutbox.body).not.toContain(letter!.id);
    const para = await signIn(app, 'para', clock);
    expect((await para.get('/victim-care/outbox')).statusCode).toBe(403);
    // every look is audited, the refusal too
    expect(await count(db, `SELECT count(*)::int AS n FROM audit_log WHERE action = 'victim-letter:outbox' AND outcome = 'allowed'`)).toBe(auditsBefore + 7);
    expect(await count(db, `SELECT count(*)::int AS n FROM audit_log WHERE action = 'victim-letter:outbox' AND outcome = 'denied'`)).toBe(1);
  });
});
