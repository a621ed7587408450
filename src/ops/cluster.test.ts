import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import os from 'node:os';
import { afterAll, describe, expect, it } from 'vitest';
import { PostgresDb } from '../db/database.ts';
import { migrate } from '../db/migrate.ts';
import { totpCode } from '../platform/auth/totp.ts';
import { runTandem, TANDEM_BIN as BIN } from '../testing/cli.ts';
import { createUser, TEST_BACKEND, TEST_KEY, TEST_PASSWORD, TEST_TOTP_SECRET } from '../testing/harness.ts';
import { resolveWorkers, restartDelayMs } from './cluster.ts';


describe('tandem serve --workers', () => {
  it('reads the number of processes: default 1, "auto" one per core, nonsense refused', () => {
    expect(resolveWorkers(undefined)).toBe(1);
    expect(resolveWorkers('3')).toBe(3);
    expect(resolveWorkers('auto')).toBe(os.availableParallelism());
    for (const bad of ['0', '-1', '1.5', 'lots', '1000']) expect(() => resolveWorkers(bad)).toThrow(/--workers must be/);
  });

  it('backs off restarts of a crashing process, up to 30 seconds', () => {
    expect([1, 2, 3, 4].map(restartDelayMs)).toEqual([500, 1000, 2000, 4000]);
    expect(restartDelayMs(20)).toBe(30_000);
  });

  it.runIf(TEST_BACKEND === 'pglite')('refuses more than one process on the embedded database, saying why', async () => {
    const r = await run(['serve', '--workers', '2'], { DATABASE_URL: '' });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('--workers needs PostgreSQL (set DATABASE_URL)');
    expect(r.stderr).toContain('one process per data directory');
  });
});

describe.runIf(TEST_BACKEND === 'postgres')('a cluster of app processes on PostgreSQL', () => {
  const url = process.env.TEST_DATABASE_URL ?? '';
  const schema = `c_${randomUUID().replace(/-/g, '').slice(0, 16)}`;
  let primary: ChildProcess | undefined;
  afterAll(async () => {
    if (primary && primary.exitCode === null) primary.kill('SIGKILL');
    const admin = PostgresDb.connect(url, { max: 1 });
    await admin.exec(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await admin.close();
  });

  it('serves from two processes as one service, restarts a killed process, and stops gracefully on SIGTERM', async () => {
    const admin = PostgresDb.connect(url, { max: 1 });
    await admin.exec(`CREATE SCHEMA ${schema}`);
    await admin.close();
    const db = PostgresDb.connect(url, { schema, max: 2 });
    await migrate(db);
    await createUser(db, { username: 'hants.inv', organisationId: 'force-hampshire-and-isle-of-wight', roles: ['investigator'] });
    await db.close();

    const dbUrl = new URL(url);
    dbUrl.searchParams.set('options', `-c search_path=${schema}`);
    let out = '';
    // No TANDEM_SESSION_SECRET: in development each process would pick its own; the primary must hand one to all.
    const env: NodeJS.ProcessEnv = { ...process.env, NODE_ENV: 'development', DATABASE_URL: dbUrl.toString(), PORT: '0', HOST: '127.0.0.1', TANDEM_ENCRYPTION_KEYS: `test:${TEST_KEY.key.toString('base64')}` };
    delete env.TANDEM_SESSION_SECRET;
    primary = spawn(process.execPath, [BIN, 'serve', '--workers', '2'], { env });
    primary.stdout!.on('data', (d) => (out += d));
    primary.stderr!.on('data', (d) => (out += d));
    const listening = () => [...out.matchAll(/worker (\d) listening \(pid (\d+)\)/g)].map((m) => Number(m[2]));
    const waitFor = async (re: RegExp | (() => boolean), ms = 60_000) => {
      const until = Date.now() + ms;
      for (;;) {
        const m = typeof re === 'function' ? (re() ? [''] : null) : re.exec(out);
        if (m) return m;
        if (Date.now() > until || primary!.exitCode !== null) throw new Error(`did not see ${re}: ${out}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    };
    const base = (await waitFor(/running at (http:\/\/\S+) \(.*2 worker processes/))[1]!.replace('localhost', '127.0.0.1');
    const pids = listening();
    expect(pids).toHaveLength(2);

    // Sign in over real HTTP: the connections are shared between the processes, so the pages of one sign-in come
    // from both — which works only because sessions and the cookie secret are the same everywhere.
    const browser = new Browser(base);
    await browser.get('/sign-in');
    expect((await browser.post('/sign-in', { username: 'hants.inv', password: TEST_PASSWORD })).status).toBe(303);
    await browser.get('/sign-in/code');
    expect((await browser.post('/sign-in/code', { code: totpCode(TEST_TOTP_SECRET, new Date()) })).status).toBe(303);
    for (let i = 0; i < 6; i++) expect((await browser.get('/cases')).status).toBe(200);

    // kill -9 one process: the other keeps serving, and the primary starts a replacement.
    process.kill(pids[0]!, 'SIGKILL');
    await waitFor(new RegExp(`worker \\d \\(pid ${pids[0]}\\) exited \\(SIGKILL\\); restarting in 0\\.5s`));
    for (let i = 0; i < 3; i++) expect((await request(`${base}/ping`)).status).toBe(200);
    await waitFor(() => listening().length === 3);
    const replacement = listening()[2]!;
    expect(pids).not.toContain(replacement);
    for (let i = 0; i < 4; i++) expect((await browser.get('/cases')).status).toBe(200);

    // SIGTERM: every process finishes and exits; the primary exits 0.
    const live = [pids[1]!, replacement];
    const exited = new Promise<number | null>((r) => primary!.once('exit', (code) => r(code)));
    primary.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(out).toContain('all workers stopped');
    for (const pid of live) expect(() => process.kill(pid, 0)).toThrow();
  });
});

/** One request on a new connection (no keep-alive), so the cluster hands successive requests to different processes. */
function request(url: string, opts: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: opts.method ?? 'GET', headers: opts.headers, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}

/** Just enough of a browser: cookies and the CSRF token of the last page. */
class Browser {
  private cookies = new Map<string, string>();
  private csrf = '';
  constructor(private readonly base: string) {}
  private absorb(res: Awaited<ReturnType<typeof request>>) {
    for (const c of res.headers['set-cookie'] ?? []) {
      const [pair] = c.split(';');
      const i = pair!.indexOf('=');
      const value = pair!.slice(i + 1);
      if (value === '' || /expires=Thu, 01 Jan 1970/i.test(c)) this.cookies.delete(pair!.slice(0, i));
      else this.cookies.set(pair!.slice(0, i), value);
    }
    const m = /name="_csrf" value="([^"]+)"/.exec(res.body);
    if (m) this.csrf = m[1]!;
    return res;
  }
  private cookie() {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }
  async get(p: string) {
    return this.absorb(await request(this.base + p, { headers: { cookie: this.cookie(), accept: 'text/html' } }));
  }
  async post(p: string, form: Record<string, string>) {
    const body = new URLSearchParams({ _csrf: this.csrf, ...form }).toString();
    return this.absorb(await request(this.base + p, { method: 'POST', body, headers: { cookie: this.cookie(), 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html' } }));
  }
}

const run = runTandem;
