import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../db/database.ts';
import { testDb } from '../testing/harness.ts';
import { AuditLog, canonicalEvent, chainHash, GENESIS_HASH } from './audit.ts';
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

  it('verifies a chain that began with rows hashed the old way (version 1) and goes on with database-linked rows', async () => {
    const other = await testDb();
    try {
      // Two rows as the app wrote them before migration 0071: hashed in the app over the whole row.
      let prev = GENESIS_HASH;
      for (const seq of [1, 2]) {
        const row = { seq, at: new Date('2026-01-01T10:00:00Z'), actor_user_id: null, actor_organisation_id: 'national', action: 'case:read', outcome: 'allowed', entity_type: 'case', entity_id: `old${seq}`, case_id: null, detail: { seq }, request_id: null, prev_hash: prev };
        const hash = chainHash(prev, canonicalEvent(row));
        await other.query(`INSERT INTO audit_log (seq, at, actor_organisation_id, action, outcome, entity_type, entity_id, detail, prev_hash, hash, hash_version) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,1)`,
          [seq, row.at, row.actor_organisation_id, row.action, row.outcome, row.entity_type, row.entity_id, JSON.stringify(row.detail), prev, hash]);
        prev = hash;
      }
      const log = new AuditLog(other, new FixedClock(new Date('2026-01-05T09:30:00.123Z')));
      await log.record({ action: 'case:read', outcome: 'allowed', entityType: 'case', entityId: 'new1' });
      await log.record({ action: 'case:read', outcome: 'allowed', entityType: 'case', entityId: 'new2', detail: { note: 'ünïcode ✓' } });
      const rows = await other.query<{ seq: number; hash_version: number; prev_hash: string }>('SELECT seq, hash_version, prev_hash FROM audit_log ORDER BY seq');
      expect(rows.map((r) => [Number(r.seq), r.hash_version])).toEqual([[1, 1], [2, 1], [3, 2], [4, 2]]);
      expect(rows[2]!.prev_hash).toBe(prev); // the new rows continue the old chain
      expect(await log.verify()).toEqual({ ok: true, checked: 4 });
      await other.query(`UPDATE audit_log SET entity_id = 'old9' WHERE seq = 1`);
      expect(await log.verify()).toMatchObject({ ok: false, seq: 1 });
    } finally {
      await other.close();
    }
  });
});
