import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { buildApp } from '../app.ts';
import { WebhookService } from '../api/webhooks.ts';
import type { Fetch } from '../api/webhooks.ts';
import { apiAgent, registerClient, tokenFor } from '../api/test-support.ts';
import type { Db } from '../db/database.ts';
import { FixedClock } from '../platform/clock.ts';
import { JobWorker } from '../platform/jobs.ts';
import { createServices, type Services } from '../services.ts';
import { type Agent, caseIdFrom, createUser, forms, signIn, testConfig, testDb } from '../testing/harness.ts';

/**
 * Security proof (f): no victim identity in logs, URLs or outbox payloads. A realistic journey (open a case with a
 * victim and a suspect, ask for Early Advice, submit the charging file, charge, send the victim a letter; and the
 * same force's records system reading the case and receiving webhooks) runs with the request logger at info level
 * written to a buffer; then every log line, every URL requested or redirected to, every job and outbox event
 * payload and every webhook body delivered is searched for the victim's name, date of birth, address, phone and
 * email. The identity stays in the encrypted columns and on the pages of those allowed to see it.
 */
const VICTIM = forms.victim({ givenName: 'Morwenna', familyName: 'Trevithickson', 'dateOfBirth-day': '23', 'dateOfBirth-month': '9', 'dateOfBirth-year': '1997',
  phone: '07700 900871', email: 'morwenna.t@example.invalid', address: '17 Lemon Quay, Truro TR1 2LW' });
const NEEDLES = ['Morwenna', 'Trevithickson', '1997-09-23', '23/09/1997', '23 September 1997', '07700 900871', '07700900871', 'morwenna.t@example.invalid', 'Lemon Quay', 'TR1 2LW'];
const ALL_ITEMS = ['mg3', 'mg5', 'victim_interview', 'suspect_interview', 'first_account', 'witness_statements', 'forensic_medical', 'digital_material',
  'third_party_schedule', 'scene_cctv', 'bad_character', 'special_measures', 'vps_offer', 'mg6c', 'mg6d', 'disclosure_management'];

