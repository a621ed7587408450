import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../db/database.ts';
import { createUser, testDb } from '../testing/harness.ts';
import { FixedClock } from './clock.ts';
import { enqueue, JobWorker, notify } from './jobs.ts';

describe('durable jobs and exactly-once reminders', () => {
  let db: Db;
  let userId: string;
  const clock = new FixedClock(new Date('2026-02-02T09:00:00Z'));
  const reminder = { remind: async (job: { payload: Record<string, unknown>; dedupe_key: string | null }, tx: Parameters<typeof notify>[0]) => {
    await notify(tx, clock, { userId: job.payload.userId as string, kind: 'reminder', message: String(job.payload.message), dedupeKey: `reminder:${job.dedupe_key}` });
  } };

  beforeAll(async () => {
    db = await testDb();
    userId = await createUser(db, { username: 'oic', organisationId: 'force-kent', roles: ['investigator'] });
  });
  afterAll(async () => db?.close());

  it('enqueues only when the causing transaction commits, and once per dedupe key', async () => {
    await expect(db.transaction(async (tx) => {
      await enqueue(tx, clock, 'remind', { userId, message: 'lost' }, { dedupeKey: 'r-lost' });
      throw new Error('rolled back');
    })).rejects.toThrow();
    await db.transaction((tx) => enqueue(tx, clock, 'remind', { userId, message: 'Line of enquiry due' }, { dedupeKey: 'r1' }));
    await db.transaction((tx) => enqueue(tx, clock, 'remind', { userId, message: 'Line of enquiry due' }, { dedupeKey: 'r1' }));
    const jobs = await db.query<{ dedupe_key: string }>('SELECT dedupe_key FROM jobs');
    expect(jobs.map((j) => j.dedupe_key)).toEqual(['r1']);
  });

  it('delivers a reminder exactly once even when a worker dies after claiming it', async () => {
    await db.transaction((tx) => enqueue(tx, clock, 'remind', { userId, message: 'Due tomorrow' }, { dedupeKey: 'r2', runAt: new Date('2026-02-03T09:00:00Z') }));
    // a worker process claimed the due jobs and was killed before finishing: its claims are left behind
    clock.set(new Date('2026-02-03T09:00:01Z'));
    await db.query(`UPDATE jobs SET locked_until = $1, locked_by = 'dead', attempts = attempts + 1 WHERE done_at IS NULL`, [new Date(clock.now().getTime() + 60_000)]);
    // restarted worker: nothing is claimable until the dead worker's lease runs out, then each reminder is delivered once
    const worker = new JobWorker(db, clock, reminder, { leaseMs: 60_000 });
    expect(await worker.runDue()).toBe(0);
    clock.advance(61_000);
    expect(await worker.runDue()).toBe(2);
    expect(await worker.runDue()).toBe(0);
    const sent = await db.query<{ message: string }>('SELECT message FROM notifications WHERE user_id = $1 ORDER BY message', [userId]);
    expect(sent.map((n) => n.message)).toEqual(['Due tomorrow', 'Line of enquiry due']);
  });

  it('a job whose effect committed but whose completion was lost does not notify twice when re-run', async () => {
    await db.transaction((tx) => enqueue(tx, clock, 'remind', { userId, message: 'Once only' }, { dedupeKey: 'r3' }));
    const worker = new JobWorker(db, clock, reminder);
    await worker.runDue();
    await db.query(`UPDATE jobs SET done_at = NULL WHERE dedupe_key = 'r3'`); // as if "done" was never recorded
    await worker.runDue();
    const sent = await db.query('SELECT 1 FROM notifications WHERE message = $1', ['Once only']);
    expect(sent.length).toBe(1);
  });

  it('retries a failing job with backoff and gives up after max attempts', async () => {
    await db.transaction((tx) => enqueue(tx, clock, 'flaky', {}, { dedupeKey: 'f1', maxAttempts: 2 }));
    const worker = new JobWorker(db, clock, { flaky: async () => { throw new Error('downstream unavailable'); } });
    await worker.runDue();
    let [job] = await db.query<{ attempts: number; failed_at: Date | null; last_error: string }>(`SELECT attempts, failed_at, last_error FROM jobs WHERE dedupe_key = 'f1'`);
    expect(job).toMatchObject({ attempts: 1, failed_at: null, last_error: 'downstream unavailable' });
    clock.advance(1000);
    expect(await worker.runDue()).toBe(0); // still backing off
    clock.advance(5000);
    await worker.runDue();
    [job] = await db.query(`SELECT attempts, failed_at, last_error FROM jobs WHERE dedupe_key = 'f1'`);
    expect(job!.attempts).toBe(2);
    expect(job!.failed_at).not.toBeNull();
  });
});
