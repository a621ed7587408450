import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../db/database.ts';
import type { Services } from '../services.ts';
import { type Agent, caseIdFrom, createUser, forms, signIn, testApp, testDb } from '../testing/harness.ts';

/** Kent recorded a suspect on a rape report that was closed NFA in 2023; Hampshire now records the same man. */
const KENT_SUSPECT = forms.suspect({
  givenName: 'Robert', familyName: 'Hallworth', aliases: '', 'dateOfBirth-day': '2', 'dateOfBirth-month': '11', 'dateOfBirth-year': '1987',
  addresses: '22 Harbour Road, Portsmouth PO1 3AB', phones: '07700 900456', emails: 'robert.hallworth@example.invalid', onlineIdentifiers: 'snapchat:robh87', vehicles: '',
});
const HANTS_SUSPECT = forms.suspect({
  givenName: 'Bob', familyName: 'Hallworth', aliases: '', 'dateOfBirth-day': '2', 'dateOfBirth-month': '11', 'dateOfBirth-year': '1987',
  addresses: '22 Harbour Rd, Portsmouth PO1 3AB', phones: '07700 900456', emails: '', onlineIdentifiers: '', vehicles: '',
});
const KENT_SUMMARY = 'V1 reports rape after meeting the suspect through a dating app; closed NFA.';