describe('security proof (f): no victim identity in logs, URLs or outbox payloads', () => {
  let db: Db;
  let app: FastifyInstance;
  let services: Services;
  const clock = new FixedClock(new Date('2026-03-02T10:00:00Z'));
  const log: string[] = [];
  const urls: string[] = [];
  const webhookBodies: string[] = [];
  let caseId: string;

  beforeAll(async () => {
    db = await testDb();
    const config = testConfig();
    services = createServices(db, config, clock);
    // The request logger at info level (as in production), without its redaction list: stricter than production.
    const stream = new Writable({ write(chunk, _enc, done) { log.push(String(chunk)); done(); } });
    app = await buildApp({ config, services, logger: { level: 'info', stream } });
    await app.ready();
    const inject = app.inject.bind(app);
    (app as unknown as { inject: typeof app.inject }).inject = (async (opts: { url: string }) => {
      urls.push(opts.url);
      const res = (await inject(opts as never)) as LightMyRequestResponse;
      if (res.headers.location) urls.push(String(res.headers.location));
      return res;
    }) as unknown as typeof app.inject;
  });
  afterAll(async () => {
    await app?.close();
    await db?.close();
  });

  it('runs the journey: case, victim, Early Advice, charging decision, letter, API read and webhooks', async () => {
    await createUser(db, { username: 'oic', organisationId: 'force-hampshire-and-isle-of-wight', roles: ['investigator'] });
    await createUser(db, { username: 'pros', organisationId: 'rasso-wessex', roles: ['prosecutor'] });
    await createUser(db, { username: 'vlo', organisationId: 'rasso-wessex', roles: ['vlo'] });
    const adminId = await createUser(db, { username: 'admin', organisationId: 'national', roles: ['admin'] });
    const niche = apiAgent(app, await tokenFor(app, await registerClient(services, adminId, {
      name: 'Niche', organisationId: 'force-hampshire-and-isle-of-wight', scopes: ['cases:read', 'cases:write', 'early-advice:write', 'charging:write', 'webhooks:manage'],
    })));
    expect((await niche.post('/api/v1/webhook-subscriptions', { url: 'https://niche.example.invalid/tandem', eventTypes: ['case.created', 'early-advice.requested', 'charging.file-submitted'] })).statusCode).toBe(201);

    const oic: Agent = await signIn(app, 'oic', clock);
    await oic.get('/cases/new');
    caseId = caseIdFrom(await oic.post('/cases', forms.case()));
    await oic.get(`/cases/${caseId}/victims/new`);
    expect((await oic.post(`/cases/${caseId}/victims`, VICTIM)).statusCode).toBe(303);
    expect((await oic.post(`/cases/${caseId}/suspects`, forms.suspect())).statusCode).toBe(303);
    // a failed form, too: error pages and logs must not echo what was typed
    expect((await oic.post(`/cases/${caseId}/victims`, { ...VICTIM, 'dateOfBirth-month': '13' })).statusCode).toBe(400);
    expect((await oic.get(`/cases/${caseId}`)).body).toContain('Trevithickson'); // the officer may see it: the test would notice its absence

    await oic.get(`/cases/${caseId}/early-advice/request`);
    expect((await oic.post(`/cases/${caseId}/early-advice/request`, {
      caseSummary: 'V1 reports rape after a night out; suspect S1 known to V1.', questions: 'Is consent the only live issue?', strategy: 'S1 interviewed under caution.', priority: 'standard',
    })).statusCode).toBe(303);
    await oic.get(`/cases/${caseId}/charging/file`);
    expect((await oic.post(`/cases/${caseId}/charging/file`, { provided: ALL_ITEMS, notApplicable: [], summary: 'Full file: we ask the CPS to consider a charge of rape.', missingNote: '' })).statusCode).toBe(303);

    const pros = await signIn(app, 'pros', clock);
    const page = await pros.get(`/cases/${caseId}/charging/decision/charge_full_code`);
    const version = /name="version" value="(\d*)"/.exec(page.body)?.[1] ?? '';
    expect((await pros.post(`/cases/${caseId}/charging/decision/charge_full_code`, {
      version, evidentialReasons: 'V1’s account is consistent with the first account.', publicInterestReasons: 'A prosecution is required in the public interest.', offences: ['SOA2003-s1'],
    })).statusCode).toBe(303);

    const vlo = await signIn(app, 'vlo', clock);
    const [victim] = await db.query<{ id: string }>('SELECT id FROM victims WHERE case_id = $1', [caseId]);
    await vlo.get(`/cases/${caseId}/victim-care/victims/${victim!.id}/letters/new`);
    const letter = await vlo.post(`/cases/${caseId}/victim-care/victims/${victim!.id}/letters`, { template: 'nfa_review_rights', channel: 'letter', acknowledgePreference: 'yes', overrideReason: 'Victim asked for it in writing' });
    expect(letter.statusCode, letter.body.slice(0, 2000)).toBe(303);

    // the records system reads the case (identity in the JSON is its right; the URL and log must not carry it)
    const read = await niche.get(`/api/v1/cases/${caseId}`);
    expect(read.statusCode).toBe(200);

    // the background work: jobs (letters, reminders) and webhook deliveries
    await new JobWorker(db, clock, services.jobHandlers).runDue();
    const webhooks = new WebhookService(db, services.cipher, services.audit, clock, { allowHttp: true });
    await webhooks.fanOut();
    const fakeFetch: Fetch = async (_url, init) => {
      webhookBodies.push(String(init.body));
      return { status: 200 };
    };
    await webhooks.deliverDue(fakeFetch);
    expect(webhookBodies.length).toBeGreaterThan(0);
    expect(log.length).toBeGreaterThan(20);
  });

  it('finds none of the victim’s name, date of birth, address, phone or email in logs, URLs, jobs, events or webhooks', async () => {
    const sources: Record<string, string[]> = {
      'log line': log,
      URL: urls,
      'job payload': (await db.query<{ p: unknown }>('SELECT payload AS p FROM jobs')).map((r) => JSON.stringify(r.p)),
      'outbox event': (await db.query<{ p: unknown }>('SELECT to_jsonb(e) AS p FROM api_events e')).map((r) => JSON.stringify(r.p)),
      'webhook delivery row': (await db.query<{ p: unknown }>('SELECT to_jsonb(d) AS p FROM api_webhook_deliveries d')).map((r) => JSON.stringify(r.p)),
      'webhook body sent': webhookBodies,
      notification: (await db.query<{ p: unknown }>('SELECT to_jsonb(n) AS p FROM notifications n')).map((r) => JSON.stringify(r.p)),
      'audit detail': (await db.query<{ p: unknown }>('SELECT to_jsonb(a) AS p FROM audit_log a')).map((r) => JSON.stringify(r.p)),
    };
    const hits: string[] = [];
    let searched = 0;
    for (const [kind, items] of Object.entries(sources)) {
      for (const item of items) {
        searched++;
        for (const needle of NEEDLES) if (item.toLowerCase().includes(needle.toLowerCase())) hits.push(`${kind} contains "${needle}": ${item.slice(0, 300)}`);
      }
    }
    console.log(`identity search: ${searched} items (${log.length} log lines, ${urls.length} URLs, ${sources['job payload']!.length} jobs, ${sources['outbox event']!.length} events, ${webhookBodies.length} webhook bodies): ${hits.length} hits`);
    expect(sources['outbox event']!.length).toBeGreaterThan(0);
    expect(hits).toEqual([]);
  });
});
