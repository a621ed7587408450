import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Db } from '../db/database.ts';
import { type AuditRow, AuditLog, expectedHash } from '../platform/audit.ts';
import { FixedClock } from '../platform/clock.ts';
import { testDb } from '../testing/harness.ts';

/**
 * Security proof (e): tampering with the audit log is detected. Altering a row and deleting a row are proved in
 * src/platform/audit.test.ts, and `tandem audit-verify` exiting 1 in src/cli/cli.test.ts; this adds the tamper types
 * they leave out: reordering rows (contents swapped, or sequence numbers swapped), re-hashing an altered row so it
 * looks self-consistent, and forging a row at the end. (Cutting rows off the end is the one change a hash chain
 * alone cannot see: `audit-verify` prints how many rows it checked, to compare with the last sequence number known.)
 */
describe('security proof (e): audit tamper types beyond alter and delete', () => {
  let db: Db;
  let audit: AuditLog;

  beforeAll(async () => {
    db = await testDb();
    audit = new AuditLog(db, new FixedClock(new Date('2026-01-05T09:30:00Z')));
  });
  // Each case starts from the same intact chain of ten rows.
  beforeEach(async () => {
    await db.query('DELETE FROM audit_log');
    for (let i = 1; i <= 10; i++) await audit.record({ actorUserId: null, action: 'case:read', outcome: 'allowed', entityType: 'case', entityId: `c${i}`, detail: { i } });
    expect(await audit.verify()).toEqual({ ok: true, checked: 10 });
  });
  afterAll(async () => db?.close());

  it('detects two rows swapped (their contents exchanged, sequence numbers kept)', async () => {
    await db.query(`UPDATE audit_log SET entity_id = CASE seq WHEN 4 THEN 'c7' ELSE 'c4' END, detail = CASE seq WHEN 4 THEN '{"i": 7}'::jsonb ELSE '{"i": 4}'::jsonb END WHERE seq IN (4, 7)`);
    expect(await audit.verify()).toMatchObject({ ok: false, seq: 4 });
  });

  it('detects rows renumbered into another order', async () => {
    await db.query('UPDATE audit_log SET seq = seq + 100 WHERE seq IN (5, 6)');
    await db.query('UPDATE audit_log SET seq = CASE seq WHEN 105 THEN 6 ELSE 5 END WHERE seq IN (105, 106)');
    expect(await audit.verify()).toMatchObject({ ok: false, seq: 5 });
  });

  it('detects an altered row whose own hash was recomputed: the next row no longer links to it', async () => {
    const [row] = await db.query<AuditRow>('SELECT * FROM audit_log WHERE seq = 3');
    const altered = { ...row!, detail: { i: 999 } };
    const { hash: _old, ...rest } = altered;
    await db.query(`UPDATE audit_log SET detail = $1::jsonb, hash = $2 WHERE seq = 3`, [JSON.stringify(altered.detail), expectedHash(rest)]);
    expect(await audit.verify()).toMatchObject({ ok: false, seq: 4, reason: expect.stringContaining('prev_hash') });
  });

  it('detects a forged row appended without the chain’s hash', async () => {
    const [last] = await db.query<{ hash: string }>('SELECT hash FROM audit_log WHERE seq = 10');
    await db.query(`INSERT INTO audit_log (seq, at, action, outcome, detail, prev_hash, hash) VALUES (11, now(), 'case:read', 'allowed', '{}'::jsonb, $1, $2)`, [last!.hash, 'f'.repeat(64)]);
    expect(await audit.verify()).toMatchObject({ ok: false, seq: 11 });
  });
});