describe('suspect linkage across forces', () => {
  let db: Db;
  let app: FastifyInstance;
  let services: Services;
  let kent: Agent;
  let kentSupervisor: Agent;
  let hants: Agent;
  let kentCase: string;
  let kentReference: string;
  let hantsCase: string;
  let matchId: string;

  const audits = async (action: string) => db.query<{ case_id: string; actor_user_id: string; detail: Record<string, unknown> }>('SELECT case_id, actor_user_id, detail FROM audit_log WHERE action = $1 ORDER BY seq', [action]);

  beforeAll(async () => {
    db = await testDb();
    ({ app, services } = await testApp(db));
    await createUser(db, { username: 'kent.inv', displayName: 'DC Jo Fraser', organisationId: 'force-kent', roles: ['investigator'] });
    await createUser(db, { username: 'kent.sup', displayName: 'DS Sam Okafor', organisationId: 'force-kent', roles: ['police_supervisor'] });
    await createUser(db, { username: 'hants.inv', displayName: 'DC Priya Lal', organisationId: 'force-hampshire-and-isle-of-wight', roles: ['investigator'] });
    [kent, kentSupervisor, hants] = await Promise.all([signIn(app, 'kent.inv'), signIn(app, 'kent.sup'), signIn(app, 'hants.inv')]);

    kentCase = caseIdFrom(await kent.post('/cases', forms.case({ 'reportedDate-year': '2023', 'offenceDate-year': '2023', summary: KENT_SUMMARY })));
    expect((await kent.post(`/cases/${kentCase}/suspects`, KENT_SUSPECT)).statusCode).toBe(303);
    // The Kent case was closed by the police with no further action (outcome 15: evidential difficulties).
    await db.query("UPDATE cases SET stage = 'nfa_police', outcome_type_code = 15 WHERE id = $1", [kentCase]);
    kentReference = (await db.query<{ reference: string }>('SELECT reference FROM cases WHERE id = $1', [kentCase]))[0]!.reference;
    hantsCase = caseIdFrom(await hants.post('/cases', forms.case()));
  }, 300_000); // three sign-ins (argon2) and a cloned database: slow when the shared machine is busy
  afterAll(async () => {
    await app?.close();
    await db?.close();
  });

  it('raises an alert on the case the moment a matching suspect is added in another force, naming the NFA case by force, year and stage only', async () => {
    const added = await hants.post(`/cases/${hantsCase}/suspects`, HANTS_SUSPECT);
    expect(added.statusCode).toBe(303);

    const page = await hants.get(`/cases/${hantsCase}`);
    expect(page.body).toContain('data-qa="linkage-alert"');
    expect(page.body).toMatch(/Possible same person in 1 other case\s+\(Kent; 2023; No further action \(police\)\)/);
    expect(page.body).not.toContain(kentReference);

    // Kent's suspect was checked too when recorded (nothing then); Hampshire's check found one link
    const check = (await audits('linkage:check')).at(-1);
    expect(check!.case_id).toBe(hantsCase);
    expect(check!.detail.matches).toBe(1);

    const list = await hants.get(`/cases/${hantsCase}/linkage`);
    expect(list.statusCode).toBe(200);
    expect(list.body).toContain('Kent');
    expect(list.body).toContain('No further action (police)');
    expect(list.body).not.toContain(kentReference);
    matchId = /\/linkage\/([0-9a-f-]{36})"/.exec(list.body)![1]!;
  });

  it('explains the link field by field, but hides the other force’s values and case until it agrees to share', async () => {
    const page = await hants.get(`/cases/${hantsCase}/linkage/${matchId}`);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('data-qa="waterfall"');
    expect(page.body).toContain('data-qa="contribution-dob"');
    expect(page.body).toContain('data-qa="values-hidden"');
    // our own values are shown; Kent's are not (its email, its summary, its reference, its forename)
    expect(page.body).toContain('bob');
    expect(page.body).not.toContain('robert.hallworth@example.invalid');
    expect(page.body).not.toContain(KENT_SUMMARY);
    expect(page.body).not.toContain(kentReference);
    // the case file itself stays closed to Hampshire
    expect((await hants.get(`/cases/${kentCase}`)).statusCode).toBe(404);
  });

  it('refuses an empty sharing request with the error summary and writes nothing', async () => {
    const res = await hants.post(`/cases/${hantsCase}/linkage/${matchId}/share`, { reason: '  ' });
    expect(res.statusCode).toBe(400);
    expect(res.body).toContain('There is a problem');
    expect(res.body).toContain('Enter why you need to see this case');
    expect((await db.query('SELECT 1 FROM linkage_sharing_requests')).length).toBe(0);
  });

  it('the other force approves the sharing request; then the requesting investigator sees the case details, audited', async () => {
    const sent = await hants.post(`/cases/${hantsCase}/linkage/${matchId}/share`, { reason: 'Same suspect; the earlier report may show a pattern of approach.' });
    expect(sent.statusCode).toBe(303);
    expect((await hants.get(`/cases/${hantsCase}/linkage/${matchId}`)).body).toContain('data-qa="sharing-pending"');

    // Hampshire cannot decide its own request, and cannot see Kent's inbox entries
    const [{ id: requestId }] = (await db.query<{ id: string }>('SELECT id FROM linkage_sharing_requests')) as [{ id: string }];
    expect((await hants.get(`/linkage/sharing-requests/${requestId}`)).statusCode).toBe(404);
    expect((await hants.post(`/linkage/sharing-requests/${requestId}`, { decision: 'approved', reason: 'x', version: '1' })).statusCode).toBe(404);

    const inbox = await kentSupervisor.get('/linkage/sharing-requests');
    expect(inbox.statusCode).toBe(200);
    expect(inbox.body).toContain('Hampshire');
    expect(inbox.body).toContain(kentReference);

    const noReason = await kent.post(`/linkage/sharing-requests/${requestId}`, { decision: 'approved', reason: '', version: '1' });
    expect(noReason.statusCode).toBe(400);
    expect(noReason.body).toContain('Enter the reason for your decision');

    const approved = await kent.post(`/linkage/sharing-requests/${requestId}`, { decision: 'approved', reason: 'Agreed: joint suspect-focused strategy.', version: '1' });
    expect(approved.statusCode).toBe(303);

    const page = await hants.get(`/cases/${hantsCase}/linkage/${matchId}`);
    expect(page.body).toContain('data-qa="shared-case"');
    expect(page.body).toContain(kentReference);
    expect(page.body).toContain(KENT_SUMMARY);
    expect(page.body).toContain('robert.hallworth@example.invalid');
    expect(page.body).toContain('DC Jo Fraser'); // officer in case
    // each side heard of it: Kent's officer in case of the request, the Hampshire investigator of the decision
    const notes = await db.query<{ kind: string; message: string }>("SELECT kind, message FROM notifications WHERE kind LIKE 'linkage-%' ORDER BY created_at");
    expect(notes.map((n) => n.kind)).toEqual(['linkage-sharing-request', 'linkage-sharing-decision']);
    expect(notes[1]!.message).toBe('Kent approved your request to see their case.');
    const shared = await audits('linkage:read-shared');
    expect(shared.at(-1)!.case_id).toBe(kentCase);
    expect((await audits('linkage:decide-sharing')).some((a) => a.detail.decision === 'approved')).toBe(true);
    // still not the case file itself
    expect((await hants.get(`/cases/${kentCase}`)).statusCode).toBe(404);
  });

  it('records the investigator’s confirmation, and the next fit of the model uses it', async () => {
    const bad = await hants.post(`/cases/${hantsCase}/linkage/${matchId}/decision`, { version: '1' });
    expect(bad.statusCode).toBe(400);
    expect(bad.body).toContain('Select whether this is the same person');

    const ok = await hants.post(`/cases/${hantsCase}/linkage/${matchId}/decision`, { decision: 'confirmed', note: 'Same phone and address.', version: '1' });
    expect(ok.statusCode).toBe(303);
    const [m] = await db.query<{ decision: string; levels: Record<string, number> }>('SELECT decision, levels FROM linkage_matches WHERE id = $1', [matchId]);
    expect(m!.decision).toBe('confirmed');
    expect(m!.levels.dob).toBe(1); // exact date of birth, kept for refitting

    const stale = await hants.post(`/cases/${hantsCase}/linkage/${matchId}/decision`, { decision: 'rejected', version: '1' });
    expect(stale.statusCode).toBe(409);

    services.linkage.reset();
    const info = await services.linkage.indexInfo();
    expect(info.feedback.confirmed).toBe(1);
    expect(info.feedback.fields).toContain('dob');
  });

  it('a rejected link keeps its decision when the suspect is checked again', async () => {
    const hants2 = caseIdFrom(await hants.post('/cases', forms.case()));
    await hants.post(`/cases/${hants2}/suspects`, HANTS_SUSPECT);
    // it links to Kent's case and to the first Hampshire case: the investigator rejects both
    const links = await db.query<{ id: string }>('SELECT id FROM linkage_matches WHERE case_id = $1', [hants2]);
    expect(links.length).toBe(2);
    for (const l of links) await hants.post(`/cases/${hants2}/linkage/${l.id}/decision`, { decision: 'rejected', note: 'Different man: alibi.', version: '1' });
    const m = links[0];
    const [s] = await db.query<{ id: string; version: number }>('SELECT id, version FROM suspects WHERE case_id = $1', [hants2]);
    const edit = await hants.post(`/cases/${hants2}/suspects/${s!.id}/edit`, { ...HANTS_SUSPECT, phones: '07700 900457', version: String(s!.version) });
    expect(edit.statusCode).toBe(303);
    const [after] = await db.query<{ decision: string }>('SELECT decision FROM linkage_matches WHERE id = $1', [m!.id]);
    expect(after!.decision).toBe('rejected');
    const page = await hants.get(`/cases/${hants2}`);
    expect(page.body).not.toContain('data-qa="linkage-alert"'); // the only link was rejected
  });

  it('lists similar offences as a possible series, other forces by existence only', async () => {
    const mo = { approach: ['dating_app'], facilitation: ['alcohol', 'drugs'], victimIncapacitated: 'yes', locationType: 'suspect_home', timeOfDay: 'night', violence: ['restraint'], escortHome: 'no' };
    const badMo = await kent.post(`/cases/${kentCase}/mo`, { ...mo, locationType: 'moon' });
    expect(badMo.statusCode).toBe(400);
    expect((await db.query('SELECT 1 FROM offence_mo')).length).toBe(0);
    expect((await kent.post(`/cases/${kentCase}/mo`, mo)).statusCode).toBe(303);
    expect((await hants.post(`/cases/${hantsCase}/mo`, { ...mo, violence: [] })).statusCode).toBe(303);

    const series = await hants.get(`/cases/${hantsCase}/series`);
    expect(series.statusCode).toBe(200);
    expect(series.body).toContain('data-qa="series-row"');
    expect(series.body).toMatch(/<td class="govuk-table__cell">Kent<\/td>/);
    expect(series.body).not.toContain(kentReference);
    expect(series.body).toContain('Contact through a dating or social media app');
    expect((await audits('mo:series')).length).toBe(1);
  });
});
