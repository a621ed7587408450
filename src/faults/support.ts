import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import { registerClient } from '../api/test-support.ts';
import type { Scope } from '../api/clients.ts';
import { type Db, PostgresDb } from '../db/database.ts';
import { runTandem, TANDEM_BIN } from '../testing/cli.ts';
import { createUser, TEST_KEY, testApp, testConfig, testDb } from '../testing/harness.ts';
import type { FastifyInstance } from 'fastify';
import { createServices, type Services } from '../services.ts';

/**
 * Helpers for the fault tests (src/faults/*.faults.ts, `npm run test:faults`): real HTTP with many connections, a
 * registered API client with its rate limit lifted, a spawned `tandem serve`, and a figures line for the report.
 */

export const HANTS = 'force-hampshire-and-isle-of-wight';
const ALL_SCOPES: Scope[] = ['cases:read', 'cases:write', 'early-advice:write', 'charging:write', 'webhooks:manage'];

/** The real app on a fresh test database, listening on an ephemeral loopback port, for load over real HTTP. */
export async function listeningApp(): Promise<{ db: Db; app: FastifyInstance; services: Services; base: string }> {
  const db = await testDb();
  const { app, services } = await testApp(db);
  await app.listen({ port: 0, host: '127.0.0.1' });
  const addr = app.server.address();
  return { db, app, services, base: `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}` };
}

/** One JSON line on stdout per test, so the figures can be quoted. */
export function figures(test: string, values: Record<string, unknown>) {
  console.log(JSON.stringify({ faults: test, ...values }));
}

export interface HttpResult {
  status: number;
  headers: Headers;
  body: unknown;
  ms: number;
}

/** A keep-alive connection pool: each simulated client holds a connection while its request is in flight. */
export function httpPool(maxSockets = 256) {
  return new http.Agent({ keepAlive: true, maxSockets, keepAliveMsecs: 10_000 });
}
const defaultPool = httpPool();

/**
 * A JSON call over real HTTP (node:http with a keep-alive agent). A connection error or timeout is returned as
 * status 0 with the error's code as the body (the caller decides whether that is acceptable), never thrown.
 */
export function call(base: string, method: string, url: string, opts: { token?: string; body?: unknown; headers?: Record<string, string>; agent?: http.Agent; timeoutMs?: number } = {}): Promise<HttpResult> {
  const started = performance.now();
  const payload = opts.body !== undefined ? JSON.stringify(opts.body) : undefined;
  return new Promise((resolve) => {
    let settled = false;
    const done = (r: Omit<HttpResult, 'ms'>) => {
      if (settled) return;
      settled = true;
      resolve({ ...r, ms: performance.now() - started });
    };
    const req = http.request(base + url, {
      method, agent: opts.agent ?? defaultPool, timeout: opts.timeoutMs ?? 30_000,
      headers: {
        ...(opts.token ? { authorization: `Bearer ${opts.token}` } : {}),
        ...(payload !== undefined ? { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(payload)) } : {}),
        ...opts.headers,
      },
    }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (text += d));
      res.on('error', (err) => done({ status: 0, headers: new Headers(), body: `${(err as NodeJS.ErrnoException).code ?? err.message}` }));
      res.on('end', () => {
        let body: unknown = text;
        try {
          body = text ? JSON.parse(text) : null;
        } catch {
          /* not JSON */
        }
        const headers = new Headers();
        for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) headers.set(k, Array.isArray(v) ? v.join(', ') : v);
        done({ status: res.statusCode ?? 0, headers, body });
      });
    });
    req.on('timeout', () => req.destroy(Object.assign(new Error('timed out'), { code: 'TIMEOUT' })));
    req.on('error', (err) => done({ status: 0, headers: new Headers(), body: `${(err as NodeJS.ErrnoException).code ?? err.message}` }));
    req.end(payload);
  });
}

