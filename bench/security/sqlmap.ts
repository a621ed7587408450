/**
 * Security proof (c): sqlmap against the running app —
 *   `npm run test:sqlmap [-- --thorough queries|all|none] [--jobs N] [--level N] [--forms N] [--only REGEX] [--list] [--keep]`
 *
 * Starts Tandem on a throwaway database (its own PostgreSQL schema in TEST_DATABASE_URL when set — sqlmap's
 * PostgreSQL payloads are the relevant ones — else PGlite in a temporary data directory) with the demo users and a
 * small synthetic picture, signs in the demo users through the real pages (password, then TOTP), registers an API
 * client and gets a bearer token, then derives the targets from the app itself, not from a hand-picked list:
 *  - every GET route in the route table (src/testing/routes.ts): reached by crawling the pages as each demo role, its
 *    path parameters filled from the links the crawl followed, its query parameters the ones its own pages use
 *    (search/filter forms with method="get", pagination and sort links);
 *  - every HTML form the crawl found (POST, fields and CSRF token as the page renders them; --csrf-url makes sqlmap
 *    fetch a fresh token before each request instead), and every other POST route's path parameters;
 *  - every operation in the API's OpenAPI document: path and query parameters, and the JSON body built from the
 *    operation's schema (sqlmap tests each JSON value).
 * Each target is one `sqlmap --batch` run: --dbms=PostgreSQL --level 1 --risk 1 --technique BEUS (boolean, error,
 * UNION, stacked; no pure time-based T, the slowest and the one a shared 2-core machine makes flaky) --time-sec 2,
 * and sqlmap's --smart except where --thorough says (see the option). Prints one JSON line
 * per target and a summary line {targets, parametersTested, injectable, serverErrors, durationS}; exits 1 if any
 * parameter is injectable, if the app answered any request with a 5xx (from the server's own log), or if a target's
 * run failed (sqlmap error, lost connection). Parameters sqlmap reached no verdict on are listed ("untested"), not
 * failures.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { parseArgs } from 'node:util';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { buildApp } from '../../src/app.ts';
import { loadDemoData } from '../../src/cli/seed.ts';
import { type Db, PgliteDb, PostgresDb } from '../../src/db/database.ts';
import { migrate } from '../../src/db/migrate.ts';
import { registerClient } from '../../src/api/test-support.ts';
import { SCOPES } from '../../src/api/clients.ts';
import { totpCode } from '../../src/platform/auth/totp.ts';
import { FieldCipher } from '../../src/platform/crypto.ts';
import { createServices } from '../../src/services.ts';
import { DEMO_PASSWORD, DEMO_TOTP_SECRET } from '../../src/synthetic/demo-users.ts';
import { testConfig } from '../../src/testing/harness.ts';
import { appRoutes, fillRoute } from '../../src/testing/routes.ts';

const { values: opts } = parseArgs({
  options: {
    // Which targets get every payload of the level (about 64 requests a parameter at level 1) rather than sqlmap's
    // --smart (the heuristic checks on every parameter, the full payload set only where a heuristic is positive):
    // "queries" (default) = the GET pages and API operations with query parameters — search, filter, sort and
    // pagination, where SQL is most often built from strings (ORDER BY cannot take a bind parameter); "all"; "none".
    thorough: { type: 'string', default: 'queries' },
    jobs: { type: 'string', default: '6' },
    level: { type: 'string' },
    risk: { type: 'string', default: '1' },
    technique: { type: 'string', default: 'BEUS' },
    'time-sec': { type: 'string', default: '2' },
    forms: { type: 'string' }, // at most this many HTML forms (a spread across capabilities); default all
    cases: { type: 'string', default: '150' },
    list: { type: 'boolean', default: false }, // print the targets and stop
    only: { type: 'string' }, // a regular expression: only targets whose name matches
    keep: { type: 'boolean', default: false }, // keep the temporary directory (sqlmap's logs)
    // Have sqlmap fetch a fresh token from the form's page before every request (--csrf-token/--csrf-url). Off by
    // default: it doubles the requests, and with sqlmap 1.7.2 about half the fetched tokens were refused (it drops the
    // page's Set-Cookie), so those payloads never reached the form.
    'csrf-url': { type: 'boolean', default: false },
  },
});
const LEVEL = opts.level ?? '1';
const JOBS = Math.max(1, Number(opts.jobs));
const started = performance.now();
const emit = (o: unknown) => process.stdout.write(`${JSON.stringify(o)}\n`);
const note = (m: string) => process.stderr.write(`sqlmap check: ${m}\n`);

// ---------------------------------------------------------------------------------------------------------------
// 1. Tandem on a throwaway database, with the server log captured (every response's status, every unhandled error).

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tandem-sqlmap-'));
const serverLog: { statusCode?: number; method?: string; url?: string; msg: string; err?: unknown }[] = [];
const logStream = fs.createWriteStream(path.join(tmp, 'server.log'));
const pending: Record<string, { method: string; url: string }> = {};
let requestsServed = 0;
const sink = new Writable({
  write(chunk: Buffer, _enc, done) {
    logStream.write(chunk);
    for (const line of chunk.toString().split('\n')) {
      if (!line.trim()) continue;
      try {
        const o = JSON.parse(line) as { reqId?: string; req?: { method: string; url: string }; res?: { statusCode: number }; msg: string; err?: unknown };
        if (o.req && o.reqId) pending[o.reqId] = o.req;
        if (o.res && o.reqId) {
          requestsServed++;
          const r = pending[o.reqId];
          delete pending[o.reqId];
          if (o.res.statusCode >= 500) serverLog.push({ statusCode: o.res.statusCode, method: r?.method, url: r?.url, msg: o.msg });
        } else if (o.err || /unhandled/.test(o.msg)) serverLog.push({ msg: o.msg, err: o.err });
      } catch { /* not JSON */ }
    }
    done();
  },
});

