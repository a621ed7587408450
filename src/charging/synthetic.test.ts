import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../db/database.ts';
import { totpCode } from '../platform/auth/totp.ts';
import { FieldCipher } from '../platform/crypto.ts';
import { createDemoUsers, DEMO_PASSWORD, DEMO_TOTP_SECRET } from '../synthetic/demo-users.ts';
import { generateNational } from '../synthetic/generator.ts';
import { Agent, TEST_KEY, testApp, testDb } from '../testing/harness.ts';
import { type CaseworkSeedSummary, seedEarlyAdviceAndCharging } from './synthetic.ts';

const cipher = new FieldCipher([TEST_KEY]);
const NOW = new Date();

/** What loadDemoData does, for this capability: demo users, the national cases, then Early Advice and charging. */
async function seeded(cases: number): Promise<{ db: Db; summary: CaseworkSeedSummary }> {
  const db = await testDb();
  const ids = await createDemoUsers(db, cipher, NOW);
  await generateNational(db, cipher, {
    cases, seed: 42,
    teamUserIds: { byForce: { 'hampshire-and-isle-of-wight': [ids.investigator!], kent: [ids['kent.investigator']!] }, byArea: { wessex: [ids.prosecutor!] } },
  });
  const summary = await seedEarlyAdviceAndCharging(db, {
    seed: 42, now: NOW,
    demo: { forceId: 'hampshire-and-isle-of-wight', areaId: 'wessex', investigator: ids.investigator!, prosecutor: ids.prosecutor!, dcp: ids.dcp!, otherPolice: { kent: ids['kent.investigator']! } },
  });
  return { db, summary };
}

/** The seeded records with ids replaced by what they stand for (case reference, username), to compare two runs. */
async function fingerprint(db: Db) {
  const q = (sql: string) => db.query(sql).then((rows) => rows.map((r) => JSON.stringify(r)));
  return {
    requests: await q(`SELECT c.reference, r.sequence, r.priority, r.status, r.requested_at, r.target_date, r.advice_given_at, rb.username AS requested_by, al.username AS allocated_to
                         FROM ea_requests r JOIN cases c ON c.id = r.case_id JOIN users rb ON rb.id = r.requested_by LEFT JOIN users al ON al.id = r.allocated_to ORDER BY 1, 2`),
    conversations: await q(`SELECT c.reference, v.held_at, v.channel FROM ea_conversations v JOIN cases c ON c.id = v.case_id ORDER BY 1, 2`),
    loes: await q(`SELECT c.reference, l.number, l.category, l.status, l.due_date, l.completed_at, u.username FROM ea_lines_of_enquiry l JOIN cases c ON c.id = l.case_id JOIN users u ON u.id = l.owner_user_id ORDER BY 1, 2`),
    conferences: await q(`SELECT c.reference, f.kind, f.held_at, f.external_attendees FROM ea_conferences f JOIN cases c ON c.id = f.case_id ORDER BY 1, 2, 3`),
    decisions: await q(`SELECT c.reference, d.decision, d.decided_at, d.meeting_id IS NOT NULL AS met FROM charging_decisions d JOIN cases c ON c.id = d.case_id ORDER BY 1`),
    vrr: await q(`SELECT c.reference, v.scheme, v.requested_on, v.timeliness, v.status FROM vrr_requests v JOIN cases c ON c.id = v.case_id ORDER BY 1, 2`),
    stages: await q(`SELECT reference, stage FROM cases ORDER BY 1`),
  };
}

