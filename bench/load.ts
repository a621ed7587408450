/**
 * Load benchmark: `npm run bench:load [-- --cases 1000000 --duration 20 --connections 20 --reseed]`
 *   more flags: --base 10000 (generator cases before multiplying), --warmup 3, --pool 10, --schema bench_load,
 *   --only case-page,api-case,api-ea (the baseline always runs), --app-cpu-prof DIR (V8 profile of the app process).
 *
 * PostgreSQL (BENCH_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/test) seeded with N synthetic cases in
 * the schema `bench_load` (kept between runs; --reseed to rebuild; see bench/lib/load-seed.ts), then autocannon
 * against, in one run:
 *  (a) case-page:   GET /cases/{id} as a signed-in CPS prosecutor (session, policy check, audit insert, Nunjucks
 *                   render, victim identity decrypted), random cases of the prosecutor's Area that were referred;
 *  (b) api-case:    GET /api/v1/cases/{id} with a bearer token (police API client), random cases of its force;
 *  (c) api-ea:      POST /api/v1/cases/{id}/early-advice-requests with a fresh Idempotency-Key, each request on a
 *                   different case still under investigation with no Early Advice request;
 *  (d) baseline:    a bare Fastify server doing one `pg` primary-key query on cases (bench/lib/load-baseline.ts).
 * The app (bench/lib/load-server.ts) and the baseline each run in their own child process, so the load generator
 * (this process) does not share their event loop; both use a pg pool of --pool connections (default 10, the app's
 * default). Each scenario is warmed up for --warmup seconds first.
 *
 * Output: JSON lines (seeding progress, then one line per scenario: reqPerSec, p50ms, p99ms, non2xx, errors and the
 * ratios to the baseline), then a table. Exits 1 if a scenario's responses are mostly errors.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { PostgresDb } from '../src/db/database.ts';
import { ApiClientService } from '../src/api/clients.ts';
import { totpCode } from '../src/platform/auth/totp.ts';
import { FieldCipher } from '../src/platform/crypto.ts';
import { createServices } from '../src/services.ts';
import { createUser, TEST_KEY, TEST_PASSWORD, TEST_TOTP_SECRET, testConfig } from '../src/testing/harness.ts';
import { BENCH_USERS, ensureSeeded } from './lib/load-seed.ts';

const { values } = parseArgs({
  options: {
    cases: { type: 'string', default: '1000000' },
    base: { type: 'string', default: '10000' },
    duration: { type: 'string', default: '20' },
    warmup: { type: 'string', default: '3' },
    connections: { type: 'string', default: '20' },
    pool: { type: 'string', default: '10' },
    schema: { type: 'string', default: 'bench_load' },
    reseed: { type: 'boolean', default: false },
    /** Comma-separated subset of the scenarios to run (the baseline always runs: the ratios need it). */
    only: { type: 'string' },
    /** Write a V8 CPU profile of the app process into this folder (node --cpu-prof), to see where its time goes. */
    'app-cpu-prof': { type: 'string' },
  },
});

