import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../db/database.ts';
import { testDb } from '../testing/harness.ts';
import { AuditLog } from './audit.ts';
import { FixedClock } from './clock.ts';

describe('hash-chained audit log', () => {
  let db: Db;
  let audit: AuditLog;
  beforeAll(async () => {
    db = await testDb();
    audit = new AuditLog(db, new FixedClock(new Date('2026-01-05T09:30:00.123Z')));
  });
  afterAll(async () => db?.close());

  it('verifies an intact chain written by concurrent writers without forking', async () => {
    await Promise.all(Array.from({ length: 40 }, (_, i) => audit.record({ actorUserId: null, action: 'case:read', outcome: 'allowed', entityType: 'case', entityId: `c${i}`, detail: { i } })));
    const rows = await db.query<{ seq: number; prev_hash: string; hash: string }>('SELECT seq, prev_hash, hash FROM audit_log ORDER BY seq');
    expect(rows.map((r) => Number(r.seq))).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    expect(new Set(rows.map((r) => r.prev_hash)).size).toBe(40); // no two rows share a parent: no fork
    expect(await audit.verify()).toEqual({ ok: true, checked: 40 });
  });

  it('an audit row written inside a rolled-back transaction disappears with the change', async () => {
    await expect(db.transaction(async (tx) => {
      await audit.record({ action: 'case:update', outcome: 'allowed' }, tx);
      throw new Error('the change failed');
    })).rejects.toThrow('the change failed');
    expect(await audit.verify()).toEqual({ ok: true, checked: 40 });
  });

  it('names the first altered row', async () => {
    await db.query(`UPDATE audit_log SET detail = '{"i": 99}' WHERE seq = 17`);
    const result = await audit.verify();
    expect(result).toMatchObject({ ok: false, seq: 17, checked: 16 });
  });

  it('names a deleted row', async () => {
    await db.query(`UPDATE audit_log SET detail = '{"i": 16}' WHERE seq = 17`);
    expect((await audit.verify()).ok).toBe(true);
    await db.query('DELETE FROM audit_log WHERE seq = 30');
    expect(await audit.verify()).toMatchObject({ ok: false, seq: 30 });
  });
});
