import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Db, PostgresDb } from '../db/database.ts';
import { migrate } from '../db/migrate.ts';
import { AuditLog } from '../platform/audit.ts';
import { systemClock } from '../platform/clock.ts';
import { runTandem } from '../testing/cli.ts';
import { caseIdFrom, createUser, forms, signIn, TEST_BACKEND, testApp, testDb } from '../testing/harness.ts';
import { backup, backupFormatOf, databaseSummary, hasPgDump, type LogicalHeader, restore, RestoreError } from './backup.ts';

const PG_URL = process.env.TEST_DATABASE_URL ?? '';

/** A little of everything a user would lose: people, a case with an encrypted victim, a suspect, audit history, jobs. */
async function seed(db: Db): Promise<string> {
  const { app } = await testApp(db);
  try {
    const username = `inv.${randomUUID().slice(0, 6)}`;
    await createUser(db, { username, organisationId: 'force-hampshire-and-isle-of-wight', roles: ['investigator'] });
    const agent = await signIn(app, username);
    const caseId = caseIdFrom(await agent.post('/cases', forms.case()));
    expect((await agent.post(`/cases/${caseId}/victims`, forms.victim())).statusCode).toBe(303);
    expect((await agent.post(`/cases/${caseId}/suspects`, forms.suspect())).statusCode).toBe(303);
    await agent.get(`/cases/${caseId}`);
    // More rows than the backup reads in one page, so paging is exercised.
    await db.query(`INSERT INTO sign_in_attempts (username, client, at, succeeded) SELECT 'bulk' || g, '10.0.0.1', now() - g * interval '1 second', false FROM generate_series(1, 4500) g`);
    return caseId;
  } finally {
    await app.close();
  }
}

/** A fresh, migrated, empty database (PGlite clone of the template, or a new PostgreSQL schema). */
async function freshSchema(): Promise<{ db: Db; drop: () => Promise<void> }> {
  const db = await testDb();
  return { db, drop: () => db.close() };
}