const url = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const schema = values.schema;
if (!/^[a-z_][a-z0-9_]*$/.test(schema)) throw new Error('--schema must be a plain lower-case identifier');
const num = (name: keyof typeof values) => {
  const n = Number(values[name]);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a whole number of at least 1`);
  return n;
};
const CASES = num('cases');
const DURATION = num('duration');
const WARMUP = Number(values.warmup);
const CONNECTIONS = num('connections');
const POOL = num('pool');
const SESSION_SECRET = 'bench-load-session-secret-'.padEnd(48, 'x');
const ROOT = path.resolve(import.meta.dirname, '..');

const out = (line: Record<string, unknown>) => process.stdout.write(`${JSON.stringify(line)}\n`);
const loadavg = () => os.loadavg().map((l) => +l.toFixed(2));

interface Scenario {
  name: string;
  what: string;
  base: string;
  opts: Partial<autocannon.Options>;
}

interface Measured {
  scenario: string;
  reqPerSec: number;
  p50ms: number;
  p99ms: number;
  requests: number;
  non2xx: number;
  errors: number;
  loadavg: number[];
}

async function main() {
  out({ event: 'start', cases: CASES, durationS: DURATION, warmupS: WARMUP, connections: CONNECTIONS, pool: POOL, schema, cpus: os.cpus().length, loadavg: loadavg(), node: process.version });

  // 1. Data.
  const seed = await ensureSeeded({ url, schema, cases: CASES, base: Number(values.base), reseed: values.reseed, log: out });
  out({ event: 'seeding', reused: seed.reused, seedMs: seed.seedMs, seedSeconds: +(seed.seedMs / 1000).toFixed(1), ...seed.counts, loadavg: loadavg() });

  // 2. Who: a prosecutor in the CPS Area with the most referred cases; a police API client for that Area's largest force.
  const db = PostgresDb.connect(url, { schema, max: 2 });
  const children: ChildProcess[] = [];
  try {
    const [area] = await db.query<{ id: string; n: number }>('SELECT cps_area_id AS id, count(*)::int AS n FROM cases WHERE referred_at IS NOT NULL GROUP BY 1 ORDER BY 2 DESC LIMIT 1');
    if (!area) throw new Error('no referred cases in the seeded schema');
    const [existing] = await db.query<{ organisation_id: string }>('SELECT organisation_id FROM users WHERE username = $1', [BENCH_USERS.prosecutor]);
    if (existing && existing.organisation_id !== `rasso-${area.id}`) await db.query('UPDATE users SET organisation_id = $2 WHERE username = $1', [BENCH_USERS.prosecutor, `rasso-${area.id}`]);
    if (!existing) await createUser(db, { username: BENCH_USERS.prosecutor, organisationId: `rasso-${area.id}`, roles: ['prosecutor'], displayName: 'Bench Prosecutor' });
    const [force] = await db.query<{ id: string; n: number }>(
      `SELECT c.force_id AS id, count(*)::int AS n FROM cases c JOIN force_area_map m ON m.force_id = c.force_id AND m.is_primary AND m.cps_area_id = $1
        GROUP BY 1 ORDER BY 2 DESC LIMIT 1`, [area.id]);
    if (!force) throw new Error(`no force has ${area.id} as its primary Area`);

    const services = createServices(db, testConfig());
    const [adminRow] = await db.query<{ id: string }>('SELECT id FROM users WHERE username = $1', [BENCH_USERS.admin]);
    const admin = (await services.identity.principal(adminRow!.id))!;
    const client = await new ApiClientService(db, services.audit, services.clock).register(admin, { name: `Load benchmark ${new Date().toISOString()}`, organisationId: `force-${force.id}`, scopes: ['cases:read', 'early-advice:write'] });
    // The API's only rate limit is per client (api_clients.rate_limit_per_minute, 600 by default): lifted for this client.
    await db.query('UPDATE api_clients SET rate_limit_per_minute = 1000000000 WHERE id = $1', [client.clientId]);

    // Cases to ask for: random, visible to the caller.
    const ids = async (sql: string, params: unknown[]) => (await db.query<{ id: string }>(sql, params)).map((r) => r.id);
    const pageIds = await ids('SELECT id FROM cases WHERE cps_area_id = $1 AND referred_at IS NOT NULL ORDER BY random() LIMIT 20000', [area.id]);
    const apiIds = await ids('SELECT id FROM cases WHERE force_id = $1 ORDER BY random() LIMIT 20000', [force.id]);
    const eaIds = await ids(
      // Early Advice may be asked for under investigation, after advice was given, or to reopen a police NFA; one open request a case.
      `SELECT c.id FROM cases c WHERE c.force_id = $1 AND c.stage IN ('investigation', 'early_advice_given', 'nfa_police')
          AND NOT EXISTS (SELECT 1 FROM ea_requests r WHERE r.case_id = c.id AND r.status <> 'advice_given')
        ORDER BY random() LIMIT 100000`, [force.id]);
    const [visible] = await db.query<{ area: number; force: number }>(
      `SELECT count(*) FILTER (WHERE cps_area_id = $1 AND referred_at IS NOT NULL)::int AS area, count(*) FILTER (WHERE force_id = $2)::int AS force FROM cases`, [area.id, force.id]);
    out({
      event: 'setup', prosecutorArea: area.id, casesVisibleToProsecutor: visible!.area, apiClientForce: force.id, casesOfApiForce: visible!.force,
      eaEligibleCases: eaIds.length, apiRateLimit: 'api_clients.rate_limit_per_minute lifted to 1e9 for the benchmark client (no other rate limit applies to these routes)',
    });

    // 3. Servers, each in its own process.
    const env = { ...process.env, BENCH_DATABASE_URL: url, BENCH_SCHEMA: schema, BENCH_POOL: String(POOL), TANDEM_ENCRYPTION_KEYS: `${TEST_KEY.id}:${TEST_KEY.key.toString('base64')}`, TANDEM_SESSION_SECRET: SESSION_SECRET };
    const [appPort, basePort] = await Promise.all([start('lib/load-server.ts', env, children, values['app-cpu-prof'] ? ['--cpu-prof', '--cpu-prof-dir', path.resolve(values['app-cpu-prof'])] : []), start('lib/load-baseline.ts', env, children)]);
    const app = `http://127.0.0.1:${appPort}`;
    const baseline = `http://127.0.0.1:${basePort}`;

    // 4. Credentials, over HTTP as a browser and a police system would get them.
    const cookie = await signIn(app, BENCH_USERS.prosecutor);
    const token = await getToken(app, client);

    // 5. Check each request once before loading it: a benchmark of 401s or 404s is worthless.
    const cipher = new FieldCipher([TEST_KEY]);
    const copied = pageIds.find((id) => id.startsWith('0000')) ?? pageIds[0]!; // a case written by the SQL copy (id prefix = copy number), not the generator
    const [victim] = await db.query<{ id: string; name_enc: string; reference: string }>('SELECT v.id, v.name_enc, c.reference FROM victims v JOIN cases c ON c.id = v.case_id WHERE v.case_id = $1 ORDER BY v.label LIMIT 1', [copied]);
    const page = await fetch(`${app}/cases/${copied}`, { headers: { cookie, accept: 'text/html' } });
    const html = await page.text();
    if (page.status !== 200) throw new Error(`case page check: ${page.status} ${html.slice(0, 300)}`);
    if (victim) {
      const name = JSON.parse(cipher.decrypt(victim.name_enc, { table: 'victims', column: 'name', rowId: victim.id })) as { given: string; family: string };
      if (!html.includes(victim.reference) || !html.includes(name.family)) throw new Error('case page check: the page does not show the case reference and the victim’s decrypted name');
    }
    const apiCheck = await fetch(`${app}/api/v1/cases/${apiIds[0]}`, { headers: { authorization: `Bearer ${token}` } });
    if (apiCheck.status !== 200) throw new Error(`API case read check: ${apiCheck.status} ${await apiCheck.text()}`);
    const baseCheck = await fetch(`${baseline}/cases/${apiIds[0]}`);
    if (baseCheck.status !== 200) throw new Error(`baseline check: ${baseCheck.status}`);
    out({ event: 'checked', casePage: { status: 200, bytes: html.length, victimNameShown: !!victim }, apiCase: 200, baseline: 200 });

    // 6. The scenarios.
    let ea = 0;
    let eaReused = 0;
    const eaBody = JSON.stringify({
      caseSummary: 'Synthetic load-benchmark request: V1 reports rape by an acquaintance after a night out.',
      questions: 'Is there enough to interview under caution? What further enquiries are reasonable?',
      strategy: 'Suspect-focused: digital evidence from the suspect, account from the victim, CCTV along the route.',
      priority: 'standard',
    });
    const cycle = (list: string[]) => {
      let i = 0;
      return () => list[i++ % list.length]!;
    };
    const nextPage = cycle(pageIds);
    const nextApi = cycle(apiIds);
    const nextBase = cycle(apiIds);
    const scenarios: Scenario[] = [
      {
        name: 'baseline', what: 'bare Fastify + one pg primary-key query', base: baseline,
        opts: { requests: [{ method: 'GET', setupRequest: (r) => ({ ...r, path: `/cases/${nextBase()}` }) }] },
      },
      {
        name: 'case-page', what: 'GET /cases/{id}, signed-in prosecutor', base: app,
        opts: { headers: { cookie, accept: 'text/html' }, requests: [{ method: 'GET', setupRequest: (r) => ({ ...r, path: `/cases/${nextPage()}` }) }] },
      },
      {
        name: 'api-case', what: 'GET /api/v1/cases/{id}, bearer token', base: app,
        opts: { headers: { authorization: `Bearer ${token}` }, requests: [{ method: 'GET', setupRequest: (r) => ({ ...r, path: `/api/v1/cases/${nextApi()}` }) }] },
      },
      {
        name: 'api-ea', what: 'POST /api/v1/cases/{id}/early-advice-requests', base: app,
        opts: {
          requests: [{
            method: 'POST',
            setupRequest: (r) => {
              if (ea >= eaIds.length) eaReused++;
              const id = eaIds[ea++ % eaIds.length]!;
              return {
                ...r, path: `/api/v1/cases/${id}/early-advice-requests`, body: eaBody,
                headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'idempotency-key': randomUUID() },
              };
            },
          }],
        },
      },
    ];
    const only = values.only?.split(',').map((x) => x.trim());
    const unknown = only?.filter((x) => !scenarios.some((s) => s.name === x)) ?? [];
    if (unknown.length) throw new Error(`--only: unknown scenario ${unknown.join(', ')} (${scenarios.map((s) => s.name).join(', ')})`);
    const results: Measured[] = [];
    for (const s of scenarios.filter((x) => !only || x.name === 'baseline' || only.includes(x.name))) {
      if (WARMUP > 0) await run(s, WARMUP);
      const m = await run(s, DURATION);
      results.push(m);
      if (s.name === 'api-ea' && eaReused > 0) out({ event: 'warning', scenario: s.name, detail: `${eaReused} requests reused a case that already had a request (409s): too few eligible cases` });
    }

    // 7. Report.
    const baselineResult = results.find((r) => r.scenario === 'baseline')!;
    const lines = results.map((r) => ({
      scenario: r.scenario, reqPerSec: r.reqPerSec, p50ms: r.p50ms, p99ms: r.p99ms, non2xx: r.non2xx, errors: r.errors, requests: r.requests,
      ratioToBaselineReqPerSec: +(r.reqPerSec / baselineResult.reqPerSec).toFixed(3),
      // autocannon's histogram has 1 ms resolution: a baseline p50 of 0 ms gives no meaningful ratio.
      ratioToBaselineP50: baselineResult.p50ms >= 1 ? +(r.p50ms / baselineResult.p50ms).toFixed(1) : null,
      loadavg: r.loadavg,
    }));
    for (const l of lines) out(l);
    const failed = lines.filter((l) => l.requests === 0 || l.non2xx + l.errors > l.requests / 2);
    const table = [
      `Load benchmark: ${CASES.toLocaleString('en-GB')} cases, ${CONNECTIONS} connections, ${DURATION}s per scenario (${WARMUP}s warm-up), pg pool ${POOL}, ${os.cpus().length} CPUs, load average ${loadavg().join(' ')}`,
      `seeding: ${seed.reused ? 'reused the seeded schema' : `${(seed.seedMs / 1000).toFixed(1)} s`}`,
      '',
      '| scenario | req/s | p50 ms | p99 ms | non-2xx | errors | req/s vs baseline | p50 vs baseline |',
      '|---|---:|---:|---:|---:|---:|---:|---:|',
      ...lines.map((l) => `| ${l.scenario} | ${l.reqPerSec} | ${l.p50ms} | ${l.p99ms} | ${l.non2xx} | ${l.errors} | ${l.ratioToBaselineReqPerSec} | ${l.ratioToBaselineP50 === null ? 'n/a (baseline p50 < 1 ms)' : `${l.ratioToBaselineP50}×`} |`),
    ];
    process.stdout.write(`\n${table.join('\n')}\n`);
    if (failed.length) {
      process.stderr.write(`\nFAILED: no answers or mostly errors in ${failed.map((f) => `${f.scenario} (${f.non2xx} non-2xx, ${f.errors} errors of ${f.requests})`).join(', ')}\n`);
      process.exitCode = 1;
    }
  } finally {
    // Stop the servers and wait for them (a CPU profile is written as the process exits).
    await Promise.all(children.filter((c) => c.exitCode === null).map((c) => new Promise<void>((resolve) => {
      const timer = setTimeout(() => { c.kill('SIGKILL'); resolve(); }, 10_000);
      c.once('exit', () => { clearTimeout(timer); resolve(); });
      c.kill('SIGTERM');
    })));
    await db.close();
  }
}

