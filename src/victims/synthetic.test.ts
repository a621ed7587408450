import { createHash } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import type { Db } from '../db/database.ts';
import { totpCode } from '../platform/auth/totp.ts';
import { FixedClock } from '../platform/clock.ts';
import { FieldCipher } from '../platform/crypto.ts';
import { createDemoUsers, DEMO_PASSWORD, DEMO_TOTP_SECRET } from '../synthetic/demo-users.ts';
import { generateNational } from '../synthetic/generator.ts';
import { Agent, TEST_KEY, testApp, testDb } from '../testing/harness.ts';
import { seedVictimCare } from './synthetic.ts';

// The app's test key, so the pages can read what the seed encrypted (the letters).
const cipher = new FieldCipher([TEST_KEY]);
const NOW = new Date('2026-10-15T09:00:00Z');

async function build(): Promise<{ db: Db; summary: Awaited<ReturnType<typeof seedVictimCare>>; digest: string }> {
  const db = await testDb();
  const ids = await createDemoUsers(db, cipher, NOW);
  await generateNational(db, cipher, { cases: 1500, seed: 7, until: '2026-09-30' });
  const summary = await seedVictimCare(db, { seed: 7, now: NOW, users: { police: ids.investigator!, prosecutor: ids.prosecutor!, vlo: ids.vlo!, isva: ids.isva! }, cipher });
  const h = createHash('sha256');
  for (const sql of [
    'SELECT id, kind, due_date, met_at, owner_side FROM victim_duties ORDER BY id', 'SELECT id, status, offered_on, held_on FROM pre_trial_meetings ORDER BY id',
    'SELECT id, scope, revoked_at FROM isva_consents ORDER BY id', 'SELECT id, cps_area_id, first_reply_at FROM isva_queries ORDER BY id', 'SELECT id, measure, status FROM special_measures ORDER BY id', 'SELECT id, template, created_at FROM victim_letters ORDER BY id',
  ]) h.update(JSON.stringify(await db.query(sql)));
  return { db, summary, digest: h.digest('hex') };
}

describe('synthetic victim care', () => {
  const dbs: Db[] = [];
  let first: Awaited<ReturnType<typeof build>> | undefined;
  afterAll(async () => {
    for (const db of dbs) await db.close();
  });

  it('covers consents, mailbox queries, duties met on time and late, meetings, special measures and outbox letters, deterministically', async () => {
    const a = await build();
    dbs.push(a.db);
    first = a;
    const s = a.summary;
    expect(s.cases).toBeGreaterThan(10);
    expect(s.metOnTime).toBeGreaterThan(0);
    expect(s.metLate).toBeGreaterThan(0);
    expect(s.open).toBeGreaterThan(0);
    expect(s.consents).toBeGreaterThan(5);
    expect(s.revoked).toBeGreaterThan(0);
    expect(s.queries).toBe(30);
    expect(s.replied).toBeGreaterThan(0);
    expect(s.measures).toBeGreaterThan(0);
    expect(s.vlos).toBeGreaterThan(0);
    expect(Object.keys(s.meetings).length).toBeGreaterThan(1);
    // decision letters in the embedded outbox: each its own letter contact, readable with the app's cipher, naming the victim
    expect(s.letters).toBeGreaterThan(0);
    const letters = await a.db.query<{ id: string; body_enc: string; status: string; provider: string; channel: string; template: string }>(
      `SELECT l.id, l.body_enc, l.status, l.provider, c.channel, l.template FROM victim_letters l JOIN victim_contacts c ON c.id = l.contact_id`);
    expect(letters).toHaveLength(s.letters);
    for (const l of letters) {
      expect(l).toMatchObject({ status: 'delivered', provider: 'embedded', channel: 'letter' });
      const body = cipher.decryptJson<{ subject: string; body: string }>(l.body_enc, { table: 'victim_letters', column: 'body', rowId: l.id }).body;
      expect(body).toMatch(/\n\nDear \S+ \S+,\n\n/);
      expect(body).toContain(l.template === 'case_decision' ? 'a decision has been made to charge' : 'Victims’ Right to Review');
    }
    const [q] = await a.db.query<{ within: number; outside: number; byCase: number; byForce: number }>(
      `SELECT count(*) FILTER (WHERE first_reply_at <= target_at)::int AS within, count(*) FILTER (WHERE first_reply_at > target_at OR (first_reply_at IS NULL AND target_at < $1))::int AS outside,
              count(*) FILTER (WHERE routed_by = 'case')::int AS "byCase", count(*) FILTER (WHERE routed_by = 'force')::int AS "byForce" FROM isva_queries`, [NOW]);
    expect(q!.within).toBeGreaterThan(0);
    expect(q!.outside).toBeGreaterThan(0);
    expect(q!.byCase + q!.byForce).toBe(30);
    // every contact that meets a duty comes on or after its event
    const [bad] = await a.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM victim_duties d JOIN victim_code_events e ON e.id = d.event_id WHERE d.met_at < e.occurred_at`);
    expect(bad!.n).toBe(0);

    const b = await build();
    dbs.push(b.db);
    expect(b.digest).toBe(a.digest);
  });

  it('shows the demo ISVA, VLO, investigator and supervisor their victim care through the pages', async () => {
    const { db, summary: s } = first!;
    const clock = new FixedClock(NOW);
    const { app } = await testApp(db, { clock });
    try {
      const demo = async (username: string) => {
        const agent = new Agent(app);
        await agent.get('/sign-in');
        expect((await agent.post('/sign-in', { username, password: DEMO_PASSWORD })).headers.location, username).toBe('/sign-in/code');
        await agent.get('/sign-in/code');
        expect((await agent.post('/sign-in/code', { code: totpCode(DEMO_TOTP_SECRET, NOW) })).statusCode, username).toBe(303);
        return agent;
      };
      const count = (body: string) => Number(/data-qa="result-count">(\d+)/.exec(body)?.[1]);
      const isva = await demo('isva');
      expect(count((await isva.get('/isva/victims')).body)).toBe(s.consents - s.revoked);
      const mailbox = (await isva.get('/isva/queries')).body;
      expect(count(mailbox)).toBe(s.queries);
      expect(mailbox).toMatch(/data-qa="query-status">Replied/);
      const vlo = await demo('vlo');
      const worklist = (await vlo.get('/victim-care/worklist')).body;
      expect(count(worklist)).toBe(s.vlos);
      expect(worklist).toContain('data-qa="worklist-row"');
      expect((await vlo.get('/victim-care/inbox?status=all')).body).toContain('data-qa="inbox-row"');
      const investigator = await demo('investigator');
      const outbox = (await investigator.get('/victim-care/outbox')).body;
      expect(count(outbox)).toBe(s.letters);
      const [letter] = await db.query<{ id: string; case_id: string }>('SELECT id, case_id FROM victim_letters ORDER BY id LIMIT 1');
      expect((await investigator.get(`/cases/${letter!.case_id}/victim-care/letters/${letter!.id}`)).body).toContain('data-qa="letter-body"');
      const supervisor = await demo('supervisor');
      const dashboard = (await supervisor.get('/victim-care/dashboard')).body;
      expect(Number(/data-qa="overdue-count">(\d+)/.exec(dashboard)?.[1])).toBeGreaterThan(0);
      expect(Number(/data-qa="late">(\d+)/.exec(dashboard)?.[1])).toBeGreaterThan(0);
      expect(dashboard).toContain('data-qa="overdue-row"');
    } finally {
      await app.close();
    }
  });
});
