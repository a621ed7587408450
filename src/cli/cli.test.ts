import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PgliteDb } from '../db/database.ts';
import { migrate } from '../db/migrate.ts';
import { AuditLog } from '../platform/audit.ts';
import { systemClock } from '../platform/clock.ts';
import { runTandem, TANDEM_BIN as BIN } from '../testing/cli.ts';
import { TEST_BACKEND } from '../testing/harness.ts';


/** The CLI on the embedded database (DATABASE_URL cleared, whatever the test environment sets). */
const run = (args: string[], env: Record<string, string>) => runTandem(args, { DATABASE_URL: '', ...env });

function startServe(env: Record<string, string>): Promise<{ child: ChildProcess; url: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, 'serve'], { env: { ...process.env, NODE_ENV: 'development', DATABASE_URL: '', PORT: '0', HOST: '127.0.0.1', ...env } });
    let out = '';
    const timer = setTimeout(() => reject(new Error(`serve did not start: ${out}`)), 60_000);
    child.stdout!.on('data', (d) => {
      out += d;
      const m = /running at (http:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ child, url: m[1]! });
      }
    });
    child.stderr!.on('data', (d) => (out += d));
    child.on('exit', () => reject(new Error(`serve exited early: ${out}`)));
  });
}

describe.skipIf(TEST_BACKEND === 'postgres')('tandem CLI on an embedded data directory', () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tandem-cli-'));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('audit-verify exits 0 on an intact chain and 1 naming the row after an UPDATE', async () => {
    const dataDir = path.join(dir, 'audit');
    const db = await PgliteDb.open(dataDir);
    await migrate(db);
    const audit = new AuditLog(db, systemClock);
    for (let i = 0; i < 12; i++) await audit.record({ action: 'case:read', outcome: 'allowed', entityId: `case-${i}` });
    await db.close();

    const ok = await run(['audit-verify'], { TANDEM_DATA_DIR: dataDir });
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain('12 rows verified');

    const db2 = await PgliteDb.open(dataDir);
    await db2.query(`UPDATE audit_log SET action = 'nothing-to-see' WHERE seq = 7`);
    await db2.close();
    const broken = await run(['audit-verify'], { TANDEM_DATA_DIR: dataDir });
    expect(broken.code).toBe(1);
    expect(broken.stderr).toContain('seq=7');
  });

  it('refuses a second process on the same data directory, loses nothing, and releases the lock on shutdown', async () => {
    const dataDir = path.join(dir, 'lock');
    const first = await startServe({ TANDEM_DATA_DIR: dataDir });
    const health = await fetch(`${first.url}/health`);
    expect(await health.json()).toMatchObject({ status: 'UP', components: { database: { status: 'UP', kind: 'pglite' } } });

    const second = await run(['serve'], { TANDEM_DATA_DIR: dataDir, PORT: '0' });
    expect(second.code).toBe(1);
    expect(second.stderr).toContain('Another Tandem process is already using the data directory');

    // the first is unharmed
    expect((await fetch(`${first.url}/health`)).status).toBe(200);
    const exited = new Promise<number | null>((r) => first.child.on('exit', (code) => r(code)));
    first.child.kill('SIGTERM');
    expect(await exited).toBe(0);

    const third = await startServe({ TANDEM_DATA_DIR: dataDir });
    expect((await fetch(`${third.url}/ping`)).status).toBe(200);
    third.child.kill('SIGTERM');
    await new Promise((r) => third.child.on('exit', r));

    // The same data with another encryption key: refused at start with the reason, not a 500 at the first sign-in.
    const otherKey = await run(['serve'], { TANDEM_DATA_DIR: dataDir, PORT: '0', TANDEM_ENCRYPTION_KEYS: `dev:${Buffer.alloc(32, 8).toString('base64')}` });
    expect(otherKey.code).toBe(1);
    expect(otherKey.stderr).toContain('"dev" in TANDEM_ENCRYPTION_KEYS are not the keys this database was encrypted with');
  });

  it('seed rejects a bad --cases with a clear message and exit code 2', async () => {
    const res = await run(['seed', '--cases', 'lots'], { TANDEM_DATA_DIR: path.join(dir, 'seed') });
    expect(res.code).toBe(2);
    expect(res.stderr).toContain('--cases must be a whole number');
  });
});