describe(`backup and restore (${TEST_BACKEND})`, () => {
  let dir: string;
  let source: Db;
  let caseId: string;
  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tandem-backup-'));
    source = await testDb();
    caseId = await seed(source);
  });
  afterAll(async () => {
    await source?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('round-trips the logical format into a fresh database: every table equal, audit chain intact, numbering continues', async () => {
    const file = path.join(dir, 'logical.tandem.gz');
    const made = await backup(source, file, { format: 'logical' });
    expect(made.format).toBe('logical');
    expect(backupFormatOf(file)).toBe('logical');
    const before = await databaseSummary(source);
    expect(before.find((t) => t.name === 'cases')!.rows).toBe(1);
    expect(before.find((t) => t.name === 'audit_log')!.rows).toBeGreaterThan(3);
    expect(made.tables).toBe(before.length);

    const target = await freshSchema();
    try {
      const r = await restore(target.db, file);
      expect(r.mismatches).toEqual([]);
      expect(await databaseSummary(target.db)).toEqual(before); // every table: same rows, same checksum
      const audit = new AuditLog(target.db, systemClock);
      expect(await audit.verify()).toMatchObject({ ok: true, checked: before.find((t) => t.name === 'audit_log')!.rows });
      // The restored service carries on: the case opens, the victim decrypts, new audit rows extend the same chain.
      const { app } = await testApp(target.db);
      try {
        await createUser(target.db, { username: 'after.restore', organisationId: 'force-hampshire-and-isle-of-wight', roles: ['investigator'] });
        const agent = await signIn(app, 'after.restore');
        const page = await agent.get(`/cases/${caseId}`);
        expect(page.statusCode).toBe(200);
        expect(page.body).toContain('Amelia Quintrell');
        const second = caseIdFrom(await agent.post('/cases', forms.case()));
        expect(second).not.toBe(caseId);
      } finally {
        await app.close();
      }
      expect((await audit.verify()).ok).toBe(true);

      // Restoring over a database that holds data is refused unless forced, and nothing changes.
      const n = (await target.db.query<{ n: number }>('SELECT count(*)::int AS n FROM cases'))[0]!.n;
      await expect(restore(target.db, file)).rejects.toBeInstanceOf(RestoreError);
      expect((await target.db.query<{ n: number }>('SELECT count(*)::int AS n FROM cases'))[0]!.n).toBe(n);
      const forced = await restore(target.db, file, { force: true });
      expect(forced.mismatches).toEqual([]);
      expect(await databaseSummary(target.db)).toEqual(before);
    } finally {
      await target.drop();
    }
  });

  it('refuses a file that is not a backup with a clear message', async () => {
    const file = path.join(dir, 'not-a-backup.txt');
    fs.writeFileSync(file, 'hello');
    await expect(restore(source, file)).rejects.toThrow(/not a Tandem backup/);
  });

  it.runIf(TEST_BACKEND === 'postgres')('round-trips a pg_dump archive into a fresh PostgreSQL database', async () => {
    if (!(await hasPgDump())) return;
    const suffix = randomUUID().replace(/-/g, '').slice(0, 10);
    const admin = PostgresDb.connect(PG_URL, { max: 1 });
    const url = (name: string) => { const u = new URL(PG_URL); u.pathname = `/${name}`; return u.toString(); };
    const names = [`bk_src_${suffix}`, `bk_dst_${suffix}`];
    for (const n of names) await admin.exec(`CREATE DATABASE ${n}`);
    const src = PostgresDb.connect(url(names[0]!), { max: 4 });
    const dst = PostgresDb.connect(url(names[1]!), { max: 4 });
    try {
      await migrate(src);
      await seed(src);
      const file = path.join(dir, 'pg.dump');
      const made = await backup(src, file, { databaseUrl: url(names[0]!) });
      expect(made.format).toBe('pg_dump');
      expect(backupFormatOf(file)).toBe('pg_dump');
      const r = await restore(dst, file, { databaseUrl: url(names[1]!) });
      expect(r.format).toBe('pg_dump');
      expect(await databaseSummary(dst)).toEqual(await databaseSummary(src));
      expect((await new AuditLog(dst, systemClock).verify()).ok).toBe(true);
    } finally {
      await src.close();
      await dst.close();
      // Pools close their connections asynchronously: wait for them rather than terminating them mid-goodbye.
      for (const n of names) {
        for (let i = 0; ; i++) {
          try {
            await admin.exec(`DROP DATABASE IF EXISTS ${n}${i >= 20 ? ' WITH (FORCE)' : ''}`);
            break;
          } catch (err) {
            if (i > 40) throw err;
            await new Promise((r) => setTimeout(r, 100));
          }
        }
      }
      await admin.close();
    }
  });

  it.runIf(TEST_BACKEND === 'pglite')('tandem restore into a new data directory, then tandem backup of it, gives the same tables', async () => {
    // The first test's backup, restored by the CLI into a directory that has never been migrated, then backed up again.
    const first = path.join(dir, 'logical.tandem.gz');
    const to = path.join(dir, 'to');
    const restored = await run(['restore', '--in', first], { TANDEM_DATA_DIR: to });
    expect(restored.stdout).toContain('every table matches');
    expect(restored.stdout).toMatch(/audit log intact: \d+ rows verified/);
    expect(restored.code).toBe(0);

    const second = path.join(dir, 'again.tandem.gz');
    const made = await run(['backup', '--out', second], { TANDEM_DATA_DIR: to });
    expect(made.stdout).toMatch(/backup written: .* \(logical, \d+ tables, \d+ rows/);
    expect(made.code).toBe(0);
    expect(headerOf(second).tables).toEqual(headerOf(first).tables);
    expect(headerOf(second).sequences).toEqual(headerOf(first).sequences);
  });
});

function headerOf(file: string): LogicalHeader {
  const text = zlib.gunzipSync(fs.readFileSync(file)).toString('utf8');
  return JSON.parse(text.slice(0, text.indexOf('\n'))) as LogicalHeader;
}

/** The CLI on the embedded database (DATABASE_URL cleared, whatever the test environment sets). */
const run = (args: string[], env: Record<string, string>) => runTandem(args, { DATABASE_URL: '', ...env });
