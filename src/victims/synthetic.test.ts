import { createHash } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import type { Db } from '../db/database.ts';
import { FieldCipher } from '../platform/crypto.ts';
import { createDemoUsers } from '../synthetic/demo-users.ts';
import { generateNational } from '../synthetic/generator.ts';
import { testDb } from '../testing/harness.ts';
import { seedVictimCare } from './synthetic.ts';

const cipher = new FieldCipher([{ id: 't', key: Buffer.alloc(32, 1) }]);
const NOW = new Date('2026-10-15T09:00:00Z');

async function build(): Promise<{ db: Db; summary: Awaited<ReturnType<typeof seedVictimCare>>; digest: string }> {
  const db = await testDb();
  const ids = await createDemoUsers(db, cipher, NOW);
  await generateNational(db, cipher, { cases: 1500, seed: 7, until: '2026-09-30' });
  const summary = await seedVictimCare(db, { seed: 7, now: NOW, users: { police: ids.investigator!, prosecutor: ids.prosecutor!, vlo: ids.vlo!, isva: ids.isva! } });
  const h = createHash('sha256');
  for (const sql of [
    'SELECT id, kind, due_date, met_at, owner_side FROM victim_duties ORDER BY id', 'SELECT id, status, offered_on, held_on FROM pre_trial_meetings ORDER BY id',
    'SELECT id, scope, revoked_at FROM isva_consents ORDER BY id', 'SELECT id, cps_area_id, first_reply_at FROM isva_queries ORDER BY id', 'SELECT id, measure, status FROM special_measures ORDER BY id',
  ]) h.update(JSON.stringify(await db.query(sql)));
  return { db, summary, digest: h.digest('hex') };
}

describe('synthetic victim care', () => {
  const dbs: Db[] = [];
  afterAll(async () => {
    for (const db of dbs) await db.close();
  });

  it('covers consents, mailbox queries, duties met on time and late, meetings and special measures, deterministically', async () => {
    const a = await build();
    dbs.push(a.db);
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
});
