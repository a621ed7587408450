import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../db/database.ts';
import { FieldCipher } from '../platform/crypto.ts';
import { createDemoUsers } from '../synthetic/demo-users.ts';
import { generateNational } from '../synthetic/generator.ts';
import { TEST_KEY, testDb } from '../testing/harness.ts';
import { seedScrutinyDemo } from './demo.ts';

describe('scrutiny demo seed', () => {
  let db: Db;
  beforeAll(async () => {
    db = await testDb();
  });
  afterAll(async () => db?.close());

  it('makes the Hampshire / Wessex panel with its demo members and one released, redacted pack, once', async () => {
    const cipher = new FieldCipher([TEST_KEY]);
    const ids = await createDemoUsers(db, cipher, new Date());
    await generateNational(db, cipher, { cases: 300, seed: 42 });
    const result = await seedScrutinyDemo(db, cipher, ids);
    expect(result).not.toBeNull();
    expect(result!.packs).toBeGreaterThan(0);
    const packs = await db.query<{ status: string; content: { victims: { label: string }[] } }>('SELECT status, content FROM scrutiny_packs ORDER BY number');
    expect(packs.filter((p) => p.status === 'released')).toHaveLength(1);
    const members = await db.query<{ side: string }>('SELECT side FROM scrutiny_panel_members ORDER BY side');
    expect(members.map((m) => m.side)).toEqual(['cps', 'external', 'police']);
    expect(await seedScrutinyDemo(db, cipher, ids)).toBeNull();
  });
});
