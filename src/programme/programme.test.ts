import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../db/database.ts';
import { FixedClock } from '../platform/clock.ts';
import { readOds } from '../platform/ods.ts';
import type { Services } from '../services.ts';
import { type Agent, caseIdFrom, createUser, forms, signIn, testApp, testDb } from '../testing/harness.ts';

/** The value shown in an element marked data-qa="name" (first match), as text without tags. */
function qa(html: string, name: string): string {
  const m = new RegExp(`data-qa="${name}"[^>]*>([\\s\\S]*?)</(?:dd|span|p|strong|h2|div|td)>`).exec(html);
  if (!m) throw new Error(`no data-qa="${name}" on the page`);
  return m[1]!.replace(/<[^>]+>/g, '').replace(/\s+/g, ' ').trim();
}

describe('the programme: the JNAP, the annex, training, workforce, pilots and case studies', () => {
  let db: Db;
  let app: FastifyInstance;
  let services: Services;
  const clock = new FixedClock(new Date('2026-11-02T10:00:00Z'));
  let lead: Agent;
  let analyst: Agent;
  let police: Agent;

  beforeAll(async () => {
    db = await testDb();
    ({ app, services } = await testApp(db, { clock }));
    await createUser(db, { username: 'lead', displayName: 'Nadia National', organisationId: 'national', roles: ['national_lead'] });
    await createUser(db, { username: 'analyst', displayName: 'Pat Analyst', organisationId: 'national', roles: ['analyst'] });
    await createUser(db, { username: 'oic', organisationId: 'force-hampshire-and-isle-of-wight', roles: ['investigator'] });
    [lead, analyst, police] = await Promise.all([signIn(app, 'lead', clock), signIn(app, 'analyst', clock), signIn(app, 'oic', clock)]);
  });
  afterAll(async () => {
    await app?.close();
    await db?.close();
  });

  it('the JNAP summary page shows exactly the final report’s counts', async () => {
    const page = await lead.get('/programme/plans/jnap');
    expect(page.statusCode).toBe(200);
    expect({
      original: qa(page.body, 'count-original'),
      refreshComplete: qa(page.body, 'count-refresh-complete'),
      refreshInProgress: qa(page.body, 'count-refresh-in-progress'),
      added: qa(page.body, 'count-added'),
      toDeliver: qa(page.body, 'count-to-deliver'),
      finalComplete: qa(page.body, 'count-final-complete'),
      finalInProgress: qa(page.body, 'count-final-in-progress'),
      transferred: qa(page.body, 'count-final-transferred'),
    }).toEqual({ original: '32', refreshComplete: '24', refreshInProgress: '8', added: '12', toDeliver: '20', finalComplete: '19', finalInProgress: '1', transferred: '2' });
    expect(page.body).toContain('CPS Victim Transformation Programme');
    expect(page.body).toContain('Succeeded by the <a class="govuk-link" href="/programme/plans/jrig">Joint Rape Improvement Group</a>');
  });

  it('the successor group has its four themes and no commitments yet', async () => {
    const page = await analyst.get('/programme/plans/jrig');
    expect(page.statusCode).toBe(200);
    for (const t of ['Leadership and culture', 'Continuous improvement and measuring benefits', 'Innovation for changing offending', 'Influencing the wider criminal justice system']) {
      expect(page.body).toContain(t);
    }
    expect(/data-qa="themes"[\s\S]*?<\/ol>/.exec(page.body)![0].match(/<li>/g)).toHaveLength(4);
    expect(page.body).toContain('data-qa="no-commitments"');
  });

  it('the counts are computed from the stored status history, not typed in', async () => {
    // Back-date one carried-over commitment's completion to before the refresh: the refresh counts follow.
    await db.query(`UPDATE programme_status_events SET effective_on = '2022-09-01' WHERE commitment_id = 'jnap-25' AND status = 'complete'`);
    const page = await lead.get('/programme/plans/jnap');
    expect(qa(page.body, 'count-refresh-complete')).toBe('25');
    expect(qa(page.body, 'count-refresh-in-progress')).toBe('7');
    await db.query(`UPDATE programme_status_events SET effective_on = '2022-11-30' WHERE commitment_id = 'jnap-25' AND status = 'complete'`);
    expect(qa((await lead.get('/programme/plans/jnap')).body, 'count-refresh-complete')).toBe('24');
  });

  it('lists commitments with filters, sorting and paging; marks placeholders', async () => {
    const all = await lead.get('/programme/plans/jnap/commitments');
    expect(qa(all.body, 'result-count')).toBe('44 commitments');
    expect(all.body.match(/data-qa="commitment-row"/g)).toHaveLength(25);
    expect(all.body).toContain('Placeholder');
    const transferred = await lead.get('/programme/plans/jnap/commitments?status=transferred');
    expect(qa(transferred.body, 'result-count')).toBe('2 commitments');
    const sorted = await lead.get('/programme/plans/jnap/commitments?sort=reference&order=asc');
    const refs = [...sorted.body.matchAll(/data-qa="commitment-link">([^<]+)</g)].map((m) => m[1]);
    expect(refs.slice(0, 3)).toEqual(['JNAP 1', 'JNAP 2', 'JNAP 3']);
    const none = await lead.get('/programme/plans/jnap/commitments?status=not_started');
    expect(none.body).toContain('data-qa="no-commitments"');
  });

  it('transferring a commitment needs, and records, where it went', async () => {
    const form = await lead.get('/programme/commitments/jnap-r05/update');
    expect(form.statusCode).toBe(200);
    const version = /name="version" value="(\d+)"/.exec(form.body)![1]!;
    const before = await db.query('SELECT count(*)::int AS n FROM programme_status_events WHERE commitment_id = $1', ['jnap-r05']);

    const bad = await lead.post('/programme/commitments/jnap-r05/update', { status: 'transferred', transferredTo: '', update: 'Moved on', version });
    expect(bad.statusCode).toBe(400);
    expect(bad.body).toContain('govuk-error-summary');
    expect(bad.body).toContain('Enter where the commitment was transferred to');
    expect(await db.query('SELECT count(*)::int AS n FROM programme_status_events WHERE commitment_id = $1', ['jnap-r05'])).toEqual(before);

    const ok = await lead.post('/programme/commitments/jnap-r05/update', { status: 'transferred', transferredTo: 'Home Office Tackling VAWG programme', update: 'Expanded and handed over.', outcome: 'Now governed elsewhere', version });
    expect(ok.statusCode).toBe(303);
    const page = await lead.get(ok.headers.location as string);
    expect(page.body).toContain('Commitment updated.');
    expect(qa(page.body, 'transferred-to')).toBe('Home Office Tackling VAWG programme');
    expect(page.body).toContain('Transferred to other governance to Home Office Tackling VAWG programme');
    const [event] = await db.query<{ status: string; transferred_to: string; effective_on: string }>(
      'SELECT status, transferred_to, effective_on FROM programme_status_events WHERE commitment_id = $1 ORDER BY seq DESC LIMIT 1', ['jnap-r05']);
    expect(event).toEqual({ status: 'transferred', transferred_to: 'Home Office Tackling VAWG programme', effective_on: '2026-11-02' });
    // The report's final position (as at its date) is unchanged by a change made today.
    expect(qa((await lead.get('/programme/plans/jnap')).body, 'count-final-transferred')).toBe('2');

    // A stale form is refused with both versions, and nothing is written.
    const stale = await lead.post('/programme/commitments/jnap-r05/update', { status: 'complete', update: 'Old news', version });
    expect(stale.statusCode).toBe(409);
    expect(stale.body).toContain('Someone else changed this record');
    const audit = await db.query('SELECT count(*)::int AS n FROM audit_log WHERE action = $1 AND entity_id = $2', ['programme:commitment-update', 'jnap-r05']);
    expect(audit).toEqual([{ n: 1 }]);
  });

  it('the annex downloads as an ODS spreadsheet that reads back, and prints', async () => {
    const res = await lead.get('/programme/plans/jnap/annex.ods');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('application/vnd.oasis.opendocument.spreadsheet');
    expect(res.headers['content-disposition']).toBe('attachment; filename="jnap-annex.ods"');
    const [sheet] = readOds(res.rawPayload);
    expect(sheet!.name).toBe('JNAP annex');
    expect(sheet!.columns).toEqual(['Reference', 'Commitment', 'Placeholder wording', 'Owner', 'Theme', 'At refresh', 'Status', 'Transferred to', 'Latest update', 'Outcome']);
    expect(sheet!.rows).toHaveLength(44);
    const pilot = sheet!.rows.find((r) => r[0] === 'JNAP 32')!;
    expect(pilot.slice(1, 4)).toEqual(['Psychological injury evaluation pilot', 'No', 'Joint (police and CPS)']);
    expect(pilot[6]).toBe('In progress');
    const eso = sheet!.rows.find((r) => r[0] === 'JNAP R11')!;
    expect([eso[6], eso[7]]).toEqual(['Transferred to other governance', 'CPS Victim Transformation Programme']);

    const html = await lead.get('/programme/plans/jnap/annex');
    expect(html.body.match(/data-qa="annex-row"/g)).toHaveLength(44);
    const print = await lead.get('/programme/plans/jnap/annex/print');
    expect(print.body).toContain('<link href="/programme/print.css" rel="stylesheet">');
    expect(print.body).not.toContain('govuk-service-navigation');
    const css = await lead.get('/programme/print.css');
    expect(css.headers['content-type']).toContain('text/css');
    expect(css.body).toContain('@media print');
  });

  it('workforce shows CPS RASSO units 360 → 611 FTE (+70%) and figures by Area and force', async () => {
    const page = await analyst.get('/programme/workforce');
    expect(page.statusCode).toBe(200);
    expect(qa(page.body, 'cps-baseline')).toBe('360 FTE');
    expect(qa(page.body, 'cps-latest')).toBe('611 FTE');
    expect(qa(page.body, 'cps-change')).toBe('+70%');
    const byArea = /data-qa="cps-by-area"[\s\S]*?<\/table>/.exec(page.body)![0];
    expect(byArea.match(/<th scope="row"/g)).toHaveLength(14);
    expect(byArea).toContain('Wessex');
    expect(page.body).toContain('role="img"');
    expect(page.body).toContain('data-qa="police-by-force"');
  });

  it('a new workforce figure for one unit moves the national total by that unit’s change', async () => {
    await lead.get('/programme/workforce/new');
    const bad = await lead.post('/programme/workforce', { measure: 'cps_rasso_fte', cpsAreaId: '', 'asOf-day': '30', 'asOf-month': '9', 'asOf-year': '2026', value: '4.25' });
    expect(bad.statusCode).toBe(400);
    expect(bad.body).toContain('Select the CPS Area');
    expect(bad.body).toContain('The figure must be a number with at most one decimal place, like 43.5');
    const [wessex] = await db.query<{ value: number }>(`SELECT value::float8 AS value FROM programme_workforce WHERE cps_area_id = 'wessex' ORDER BY as_of DESC LIMIT 1`);
    const ok = await lead.post('/programme/workforce', { measure: 'cps_rasso_fte', cpsAreaId: 'wessex', 'asOf-day': '30', 'asOf-month': '9', 'asOf-year': '2026', value: String(wessex!.value + 5) });
    expect(ok.statusCode).toBe(303);
    const page = await lead.get(ok.headers.location as string);
    expect(page.body).toContain('Workforce figure recorded.');
    expect(qa(page.body, 'cps-baseline')).toBe('360 FTE');
    expect(qa(page.body, 'cps-latest')).toBe('616 FTE');
    expect(qa(page.body, 'cps-change')).toBe('+71%');
    const again = await lead.post('/programme/workforce', { measure: 'cps_rasso_fte', cpsAreaId: 'wessex', 'asOf-day': '30', 'asOf-month': '9', 'asOf-year': '2026', value: '1' });
    expect(again.body).toContain('A figure for that organisation on that date is already recorded');
    // Put the report's figures back for the tests that follow.
    await db.query(`DELETE FROM programme_workforce WHERE as_of = '2026-09-30'`);
  });

  it('training: RISDP 4,540 against 2,000; the analyst records completions (with validation) and the chart follows', async () => {
    const page = await analyst.get('/programme/training');
    expect(qa(page.body, 'course-total')).toBe('4,540');
    expect(qa(page.body, 'course-target')).toBe('2,000');
    expect(qa(page.body, 'course-percent')).toBe('227%');
    expect(page.body).toMatch(/<svg role="img" aria-label="Line chart of RISDP completions over time: 4,540 in total against a target of 2,000"/);
    expect(page.body.match(/data-qa="chart-row"/g)).toHaveLength(2);

    await analyst.get('/programme/training/completions/new?course=risdp');
    const bad = await analyst.post('/programme/training/completions', { courseId: 'risdp', forceId: '', 'periodEnd-day': '31', 'periodEnd-month': '2', 'periodEnd-year': '2025', completed: 'lots' });
    expect(bad.statusCode).toBe(400);
    expect(bad.body).toContain('Select the police force');
    expect(bad.body).toContain('The date the period ended must be a real date');
    expect(bad.body).toContain('Number completed must be a whole number, like 25');
    const future = await analyst.post('/programme/training/completions', { courseId: 'risdp', forceId: 'kent', 'periodEnd-day': '30', 'periodEnd-month': '11', 'periodEnd-year': '2027', completed: '5' });
    expect(future.body).toContain('The date the period ended must be today or in the past');
    expect((await db.query('SELECT count(*)::int AS n FROM programme_training_completions WHERE recorded_by IS NOT NULL'))[0]).toEqual({ n: 0 });

    const ok = await analyst.post('/programme/training/completions', { courseId: 'risdp', forceId: 'kent', 'periodEnd-day': '30', 'periodEnd-month': '9', 'periodEnd-year': '2026', completed: '1,200' });
    expect(ok.statusCode).toBe(303);
    const after = await analyst.get(ok.headers.location as string);
    expect(after.body).toContain('Training completions recorded.');
    expect(qa(after.body, 'course-total')).toBe('5,740');
    expect(after.body.match(/data-qa="chart-row"/g)).toHaveLength(3);
    expect(after.body).toContain('5,740 in total against a target of 2,000');
    expect(after.body).toContain('Podcast'); // joint learning events with attendance by organisation
  });

  it('joint learning events are recorded with attendance by organisation', async () => {
    await analyst.get('/programme/training/events/new');
    const bad = await analyst.post('/programme/training/events', { title: '', 'heldOn-day': '', 'heldOn-month': '', 'heldOn-year': '', police: 'ten' });
    expect(bad.statusCode).toBe(400);
    for (const m of ['Select the kind of event', 'Enter the event’s title', 'Enter the date of the event', 'Police attendance must be a whole number, like 40']) expect(bad.body).toContain(m);
    const nobody = await analyst.post('/programme/training/events', { kind: 'webinar', title: 'Empty room', 'heldOn-day': '1', 'heldOn-month': '10', 'heldOn-year': '2026' });
    expect(nobody.body).toContain('Enter how many attended from at least one organisation');
    const ok = await analyst.post('/programme/training/events', { kind: 'webinar', title: 'Joint webinar on digital evidence', 'heldOn-day': '1', 'heldOn-month': '10', 'heldOn-year': '2026', police: '120', cps: '45', isva: '', other: '3' });
    expect(ok.statusCode).toBe(303);
    const page = await analyst.get(ok.headers.location as string);
    expect(page.body).toContain('Joint learning event recorded.');
    const row = /<tr class="govuk-table__row"><th scope="row" class="govuk-table__header">Webinar: Joint webinar on digital evidence<\/th>[\s\S]*?<\/tr>/.exec(page.body)![0];
    expect([...row.matchAll(/govuk-table__cell--numeric">([^<]+)</g)].map((m) => m[1])).toEqual(['120', '45', '0', '3', '168']);
    expect((await police.get('/programme/training/events/new')).statusCode).toBe(403);
  });

  it('pilot readiness flips when the last enrolled case is finalised at court', async () => {
    const open = async () => {
      await police.get('/cases/new');
      return caseIdFrom(await police.post('/cases', forms.case()));
    };
    const [a, b] = [await open(), await open()];
    const refs = await Promise.all([a, b].map(async (id) => (await services.cases.summary(id)).reference));
    const dashboard = () => lead.get('/programme/pilots/psychological-injury');
    expect(qa((await dashboard()).body, 'pilot-items')).toBe('80');
    expect(qa((await dashboard()).body, 'readiness-status')).toBe('Not ready for evaluation');

    await lead.get('/programme/pilots/psychological-injury');
    const missing = await lead.post('/programme/pilots/psychological-injury/cases', { reference: 'NOPE-1' });
    expect(missing.statusCode).toBe(400);
    expect(missing.body).toContain('No case has that reference');
    for (const r of refs) expect((await lead.post('/programme/pilots/psychological-injury/cases', { reference: r })).statusCode).toBe(303);
    const again = await lead.post('/programme/pilots/psychological-injury/cases', { reference: refs[0]! });
    expect(again.body).toContain('That case is already enrolled in this pilot');

    const move = (id: string, stage: 'charging_decision' | 'charged' | 'trial' | 'convicted' | 'acquitted') =>
      db.transaction((tx) => services.cases.recordProgress(tx, id, { stage, referred: true }));
    for (const s of ['charging_decision', 'charged', 'convicted'] as const) await move(a, s);
    for (const s of ['charging_decision', 'charged', 'trial'] as const) await move(b, s);
    let page = await dashboard();
    expect(qa(page.body, 'pilot-enrolled')).toBe('2');
    expect(qa(page.body, 'pilot-finalised')).toBe('1');
    expect(qa(page.body, 'readiness-status')).toBe('Not ready for evaluation');
    await move(b, 'acquitted');
    page = await dashboard();
    expect(qa(page.body, 'readiness-status')).toBe('Ready for evaluation');
    expect((await lead.get('/programme/pilots')).body).toContain('>Ready<');

    // Items received: validated, and tied only to a case enrolled in the pilot.
    const badItem = await lead.post('/programme/pilots/psychological-injury/items', { label: '', 'receivedOn-day': '', 'receivedOn-month': '', 'receivedOn-year': '' });
    expect(badItem.statusCode).toBe(400);
    expect(badItem.body).toContain('Enter what was received');
    expect(badItem.body).toContain('Enter the date it was received');
    const stranger = await lead.post('/programme/pilots/psychological-injury/items', { label: 'Psychological injury report', 'receivedOn-day': '1', 'receivedOn-month': '10', 'receivedOn-year': '2026', caseReference: 'NOPE-2' });
    expect(stranger.body).toContain('Enter the reference of a case enrolled in this pilot, or leave it blank');
    const item = await lead.post('/programme/pilots/psychological-injury/items', { label: 'Psychological injury report', 'receivedOn-day': '1', 'receivedOn-month': '10', 'receivedOn-year': '2026', caseReference: refs[1]! });
    expect(item.statusCode).toBe(303);
    page = await lead.get(item.headers.location as string);
    expect(page.body).toContain('Item recorded as received.');
    expect(qa(page.body, 'pilot-items')).toBe('81');
    const viewed = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM audit_log WHERE action = 'programme:pilot-view'`);
    expect(viewed[0]!.n).toBeGreaterThan(0);
  });

  it('case studies are stored only after redaction of the linked case’s identifiers', async () => {
    await police.get('/cases/new');
    const caseId = caseIdFrom(await police.post('/cases', forms.case()));
    await police.post(`/cases/${caseId}/victims`, forms.victim());
    await police.post(`/cases/${caseId}/suspects`, forms.suspect());
    const { reference } = await services.cases.summary(caseId);

    await lead.get('/programme/case-studies/new');
    const empty = await lead.post('/programme/case-studies', { themeId: '', title: '', body: '' });
    expect(empty.statusCode).toBe(400);
    expect(empty.body).toContain('Select the theme');
    const res = await lead.post('/programme/case-studies', {
      themeId: 'jrig-leadership', title: 'Early Advice changed the outcome for Amelia',
      body: `Amelia Quintrell (07700 900123) reported that Bob Hallworth, of SO14 1AA, had raped her. Case ${reference}.`,
      learning: 'Early Advice within 28 days helped.', caseReference: reference,
    });
    expect(res.statusCode).toBe(303);
    const [stored] = await db.query<{ title: string; body: string; redactions: number }>('SELECT title, body, redactions FROM programme_case_studies');
    for (const secret of ['Amelia', 'Quintrell', '07700', 'Hallworth', 'SO14', reference]) {
      expect(stored!.title + stored!.body).not.toContain(secret);
    }
    // The scrutiny redactor puts role labels where the people were.
    expect(stored!.body).toContain('[VICTIM]');
    expect(stored!.body).toContain('[SUSPECT 1]');
    expect(stored!.body).toContain('[CASE REFERENCE]');
    expect(stored!.redactions).toBeGreaterThanOrEqual(5);
    const page = await lead.get(res.headers.location as string);
    expect(page.body).toContain('Case study saved.');
    expect((await lead.get('/programme/case-studies?theme=jrig-leadership')).body).toContain('Early Advice changed the outcome for [VICTIM]');
    expect((await lead.get('/programme/case-studies?theme=jrig-innovation')).body).toContain('data-qa="no-case-studies"');
  });

  it('only national leads and analysts see the programme; only national leads change it', async () => {
    expect((await police.get('/programme')).statusCode).toBe(403);
    expect((await police.get('/programme/plans/jnap/annex.ods')).statusCode).toBe(403);
    expect((await police.get('/programme')).body).not.toContain('data-qa="plan-list"');
    expect((await analyst.get('/programme/commitments/jnap-01/update')).statusCode).toBe(403);
    await analyst.get('/programme/commitments/jnap-01');
    expect((await analyst.post('/programme/commitments/jnap-01/update', { status: 'complete', update: 'x', version: '1' })).statusCode).toBe(403);
    // Refused before validation: an invalid form from someone who may not record figures is 403, not a list of field errors.
    expect((await police.post('/programme/workforce', { measure: 'cps_rasso_fte', value: 'lots' })).statusCode).toBe(403);
    expect((await analyst.get('/programme/commitments/jnap-01')).body).not.toContain('data-qa="update-commitment"');
    expect((await lead.get('/programme/commitments/jnap-01')).body).toContain('data-qa="update-commitment"');
    expect((await lead.get('/programme/commitments/nope')).statusCode).toBe(404);
    expect((await lead.get('/programme/case-studies/not-a-uuid')).statusCode).toBe(404);
    expect((await lead.get('/programme/pilots/nope')).statusCode).toBe(404);
    expect((await lead.get('/programme/plans/nope/annex.ods')).statusCode).toBe(404);
    const nav = (await lead.get('/programme')).body;
    expect(nav).toContain('href="/programme"');
    const json = await app.inject({ method: 'GET', url: '/programme/plans/nope', headers: { accept: 'application/json' } });
    expect(json.statusCode).toBe(401);
  });
});