/** A bearer token over real HTTP. */
export async function httpToken(base: string, client: { clientId: string; clientSecret: string }): Promise<string> {
  const res = await fetch(`${base}/api/v1/oauth/token`, {
    method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'client_credentials', client_id: client.clientId, client_secret: client.clientSecret }).toString(),
  });
  if (res.status !== 200) throw new Error(`token request failed: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { access_token: string }).access_token;
}

/** An administrator and `n` API clients of Hampshire's force with every scope, their per-minute limit lifted for load tests. */
export async function loadClients(db: Db, services: Services, n: number, name = 'Load'): Promise<{ clientId: string; clientSecret: string }[]> {
  const [org] = await db.query<{ id: string }>("SELECT id FROM organisations WHERE kind = 'national' LIMIT 1");
  const adminId = await createUser(db, { username: `admin-${randomUUID().slice(0, 8)}`, organisationId: org!.id, roles: ['admin'] });
  const clients = [];
  for (let i = 0; i < n; i++) clients.push(await registerClient(services, adminId, { name: `${name} ${i + 1}`, organisationId: HANTS, scopes: ALL_SCOPES }));
  await db.query('UPDATE api_clients SET rate_limit_per_minute = 1000000');
  return clients;
}

/** Services over a database, for set-up done from the test process (users, clients) while another process serves. */
export function servicesFor(db: Db): Services {
  return createServices(db, testConfig());
}

/** A PostgreSQL schema of its own (like testDb()), migrated; drop() removes it. */
export async function freshSchema(url: string): Promise<{ schema: string; urlWithSchema: string; drop: () => Promise<void> }> {
  const schema = `f_${randomUUID().replace(/-/g, '').slice(0, 16)}`;
  const admin = PostgresDb.connect(url, { max: 1 });
  await admin.exec(`CREATE SCHEMA ${schema}`);
  await admin.close();
  const u = new URL(url);
  u.searchParams.set('options', `-c search_path=${schema}`);
  return {
    schema, urlWithSchema: u.toString(),
    drop: async () => {
      const a = PostgresDb.connect(url, { max: 1 });
      await a.exec(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await a.close();
    },
  };
}

/** `tandem serve` as a child process (one process, no cluster), like src/ops/cluster.test.ts starts it. */
export class ServeProcess {
  output = '';
  base = '';
  readonly child: ChildProcess;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  private constructor(env: Record<string, string>) {
    this.child = spawn(process.execPath, [TANDEM_BIN, 'serve'], {
      env: { ...process.env, NODE_ENV: 'development', PORT: '0', HOST: '127.0.0.1', TANDEM_ENCRYPTION_KEYS: `test:${TEST_KEY.key.toString('base64')}`, TANDEM_SESSION_SECRET: 'x'.repeat(40), ...env },
    });
    this.child.stdout!.on('data', (d) => (this.output += d));
    this.child.stderr!.on('data', (d) => (this.output += d));
    this.exited = new Promise((resolve) => this.child.once('exit', (code, signal) => resolve({ code, signal })));
  }

  static async start(env: Record<string, string>, timeoutMs = 90_000): Promise<ServeProcess> {
    const p = new ServeProcess(env);
    const until = Date.now() + timeoutMs;
    for (;;) {
      const m = /running at (http:\/\/\S+) /.exec(p.output);
      if (m) {
        p.base = m[1]!.replace('localhost', '127.0.0.1');
        return p;
      }
      if (p.child.exitCode !== null || p.child.signalCode !== null || Date.now() > until) {
        p.child.kill('SIGKILL');
        throw new Error(`tandem serve did not start: ${p.output}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  get alive() {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  async kill(signal: NodeJS.Signals = 'SIGKILL') {
    if (this.alive) this.child.kill(signal);
    return this.exited;
  }
}

/** Runs a CLI command to completion. */
export function runCli(args: string[], env: Record<string, string>) {
  return runTandem(args, { TANDEM_ENCRYPTION_KEYS: `test:${TEST_KEY.key.toString('base64')}`, ...env });
}

/** Fisher–Yates with a seeded generator, so a failing storm can be replayed. */
export function shuffle<T>(xs: T[], seed: number): T[] {
  let s = seed >>> 0;
  const rnd = () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32);
  const out = [...xs];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/** Digits as letters, for values that must pass a name field's validation (e.g. a suspect's family name). */
export const letters = (n: number) => String(n).replace(/\d/g, (d) => 'abcdefghij'[Number(d)]!);
