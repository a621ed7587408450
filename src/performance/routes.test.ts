import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../db/database.ts';
import { FixedClock } from '../platform/clock.ts';
import { JobWorker } from '../platform/jobs.ts';
import { readOds } from '../platform/ods.ts';
import type { Services } from '../services.ts';
import { runTandem } from '../testing/cli.ts';
import { type Agent, createUser, signIn, TEST_BACKEND, testApp, testDb } from '../testing/harness.ts';
import { JOB_REFRESH } from './service.ts';
import { addCase } from './test-support.ts';

const KENT = { force: 'kent', area: 'south-east' };
const HANTS = { force: 'hampshire-and-isle-of-wight', area: 'wessex' };

describe('performance pages', () => {
  let db: Db;
  let app: FastifyInstance;
  let services: Services;
  const clock = new FixedClock(new Date('2024-07-15T09:00:00Z'));
  let lead: Agent;
  let kentSupervisor: Agent;
  let wessexDcp: Agent;
  let kentProblemRef: string;
  let hantsProblemRef: string;

  beforeAll(async () => {
    db = await testDb();
    ({ app, services } = await testApp(db, { clock }));
    await createUser(db, { username: 'p.lead', organisationId: 'national', roles: ['national_lead'] });
    await createUser(db, { username: 'p.kent.sup', organisationId: 'force-kent', roles: ['police_supervisor'] });
    await createUser(db, { username: 'p.wessex.dcp', organisationId: 'rasso-wessex', roles: ['district_crown_prosecutor'] });
    await createUser(db, { username: 'p.kent.inv', organisationId: 'force-kent', roles: ['investigator'] });
    // Baseline Jan–Mar 2021: 10 adult rape referrals in Kent, 10 in Hampshire; Apr–Jun 2024: 30 in Kent, 20 in Hampshire.
    for (let i = 0; i < 10; i++) await addCase(db, { ...KENT, reported: '2021-01-04', events: [['referred_for_charge', '2021-02-01'], ...(i < 6 ? [['charged', '2021-03-01'] as [string, string]] : [])] });
    for (let i = 0; i < 10; i++) await addCase(db, { ...HANTS, reported: '2021-01-04', events: [['referred_for_charge', '2021-02-01']] });
    for (let i = 0; i < 30; i++) await addCase(db, { ...KENT, reported: '2024-03-01', events: [['referred_for_charge', '2024-04-10'], ...(i < 12 ? [['charged', '2024-05-10'] as [string, string]] : i < 15 ? [['nfa', '2024-05-10', { by: 'cps', outcomeCode: 15 }] as [string, string, Record<string, unknown>]] : [])] });
    for (let i = 0; i < 20; i++) await addCase(db, { ...HANTS, reported: '2024-03-01', events: [['early_advice_requested', '2024-04-10'], ...(i < 3 ? [['referred_for_charge', '2024-05-01'] as [string, string], ['charged', '2024-06-01'] as [string, string]] : [])] });
    // Records that would distort the figures: a charge with no file (Kent), an offence dated after its report (Hampshire).
    kentProblemRef = (await addCase(db, { ...KENT, reported: '2024-04-01', offenceDate: '2024-03-01', events: [['charged', '2024-04-20']] })).reference;
    hantsProblemRef = (await addCase(db, { ...HANTS, reported: '2024-04-01', offenceDate: '2024-05-01' })).reference;
    await services.performance.refreshNow();
    lead = await signIn(app, 'p.lead', clock);
    kentSupervisor = await signIn(app, 'p.kent.sup', clock);
    wessexDcp = await signIn(app, 'p.wessex.dcp', clock);
  }, 300_000);
  afterAll(async () => {
    await app?.close();
    await db?.close();
  });

  const filters = '?group=adult_rape&from=2024Q1&to=2024Q2&baseline=2021Q1';
  const dash = `/performance/dashboard${filters}`;
  const csv = `/performance/dashboard.csv${filters}`;

  it('shows a national lead the national dashboard with the change since the baseline, charts and their tables', async () => {
    const res = await lead.get(dash);
    expect(res.statusCode).toBe(200);
    const html = res.body;
    expect(html).toContain('data-qa="scope-name">England and Wales');
    // Referrals: 20 in Jan–Mar 2021 → 31 + 22 = 53 in Apr–Jun 2024 (Kent 30 files and a charge; Hampshire 20 EA + 3 files)
    expect(html).toMatch(/data-qa="headline-referrals"[\s\S]*?>53<[\s\S]*?\+165% since Jan–Mar 2021/);
    expect((html.match(/<svg role="img" aria-label="(Line|Bar) chart/g) ?? []).length).toBe(3);
    expect(html).toContain('data-qa="referrals-charges"');
    expect(html).toMatch(/data-qa="breakdown"[\s\S]*South East[\s\S]*Wessex/);
    const [audit] = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM audit_log WHERE action = 'performance:view' AND outcome = 'allowed'`);
    expect(audit!.n).toBeGreaterThan(0);
  });

  it('recomputes the change against another baseline quarter', async () => {
    const res = await lead.get('/performance/dashboard?group=adult_rape&from=2024Q1&to=2024Q2&baseline=2024Q1');
    expect(res.body).toMatch(/data-qa="change-referrals">no figure for Jan–Mar 2024 to compare with/);
  });

  it('downloads each table as CSV', async () => {
    const res = await lead.get(`${csv}&table=referrals-charges`);
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('text/csv');
    expect(res.headers['content-disposition']).toContain('attachment');
    const rows = parse(res.body) as string[][];
    expect(rows[0]).toEqual(['Measure', 'Jan–Mar 2024', 'Apr–Jun 2024', 'Change since Jan–Mar 2021 (%)']);
    expect(rows[1]).toEqual(['Referrals (Early Advice and charging)', '0', '53', '165']);
    const breakdown = parse((await lead.get(`${csv}&table=breakdown`)).body) as string[][];
    expect(breakdown.map((r) => r[0])).toEqual(['CPS Area', 'South East', 'Wessex']);
  });

  it('shows errors in the summary for impossible filters, and still the page', async () => {
    const res = await lead.get('/performance/dashboard?group=adult_rape&from=2024Q2&to=2021Q1');
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('govuk-error-summary');
    expect(res.body).toContain('The last quarter must be the same as or after the first quarter');
  });

  it('answers a quarter that is not one with the error summary (or 400 for the CSV), not a 500 (found by sqlmap)', async () => {
    for (const from of ['1868', "2024Q4'\"><x"]) {
      const page = await lead.get(`/performance/dashboard?group=adult_rape&from=${encodeURIComponent(from)}&to=2025Q1`);
      expect(page.statusCode).toBe(200);
      expect(page.body).toContain('The first quarter must be a quarter like 2024Q2');
      const csv = await lead.get(`/performance/dashboard.csv?group=adult_rape&from=${encodeURIComponent(from)}&to=2025Q1&table=measures`);
      expect(csv.statusCode).toBe(400);
    }
  });

  it('gives a force its own detail and national totals, never another force or Area', async () => {
    const own = await kentSupervisor.get('/performance/dashboard');
    expect(own.statusCode).toBe(200);
    expect(own.body).toContain('data-qa="scope-name">Kent');
    expect((await kentSupervisor.get('/performance/dashboard?force=hampshire-and-isle-of-wight')).statusCode).toBe(403);
    expect((await kentSupervisor.get('/performance/dashboard?area=wessex')).statusCode).toBe(403);
    expect((await kentSupervisor.get('/performance/dashboard.csv?force=hampshire-and-isle-of-wight')).statusCode).toBe(403);
    expect((await kentSupervisor.get('/performance/dashboard?group=all_rasso')).statusCode).toBe(200);
    const [denied] = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM audit_log WHERE action = 'performance:view' AND outcome = 'denied'`);
    expect(denied!.n).toBeGreaterThanOrEqual(3);
  });

  it('gives a CPS Area its Area and its forces, not other Areas', async () => {
    expect((await wessexDcp.get('/performance/dashboard')).body).toContain('data-qa="scope-name">CPS Wessex');
    expect((await wessexDcp.get('/performance/dashboard?force=hampshire-and-isle-of-wight')).statusCode).toBe(200);
    expect((await wessexDcp.get('/performance/dashboard?force=kent')).statusCode).toBe(403);
  });

  it('refuses people without a performance role, and leaves the link out of their navigation', async () => {
    const inv = await signIn(app, 'p.kent.inv', clock);
    const res = await inv.get('/performance/dashboard');
    expect(res.statusCode).toBe(403);
    expect((await inv.get('/cases')).body).not.toContain('href="/performance"');
    expect((await lead.get('/performance/definitions')).body).toContain('href="/performance"');
  });

  it('lists records that distort the figures to the owning force only', async () => {
    const kent = await kentSupervisor.get('/performance/data-quality');
    expect(kent.statusCode).toBe(200);
    expect(kent.body).toContain(kentProblemRef);
    expect(kent.body).not.toContain(hantsProblemRef);
    expect(kent.body).toMatch(/data-qa="count-charge_without_file">1</);
    const national = await lead.get('/performance/data-quality?problem=offence_after_report');
    expect(national.body).toContain(hantsProblemRef);
    expect(national.body).not.toContain(kentProblemRef);
    const [audit] = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM audit_log WHERE action = 'performance:data-quality'`);
    expect(audit!.n).toBe(2);
  });

  it('publishes the definitions publicly', async () => {
    const res = await app.inject({ method: 'GET', url: '/performance/definitions' });
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('id="victim_withdrawal_rate"');
  });

  it('releases a quarter publicly, suppressed and explained, with CSV and an ODS that opens; a release never changes', async () => {
    const pub = await services.performance.release({ quarter: '2024Q2', commentary: 'Referrals rose again.', changeNote: '', releasedBy: 'test' });
    expect(pub.version).toBe(1);
    const page = await app.inject({ method: 'GET', url: '/statistics/2024Q2' });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('Referrals rose again.');
    expect(page.body).toContain('data-qa="suppression-note"');
    // Wessex adult rape charges: 3 (below 5) are withheld; England and Wales total is published
    const published = parse((await app.inject({ method: 'GET', url: '/statistics/2024Q2/tables/decisions-adult-rape.csv' })).body) as string[][];
    expect(published.find((r) => r[0] === 'Wessex')![1]).toBe('[c]');
    expect(published.find((r) => r[0] === 'England and Wales')![1]).toBe('16');
    const ods = await app.inject({ method: 'GET', url: '/statistics/2024Q2/tables.ods' });
    expect(ods.headers['content-type']).toContain('application/vnd.oasis.opendocument.spreadsheet');
    const sheets = readOds(ods.rawPayload);
    expect(sheets[0]!.name).toBe('Notes');
    const decisions = sheets.find((s) => s.columns[0]?.startsWith('CPS charging decisions by CPS Area: adult rape'))!;
    expect(decisions.rows.find((r) => r[0] === 'Wessex')![1]).toBe('[c]');
    expect(decisions.rows.find((r) => r[0] === 'England and Wales')![1]).toBe(16);

    await expect(services.performance.release({ quarter: '2024Q2', commentary: '', changeNote: '', releasedBy: 'test' })).rejects.toThrow(/change note/);
    await expect(db.query(`UPDATE perf_publications SET commentary = 'edited' WHERE quarter = '2024Q2'`)).rejects.toThrow(/cannot be changed/);
    const v2 = await services.performance.release({ quarter: '2024Q2', commentary: 'Corrected.', changeNote: 'Late Kent records added.', releasedBy: 'test' });
    expect(v2.version).toBe(2);
    const latest = await app.inject({ method: 'GET', url: '/statistics/2024Q2' });
    expect(latest.body).toContain('Late Kent records added.');
    const first = await app.inject({ method: 'GET', url: '/statistics/2024Q2?version=1' });
    expect(first.body).toContain('Referrals rose again.');
    expect(first.body).toContain('This is an earlier version');
    expect((await app.inject({ method: 'GET', url: '/statistics/2019Q1' })).statusCode).toBe(404);
  });

  it('keeps the figures current through the job queue, refreshing only forces with changes', async () => {
    await addCase(db, { ...KENT, reported: '2024-06-01', events: [['referred_for_charge', '2024-06-20']] });
    await db.query(`UPDATE cases SET updated_at = $1 WHERE reference LIKE 'PERF/%' AND reported_at = '2024-06-01'`, [new Date('2024-07-15T09:20:00Z')]);
    clock.set(new Date('2024-07-15T09:30:00Z'));
    // The server schedules the first refresh when it starts; each run then schedules the next.
    await services.performance.schedule(db, new Date('2024-07-15T09:20:00Z'));
    const worker = new JobWorker(db, clock, services.jobHandlers);
    expect(await worker.runDue()).toBe(1);
    const state = await services.performance.state();
    expect(state.forces_refreshed).toBe(1);
    const [row] = await db.query<{ n: number }>(`SELECT sum(n)::int AS n FROM perf_counts WHERE force_id = 'kent' AND quarter = '2024Q2' AND counter = 'charge_receipts' AND offence_group = 'all_rasso'`);
    expect(row!.n).toBe(31);
    const [next] = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM jobs WHERE kind = $1 AND done_at IS NULL`, [JOB_REFRESH]);
    expect(next!.n).toBe(1);
  });
});

describe.runIf(TEST_BACKEND === 'pglite')('tandem publish', () => {
  it('writes the disclosure-controlled CSV and ODS files and refuses a bad quarter', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tandem-publish-'));
    const out = path.join(dir, 'out');
    const run = (args: string[]) => runTandem(args, { DATABASE_URL: '', TANDEM_DATA_DIR: path.join(dir, 'data') });
    try {
      expect((await run(['publish', '--quarter', '2024Q5', '--out', out])).code).toBe(2);
      const ok = await run(['publish', '--quarter', '2024Q2', '--out', out, '--commentary', 'First release.']);
      expect(ok.stderr).toBe('');
      expect(ok.code).toBe(0);
      expect(ok.stdout).toContain('published Apr–Jun 2024 version 1');
      const sheets = readOds(fs.readFileSync(path.join(out, 'rasso-2024Q2-v1.ods')));
      expect(sheets.length).toBe(7);
      expect(fs.readFileSync(path.join(out, 'rasso-2024Q2-v1-referrals-all-rasso.csv'), 'utf8')).toContain('England and Wales');
      // A second run is a revision: refused without a change note
      expect((await run(['publish', '--quarter', '2024Q2', '--out', out])).code).toBe(1);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 300_000);
});

describe('a new database', () => {
  it('says the figures are not ready, and the first scheduled refresh runs at once', async () => {
    const db = await testDb();
    const clock = new FixedClock(new Date('2025-02-03T10:00:00Z'));
    const { app, services } = await testApp(db, { clock });
    try {
      await createUser(db, { username: 'n.analyst', organisationId: 'national', roles: ['analyst'] });
      await addCase(db, { force: 'kent', area: 'south-east', reported: '2025-01-06', events: [['early_advice_requested', '2025-01-20']] });
      const analyst = await signIn(app, 'n.analyst', clock);
      expect((await analyst.get('/performance/dashboard')).body).toContain('data-qa="not-ready"');
      await services.performance.schedule();
      expect(await new JobWorker(db, clock, services.jobHandlers).runDue()).toBe(1);
      const page = await analyst.get('/performance/dashboard?group=all_rasso&from=2025Q1&to=2025Q1');
      expect(page.body).not.toContain('data-qa="not-ready"');
      expect(page.body).toMatch(/data-qa="row-referrals_ea"[\s\S]*?>1</);
    } finally {
      await app.close();
      await db.close();
    }
  }, 180_000);
});
