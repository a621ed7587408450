import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Db } from '../db/database.ts';
import { testDb } from '../testing/harness.ts';
import { FieldCipher } from './crypto.ts';
import { checkKeyRing, KeyRingMismatchError } from './key-check.ts';

const key = (fill: number) => Buffer.alloc(32, fill);
const now = new Date('2026-11-29T12:00:00Z');

describe('start-up check of the encryption key ring against the database', () => {
  let db: Db;
  beforeEach(async () => {
    db = await testDb();
  });
  afterEach(async () => db.close());

  it('accepts the ring the database was written with, start after start', async () => {
    const ring = new FieldCipher([{ id: 'k1', key: key(1) }]);
    await checkKeyRing(db, ring, now);
    await expect(checkKeyRing(db, ring, now)).resolves.toBeUndefined();
  });

  it('refuses a different key under the same id, naming it, and records nothing', async () => {
    await checkKeyRing(db, new FieldCipher([{ id: 'k1', key: key(1) }]), now);
    const err = await checkKeyRing(db, new FieldCipher([{ id: 'k1', key: key(2) }]), now).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KeyRingMismatchError);
    expect((err as Error).message).toContain('"k1" in TANDEM_ENCRYPTION_KEYS are not the keys this database was encrypted with');
  });

  it('refuses a ring that dropped a key still in use, and accepts a rotation that keeps it', async () => {
    await checkKeyRing(db, new FieldCipher([{ id: 'k1', key: key(1) }]), now);
    await expect(checkKeyRing(db, new FieldCipher([{ id: 'k2', key: key(2) }]), now)).rejects.toThrow('"k1" used to encrypt data in this database are not in TANDEM_ENCRYPTION_KEYS');
    const rotated = new FieldCipher([{ id: 'k2', key: key(2) }, { id: 'k1', key: key(1) }]);
    await checkKeyRing(db, rotated, now);
    expect((await db.query<{ key_id: string }>('SELECT key_id FROM encryption_key_checks ORDER BY key_id')).map((r) => r.key_id)).toEqual(['k1', 'k2']);
    // Once the new key has written, dropping it again is caught too.
    await expect(checkKeyRing(db, new FieldCipher([{ id: 'k1', key: key(1) }]), now)).rejects.toThrow('"k2" used to encrypt');
  });
});
