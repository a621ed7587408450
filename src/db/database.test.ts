import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { testDb } from '../testing/harness.ts';
import type { Db } from './database.ts';

// A service that only holds `db` must take part in its caller's transaction: that is what makes the API's
// Idempotency-Key record commit (or roll back) with the write it describes.
describe('transactions joined by code that only holds the database', () => {
  let db: Db;
  beforeEach(async () => {
    db = await testDb();
    await db.exec('CREATE TABLE tx_probe (n int PRIMARY KEY)');
  });
  afterEach(async () => db.close());

  const rows = async () => (await db.query<{ n: number }>('SELECT n FROM tx_probe ORDER BY n')).map((r) => r.n);

  it('sees the transaction’s own writes and rolls back with it', async () => {
    await expect(
      db.transaction(async (tx) => {
        await tx.query('INSERT INTO tx_probe VALUES (1)');
        expect(await rows()).toEqual([1]); // db.query, not tx.query: joins the open transaction
        await db.query('INSERT INTO tx_probe VALUES (2)');
        throw new Error('the request failed');
      }),
    ).rejects.toThrow('the request failed');
    expect(await rows()).toEqual([]);
  });

  it('makes a nested transaction a savepoint: its failure undoes only its own writes', async () => {
    await db.transaction(async () => {
      await db.query('INSERT INTO tx_probe VALUES (1)');
      await expect(
        db.transaction(async (inner) => {
          await inner.query('INSERT INTO tx_probe VALUES (2)');
          await inner.query('INSERT INTO tx_probe VALUES (1)'); // duplicate key: this inner unit fails
        }),
      ).rejects.toThrow(/duplicate key/);
      await db.transaction(async (inner) => inner.query('INSERT INTO tx_probe VALUES (3)'));
    });
    expect(await rows()).toEqual([1, 3]);
  });

  it('lets work that outlives the transaction use the database on its own', async () => {
    let later: Promise<unknown> | undefined;
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    await db.transaction(async (tx) => {
      await tx.query('INSERT INTO tx_probe VALUES (1)');
      later = gate.then(() => db.query('INSERT INTO tx_probe VALUES (2)'));
    });
    release();
    await later;
    expect(await rows()).toEqual([1, 2]);
  });
});