describe('synthetic Early Advice and charging', () => {
  let db: Db;
  let summary: CaseworkSeedSummary;
  let app: FastifyInstance;
  beforeAll(async () => {
    // as many cases as it takes for CPS Wessex to have open requests of its own history (the demo loads 3,000)
    ({ db, summary } = await seeded(1500));
    ({ app } = await testApp(db));
  }, 120_000);
  afterAll(async () => {
    await app?.close();
    await db?.close();
  });

  it('is deterministic: the same seed gives the same requests, enquiries, decisions and reviews', async () => {
    const [a, b] = [await seeded(300), await seeded(300)];
    try {
      expect(a.summary.eaRequests).toBeGreaterThan(20);
      expect(b.summary).toEqual(a.summary);
      expect(await fingerprint(b.db)).toEqual(await fingerprint(a.db));
    } finally {
      await a.db.close();
      await b.db.close();
    }
  }, 120_000);

  it('covers the whole journey: requests, conversations, enquiries done and overdue, conferences, every kind of decision, reviews', async () => {
    expect(summary.eaRequests).toBeGreaterThan(200);
    const one = async <T>(sql: string) => (await db.query<T & Record<string, unknown>>(sql))[0]!;
    const loes = await db.query<{ status: string; category: string; rationale: string; overdue: boolean }>(`SELECT status, category, rationale, status IN ('open', 'in_progress') AND due_date < current_date AS overdue FROM ea_lines_of_enquiry`);
    expect(loes.filter((l) => l.status === 'done').length).toBeGreaterThan(20);
    expect(loes.some((l) => l.overdue)).toBe(true);
    expect(loes.some((l) => l.status === 'not_pursued')).toBe(true);
    expect(loes.filter((l) => l.category !== 'general').every((l) => l.rationale.trim() !== '')).toBe(true);
    expect(loes.some((l) => l.category === 'digital_device')).toBe(true);
    const kinds = (await db.query<{ kind: string; ext: number }>(`SELECT kind, max(jsonb_array_length(external_attendees))::int AS ext FROM ea_conferences GROUP BY kind`));
    expect(kinds.find((k) => k.kind === 'early_case_planning')).toBeTruthy();
    expect(kinds.find((k) => k.kind === 'forensic_strategy')?.ext).toBeGreaterThan(0);
    const decisions = new Set((await db.query<{ decision: string }>('SELECT DISTINCT decision FROM charging_decisions')).map((d) => d.decision));
    for (const d of ['charge_full_code', 'nfa_evidential']) expect(decisions).toContain(d);
    expect((await one<{ n: number }>(`SELECT count(*)::int AS n FROM vrr_requests WHERE scheme = 'cps'`)).n).toBeGreaterThan(0);
    expect((await one<{ n: number }>(`SELECT count(*)::int AS n FROM police_outcomes WHERE NOT had_early_advice AND ea_not_sought_reason <> ''`)).n).toBeGreaterThan(0);
    // the realistic spread of a second action plan, approved by a District Crown Prosecutor other than the drafter
    expect((await one<{ n: number }>(`SELECT count(*)::int AS n FROM ea_advice WHERE plan_number >= 2 AND reviewed_by IS NOT NULL AND reviewed_by <> drafted_by`)).n).toBeGreaterThan(0);
  });

  it('keeps every record consistent with its case: timings in order, the rules of the service held', async () => {
    const bad = async (sql: string) => (await db.query(sql)).length;
    // advice comes after the request, and the conversation before (or as) the advice is given
    expect(await bad(`SELECT 1 FROM ea_requests r JOIN ea_advice a ON a.request_id = r.id JOIN ea_conversations v ON v.id = a.conversation_id
                       WHERE v.held_at < r.requested_at OR v.held_at > a.issued_at OR r.advice_given_at < r.requested_at`)).toBe(0);
    // Early Advice came before the file went to the CPS, and the file before the decision
    expect(await bad(`SELECT 1 FROM ea_requests r JOIN charging_submissions s ON s.case_id = r.case_id WHERE r.advice_given_at > s.submitted_at`)).toBe(0);
    expect(await bad(`SELECT 1 FROM charging_decisions d JOIN charging_submissions s ON s.id = d.submission_id WHERE d.decided_at < s.submitted_at`)).toBe(0);
    // a CPS NFA always follows a face-to-face meeting held on or before the decision day
    expect(await bad(`SELECT 1 FROM charging_decisions d LEFT JOIN charging_meetings m ON m.id = d.meeting_id
                       WHERE d.decision LIKE 'nfa%' AND (m.id IS NULL OR m.held_on > (d.decided_at AT TIME ZONE 'Europe/London')::date)`)).toBe(0);
    // stages agree with the records
    expect(await bad(`SELECT 1 FROM cases c WHERE c.stage = 'early_advice' AND NOT EXISTS (SELECT 1 FROM ea_requests r WHERE r.case_id = c.id AND r.status <> 'advice_given')`)).toBe(0);
    expect(await bad(`SELECT 1 FROM cases c WHERE c.stage = 'early_advice_given' AND NOT EXISTS (SELECT 1 FROM ea_advice a WHERE a.case_id = c.id AND a.status = 'issued')`)).toBe(0);
    expect(await bad(`SELECT 1 FROM cases c WHERE c.stage = 'charging_decision' AND NOT EXISTS (SELECT 1 FROM charging_submissions s WHERE s.case_id = c.id AND s.status = 'awaiting_decision')`)).toBe(0);
    expect(await bad(`SELECT 1 FROM cases c WHERE c.stage = 'nfa_cps' AND NOT EXISTS (SELECT 1 FROM charging_decisions d WHERE d.case_id = c.id AND d.decision LIKE 'nfa%')`)).toBe(0);
    expect(await bad(`SELECT 1 FROM cases c WHERE c.stage = 'nfa_police' AND NOT EXISTS (SELECT 1 FROM police_outcomes p WHERE p.case_id = c.id)`)).toBe(0);
    // nothing in the national history happens after the data set's cut-off, except the demo users' live queue
    expect(await bad(`SELECT 1 FROM charging_decisions WHERE decided_at > '2026-10-01'`)).toBe(0);
  });

  async function demoSignIn(username: string) {
    const agent = new Agent(app);
    await agent.get('/sign-in');
    await agent.post('/sign-in', { username, password: DEMO_PASSWORD });
    await agent.get('/sign-in/code');
    const res = await agent.post('/sign-in/code', { code: totpCode(DEMO_TOTP_SECRET, new Date()) });
    expect(res.statusCode, username).toBe(303);
    return agent;
  }

  it('gives the demo prosecutor and DCP requests in the CPS Wessex queue, and the demo investigator lines of enquiry, some overdue', async () => {
    expect(summary.demoOpenRequests).toBeGreaterThanOrEqual(2);
    for (const username of ['prosecutor', 'dcp']) {
      const agent = await demoSignIn(username);
      const queue = await agent.get('/early-advice');
      expect(queue.statusCode).toBe(200);
      expect(queue.body).toContain('data-qa="ea-queue-row"');
      expect(queue.body).toMatch(/Awaiting allocation/);
      expect(queue.body).not.toContain('data-qa="no-requests"');
    }
    // their reminders are scheduled as the service schedules them, so the job worker delivers the ones due
    expect((await db.query(`SELECT 1 FROM jobs WHERE kind IN ('early-advice:loe-reminder', 'early-advice:target-reminder')`)).length).toBeGreaterThanOrEqual(4);
    const dcp = await demoSignIn('dcp');
    expect((await dcp.get('/early-advice')).body).toContain('data-qa="allocate-link"');

    const investigator = await demoSignIn('investigator');
    const tracker = await investigator.get('/lines-of-enquiry');
    expect(tracker.statusCode).toBe(200);
    expect(tracker.body).toContain('data-qa="loe-table"');
    expect(tracker.body).toContain('data-qa="overdue"');
    // the case page shows the advice, its conversation and the lines of enquiry
    const [given] = await db.query<{ case_id: string }>(`SELECT a.case_id FROM ea_advice a JOIN cases c ON c.id = a.case_id WHERE c.force_id = 'hampshire-and-isle-of-wight' AND c.stage = 'early_advice_given' ORDER BY a.issued_at DESC LIMIT 1`);
    const page = await investigator.get(`/cases/${given!.case_id}/early-advice`);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('data-qa="advice-1"');
    expect(page.body).toContain('data-qa="loe-table"');
    // and a decided Wessex case shows its decision on the charging page
    const [decided] = await db.query<{ case_id: string }>(`SELECT d.case_id FROM charging_decisions d JOIN cases c ON c.id = d.case_id WHERE c.force_id = 'hampshire-and-isle-of-wight' ORDER BY d.decided_at DESC LIMIT 1`);
    if (decided) {
      const charging = await investigator.get(`/cases/${decided.case_id}/charging`);
      expect(charging.statusCode).toBe(200);
      expect(charging.body).toMatch(/data-qa="decision-(charge|nfa|administratively)/);
    }
  });
});
