import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DataDirLockedError, PgliteDb } from '../db/database.ts';
import { migrate } from '../db/migrate.ts';
import { londonDate } from '../platform/calendar.ts';
import { createServices } from '../services.ts';
import { createUser, TEST_BACKEND, testConfig } from '../testing/harness.ts';
import { LOE_REMINDER, TARGET_REMINDER } from './jobs.ts';

/**
 * The acceptance test for durable reminders with a real process: `tandem serve` is killed (SIGKILL, no clean-up)
 * while reminders are pending; after restarts, each reminder reaches its user exactly once. The in-process tests in
 * reminders.test.ts cover a worker dying mid-job; this one covers the whole server and its embedded database.
 */

const BIN = path.resolve(import.meta.dirname, '../../bin/tandem.mjs');
const KINDS = [LOE_REMINDER, TARGET_REMINDER];

function serve(dataDir: string): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, 'serve'], { env: { ...process.env, NODE_ENV: 'development', DATABASE_URL: '', PORT: '0', HOST: '127.0.0.1', TANDEM_DATA_DIR: dataDir } });
    let out = '';
    const timer = setTimeout(() => reject(new Error(`serve did not start: ${out}`)), 90_000);
    child.stdout!.on('data', (d) => {
      out += d;
      if (/running at http/.test(out)) {
        clearTimeout(timer);
        resolve(child);
      }
    });
    child.stderr!.on('data', (d) => (out += d));
    child.on('exit', () => reject(new Error(`serve exited early: ${out}`)));
  });
}

function stop(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  const exited = new Promise<void>((r) => child.on('exit', () => r()));
  child.kill(signal);
  return exited;
}

/** Opens the data directory in this process, waiting for a killed server's lock to go stale (15 s). */
async function openWhenFree(dataDir: string): Promise<PgliteDb> {
  const until = Date.now() + 60_000;
  for (;;) {
    try {
      return await PgliteDb.open(dataDir);
    } catch (err) {
      if (!(err instanceof DataDirLockedError) || Date.now() > until) throw err;
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
}

describe.skipIf(TEST_BACKEND === 'postgres')('Early Advice reminders across a killed server', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tandem-restart-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('kills the server with reminders pending; after restarts every reminder is delivered once to its owner', async () => {
    const dataDir = path.join(dir, 'data');
    // 1. Advice given with two lines of enquiry owned by the investigator: four reminders (due soon, overdue) scheduled.
    let db = await PgliteDb.open(dataDir);
    await migrate(db);
    const services = createServices(db, testConfig());
    const inv = await createUser(db, { username: 'hants.inv', organisationId: 'force-hampshire-and-isle-of-wight', roles: ['investigator'] });
    const pros = await createUser(db, { username: 'wessex.pros', organisationId: 'rasso-wessex', roles: ['prosecutor'] });
    const dcp = await createUser(db, { username: 'wessex.dcp', organisationId: 'rasso-wessex', roles: ['district_crown_prosecutor'] });
    const p = async (id: string) => (await services.identity.principal(id))!;
    const today = londonDate(new Date());
    const { id: caseId } = await services.cases.create(await p(inv), { offences: ['SOA2003-s1'], offenceDate: '2026-01-01', reportedDate: '2026-01-02', summary: 'V1 reports rape.', cpsAreaId: '' });
    const request = await services.earlyAdvice.request(await p(inv), caseId, { caseSummary: 'Summary', questions: 'Questions', strategy: 'Strategy', priority: 'standard' });
    await services.earlyAdvice.allocate(await p(dcp), request.id, { prosecutorId: pros, version: 1 });
    const due = new Date(Date.now() + 20 * 86_400_000).toISOString().slice(0, 10);
    await services.earlyAdvice.giveAdvice(await p(pros), caseId, request.id, {
      conversation: { heldAt: new Date(Date.now() - 3_600_000), channel: 'video', participantUserIds: [inv], otherParticipants: [] }, advice: 'Advice', version: 2,
      linesOfEnquiry: [
        { description: 'Obtain CCTV', category: 'general', rationale: '', ownerUserId: inv, dueDate: due },
        { description: 'Download V1’s phone for the night only', category: 'digital_device', rationale: 'Messages with S1 that night; no wider intrusion.', ownerUserId: inv, dueDate: due },
      ],
    });
    expect(today <= due).toBe(true);
    // Not due for an hour: still pending when the server is killed.
    await db.query(`UPDATE jobs SET run_at = now() + interval '1 hour' WHERE kind = ANY($1::text[])`, [KINDS]);
    const scheduled = await db.query<{ dedupe_key: string }>(`SELECT dedupe_key FROM jobs WHERE kind = $1 ORDER BY dedupe_key`, [LOE_REMINDER]);
    expect(scheduled).toHaveLength(4);
    await db.close();

    // 2. The server starts and is killed outright.
    await stop(await serve(dataDir), 'SIGKILL');

    // 3. Nothing was lost or sent; then the hour passes and the reminders fall due.
    db = await openWhenFree(dataDir);
    expect(await db.query(`SELECT 1 FROM jobs WHERE kind = ANY($1::text[]) AND done_at IS NULL`, [KINDS])).toHaveLength(6);
    expect(await db.query(`SELECT 1 FROM notifications WHERE kind IN ('loe-due', 'ea-target')`)).toHaveLength(0);
    await db.query(`UPDATE jobs SET run_at = now() - interval '1 second' WHERE kind = ANY($1::text[])`, [KINDS]);
    await db.close();

    // 4. Restart: the worker delivers the due reminders (restarting again if it had not finished them all).
    let rounds = 0;
    for (;;) {
      const child = await serve(dataDir);
      await new Promise((r) => setTimeout(r, 4000));
      await stop(child, 'SIGTERM');
      db = await openWhenFree(dataDir);
      const pending = await db.query(`SELECT 1 FROM jobs WHERE kind = ANY($1::text[]) AND done_at IS NULL`, [KINDS]);
      rounds++;
      if (pending.length === 0 || rounds >= 3) break;
      await db.close();
    }
    try {
      expect(await db.query(`SELECT 1 FROM jobs WHERE kind = ANY($1::text[]) AND done_at IS NULL`, [KINDS])).toHaveLength(0);
      const sent = await db.query<{ user_id: string; dedupe_key: string; message: string }>(`SELECT user_id, dedupe_key, message FROM notifications WHERE kind IN ('loe-due', 'ea-target') ORDER BY dedupe_key`);
      // two lines of enquiry × (due soon, overdue), to their owner; the response target needs no reminder (advice given)
      expect(sent).toHaveLength(4);
      expect(new Set(sent.map((n) => n.dedupe_key)).size).toBe(4);
      expect(sent.every((n) => n.user_id === inv)).toBe(true);
      expect(sent.map((n) => n.message).filter((m) => /is due on/.test(m))).toHaveLength(2);
    } finally {
      await db.close();
    }
  }, 600_000); // three server start-ups and a stale-lock wait: slow on a busy machine
});