async function run(s: Scenario, seconds: number): Promise<Measured> {
  const r = await autocannon({ url: s.base, connections: CONNECTIONS, duration: seconds, pipelining: 1, timeout: 30, ...s.opts });
  const errors = r.errors + r.timeouts;
  return { scenario: s.name, reqPerSec: Math.round(r.requests.average), p50ms: r.latency.p50, p99ms: r.latency.p99, requests: r.requests.total, non2xx: r.non2xx, errors, loadavg: loadavg() };
}

/** Starts a child server and resolves with its port once it prints {"listening": port}. */
function start(script: string, env: NodeJS.ProcessEnv, children: ChildProcess[], nodeArgs: string[] = []): Promise<number> {
  const child = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', path.join(ROOT, 'bench', script)], { env, stdio: ['ignore', 'pipe', 'pipe'], cwd: ROOT });
  children.push(child);
  let buffered = '';
  child.stderr!.on('data', (d) => process.stderr.write(`[${path.basename(script)}] ${d}`));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${script} did not start within 120 s`)), 120_000);
    child.stdout!.on('data', (d) => {
      buffered += d;
      const m = /\{"listening":(\d+)/.exec(buffered);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${script} exited (${code}) before listening: ${buffered}`));
    });
  });
}

/** Signs in through the real pages over HTTP (password, then TOTP code) and returns the Cookie header for requests. */
async function signIn(base: string, username: string): Promise<string> {
  const cookies = new Map<string, string>();
  let csrf = '';
  const call = async (p: string, form?: Record<string, string>) => {
    const res = await fetch(base + p, {
      method: form ? 'POST' : 'GET', redirect: 'manual',
      headers: { cookie: [...cookies].map(([k, v]) => `${k}=${v}`).join('; '), accept: 'text/html', ...(form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}) },
      body: form ? new URLSearchParams({ _csrf: csrf, ...form }).toString() : undefined,
    });
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(';');
      const i = pair!.indexOf('=');
      const value = pair!.slice(i + 1);
      if (value === '' || /expires=Thu, 01 Jan 1970/i.test(c)) cookies.delete(pair!.slice(0, i));
      else cookies.set(pair!.slice(0, i), value);
    }
    const body = await res.text();
    const m = /name="_csrf" value="([^"]+)"/.exec(body);
    if (m) csrf = m[1]!;
    return res;
  };
  await call('/sign-in');
  const first = await call('/sign-in', { username, password: TEST_PASSWORD });
  if (first.status !== 303) throw new Error(`sign-in password step: ${first.status}`);
  await call('/sign-in/code');
  const second = await call('/sign-in/code', { code: totpCode(TEST_TOTP_SECRET, new Date()) });
  if (second.status !== 303) throw new Error(`sign-in code step: ${second.status}`);
  const header = [...cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  if (!/tandem_session=/.test(header)) throw new Error('sign-in gave no session cookie');
  return header;
}

async function getToken(base: string, client: { clientId: string; clientSecret: string }): Promise<string> {
  const res = await fetch(`${base}/api/v1/oauth/token`, {
    method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'client_credentials', client_id: client.clientId, client_secret: client.clientSecret }).toString(),
  });
  if (res.status !== 200) throw new Error(`token request: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { access_token: string }).access_token;
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
