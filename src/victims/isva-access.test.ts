import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import type { Db } from '../db/database.ts';
import type { Services } from '../services.ts';
import { caseRoutes } from '../cases/routes.ts';
import { chargingRoutes } from '../charging/routes.ts';
import { earlyAdviceRoutes } from '../early-advice/routes.ts';
import { type Agent, createUser, forms, signIn, testApp, testDb } from '../testing/harness.ts';
import { victimRoutes } from './routes.ts';
import { addIsvaService, appRoutes, charge, count, date, idOf, openCase, routesOf } from './test-support.ts';

/**
 * An ISVA reaches a victim only through the victim's recorded consent naming them: without it, nothing; after it is
 * withdrawn, nothing at once; with it, only the victim-facing parts the consent covers, never suspect material and
 * never the case file, on every route. Every ISVA view is audited, without the victim's identity.
 */
describe('ISVA access through consent', () => {
  let db: Db;
  let app: FastifyInstance;
  let services: Services;
  let police: Agent;
  let caseId: string;
  const ids: Record<string, string> = {};
  // Anything from the suspect-focused investigation, or identity the ISVA was not given.
  const SUSPECT_MATERIAL = ['Hallworth', 'Robert', '07700 900456', 'rob.h@example.invalid', 'snapchat:robh87', 'HX15 ABC', '22 Harbour Road', 'Witnessby', 'acquaintance after a night out', 'SECRET-POLICE-NOTE'];
  const IDENTITY = ['Quintrell', 'Amelia', '07700 900123', 'victim@example.invalid', '1 Test Street'];

  beforeAll(async () => {
    db = await testDb();
    ({ app, services } = await testApp(db));
    await addIsvaService(db, 'isva-a', 'Alpha ISVA service');
    await addIsvaService(db, 'isva-b', 'Beta ISVA service');
    ids.police = await createUser(db, { username: 'hants', organisationId: 'force-hampshire-and-isle-of-wight', roles: ['investigator'] });
    await createUser(db, { username: 'pros', organisationId: 'rasso-wessex', roles: ['prosecutor'] });
    ids.isva1 = await createUser(db, { username: 'isva1', displayName: 'Isla One', organisationId: 'isva-a', roles: ['isva'] });
    ids.isva2 = await createUser(db, { username: 'isva2', displayName: 'Ivy Two', organisationId: 'isva-a', roles: ['isva'] });
    ids.isva3 = await createUser(db, { username: 'isva3', displayName: 'Ira Three', organisationId: 'isva-b', roles: ['isva'] });

    police = await signIn(app, 'hants');
    caseId = await openCase(police, { suspect: true, witness: true });
    ids.victim = await idOf(db, 'SELECT id FROM victims WHERE case_id = $1', [caseId]);
    ids.suspect = await idOf(db, 'SELECT id FROM suspects WHERE case_id = $1', [caseId]);
    ids.witness = await idOf(db, 'SELECT id FROM witnesses WHERE case_id = $1', [caseId]);
    await charge(services, caseId);

    // Victim care with something in every part: an arrest, a police contact whose note mentions the suspect, a plea,
    // special measures for the victim and for the witness.
    await police.get(`/cases/${caseId}/victim-care/events/new`);
    expect((await police.post(`/cases/${caseId}/victim-care/events`, { kind: 'arrest', ...date('2026-11-02', 'occurredOn') })).statusCode).toBe(303);
    ids.arrestDuty = await idOf(db, `SELECT id FROM victim_duties WHERE kind = 'arrest'`);
    await police.get(`/cases/${caseId}/victim-care/victims/${ids.victim}/contacts/new`);
    expect((await police.post(`/cases/${caseId}/victim-care/victims/${ids.victim}/contacts`, {
      ...date('2026-11-02', 'contactedOn'), contactedTime: '19:00', channel: 'phone', purpose: 'code_update', note: 'SECRET-POLICE-NOTE: told V1 Robert Hallworth was arrested', dutyIds: ids.arrestDuty,
    })).statusCode).toBe(303);
    const pros = await signIn(app, 'pros');
    await pros.get(`/cases/${caseId}/victim-care/plea/new`);
    expect((await pros.post(`/cases/${caseId}/victim-care/plea`, { plea: 'not_guilty', ...date('2026-11-10', 'enteredOn') })).statusCode).toBe(303);
    ids.meeting = await idOf(db, 'SELECT id FROM pre_trial_meetings');
    expect((await pros.post(`/cases/${caseId}/victim-care/special-measures`, { person: `victim:${ids.victim}`, measure: 's28_pre_recorded_cross_examination', status: 'requested', wishes: 'Wants to record cross-examination early' })).statusCode).toBe(303);
    expect((await pros.post(`/cases/${caseId}/victim-care/special-measures`, { person: `witness:${ids.witness}`, measure: 's23_screens', status: 'discussed', wishes: 'Witness wants screens' })).statusCode).toBe(303);
    ids.measure = await idOf(db, `SELECT id FROM special_measures WHERE victim_id IS NOT NULL`);
  });
  afterAll(async () => {
    await app?.close();
    await db?.close();
  });

  const consentCount = () => count(db, 'SELECT count(*)::int AS n FROM isva_consents');
  const fakeConsent = '00000000-0000-4000-8000-000000000001';

  /**
   * Every route the app serves (every capability, not only victim care), filled in with this case's ids. Left out:
   * signing in and out, which manage the session itself, and the API's PUT and DELETE, which take OAuth client
   * tokens rather than a session (the API's GET and POST routes are still tried with the ISVA's session).
   */
  async function everyRoute(consentId: string): Promise<[string, string][]> {
    const all = appRoutes(app);
    // the case file, Early Advice, charging and victim care are all there
    for (const plugin of await routesOf([caseRoutes, earlyAdviceRoutes, chargingRoutes, victimRoutes], services)) expect(all).toContainEqual(plugin);
    const routes = all.filter(([m, url]) => (m === 'GET' || m === 'POST') && !/^\/(sign-in|sign-out|signed-out)/.test(url));
    const fill: Record<string, string> = {
      caseId, victimId: ids.victim!, suspectId: ids.suspect!, witnessId: ids.witness!, witnesseId: ids.witness!, consentId, meetingId: ids.meeting!, measureId: ids.measure!, userId: ids.police!,
      queryId: ids.query ?? fakeConsent, letterId: fakeConsent,
    };
    expect(routes.length).toBeGreaterThan(150);
    expect(routes).toContainEqual(['GET', '/cases/:caseId']);
    expect(routes).toContainEqual(['GET', '/isva/victims/:consentId']);
    return routes.map(([m, url]) => [m, url.replace(/:(\w+)/g, (_, name: string) => fill[name] ?? fakeConsent).replace(/\*$/, 'no-such-page')]);
  }

  async function expectNoLeak(agent: Agent, routes: [string, string][], opts: { identity: boolean }) {
    const statuses: Record<string, number> = {};
    for (const [method, url] of routes) {
      if (method === 'POST') await agent.get('/isva/victims'); // a fresh form token, so a refusal is the route's own
      const res = method === 'GET' ? await agent.get(url) : await agent.post(url, { reason: 'x' }); // no version and no text: nothing can change
      statuses[`${method} ${url}`] = res.statusCode;
      expect(res.statusCode, `${method} ${url} fails`).toBeLessThan(500);
      for (const s of SUSPECT_MATERIAL) expect(res.body, `${method} ${url} shows "${s}"`).not.toContain(s);
      if (!opts.identity) for (const s of IDENTITY) expect(res.body, `${method} ${url} shows identity "${s}"`).not.toContain(s);
      // anything about this case is withheld; the case list and the open-a-case form refuse (a bad form may be refused first)
      if (/^\/api\/v1\/(cases|webhook)/.test(url)) expect([401, 403, 404], `${method} ${url}`).toContain(res.statusCode); // the API takes client tokens, not sessions
      else if (url.includes(caseId)) expect([403, 404], `${method} ${url}`).toContain(res.statusCode);
      else if (url.startsWith('/cases')) expect([400, 403, 404], `${method} ${url}`).toContain(res.statusCode);
    }
    return statuses;
  }

  it('gives an ISVA without consent nothing: no list entry, no victim page, no case, no query by case reference', async () => {
    const isva = await signIn(app, 'isva1');
    const home = await isva.get('/isva/victims');
    expect(home.statusCode).toBe(200);
    expect(home.body).toContain('No victim has consented');
    expect(home.body).not.toContain('HIW-');
    const before = await count(db, 'SELECT count(*)::int AS n FROM victim_contacts');
    const statuses = await expectNoLeak(isva, await everyRoute(fakeConsent), { identity: false });
    for (const [route, status] of Object.entries(statuses)) {
      if (route.includes('/isva/victims/')) expect(status, route).toBe(404);
      if (route.includes('/victim-care/') && !route.includes('/cases/')) expect([403, 404], route).toContain(status);
    }
    expect(await count(db, 'SELECT count(*)::int AS n FROM victim_contacts')).toBe(before);
    // the case reference is refused in the same words as one that does not exist, so its existence does not leak
    const [ref] = await db.query<{ reference: string }>('SELECT reference FROM cases WHERE id = $1', [caseId]);
    await isva.get('/isva/queries/new');
    const q = await isva.post('/isva/queries', { caseReference: ref!.reference, subject: 'Court date?', body: 'When is the trial?' });
    const unknown = await isva.post('/isva/queries', { caseReference: 'HIW-25-999999', subject: 'Court date?', body: 'When is the trial?' });
    expect(q.statusCode).toBe(400);
    expect(unknown.statusCode).toBe(400);
    const msg = (body: string) => /govuk-error-message">[\s\S]*?<\/span>([^<]*)/.exec(body)?.[1]?.trim();
    expect(msg(q.body)).toContain('Enter the reference of a case where a victim has consented');
    expect(msg(q.body)).toBe(msg(unknown.body));
    expect(await count(db, 'SELECT count(*)::int AS n FROM isva_queries')).toBe(0);
    expect(await count(db, `SELECT count(*)::int AS n FROM audit_log WHERE actor_user_id = $1 AND outcome = 'denied' AND action LIKE 'isva:%'`, [ids.isva1])).toBeGreaterThan(0);
  });

  it('with consent shows the victim-facing parts it covers, and nothing of the investigation, on every route', async () => {
    await police.get(`/cases/${caseId}/victim-care/victims/${ids.victim}/consents/new`);
    const bad = await police.post(`/cases/${caseId}/victim-care/victims/${ids.victim}/consents`, { isvaUserId: ids.isva1, ...date('2026-11-03', 'givenOn') });
    expect(bad.statusCode).toBe(400);
    expect(bad.body).toContain('Select what the victim agreed to share');
    expect(await consentCount()).toBe(0);
    const ok = await police.post(`/cases/${caseId}/victim-care/victims/${ids.victim}/consents`, {
      isvaUserId: ids.isva1, scope: ['key_dates', 'decisions', 'meetings', 'special_measures', 'contact_log'], ...date('2026-11-03', 'givenOn'), method: 'written',
    });
    expect(ok.statusCode).toBe(303);
    ids.consent1 = await idOf(db, 'SELECT id FROM isva_consents WHERE isva_user_id = $1', [ids.isva1]);

    const isva = await signIn(app, 'isva1');
    const home = await isva.get('/isva/victims');
    expect(home.body).toContain(`/isva/victims/${ids.consent1}`);
    const viewsBefore = await count(db, `SELECT count(*)::int AS n FROM audit_log WHERE actor_user_id = $1 AND action = 'isva:view' AND outcome = 'allowed'`, [ids.isva1]);
    const page = await isva.get(`/isva/victims/${ids.consent1}`);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('Suspect arrested');
    expect(page.body).toContain('Plea entered at court');
    expect(page.body).toContain('s.28 Pre-recorded cross-examination');
    expect(page.body).toContain('Wants to record cross-examination early');
    expect(page.body).toContain('Offer due');
    expect(page.body).not.toContain('Witness wants screens'); // a witness's measures are not the victim's
    expect(page.body).toContain('Victim V1');
    for (const s of [...SUSPECT_MATERIAL, ...IDENTITY]) expect(page.body, s).not.toContain(s);
    const viewsAfter = await count(db, `SELECT count(*)::int AS n FROM audit_log WHERE actor_user_id = $1 AND action = 'isva:view' AND outcome = 'allowed'`, [ids.isva1]);
    expect(viewsAfter).toBe(viewsBefore + 1);
    const audits = await db.query<{ detail: unknown; entity_id: string }>(`SELECT detail, entity_id FROM audit_log WHERE actor_user_id = $1`, [ids.isva1]);
    expect(JSON.stringify(audits)).not.toMatch(/Quintrell|Amelia/);

    // a query about the case now routes by its reference
    const [ref] = await db.query<{ reference: string }>('SELECT reference FROM cases WHERE id = $1', [caseId]);
    await isva.get('/isva/queries/new');
    const sent = await isva.post('/isva/queries', { caseReference: ref!.reference.toLowerCase(), subject: 'Pre-trial meeting', body: 'Can I attend the meeting with V1?' });
    expect(sent.statusCode).toBe(303);
    ids.query = await idOf(db, 'SELECT id FROM isva_queries');

    // every route: the case file stays closed, the ISVA's own pages show nothing of the investigation
    const statuses = await expectNoLeak(isva, await everyRoute(ids.consent1!), { identity: false });
    expect(statuses[`GET /isva/victims/${ids.consent1}`]).toBe(200);
    expect(statuses[`GET /isva/queries/${ids.query}`]).toBe(200);
    expect(statuses[`GET /cases/${caseId}`]).toBe(404);
    expect(statuses[`GET /cases/${caseId}/victim-care`]).toBe(404);

    // another ISVA, even of the same service, and an ISVA of another service, get nothing from this consent
    for (const other of ['isva2', 'isva3']) {
      const agent = await signIn(app, other);
      expect((await agent.get(`/isva/victims/${ids.consent1}`)).statusCode, other).toBe(404);
      expect((await agent.get(`/isva/queries/${ids.query}`)).statusCode, other).toBe(404);
      expect((await agent.get('/isva/victims')).body).not.toContain(ids.consent1);
    }
  });

  it('shows the victim’s name only when the consent’s scope includes it', async () => {
    await police.get(`/cases/${caseId}/victim-care/victims/${ids.victim}/consents/new`);
    expect((await police.post(`/cases/${caseId}/victim-care/victims/${ids.victim}/consents`, {
      isvaUserId: ids.isva2, scope: ['identity', 'meetings'], ...date('2026-11-04', 'givenOn'), method: 'verbal',
    })).statusCode).toBe(303);
    ids.consent2 = await idOf(db, 'SELECT id FROM isva_consents WHERE isva_user_id = $1', [ids.isva2]);
    const isva2 = await signIn(app, 'isva2');
    const home = await isva2.get('/isva/victims');
    expect(home.body).toContain('Amelia Quintrell');
    const page = await isva2.get(`/isva/victims/${ids.consent2}`);
    expect(page.body).toContain('Amelia Quintrell');
    expect(page.body).not.toContain('Suspect arrested'); // key dates are outside this consent
    expect(page.body).not.toContain('s.28');
    for (const s of SUSPECT_MATERIAL) expect(page.body).not.toContain(s);
    // the contact log is outside the scope: 403, nothing written
    expect((await isva2.get(`/isva/victims/${ids.consent2}/contacts/new`)).statusCode).toBe(403);
    const [audit] = await db.query<{ detail: Record<string, unknown> }>(`SELECT detail FROM audit_log WHERE actor_user_id = $1 AND action = 'isva:view' AND outcome = 'allowed' ORDER BY seq DESC LIMIT 1`, [ids.isva2]);
    expect(audit!.detail.identityShown).toBe(true);
    expect(JSON.stringify(audit)).not.toContain('Quintrell');
    await expectNoLeak(isva2, await everyRoute(ids.consent2!), { identity: true });
  });

  it('lets the ISVA add to the one contact log, meeting a due update, and shows it to police and CPS', async () => {
    const isva = await signIn(app, 'isva1');
    const form = await isva.get(`/isva/victims/${ids.consent1}/contacts/new`);
    expect(form.statusCode).toBe(200);
    expect(form.body).toContain('Plea entered at court');
    expect(form.body).toContain('Suspect arrested'); // listed as already told, by whom
    const duty = await idOf(db, `SELECT id FROM victim_duties WHERE kind = 'plea_entered'`);
    const res = await isva.post(`/isva/victims/${ids.consent1}/contacts`, { ...date('2026-11-10', 'contactedOn'), contactedTime: '18:30', channel: 'in_person', purpose: 'court', note: 'Explained what the plea means', dutyIds: duty });
    expect(res.statusCode).toBe(303);
    const [c] = await db.query<{ side: string; met_at: Date | null }>(`SELECT c.side, d.met_at FROM victim_contacts c JOIN victim_duties d ON d.met_by_contact_id = c.id WHERE d.id = $1`, [duty]);
    expect(c).toMatchObject({ side: 'isva' });
    const care = await police.get(`/cases/${caseId}/victim-care`);
    expect(care.body).toContain('Explained what the plea means');
    expect(care.body).toContain('Isla One');
  });

  it('stops all access the moment consent is withdrawn', async () => {
    const isva = await signIn(app, 'isva1');
    expect((await isva.get(`/isva/victims/${ids.consent1}`)).statusCode).toBe(200);
    const [k] = await db.query<{ version: number }>('SELECT version FROM isva_consents WHERE id = $1', [ids.consent1]);
    await police.get(`/cases/${caseId}/victim-care`);
    // a stale version is refused and nothing changes
    expect((await police.post(`/cases/${caseId}/victim-care/consents/${ids.consent1}/revoke`, { version: String(k!.version + 1) })).statusCode).toBe(409);
    expect(await count(db, 'SELECT count(*)::int AS n FROM isva_consents WHERE revoked_at IS NOT NULL')).toBe(0);
    expect((await police.post(`/cases/${caseId}/victim-care/consents/${ids.consent1}/revoke`, { version: String(k!.version) })).statusCode).toBe(303);

    const contactsBefore = await count(db, 'SELECT count(*)::int AS n FROM victim_contacts');
    const statuses = await expectNoLeak(isva, await everyRoute(ids.consent1!), { identity: false });
    for (const [route, status] of Object.entries(statuses)) {
      if (route.startsWith('GET /isva/victims/') || route.startsWith('POST /isva/victims/')) expect(status, route).toBe(404);
    }
    expect(statuses[`GET /isva/queries/${ids.query}`]).toBe(404); // the thread was about this case
    expect(await count(db, 'SELECT count(*)::int AS n FROM victim_contacts')).toBe(contactsBefore);
    expect((await isva.get('/isva/victims')).body).not.toContain(ids.consent1);
    const [denied] = await db.query<{ detail: Record<string, unknown> }>(`SELECT detail FROM audit_log WHERE actor_user_id = $1 AND outcome = 'denied' AND action = 'isva:view' ORDER BY seq DESC LIMIT 1`, [ids.isva1]);
    expect(denied!.detail.reason).toBe('consent revoked');
  });

  it('lets an ISVA record that the victim withdrew consent, ending their own access', async () => {
    const isva2 = await signIn(app, 'isva2');
    const [k] = await db.query<{ version: number }>('SELECT version FROM isva_consents WHERE id = $1', [ids.consent2]);
    expect((await isva2.post(`/isva/victims/${ids.consent2}/revoke`, { version: String(k!.version) })).statusCode).toBe(303);
    expect((await isva2.get(`/isva/victims/${ids.consent2}`)).statusCode).toBe(404);
    const [row] = await db.query<{ revoked_by: string }>('SELECT revoked_by FROM isva_consents WHERE id = $1', [ids.consent2]);
    expect(row!.revoked_by).toBe(ids.isva2);
  });

  it('sends a signed-out visitor to sign in, and refuses their forms', async () => {
    for (const url of ['/isva/victims', `/isva/victims/${ids.consent1}`, '/isva/queries', '/victim-care/inbox', '/victim-care/worklist', '/victim-care/dashboard', `/cases/${caseId}/victim-care`]) {
      const res = await app.inject({ method: 'GET', url, headers: { accept: 'text/html' } });
      expect(res.statusCode, url).toBe(302);
      expect(res.headers.location).toBe('/sign-in');
    }
    const post = await app.inject({ method: 'POST', url: '/isva/queries', payload: 'subject=x&body=y', headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html' } });
    expect([302, 403]).toContain(post.statusCode);
  });

  it('keeps police and CPS of other forces and Areas out of victim care, and forms unchanged when invalid', async () => {
    await createUser(db, { username: 'kent', organisationId: 'force-kent', roles: ['investigator'] });
    await createUser(db, { username: 'se.vlo', organisationId: 'rasso-south-east', roles: ['vlo'] });
    for (const u of ['kent', 'se.vlo']) {
      const agent = await signIn(app, u);
      for (const url of [`/cases/${caseId}/victim-care`, `/cases/${caseId}/victim-care/victims/${ids.victim}/contacts/new`, `/cases/${caseId}/victim-care/meetings/${ids.meeting}`]) {
        const res = await agent.get(url);
        expect(res.statusCode, `${u} ${url}`).toBe(404);
        expect(res.body).not.toContain('Quintrell');
      }
    }
    void forms;
  });
});
