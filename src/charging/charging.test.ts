import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import type { Db } from '../db/database.ts';
import { FixedClock } from '../platform/clock.ts';
import type { Services } from '../services.ts';
import { type Agent, caseIdFrom, createUser, forms, signIn, testApp, testDb } from '../testing/harness.ts';

/** Every checklist item except the ones named, for a file form. */
const ALL_ITEMS = ['mg3', 'mg5', 'victim_interview', 'suspect_interview', 'first_account', 'witness_statements', 'forensic_medical', 'digital_material',
  'third_party_schedule', 'scene_cctv', 'bad_character', 'special_measures', 'vps_offer', 'mg6c', 'mg6d', 'disclosure_management'];
const fileForm = (missing: string[] = [], notApplicable: string[] = []) => ({
  provided: ALL_ITEMS.filter((i) => !missing.includes(i) && !notApplicable.includes(i)), notApplicable, summary: 'Full file: we ask the CPS to consider a charge of rape.', missingNote: '',
});
const date = (name: string, iso: string) => {
  const [y, m, d] = iso.split('-');
  return { [`${name}-day`]: String(Number(d)), [`${name}-month`]: String(Number(m)), [`${name}-year`]: y! };
};

describe('charging: full file, CPS decisions, police outcomes and Victims’ Right to Review', () => {
  let db: Db;
  let app: FastifyInstance;
  let services: Services;
  // Friday 19 December 2025, 16:00: the CPS review window runs over Christmas and New Year.
  const clock = new FixedClock(new Date('2025-12-19T16:00:00Z'));
  let oic: Agent;
  let pros: Agent;

  const count = async (sql: string, params: unknown[] = []) => (await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${sql}`, params))[0]!.n;
  const stageOf = async (caseId: string) => (await db.query<{ stage: string }>('SELECT stage FROM cases WHERE id = $1', [caseId]))[0]!.stage;

  async function newCase(): Promise<string> {
    await oic.get('/cases/new');
    return caseIdFrom(await oic.post('/cases', forms.case()));
  }
  async function submitFile(caseId: string, missing: string[] = [], na: string[] = []) {
    await oic.get(`/cases/${caseId}/charging/file`);
    return oic.post(`/cases/${caseId}/charging/file`, fileForm(missing, na));
  }
  async function decide(caseId: string, decision: string, form: Record<string, string | string[]>) {
    const page = await pros.get(`/cases/${caseId}/charging/decision/${decision}`);
    const version = /name="version" value="(\d*)"/.exec(page.body)?.[1] ?? '';
    return pros.post(`/cases/${caseId}/charging/decision/${decision}`, { version, ...form });
  }

  beforeAll(async () => {
    db = await testDb();
    ({ app, services } = await testApp(db, { clock }));
    await createUser(db, { username: 'oic', organisationId: 'force-hampshire-and-isle-of-wight', roles: ['investigator'], displayName: 'DC Sam Patel' });
    await createUser(db, { username: 'pros', organisationId: 'rasso-wessex', roles: ['prosecutor'], displayName: 'Priya Shah' });
    oic = await signIn(app, 'oic', clock);
    pros = await signIn(app, 'pros', clock);
  });
  afterAll(async () => {
    await app?.close();
    await db?.close();
  });

  it('submits a file with a missing item flagged to both sides, then charges under the Full Code Test with both stages’ reasons', async () => {
    const caseId = await newCase();
    // the CPS cannot see the case before it is referred
    expect((await pros.get(`/cases/${caseId}/charging`)).statusCode).toBe(404);

    // an "always" item cannot be marked not applicable: nothing written
    const bad = await submitFile(caseId, [], ['mg3']);
    expect(bad.statusCode).toBe(400);
    expect(bad.body).toContain('There is a problem');
    expect(bad.body).toContain('needed in every file');
    expect(await count('charging_submissions')).toBe(0);

    const res = await submitFile(caseId, ['forensic_medical'], ['mg6d']);
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe(`/cases/${caseId}/charging?done=file-submitted`);
    expect(await stageOf(caseId)).toBe('charging_decision');
    expect((await db.query<{ referred_at: Date | null }>('SELECT referred_at FROM cases WHERE id = $1', [caseId]))[0]!.referred_at).not.toBeNull();

    for (const agent of [oic, pros]) {
      const page = await agent.get(`/cases/${caseId}/charging`);
      expect(page.statusCode).toBe(200);
      expect(page.body).toMatch(/data-qa="item-forensic_medical" data-status="missing"/);
      expect(page.body).toMatch(/data-qa="item-mg6d" data-status="not_applicable"/);
      expect(page.body).toMatch(/data-qa="item-mg3" data-status="provided"/);
      expect(page.body).toContain('1 checklist item is missing');
    }
    const casePage = await pros.get(`/cases/${caseId}`);
    expect(casePage.body).toContain(`href="/cases/${caseId}/charging"`);
    const timeline = await db.query<{ summary: string }>(`SELECT summary FROM case_events WHERE case_id = $1 AND kind = 'referred_for_charge'`, [caseId]);
    expect(timeline[0]!.summary).toContain('Forensic and medical results');

    // the police cannot decide; the CPS cannot submit files
    await oic.get(`/cases/${caseId}/charging`);
    expect((await oic.post(`/cases/${caseId}/charging/decision/charge_full_code`, { version: '1', evidentialReasons: 'x', publicInterestReasons: 'y', offences: 'SOA2003-s1' })).statusCode).toBe(403);

    // choosing the decision leads to its own form
    await pros.get(`/cases/${caseId}/charging/decision`);
    const noChoice = await pros.post(`/cases/${caseId}/charging/decision`, {});
    expect(noChoice.statusCode).toBe(400);
    expect(noChoice.body).toContain('Select the charging decision');
    const chosen = await pros.post(`/cases/${caseId}/charging/decision`, { decision: 'charge_full_code' });
    expect(chosen.headers.location).toBe(`/cases/${caseId}/charging/decision/charge_full_code`);

    // reasons for each stage and an offence are required: the error summary lists them and nothing is written
    const missing = await decide(caseId, 'charge_full_code', {});
    expect(missing.statusCode).toBe(400);
    expect(missing.body).toContain('Enter the reasons the evidential stage is met');
    expect(missing.body).toContain('Enter the reasons the public interest stage is met');
    expect(missing.body).toContain('Select at least one offence to charge');
    expect(await count('charging_decisions')).toBe(0);

    const charged = await decide(caseId, 'charge_full_code', {
      evidentialReasons: 'V1’s ABE account is consistent with the first account and the forensic evidence.',
      publicInterestReasons: 'Rape is a serious offence; a prosecution is required in the public interest.',
      offences: ['SOA2003-s1', 'SOA2003-s3'],
    });
    expect(charged.statusCode).toBe(303);
    expect(await stageOf(caseId)).toBe('charged');
    const [d] = await db.query<{ decision: string; evidential_reasons: string; public_interest_reasons: string; outcome_type_code: number }>('SELECT * FROM charging_decisions WHERE case_id = $1', [caseId]);
    expect(d).toMatchObject({ decision: 'charge_full_code', outcome_type_code: 1 });
    expect(d!.evidential_reasons).toContain('consistent with the first account');
    expect(d!.public_interest_reasons).toContain('public interest');
    expect((await db.query<{ offence_code: string }>('SELECT offence_code FROM charging_decision_offences ORDER BY offence_code')).map((r) => r.offence_code)).toEqual(['SOA2003-s1', 'SOA2003-s3']);
    expect((await db.query<{ outcome_type_code: number }>('SELECT outcome_type_code FROM cases WHERE id = $1', [caseId]))[0]!.outcome_type_code).toBe(1);
    expect(await count(`audit_log WHERE action = 'charging:decide' AND outcome = 'allowed' AND case_id = $1`, [caseId])).toBe(1);
    const page = await oic.get(`/cases/${caseId}/charging`);
    expect(page.body).toContain('data-qa="decision-charge_full_code"');
    expect(page.body).toContain('Rape (s.1)');
    expect(page.body).toContain('Charged offences');

    // impossible transitions: a police NFA after charge, and a second file
    await oic.get(`/cases/${caseId}/charging/police-outcome`);
    const lateNfa = await oic.post(`/cases/${caseId}/charging/police-outcome`, { outcomeTypeCode: '15', reasons: 'Victim withdrew support', suspectInterviewed: 'yes', eaNotSoughtReason: 'Not needed' });
    expect(lateNfa.statusCode).toBe(409);
    expect(lateNfa.body).toContain('The police cannot close a case with no further action after charge');
    expect(await count('police_outcomes')).toBe(0);
    const again = await submitFile(caseId);
    expect(again.statusCode).toBe(409);
    expect(again.body).toContain('already been charged');

    // court progress: a guilty plea finalises the case; a verdict cannot follow
    await pros.get(`/cases/${caseId}/charging/court`);
    expect((await pros.post(`/cases/${caseId}/charging/court`, { step: 'guilty_plea', ...date('occurredOn', '2025-12-19') })).statusCode).toBe(303);
    expect(await stageOf(caseId)).toBe('convicted');
    await pros.get(`/cases/${caseId}/charging/court`);
    const after = await pros.post(`/cases/${caseId}/charging/court`, { step: 'acquitted', ...date('occurredOn', '2025-12-19') });
    expect(after.statusCode).toBe(409);
    expect(after.body).toContain('Proceedings are finalised');
  });

  it('lets the police supply missing material while the file awaits a decision, with optimistic concurrency', async () => {
    const caseId = await newCase();
    await submitFile(caseId, ['forensic_medical', 'digital_material']);
    const edit = await oic.get(`/cases/${caseId}/charging/file/edit`);
    expect(edit.statusCode).toBe(200);
    const version = /name="version" value="(\d+)"/.exec(edit.body)![1]!;
    const saved = await oic.post(`/cases/${caseId}/charging/file/edit`, { ...fileForm(['digital_material']), version });
    expect(saved.statusCode).toBe(303);
    const items = await db.query<{ item_code: string; status: string }>(`SELECT i.item_code, i.status FROM charging_submission_items i JOIN charging_submissions s ON s.id = i.submission_id WHERE s.case_id = $1 AND i.status = 'missing'`, [caseId]);
    expect(items.map((i) => i.item_code)).toEqual(['digital_material']);
    // a second save from the same (now stale) form is a conflict and changes nothing
    await oic.get(`/cases/${caseId}/charging/file/edit`);
    const stale = await oic.post(`/cases/${caseId}/charging/file/edit`, { ...fileForm([]), version });
    expect(stale.statusCode).toBe(409);
    expect(stale.body).toContain('Someone else changed this record');
    expect((await db.query(`SELECT 1 FROM charging_submission_items i JOIN charging_submissions s ON s.id = i.submission_id WHERE s.case_id = $1 AND i.status = 'missing'`, [caseId])).length).toBe(1);
  });

  it('refuses a CPS NFA without a face-to-face meeting, accepts it with one, then records a VRR request within the window', async () => {
    const caseId = await newCase();
    await submitFile(caseId);
    const jobsBefore = await count('jobs');

    const refused = await decide(caseId, 'nfa_evidential', { evidentialReasons: 'No realistic prospect of conviction: the identification evidence is weak.' });
    expect(refused.statusCode).toBe(409);
    expect(refused.body).toContain('There is a problem');
    expect(refused.body).toContain('A face-to-face meeting with the investigator must be recorded before a CPS no further action decision is confirmed');
    expect(await count('charging_decisions WHERE case_id = $1', [caseId])).toBe(0);
    expect(await count('vrr_windows')).toBe(0);
    expect(await count('jobs')).toBe(jobsBefore);
    expect(await stageOf(caseId)).toBe('charging_decision');

    // the meeting form validates: at least two attendees, a date not in the future
    await pros.get(`/cases/${caseId}/charging/meeting`);
    const badMeeting = await pros.post(`/cases/${caseId}/charging/meeting`, { ...date('heldOn', '2025-12-20'), format: 'in_person', attendees: 'Priya Shah' });
    expect(badMeeting.statusCode).toBe(400);
    expect(badMeeting.body).toContain('must be today or in the past');
    expect(badMeeting.body).toContain('Enter at least two attendees');
    await pros.get(`/cases/${caseId}/charging/meeting`);
    const meeting = await pros.post(`/cases/${caseId}/charging/meeting`, { ...date('heldOn', '2025-12-19'), format: 'in_person', attendees: 'Priya Shah, prosecutor\nDC Sam Patel, officer in case', notes: 'Discussed the identification evidence.' });
    expect(meeting.statusCode).toBe(303);

    const nfa = await decide(caseId, 'nfa_evidential', { evidentialReasons: 'No realistic prospect of conviction: the identification evidence is weak.' });
    expect(nfa.statusCode).toBe(303);
    expect(await stageOf(caseId)).toBe('nfa_cps');
    const [d] = await db.query<{ meeting_id: string | null; outcome_type_code: number }>('SELECT meeting_id, outcome_type_code FROM charging_decisions WHERE case_id = $1', [caseId]);
    expect(d!.meeting_id).not.toBeNull();
    expect(d!.outcome_type_code).toBe(15);
    const [w] = await db.query<{ id: string; scheme: string; opened_on: string; normal_deadline: string; latest_deadline: string }>('SELECT * FROM vrr_windows WHERE case_id = $1', [caseId]);
    expect(w).toMatchObject({ scheme: 'cps', opened_on: '2025-12-19', normal_deadline: '2026-01-07', latest_deadline: '2026-03-19' });
    expect(await count(`jobs WHERE kind = 'charging.vrr-window-closing'`)).toBe(1);
    const page = await oic.get(`/cases/${caseId}/charging`);
    expect(page.body).toContain('7 January 2026');
    expect(page.body).toContain('19 March 2026');

    // an NFA'd case cannot be charged
    const charge = await decide(caseId, 'charge_full_code', { evidentialReasons: 'x', publicInterestReasons: 'y', offences: 'SOA2003-s1' });
    expect(charge.statusCode).toBe(409);
    expect(charge.body).toContain('A case closed with no further action cannot be charged');

    // the police cannot record a request under the CPS scheme
    await oic.get(`/cases/${caseId}/charging/vrr`);
    const wrongSide = await oic.post(`/cases/${caseId}/charging/vrr`, { windowId: w!.id, ...date('requestedOn', '2025-12-19') });
    expect(wrongSide.statusCode).toBe(400);
    expect(wrongSide.body).toContain('recorded by the CPS');

    // a request after the normal window needs a reason; within the window it is recorded as in time
    clock.set(new Date('2026-01-08T10:00:00Z'));
    pros = await signIn(app, 'pros', clock);
    await pros.get(`/cases/${caseId}/charging/vrr`);
    const late = await pros.post(`/cases/${caseId}/charging/vrr`, { windowId: w!.id, ...date('requestedOn', '2026-01-08') });
    expect(late.statusCode).toBe(400);
    expect(late.body).toContain('after the normal window closed');
    expect(await count('vrr_requests')).toBe(0);
    await pros.get(`/cases/${caseId}/charging/vrr`);
    const inTime = await pros.post(`/cases/${caseId}/charging/vrr`, { windowId: w!.id, ...date('requestedOn', '2026-01-07') });
    expect(inTime.statusCode).toBe(303);
    const [r] = await db.query<{ id: string; timeliness: string; scheme: string; acknowledge_due: string | null; version: number }>('SELECT * FROM vrr_requests WHERE case_id = $1', [caseId]);
    expect(r).toMatchObject({ timeliness: 'in_time', scheme: 'cps', acknowledge_due: null });

    // the review overturns the decision: the case goes back to the CPS for a fresh decision, with the file reopened
    const view = await pros.get(`/cases/${caseId}/charging/vrr/${r!.id}`);
    expect(view.statusCode).toBe(200);
    const result = await pros.post(`/cases/${caseId}/charging/vrr/${r!.id}/result`, { result: 'overturned', ...date('resultOn', '2026-01-08'), reviewLevel: 'local_resolution', notes: 'The identification evidence was undervalued.', version: String(r!.version) });
    expect(result.statusCode).toBe(303);
    expect(await stageOf(caseId)).toBe('charging_decision');
    expect(await count(`charging_submissions WHERE case_id = $1 AND status = 'awaiting_decision'`, [caseId])).toBe(1);
    // the same (stale) form again: a conflict, nothing overwritten
    await pros.get(`/cases/${caseId}/charging/vrr/${r!.id}`);
    const stale = await pros.post(`/cases/${caseId}/charging/vrr/${r!.id}/result`, { result: 'upheld', ...date('resultOn', '2026-01-08'), notes: 'x', version: String(r!.version) });
    expect(stale.statusCode).toBe(409);
    expect((await db.query<{ result: string }>('SELECT result FROM vrr_requests WHERE id = $1', [r!.id]))[0]!.result).toBe('overturned');
    clock.set(new Date('2025-12-19T16:00:00Z'));
    oic = await signIn(app, 'oic', clock);
    pros = await signIn(app, 'pros', clock);
  });

  it('refuses a police NFA without Early Advice unless the reason is recorded, and opens the police review window', async () => {
    const caseId = await newCase();
    const form = await oic.get(`/cases/${caseId}/charging/police-outcome`);
    expect(form.body).toContain('Why was Early Advice not sought?');
    expect(form.body).not.toContain('>1: Charged/summonsed<');

    const refused = await oic.post(`/cases/${caseId}/charging/police-outcome`, { outcomeTypeCode: '16', reasons: 'Victim does not support further action.', suspectInterviewed: 'yes' });
    expect(refused.statusCode).toBe(400);
    expect(refused.body).toContain('Early Advice was not sought on this case: enter why before closing it with no further action');
    expect(await count('police_outcomes')).toBe(0);
    expect(await stageOf(caseId)).toBe('investigation');

    await oic.get(`/cases/${caseId}/charging/police-outcome`);
    const cpsOnly = await oic.post(`/cases/${caseId}/charging/police-outcome`, { outcomeTypeCode: '9', reasons: 'x', suspectInterviewed: 'yes', eaNotSoughtReason: 'x' });
    expect(cpsOnly.statusCode).toBe(400);
    expect(cpsOnly.body).toContain('follows a CPS decision');

    await oic.get(`/cases/${caseId}/charging/police-outcome`);
    const ok = await oic.post(`/cases/${caseId}/charging/police-outcome`, {
      outcomeTypeCode: '16', reasons: 'Victim does not support further action.', suspectInterviewed: 'yes',
      eaNotSoughtReason: 'Victim withdrew support before the suspect could be identified for a file.',
    });
    expect(ok.statusCode).toBe(303);
    expect(await stageOf(caseId)).toBe('nfa_police');
    const [o] = await db.query<{ had_early_advice: boolean; ea_not_sought_reason: string; outcome_type_code: number }>('SELECT * FROM police_outcomes WHERE case_id = $1', [caseId]);
    expect(o).toMatchObject({ had_early_advice: false, outcome_type_code: 16 });
    expect(o!.ea_not_sought_reason).toContain('withdrew support');
    const [w] = await db.query<{ id: string; scheme: string; latest_deadline: string }>('SELECT * FROM vrr_windows WHERE case_id = $1', [caseId]);
    expect(w).toMatchObject({ scheme: 'police', latest_deadline: '2026-03-19' });
    const event = await db.query<{ data: { reasonNoEarlyAdvice?: string; by?: string } }>(`SELECT data FROM case_events WHERE case_id = $1 AND kind = 'nfa'`, [caseId]);
    expect(event[0]!.data).toMatchObject({ by: 'police' });

    // a second police NFA, or a file on a police-NFA'd case, is refused
    await oic.get(`/cases/${caseId}/charging/police-outcome`);
    const twice = await oic.post(`/cases/${caseId}/charging/police-outcome`, { outcomeTypeCode: '16', reasons: 'x', suspectInterviewed: 'yes', eaNotSoughtReason: 'x' });
    expect(twice.statusCode).toBe(409);
    const file = await submitFile(caseId);
    expect(file.statusCode).toBe(409);
    expect(file.body).toContain('Reopen the investigation');

    // police scheme request: due dates shown, acknowledged
    await oic.get(`/cases/${caseId}/charging/vrr`);
    const req = await oic.post(`/cases/${caseId}/charging/vrr`, { windowId: w!.id, ...date('requestedOn', '2025-12-19') });
    expect(req.statusCode).toBe(303);
    const [r] = await db.query<{ id: string; acknowledge_due: string; complete_due: string; version: number }>('SELECT * FROM vrr_requests WHERE case_id = $1', [caseId]);
    // Friday 19 December 2025: 10 and 30 working days, skipping Christmas, Boxing Day and New Year's Day
    expect(r).toMatchObject({ acknowledge_due: '2026-01-07', complete_due: '2026-02-04' });
    const view = await oic.get(`/cases/${caseId}/charging/vrr/${r!.id}`);
    expect(view.body).toContain('7 January 2026');
    expect(view.body).toContain('4 February 2026');
    const ack = await oic.post(`/cases/${caseId}/charging/vrr/${r!.id}/acknowledge`, { ...date('acknowledgedOn', '2025-12-19'), version: String(r!.version) });
    expect(ack.statusCode).toBe(303);
    expect((await db.query<{ status: string }>('SELECT status FROM vrr_requests WHERE id = $1', [r!.id]))[0]!.status).toBe('acknowledged');
  });

  it('returns the file with an action plan (back to investigation), then accepts a new file and a Threshold Test charge with its four conditions', async () => {
    const caseId = await newCase();
    await submitFile(caseId);
    const plan = await decide(caseId, 'action_plan', { actionPlan: 'Obtain the cell-site analysis for the suspect’s phone.', ...date('responseDue', '2026-01-30') });
    expect(plan.statusCode).toBe(303);
    expect(await stageOf(caseId)).toBe('investigation');
    expect((await submitFile(caseId)).statusCode).toBe(303);
    expect(await count(`charging_submissions WHERE case_id = $1`, [caseId])).toBe(2);

    const partial = await decide(caseId, 'charge_threshold', {
      conditions: ['reasonable_grounds', 'further_evidence', 'seriousness'], thresholdReasons: 'Substantial bail risk: threats to V1.',
      furtherEvidence: 'Forensic results due in four weeks.', publicInterestReasons: 'Serious offence.', offences: 'SOA2003-s1',
    });
    expect(partial.statusCode).toBe(400);
    expect(partial.body).toContain('Confirm each of the four conditions of the Threshold Test');
    const ok = await decide(caseId, 'charge_threshold', {
      conditions: ['reasonable_grounds', 'further_evidence', 'seriousness', 'bail_objection'], thresholdReasons: 'Substantial bail risk: threats to V1.',
      furtherEvidence: 'Forensic results due in four weeks.', ...date('fullCodeReviewOn', '2026-01-30'), publicInterestReasons: 'Serious offence.', offences: 'SOA2003-s1',
    });
    expect(ok.statusCode).toBe(303);
    expect(await stageOf(caseId)).toBe('charged');
    const [d] = await db.query<{ threshold_conditions: string[]; full_code_review_on: string }>(`SELECT * FROM charging_decisions WHERE case_id = $1 AND decision = 'charge_threshold'`, [caseId]);
    expect(d!.threshold_conditions).toHaveLength(4);
    expect(d!.full_code_review_on).toBe('2026-01-30');
  });

  it('tells subscribers about each decision in the same transaction', async () => {
    const seen: string[] = [];
    services.charging.subscribe(async (_tx, e) => {
      seen.push(`${e.kind}:${e.stage ?? ''}:${String(e.detail.decision ?? '')}`);
    });
    const caseId = await newCase();
    await submitFile(caseId);
    await decide(caseId, 'administratively_finalised', { reasons: 'No response to the action plan.' });
    expect(seen).toEqual(['file_submitted:charging_decision:', 'decision:administratively_finalised:administratively_finalised']);
  });
});