let schema: string | undefined;
const pgUrl = process.env.TEST_DATABASE_URL;
let db: Db;
if (pgUrl) {
  schema = `sqlmap_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
  const admin = PostgresDb.connect(pgUrl, { max: 1 });
  await admin.exec(`CREATE SCHEMA ${schema}`);
  await admin.close();
  db = PostgresDb.connect(pgUrl, { schema, max: 8 });
} else {
  db = await PgliteDb.open(path.join(tmp, 'data'));
}
const cleanup = async () => {
  await db.close().catch(() => undefined);
  if (schema && pgUrl) {
    const admin = PostgresDb.connect(pgUrl, { max: 1 });
    await admin.exec(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch(() => undefined);
    await admin.close();
  }
  if (!opts.keep) fs.rmSync(tmp, { recursive: true, force: true });
  else note(`kept ${tmp}`);
};


// ---------------------------------------------------------------------------------------------------------------

interface Target {
  name: string; // e.g. "GET /cases/:caseId" or "form POST /cases/:caseId/edit" or "api GET /api/v1/cases"
  kind: 'get' | 'form' | 'post-path' | 'api';
  method: string;
  url: string; // with * markers at the injection points (path and query), or plain when sqlmap finds the points itself (forms, JSON)
  data?: string;
  role?: string;
  points: string[]; // what is tested, by name
  csrfUrl?: string;
  json?: boolean;
}

/** A signed-in browser over app.inject: cookies, and the CSRF token of the last page that had one. */
class Browser {
  cookies = new Map<string, string>();
  csrf = '';
  constructor(readonly app: FastifyInstance, readonly role: string) {}
  header() {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }
  private absorb(res: LightMyRequestResponse) {
    for (const c of res.cookies) {
      if (c.value === '') this.cookies.delete(c.name);
      else this.cookies.set(c.name, c.value);
    }
    const m = /name="_csrf" value="([^"]+)"/.exec(res.body);
    if (m) this.csrf = m[1]!;
  }
  async get(url: string) {
    const res = await this.app.inject({ method: 'GET', url, headers: { cookie: this.header(), accept: 'text/html' } });
    this.absorb(res);
    return res;
  }
  async post(url: string, form: Record<string, string>) {
    const res = await this.app.inject({
      method: 'POST', url, payload: new URLSearchParams({ _csrf: this.csrf, ...form }).toString(),
      headers: { cookie: this.header(), accept: 'text/html', 'content-type': 'application/x-www-form-urlencoded' },
    });
    this.absorb(res);
    return res;
  }
}

/** The demo users whose pages are crawled, in the order a route's first 200 is taken from. */
const ROLES = ['investigator', 'supervisor', 'prosecutor', 'dcp', 'paralegal', 'vlo', 'isva', 'panel', 'analyst', 'lead', 'admin'];
/** Never crawled or attacked: the session itself (signing in or out would end the run's sessions), static files. */
const SKIP = /^\/(sign-in|sign-out|session\/extend|build\/|assets\/)|^\/api\/|\/team\/:userId\/remove$/;
const FAKE = '00000000-0000-4000-8000-000000000001';

const decode = (s: string) => s.replace(/&amp;/g, '&').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>');
const attr = (tag: string, name: string) => {
  const m = new RegExp(`\\s${name}="([^"]*)"`).exec(tag);
  return m ? decode(m[1]!) : undefined;
};

