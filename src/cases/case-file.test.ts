import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import type { Db } from '../db/database.ts';
import { PgliteDb } from '../db/database.ts';
import { type Agent, caseIdFrom, createUser, forms, signIn, testApp, testDb } from '../testing/harness.ts';

describe('joint case file', () => {
  let db: Db;
  let app: FastifyInstance;
  let investigator: Agent;
  let caseId: string;

  const count = async (table: string) => (await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table}`))[0]!.n;

  beforeAll(async () => {
    db = await testDb();
    ({ app } = await testApp(db));
    await createUser(db, { username: 'hants.inv', organisationId: 'force-hampshire-and-isle-of-wight', roles: ['investigator'] });
    await createUser(db, { username: 'met.inv', organisationId: 'force-metropolitan-police', roles: ['investigator'] });
    investigator = await signIn(app, 'hants.inv');
  });
  afterAll(async () => {
    await app?.close();
    await db?.close();
  });

  it('opens a case, adds a victim and a suspect, shows them on the case and the case in the list', async () => {
    expect((await investigator.get('/cases/new')).statusCode).toBe(200);
    caseId = caseIdFrom(await investigator.post('/cases', forms.case()));
    const page = await investigator.get(`/cases/${caseId}?done=created`);
    expect(page.statusCode).toBe(200);
    expect(page.headers['cache-control']).toBe('no-store');
    expect(page.body).toContain('Case opened');
    expect(page.body).toContain('Officer in case');

    expect((await investigator.post(`/cases/${caseId}/victims`, forms.victim())).statusCode).toBe(303);
    expect((await investigator.post(`/cases/${caseId}/suspects`, forms.suspect())).statusCode).toBe(303);

    const after = await investigator.get(`/cases/${caseId}`);
    expect(after.body).toContain('Amelia Quintrell');
    expect(after.body).toContain('Victim V1');
    expect(after.body).toContain('Robert Hallworth');
    expect(after.body).toContain('Bob Hallworth');
    expect(after.body).toContain('Suspect S1 recorded'); // on the timeline
    const list = await investigator.get('/cases');
    expect(list.body).toMatch(/HIW-25-\d{6}/);
    expect(list.body).not.toContain('Quintrell'); // lists never show victims
  });

  it('keeps victim identity out of the database in plaintext', async () => {
    const rows = await db.query<{ name_enc: string; contact_enc: string; date_of_birth_enc: string }>('SELECT name_enc, contact_enc, date_of_birth_enc FROM victims');
    expect(rows[0]!.name_enc).toMatch(/^test:/);
    if (db instanceof PgliteDb) {
      await db.exec('CHECKPOINT');
      const raw = Buffer.from(await (await db.pglite.dumpDataDir('none')).arrayBuffer());
      expect(raw.includes('Hallworth')).toBe(true); // suspects are stored searchable: proves the scan sees table data
      for (const secret of ['Quintrell', '07700 900123', 'victim@example.invalid', 'SO14 1AA', '1998-06-14']) expect(raw.includes(secret), secret).toBe(false);
    } else {
      // pg_dump of this test's schema: everything PostgreSQL holds, as an operator would back it up
      const [{ schema }] = (await db.query<{ schema: string }>('SELECT current_schema() AS schema')) as [{ schema: string }];
      const url = new URL(process.env.TEST_DATABASE_URL!);
      const dump = execFileSync('pg_dump', ['-h', url.hostname, '-p', url.port || '5432', '-U', url.username || 'postgres', '-n', schema, url.pathname.slice(1)], { maxBuffer: 256 * 1024 * 1024 }).toString();
      expect(dump).toContain('Hallworth');
      for (const secret of ['Quintrell', '07700 900123', 'victim@example.invalid', 'SO14 1AA', '1998-06-14']) expect(dump.includes(secret), secret).toBe(false);
    }
  });

  it('shows every error in a GOV.UK error summary and saves nothing when a form is wrong', async () => {
    const before = await count('cases');
    const res = await investigator.post('/cases', { 'reportedDate-day': '31', 'reportedDate-month': '2', 'reportedDate-year': '2025', summary: '' });
    expect(res.statusCode).toBe(400);
    expect(res.body).toContain('govuk-error-summary');
    expect(res.body).toContain('Select at least one offence');
    expect(res.body).toContain('The date it was reported must be a real date');
    expect(res.body).toContain('Enter a short summary of the allegation');
    expect(await count('cases')).toBe(before);

    const future = await investigator.post('/cases', forms.case({ 'reportedDate-year': '2999' }));
    expect(future.body).toContain('The date it was reported must be today or in the past');
    const order = await investigator.post('/cases', forms.case({ 'offenceDate-year': '2025', 'offenceDate-month': '3' }));
    expect(order.body).toContain('The date of the offence must be on or before the date it was reported');
    const bogus = await investigator.post('/cases', forms.case({ offences: ['SOA2003-s999'] }));
    expect(bogus.statusCode).toBe(400);
    expect(await count('cases')).toBe(before);

    const victims = await count('victims');
    const v = await investigator.post(`/cases/${caseId}/victims`, forms.victim({ givenName: '', phone: '12345', email: 'not-an-email', contactMethod: '' }));
    expect(v.statusCode).toBe(400);
    for (const msg of ['Enter the victim’s first name', 'Enter a UK phone number', 'Enter an email address in the correct format', 'Select how the victim wants to be contacted']) expect(v.body).toContain(msg);
    expect(await count('victims')).toBe(victims);
  });

  it('refuses a stale edit with a conflict page showing both versions, and changes nothing', async () => {
    const form = await investigator.get(`/cases/${caseId}/edit`);
    const version = /name="version" value="(\d+)"/.exec(form.body)![1]!;
    const first = await investigator.post(`/cases/${caseId}/edit`, { ...forms.case({ summary: 'First edit wins.' }), version });
    expect(first.statusCode).toBe(303);
    const stale = await investigator.post(`/cases/${caseId}/edit`, { ...forms.case({ summary: 'Second edit from an old form.' }), version });
    expect(stale.statusCode).toBe(409);
    expect(stale.body).toContain('Someone else changed this record');
    expect(stale.body).toContain('First edit wins.');
    expect(stale.body).toContain('Second edit from an old form.');
    const [row] = await db.query<{ summary: string; version: number }>('SELECT summary, version FROM cases WHERE id = $1', [caseId]);
    expect(row).toEqual({ summary: 'First edit wins.', version: Number(version) + 1 });

    const [victim] = await db.query<{ id: string; version: number }>('SELECT id, version FROM victims WHERE case_id = $1', [caseId]);
    await investigator.post(`/cases/${caseId}/victims/${victim!.id}/edit`, { ...forms.victim({ familyName: 'Newname' }), version: String(victim!.version) });
    const staleVictim = await investigator.post(`/cases/${caseId}/victims/${victim!.id}/edit`, { ...forms.victim({ familyName: 'Oldform' }), version: String(victim!.version) });
    expect(staleVictim.statusCode).toBe(409);
    expect((await investigator.get(`/cases/${caseId}`)).body).toContain('Amelia Newname');
  });

  it('asks a Met investigator which London Area takes the case and records it', async () => {
    const met = await signIn(app, 'met.inv');
    const form = await met.get('/cases/new');
    expect(form.body).toContain('London North');
    expect(form.body).toContain('London South');
    const id = caseIdFrom(await met.post('/cases', forms.case({ cpsAreaId: 'london-south' })));
    expect((await db.query<{ cps_area_id: string }>('SELECT cps_area_id FROM cases WHERE id = $1', [id]))[0]!.cps_area_id).toBe('london-south');
    const wrong = await met.post('/cases', forms.case({ cpsAreaId: 'wessex' }));
    expect(wrong.statusCode).toBe(400);
  });

  it('filters, sorts and paginates the case list', async () => {
    for (let i = 0; i < 27; i++) {
      await investigator.post('/cases', forms.case({ offences: [i % 2 ? 'SOA2003-s3' : 'SOA2003-s1'], 'reportedDate-day': String(1 + (i % 28)), 'reportedDate-month': '1', 'reportedDate-year': '2025', 'offenceDate-day': '', 'offenceDate-month': '', 'offenceDate-year': '' }));
    }
    const all = await investigator.get('/cases');
    expect(all.body).toContain('28 cases, showing 1 to 25');
    expect(all.body).toContain('govuk-pagination');
    const page2 = await investigator.get('/cases?page=2');
    expect(page2.body).toContain('showing 26 to 28');
    const assaults = await investigator.get('/cases?offence=SOA2003-s3');
    expect(assaults.body).toContain('13 cases');
    const range = await investigator.get('/cases?from=2025-01-01&to=2025-01-05');
    expect(range.body).toContain('5 cases');
    const asc = await investigator.get('/cases?sort=reported&order=asc');
    const refs = [...asc.body.matchAll(/data-qa="case-link">([^<]+)</g)].map((m) => m[1]);
    expect(refs.length).toBe(25);
    const bySuspect = await investigator.get('/cases?q=hallworth');
    expect(bySuspect.body).toContain('1 case');
    const none = await investigator.get('/cases?q=zzzz-nothing');
    expect(none.body).toContain('No cases match');
    const junk = await investigator.get('/cases?page=-4&sort=evil&stage=nope');
    expect(junk.statusCode).toBe(200);
  });
});