async function signIn(app: FastifyInstance, username: string): Promise<Browser> {
  const b = new Browser(app, username);
  await b.get('/sign-in');
  const first = await b.post('/sign-in', { username, password: DEMO_PASSWORD });
  if (first.statusCode !== 303) throw new Error(`sign-in failed for ${username}: ${first.statusCode}`);
  await b.get('/sign-in/code');
  const second = await b.post('/sign-in/code', { code: totpCode(DEMO_TOTP_SECRET, new Date()) });
  if (second.statusCode !== 303) throw new Error(`TOTP step failed for ${username}: ${second.statusCode}`);
  await b.get('/account');
  return b;
}

async function main(app: FastifyInstance, services: ReturnType<typeof createServices>, base: string): Promise<number> {
  // 2. Sessions for every demo role, and an API client of the demo force with every scope.
  const browsers = new Map<string, Browser>();
  for (const r of ROLES) browsers.set(r, await signIn(app, r));
  const [adminRow] = await db.query<{ id: string }>(`SELECT id FROM users WHERE username = 'admin'`);
  const client = await registerClient(services, adminRow!.id, { name: 'sqlmap check', organisationId: 'force-hampshire-and-isle-of-wight', scopes: [...SCOPES] });
  // sqlmap sends thousands of requests a minute: the client's rate limit would answer most of them 429 and hide the rest.
  await db.query('UPDATE api_clients SET rate_limit_per_minute = 1000000');
  const token = async () => {
    const res = await fetch(`${base}/api/v1/oauth/token`, {
      method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'client_credentials', client_id: client.clientId, client_secret: client.clientSecret }),
    });
    if (res.status !== 200) throw new Error(`token request failed: ${res.status} ${await res.text()}`);
    return ((await res.json()) as { access_token: string }).access_token;
  };
  await token();

  // 3. The targets, from the route table, the pages and the OpenAPI document.
  const routes = appRoutes(app);
  const patterns = routes.map(([method, url]) => ({ method, url, re: new RegExp(`^${url.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/:(\w+)/g, '([^/]+)').replace(/\*$/, '.*')}$`), params: [...url.matchAll(/:(\w+)/g)].map((m) => m[1]!) }));
  // The catch-all (/*) is the not-found page, never a match for a real link.
  const matchGet = (p: string) => patterns.filter((x) => x.method === 'GET' && !x.url.endsWith('*') && x.re.test(p)).sort((a, b) => a.params.length - b.params.length)[0];
  const matchPost = (p: string) => patterns.filter((x) => x.method === 'POST' && !x.url.endsWith('*') && x.re.test(p)).sort((a, b) => a.params.length - b.params.length)[0];

  const reached = new Map<string, { url: string; role: string }>(); // GET pattern → first concrete URL answered 200
  const query = new Map<string, Map<string, string>>(); // GET pattern → query parameter → an example value
  const forms = new Map<string, { role: string; page: string; action: string; fields: [string, string][] }>(); // POST pattern → form
  const paramValues = new Map<string, string>(); // path parameter name → a value seen in a real link
  const addQuery = (pattern: string, params: URLSearchParams) => {
    const q = query.get(pattern) ?? new Map<string, string>();
    for (const [k, v] of params) if (k !== '_csrf' && !q.has(k)) q.set(k, v);
    query.set(pattern, q);
  };

  const crawlStarted = performance.now();
  let pagesFetched = 0;
  for (const role of ROLES) {
    const b = browsers.get(role)!;
    const visited = new Set<string>();
    const queue = ['/', ...patterns.filter((p) => p.method === 'GET' && !p.params.length && !p.url.endsWith('*') && !SKIP.test(p.url)).map((p) => p.url)];
    while (queue.length) {
      const url = queue.shift()!;
      const pathname = url.split('?')[0]!;
      const pat = matchGet(pathname);
      if (!pat || SKIP.test(pat.url) || visited.has(pat.url)) continue;
      visited.add(pat.url);
      const res = await b.get(url);
      pagesFetched++;
      if (res.statusCode !== 200) continue;
      const m = pat.re.exec(pathname)!;
      pat.params.forEach((name, i) => paramValues.has(name) || paramValues.set(name, decodeURIComponent(m[i + 1]!)));
      if (!reached.has(pat.url)) reached.set(pat.url, { url: pathname, role });
      if (!String(res.headers['content-type']).startsWith('text/html')) continue;
      const html = res.body;
      for (const h of html.matchAll(/\shref="([^"#]*)"/g)) {
        const href = decode(h[1]!);
        if (!href.startsWith('/') || href.startsWith('//')) continue;
        const [p, qs] = href.split('?');
        const target = matchGet(p!);
        if (!target || SKIP.test(target.url)) continue;
        if (qs) addQuery(target.url, new URLSearchParams(qs));
        queue.push(href);
      }
      for (const f of html.matchAll(/<form\b([^>]*)>([\s\S]*?)<\/form>/g)) {
        const tag = f[1]!;
        const action = (attr(tag, 'action') ?? pathname).split('?')[0]!;
        const fields: [string, string][] = [];
        for (const el of f[2]!.matchAll(/<(input|select|textarea)\b([^>]*)>([\s\S]*?<\/select>)?/g)) {
          const name = attr(el[2]!, 'name');
          if (!name) continue;
          const type = attr(el[2]!, 'type') ?? '';
          if (['submit', 'button'].includes(type)) continue;
          if (['checkbox', 'radio'].includes(type) && fields.some(([n]) => n === name)) continue;
          let value = attr(el[2]!, 'value') ?? '';
          if (el[1] === 'select') value = attr(/<option\b[^>]*\sselected[^>]*>/.exec(el[3] ?? '')?.[0] ?? '', 'value') ?? [...(el[3] ?? '').matchAll(/<option\b([^>]*)>/g)].map((o) => attr(o[1]!, 'value')).find((v) => v) ?? '';
          fields.push([name, value]);
        }
        if ((attr(tag, 'method') ?? 'get').toLowerCase() === 'post') {
          const post = matchPost(action);
          if (post && !SKIP.test(post.url) && !forms.has(post.url)) forms.set(post.url, { role, page: pathname, action, fields });
        } else {
          const target = matchGet(action);
          if (target && !SKIP.test(target.url)) addQuery(target.url, new URLSearchParams(fields.filter(([n]) => n !== '_csrf')));
        }
      }
    }
  }
  note(`crawl: ${pagesFetched} pages fetched as ${ROLES.length} roles in ${((performance.now() - crawlStarted) / 1000).toFixed(1)} s; ${reached.size} GET routes answered 200, ${forms.size} forms found`);

  const mark = (pattern: string, concrete?: string) => {
    // the concrete URL's segments, with a * after each path parameter
    const segs = pattern.split('/');
    const real = (concrete ?? fillRoute(pattern, Object.fromEntries(paramValues), FAKE)).split('/');
    return segs.map((s, i) => (s.startsWith(':') ? `${real[i]}*` : real[i])).join('/');
  };
  const targets: Target[] = [];
  const untestable: string[] = [];
  for (const p of patterns) {
    if (SKIP.test(p.url) || p.url.endsWith('*')) continue;
    if (p.method === 'GET') {
      const q = query.get(p.url);
      if (!p.params.length && !q?.size) continue; // nothing a request can inject into but the cookie
      const hit = reached.get(p.url);
      const qs = q?.size ? `?${[...q].map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v || '1')}*`).join('&')}` : '';
      targets.push({ name: `GET ${p.url}`, kind: 'get', method: 'GET', url: `${base}${mark(p.url, hit?.url)}${qs}`, role: hit?.role ?? 'investigator', points: [...p.params.map((x) => `:${x}`), ...(q?.keys() ?? [])] });
      if (!hit) untestable.push(`GET ${p.url} (no page reached it with 200: path parameters filled from other links or a placeholder)`);
    } else if (p.method === 'POST') {
      const f = forms.get(p.url);
      if (f && f.fields.some(([n]) => n !== '_csrf')) {
        // The page's own token: tokens are tied to the session's CSRF cookie and stay valid for it, so one is enough.
        // Empty fields get a plausible value, so that a payload in one field is not refused only because another is blank.
        const filled = f.fields.map(([n, v]): [string, string] => [n, v || (/-day$/.test(n) ? '3' : /-month$/.test(n) ? '2' : /-year$/.test(n) ? '2025' : /^(police|cps|isva|other|count|number|total)/i.test(n) ? '1' : 'sqlmap test')]);
        const data = new URLSearchParams(filled).toString();
        targets.push({ name: `form POST ${p.url}`, kind: 'form', method: 'POST', url: `${base}${f.action}`, data, role: f.role, csrfUrl: `${base}${f.page}`, points: f.fields.map(([n]) => n).filter((n) => n !== '_csrf') });
      }
      if (p.params.length) {
        // Its path parameters, as their own target (sqlmap tests either the * markers or the body, not both): with the
        // form's session and URL when the crawl found the form, else the investigator's and the ids other links used.
        const b = browsers.get(f?.role ?? 'investigator')!;
        targets.push({ name: `POST ${p.url}`, kind: 'post-path', method: 'POST', url: `${base}${mark(p.url, f?.action)}`, data: `_csrf=${encodeURIComponent(b.csrf)}`, role: b.role, points: p.params.map((x) => `:${x}`) });
      }
    }
  }

  // The API, from its OpenAPI document.
  const spec = (await app.inject({ method: 'GET', url: '/api/v1/openapi.json' })).json() as OpenApi;
  const apiIds = await apiParamValues();
  for (const [route, ops] of Object.entries(spec.paths)) {
    if (route === '/api/v1/oauth/token') continue;
    for (const [method, entry] of Object.entries(ops)) {
      if (!['get', 'post', 'put', 'delete'].includes(method)) continue;
      const op = entry as Operation;
      const params = [...(ops.parameters ?? []), ...(op.parameters ?? [])].map((x) => resolve(spec, x) as Param);
      const pathParams = params.filter((x) => x.in === 'path').map((x) => x.name);
      const queryParams = params.filter((x) => x.in === 'query');
      const url = route.replace(/\{(\w+)\}/g, (_, n: string) => `${apiIds[n] ?? FAKE}*`);
      const qs = queryParams.length ? `?${queryParams.map((x) => `${x.name}=${encodeURIComponent(String(sample(spec, x.schema ?? {}, x.name)))}*`).join('&')}` : '';
      const bodySchema = op.requestBody?.content?.['application/json']?.schema;
      const body = bodySchema ? sample(spec, bodySchema, '') as Record<string, unknown> : undefined;
      const jsonPoints = body ? leaves(body) : [];
      if (!pathParams.length && !queryParams.length && !body) continue;
      targets.push({
        name: `api ${method.toUpperCase()} ${route}`, kind: 'api', method: method.toUpperCase(), url: `${base}${url}${qs}`,
        data: body ? JSON.stringify(body) : undefined, json: !!body,
        points: [...pathParams.map((x) => `{${x}}`), ...queryParams.map((x) => x.name), ...jsonPoints],
      });
    }
  }

  let selected = targets;
  if (opts.only) selected = selected.filter((t) => new RegExp(opts.only!).test(t.name));
  const formLimit = opts.forms !== undefined ? Number(opts.forms) : Infinity;
  const allForms = selected.filter((t) => t.kind === 'form');
  if (allForms.length > formLimit) {
    // A spread, not the first few: every k-th form in route-table order (which groups them by capability).
    const step = allForms.length / formLimit;
    const keep = new Set(Array.from({ length: formLimit }, (_, i) => allForms[Math.floor(i * step)]!));
    selected = selected.filter((t) => t.kind !== 'form' || keep.has(t));
  }
  if (!['queries', 'all', 'none'].includes(opts.thorough)) throw new Error('--thorough must be queries, all or none');
  note(`targets: ${targets.length} (${['get', 'form', 'post-path', 'api'].map((k) => `${targets.filter((t) => t.kind === k).length} ${k}`).join(', ')}); running ${selected.length} with ${JOBS} sqlmap processes at a time, --level ${LEVEL} --risk ${opts.risk} --technique ${opts.technique} --time-sec ${opts['time-sec']}`);
  for (const u of untestable) note(`note: ${u}`);
  if (opts.list) {
    for (const t of selected) emit({ target: t.name, method: t.method, url: t.url, data: t.data, role: t.role, points: t.points });
    return 0;
  }

  // 4. sqlmap, JOBS at a time. The API and the GET routes first; the POSTs after them, since a POST that succeeds may
  // change what the others rely on (POST /admin/api-clients/:id/revoke revokes this run's API client).
  const results: Result[] = [];
  let n = 0;
  const run = async (batch: Target[]) => {
    const queue = [...batch];
    const worker = async () => {
      while (queue.length) {
        const t = queue.shift()!;
        const i = ++n;
        let r: Result;
        try {
          const headers = t.kind === 'api' ? [`Authorization: Bearer ${await token()}`] : [];
          const cookie = t.kind === 'api' ? undefined : browsers.get(t.role!)!.header();
          r = await runSqlmap(t, i, cookie, headers);
        } catch (err) {
          r = { target: t.name, method: t.method, url: t.url, role: t.role, tested: [], fullyTested: 0, injectable: [], httpErrors: {}, seconds: 0, error: String(err) };
        }
        results.push(r);
        emit(r);
      }
    };
    await Promise.all(Array.from({ length: JOBS }, worker));
  };
  await run(selected.filter((t) => t.kind === 'api' || t.kind === 'get'));
  await run(selected.filter((t) => t.kind === 'form' || t.kind === 'post-path'));

  // 5. Summary, with the 5xx responses the app gave (from its own log, not sqlmap's view of it).
  const injectable = results.filter((r) => r.injectable.length);
  const failed = results.filter((r) => r.error);
  const errors5xx = serverLog.filter((e) => (e.statusCode ?? 0) >= 500); // responses; the unhandled errors behind them are printed too
  for (const e of serverLog.slice(0, 60)) emit({ serverError: e });
  emit({
    summary: 'sqlmap', backend: db.kind, thorough: opts.thorough, targetsWithFullPayloadSet: results.filter((r) => r.thorough).length, level: Number(LEVEL), risk: Number(opts.risk), technique: opts.technique, timeSec: Number(opts['time-sec']),
    targets: results.length, targetsFound: targets.length, parametersTested: results.reduce((s, r) => s + r.tested.length, 0),
    parametersWithFullPayloadSet: results.reduce((s, r) => s + r.fullyTested, 0),
    injectable: injectable.reduce((s, r) => s + r.injectable.length, 0), targetsFailed: failed.length, unhandledErrors: serverLog.length - errors5xx.length, targetsWithUntestedParameters: results.filter((r) => r.untested).length, serverErrors: errors5xx.length,
    requests: requestsServed, durationS: Math.round((performance.now() - started) / 1000),
  });
  return injectable.length || failed.length || serverLog.length ? 1 : 0;

  async function apiParamValues(): Promise<Record<string, string>> {
    // Real ids the client may read, so path parameters reach the query rather than stopping at "not found".
    const get = async (url: string) => (await fetch(`${base}${url}`, { headers: { authorization: `Bearer ${await token()}` } })).json() as Promise<Record<string, unknown>>;
    const list = await get('/api/v1/cases?pageSize=1');
    const items = (list.items ?? list.data ?? list.cases) as { id: string }[] | undefined;
    const caseId = items?.[0]?.id;
    const out: Record<string, string> = {};
    if (caseId) {
      out.caseId = caseId;
      out.id = caseId;
      for (const [table, name] of [['victims', 'victimId'], ['suspects', 'suspectId'], ['witnesses', 'witnessId']] as const) {
        const [row] = await db.query<{ id: string }>(`SELECT id FROM ${table} WHERE case_id = $1 LIMIT 1`, [caseId]);
        if (row) out[name] = row.id;
      }
    }
    return out;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// OpenAPI: enough of it to fill parameters and build a JSON body of the right shape.

interface Param { name: string; in: string; schema?: Schema }
interface Schema { $ref?: string; type?: string | string[]; enum?: unknown[]; const?: unknown; format?: string; properties?: Record<string, Schema>; required?: string[]; items?: Schema; anyOf?: Schema[]; oneOf?: Schema[]; allOf?: Schema[]; minimum?: number; example?: unknown; examples?: unknown[]; default?: unknown; pattern?: string; minItems?: number }
interface Operation { parameters?: unknown[]; requestBody?: { content?: Record<string, { schema?: Schema }> } }
interface OpenApi { paths: Record<string, Record<string, Operation> & { parameters?: unknown[] }>; components?: Record<string, Record<string, unknown>> }

function resolve(spec: OpenApi, x: unknown): unknown {
  const ref = (x as { $ref?: string }).$ref;
  if (!ref) return x;
  const [, , section, name] = ref.split('/');
  return resolve(spec, spec.components?.[section!]?.[name!]);
}

function sample(spec: OpenApi, s0: Schema, name: string): unknown {
  const s = resolve(spec, s0) as Schema;
  if (s.example !== undefined) return s.example;
  if (s.examples?.length) return s.examples[0];
  if (s.const !== undefined) return s.const;
  if (s.enum?.length) return s.enum[0];
  if (s.default !== undefined) return s.default;
  const alt = s.anyOf ?? s.oneOf;
  if (alt?.length) return sample(spec, alt.find((a) => (resolve(spec, a) as Schema).type !== 'null') ?? alt[0]!, name);
  if (s.allOf?.length) return Object.assign({}, ...s.allOf.map((a) => sample(spec, a, name)));
  const type = Array.isArray(s.type) ? s.type.find((t) => t !== 'null') : s.type;
  if (type === 'object' || s.properties) return Object.fromEntries(Object.entries(s.properties ?? {}).map(([k, v]) => [k, sample(spec, v, k)]));
  if (type === 'array') return Array.from({ length: Math.max(1, s.minItems ?? 1) }, () => sample(spec, s.items ?? { type: 'string' }, name));
  if (type === 'integer' || type === 'number') return Math.max(1, s.minimum ?? 1);
  if (type === 'boolean') return true;
  if (s.format === 'date') return '2025-02-03';
  if (s.format === 'date-time') return '2025-02-03T10:00:00Z';
  if (s.format === 'uuid') return FAKE;
  if (s.format === 'email') return 'someone@example.invalid';
  if (s.format === 'uri') return 'https://example.invalid/hook';
  return /name/i.test(name) ? 'Testname' : 'sqlmap test value';
}

function leaves(o: unknown, prefix = ''): string[] {
  if (Array.isArray(o)) return o.flatMap((v, i) => leaves(v, `${prefix}[${i}]`));
  if (o && typeof o === 'object') return Object.entries(o).flatMap(([k, v]) => leaves(v, prefix ? `${prefix}.${k}` : k));
  return [prefix];
}

// ---------------------------------------------------------------------------------------------------------------
// One sqlmap run.

interface Result { target: string; method: string; url: string; role?: string; thorough?: boolean; tested: string[]; fullyTested: number; injectable: { parameter: string; place: string; techniques: string }[]; httpErrors: Record<string, number>; seconds: number; error?: string; untested?: string; note?: string }

const thorough = (t: Target) => opts.thorough === 'all' || (opts.thorough === 'queries' && (t.kind === 'get' || t.kind === 'api') && t.url.includes('?'));

const children = new Set<ReturnType<typeof spawn>>();

function runSqlmap(t: Target, i: number, cookie: string | undefined, headers: string[]): Promise<Result> {
  const out = path.join(tmp, `t${i}`);
  fs.mkdirSync(out, { recursive: true });
  const args = [
    '--batch', '--flush-session', '--disable-coloring', `--output-dir=${out}`, `--results-file=${path.join(out, 'results.csv')}`,
    '--dbms=PostgreSQL', `--level=${LEVEL}`, `--risk=${opts.risk}`, `--technique=${opts.technique}`, `--time-sec=${opts['time-sec']}`,
    ...(thorough(t) ? [] : ['--smart']), '--skip-waf', '--drop-set-cookie', '--timeout=30', '--retries=1',
    // Not-found, refusals and validation errors are answers to judge by, not reasons to stop.
    '--ignore-code=400,403,404,409,413,422',
    '-u', t.url, `--method=${t.method}`,
  ];
  if (t.data !== undefined) args.push(`--data=${t.data}`);
  if (cookie) args.push(`--cookie=${cookie}`);
  for (const h of headers) args.push(`--header=${h}`);
  if (t.json) args.push('--header=Content-Type: application/json');
  // Not parameters of the page: the CSRF token, and (tested from level 2) the session cookies, which would sign the run out.
  args.push('--skip=_csrf,tandem_session,tandem_csrf');
  if (opts['csrf-url'] && t.csrfUrl) args.push('--csrf-token=_csrf', `--csrf-url=${t.csrfUrl}`);
  const begun = performance.now();
  return new Promise((resolveRun) => {
    const child = spawn('sqlmap', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    children.add(child);
    let text = '';
    child.stdout.on('data', (d: Buffer) => { text += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { text += d.toString(); });
    child.on('close', (code) => {
      children.delete(child);
      fs.writeFileSync(path.join(out, 'sqlmap.out'), `sqlmap ${args.join(' ')}\n\n${text}`);
      // A parameter counts as tested once sqlmap reached a verdict on it.
      // (--smart: a negative heuristic is the verdict; a positive one is followed by the full payload set.)
      const verdict = /\[(?:INFO|WARNING|CRITICAL)\] (?:heuristic \(basic\) test shows that )?(?:\(custom\) )?(\S+(?: \S+)?) parameter '([^']+)' (does not seem to be injectable|is vulnerable|might not be injectable)/g;
      const tested = [...new Set([...text.matchAll(verdict)].map((m) => `${m[1]} ${m[2]}`))];
      const fullyTested = [...new Set([...text.matchAll(verdict)].filter((m) => m[3] !== 'might not be injectable').map((m) => `${m[1]} ${m[2]}`))];
      const started = [...new Set([...text.matchAll(/testing if (?:\(custom\) )?(\S+(?: \S+)?) parameter '([^']+)' is dynamic/g)].map((m) => `${m[1]} ${m[2]}`))];
      const injectable: Result['injectable'] = [];
      for (const m of text.matchAll(/(\S.*?) parameter '([^']+)' is vulnerable/g)) injectable.push({ place: m[1]!, parameter: m[2]!, techniques: '' });
      const csv = path.join(out, 'results.csv');
      if (fs.existsSync(csv)) {
        for (const line of fs.readFileSync(csv, 'utf8').split('\n').slice(1).filter(Boolean)) {
          const [, place, parameter, techniques] = line.split(',');
          if (parameter && !injectable.some((x) => x.parameter === parameter)) injectable.push({ place: place ?? '', parameter, techniques: techniques ?? '' });
          else if (parameter) injectable.find((x) => x.parameter === parameter)!.techniques = techniques ?? '';
        }
      }
      const httpErrors: Record<string, number> = {};
      const codes = /HTTP error codes detected during run:\n([^\n]+)/.exec(text)?.[1];
      for (const m of codes?.matchAll(/(\d{3}) \([^)]*\) - (\d+) times/g) ?? []) httpErrors[m[1]!] = Number(m[2]);
      const critical = [...text.matchAll(/\[CRITICAL\] (.+)/g)].map((m) => m[1]!).filter((m) => !/do not appear to be injectable|all tested parameters/.test(m));
      // error: the run failed (sqlmap itself, the connection, or the app answering 5xx) — fails the check.
      // untested: sqlmap ran but reached no verdict on some parameter (e.g. --smart skips a parameter whose answers differ
      // on every request, such as a write that is refused as a duplicate after the first) — reported, not a failure.
      let error: string | undefined;
      let untested: string | undefined;
      const fiveXx = Object.keys(httpErrors).filter((c) => c >= '500');
      // ("considerable lagging has been detected in connection response(s)" is sqlmap noticing a busy machine: a warning
      // about timing-based payloads, whose results it confirms anyway, not a lost connection.)
      const conn = critical.find((c) => /connection|timed out|unable to connect/i.test(c) && !/lagging/i.test(c));
      const lagging = critical.some((c) => /lagging/i.test(c));
      if (code !== 0 && !injectable.length) error = `sqlmap exited ${code}: ${critical[0] ?? text.trim().split('\n').slice(-3).join(' | ')}`;
      else if (fiveXx.length) error = `the app answered ${fiveXx.map((c) => `${c} × ${httpErrors[c]}`).join(', ')}`;
      else if (conn) error = conn;
      if (!tested.length) untested = `no parameter reached a verdict: ${critical[0] ?? 'sqlmap found no parameter'}`;
      else if (started.some((p) => !tested.includes(p))) untested = `no verdict on ${started.filter((p) => !tested.includes(p)).join(', ')}`;
      resolveRun({ target: t.name, method: t.method, url: t.url, role: t.role, thorough: thorough(t), tested, fullyTested: fullyTested.length, injectable, httpErrors, seconds: Math.round((performance.now() - begun) / 100) / 10, ...(error ? { error } : {}), ...(untested ? { untested } : {}), ...(lagging ? { note: 'sqlmap saw slow responses (busy machine)' } : {}) });
    });
  });
}

// ---------------------------------------------------------------------------------------------------------------
// Run (after every declaration above).

let app: FastifyInstance;
try {
  await migrate(db);
  const config = testConfig();
  const t0 = performance.now();
  await loadDemoData(db, new FieldCipher(config.encryptionKeys), { cases: Number(opts.cases), seed: 42 });
  note(`${db.kind}${schema ? ` schema ${schema}` : ''}: demo users and ${opts.cases} synthetic cases loaded in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  const services = createServices(db, config);
  app = await buildApp({ config, services, logger: { level: 'info', stream: sink } });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const port = (app.server.address() as { port: number }).port;
  const base = `http://127.0.0.1:${port}`;
  const code = await main(app, services, base);
  await app.close();
  logStream.end();
  await cleanup();
  process.exit(code);
} catch (err) {
  console.error(err);
  for (const c of children) c.kill();
  await cleanup();
  process.exit(2);
}
