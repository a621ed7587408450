import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import type { Db } from '../db/database.ts';
import type { Services } from '../services.ts';
import { loadDemoData } from '../cli/seed.ts';
import { DEMO_PASSWORD, DEMO_TOTP_SECRET, DEMO_USERS } from '../synthetic/demo-users.ts';
import { type Agent, signIn, testApp, testDb } from '../testing/harness.ts';
import { appRoutes, fillRoute } from '../testing/routes.ts';

/**
 * Security proof (b), forms: every HTML form of the app (every POST route in the route table) is sent hostile input
 * generated with fast-check — each field the form renders, plus stray ones, filled with wrong types (repeated
 * fields), huge, unicode, control and injection strings. The forms are found the way people find them: each demo
 * user (every role) walks the pages of a demo national picture and collects the forms they are offered, so the hostile
 * body goes to a real record that person may change and reaches validation, not the access check. Whatever comes in: never a 5xx; a rejection is a page a
 * person can act on (the GOV.UK error summary, or an error page with a title and what to do); and a rejection
 * writes nothing (every table's row count unchanged). The JSON API gets the same treatment in
 * src/api/robustness.test.ts. Runs per form: FUZZ_RUNS (default 3).
 */
const RUNS = Number(process.env.FUZZ_RUNS ?? 3);
const SEED = Number(process.env.FUZZ_SEED ?? 20261129);

/** Routes that manage the session itself, or that a stray success would make meaningless to continue with. */
const SKIP = /^\/(sign-in|sign-out|session\/extend|api\/)|\/team\/:userId\/remove$/;
/** Pages not worth walking: downloads, sign-out, and the API's own documents. */
const NO_WALK = /^\/(sign-out|api\/|public\/|assets\/)|\.(csv|ods|json|css|js|svg|png)$/;
const PAGES_PER_USER = 200;
/** Records of each kind a user opens: cases at different stages offer different forms. */
const PER_ROUTE = 3;

const hostileString = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }), // any code point, lone surrogates included
  fc.constantFrom('', ' ', '\u0000', '\u0007\u001b[2J', '\u202e\u200b\ufeff', '😀'.repeat(300), 'x'.repeat(20_000), "'; DROP TABLE cases; --", '" OR 1=1 --',
    '<script>alert(1)</script>', '{{ 7*7 }}', '${7*7}', '../../etc/passwd', '%00', '-1', '1e308', 'NaN', '2025-02-30', '31', '13', '99999999999999999999', 'true', '[]', '{}'),
  fc.integer().map(String),
);
const hostileValue = fc.oneof({ weight: 4, arbitrary: hostileString }, { weight: 1, arbitrary: fc.array(hostileString, { minLength: 2, maxLength: 4 }) });

describe('security proof (b): hostile input to every form gives a clear 4xx or a valid save, never a 5xx, and a rejection writes nothing', () => {
  let db: Db;
  let app: FastifyInstance;
  let services: Services;
  const agents = new Map<string, Agent>();
  let countsSql: string;

  beforeAll(async () => {
    db = await testDb();
    ({ app, services } = await testApp(db));
    // Every role with live records: the demo's national picture (small), its users and their workload.
    await loadDemoData(db, services.cipher, { cases: 400, seed: 11 });
    for (const u of DEMO_USERS.filter((d) => d.enrolled)) agents.set(u.username, await signIn(app, u.username, undefined, { password: DEMO_PASSWORD, totpSecret: DEMO_TOTP_SECRET }));
    // One query for every table's row count (the audit log, sessions and sign-in attempts grow on any request).
    const tables = (await db.query<{ t: string }>(`SELECT table_name AS t FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'
      AND table_name NOT IN ('audit_log', 'sessions', 'sign_in_attempts', 'api_rate_windows', 'schema_migrations', 'notifications') ORDER BY 1`)).map((r) => r.t);
    countsSql = `SELECT ARRAY[${tables.map((t) => `(SELECT count(*) FROM ${t})`).join(', ')}]::text AS c`;
  }, 300_000);
  afterAll(async () => {
    await app?.close();
    await db?.close();
  });

  const counts = async () => String((await db.query<{ c: string }>(countsSql))[0]!.c);

  it('fuzzes every form in the route table', async () => {
    const routes = appRoutes(app);
    const toRegex = (pattern: string) => new RegExp(`^${pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/:\w+/g, '[^/]+').replace(/\*$/, '.*')}$`);
    // Wildcards (static files, not-found) last, so a page is counted under its own route.
    const getPatterns = routes.filter(([m]) => m === 'GET').map(([, u]) => ({ pattern: u, re: toRegex(u) })).sort((a, b) => Number(a.pattern.endsWith('*')) - Number(b.pattern.endsWith('*')));
    const forms = routes.filter(([m, url]) => m === 'POST' && !SKIP.test(url)).map(([, url]) => ({ pattern: url, re: toRegex(url) }));
    expect(forms.length).toBeGreaterThan(60);

    // Walk: each user follows the links on their pages (at most PER_ROUTE records of each kind of page) and keeps every
    // POST form they are shown, with its fields. The first user offered a form is the one who fuzzes it.
    type Offered = { user: string; action: string; html: string };
    const offered = new Map<string, Offered>();
    let walked = 0;
    for (const [user, agent] of agents) {
      const queue = ['/'];
      const seen = new Set(queue);
      const perPattern = new Map<string, number>();
      let pages = 0;
      while (queue.length && pages < PAGES_PER_USER) {
        const url = queue.shift()!;
        const route = getPatterns.find((g) => g.re.test(url));
        if (!route) continue;
        const n = perPattern.get(route.pattern) ?? 0;
        if (n >= PER_ROUTE) continue;
        perPattern.set(route.pattern, n + 1);
        const res = await agent.get(url);
        pages++;
        const location = res.headers.location;
        if (res.statusCode >= 300 && res.statusCode < 400 && typeof location === 'string' && location.startsWith('/') && !seen.has(location.split('?')[0]!)) {
          seen.add(location.split('?')[0]!);
          queue.push(location.split('?')[0]!);
        }
        if (res.statusCode !== 200 || !String(res.headers['content-type']).startsWith('text/html')) continue;
        for (const m of res.body.matchAll(/<form\b([^>]*)>([\s\S]*?)<\/form>/g)) {
          if (!/method="post"/i.test(m[1]!)) continue;
          const action = (/action="([^"]*)"/.exec(m[1]!)?.[1] ?? url).replace(/&amp;/g, '&').split('?')[0]! || url;
          const form = forms.find((f) => f.re.test(action));
          if (form && !offered.has(form.pattern)) offered.set(form.pattern, { user, action, html: m[2]! });
        }
        for (const m of res.body.matchAll(/href="(\/[^"#?]*)/g)) {
          const next = m[1]!.replace(/&amp;/g, '&');
          if (!seen.has(next) && !NO_WALK.test(next)) {
            seen.add(next);
            queue.push(next);
          }
        }
      }
      walked += pages;
    }

    const statuses = new Map<number, number>();
    let sent = 0, accepted = 0;
    const reached = new Set<string>(); // forms where some body got past the role and record checks to validation or a save
    const failures: string[] = [];
    // Forms nobody was offered are still sent hostile bodies (as the investigator, to a made-up record): they must refuse cleanly.
    const investigator = agents.get('investigator')!;
    for (const { pattern } of forms) {
      const found = offered.get(pattern);
      const agent = found ? agents.get(found.user)! : investigator;
      const url = found?.action ?? fillRoute(pattern, {}, '00000000-0000-4000-8000-000000000001');
      const html = found?.html ?? '';
      const fields = [...new Set([...html.matchAll(/<(?:input|select|textarea)\b[^>]*?\sname="([^"_][^"]*)"/g)].map((m) => m[1]!))].filter((f) => f !== 'version').slice(0, 40);
      const version = /name="version" value="(\d*)"/.exec(html)?.[1];
      await fc.assert(fc.asyncProperty(
        fc.record(Object.fromEntries([...fields, 'unexpected', '__proto__'].map((f) => [f, hostileValue])), { requiredKeys: [] }),
        async (body) => {
          const before = await counts();
          const res = await agent.post(url, { ...(version !== undefined ? { version } : {}), ...(body as Record<string, string | string[]>) });
          sent++;
          statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1);
          if (![403, 404].includes(res.statusCode)) reached.add(pattern);
          const where = `POST ${pattern} (${url} as ${found?.user ?? 'investigator'}) ${JSON.stringify(body).slice(0, 200)} → ${res.statusCode}`;
          if (res.statusCode >= 500) failures.push(where);
          else if (res.statusCode < 400) accepted++; // valid after all (a saved record, a redirect): allowed to write
          else {
            // a person can act on it: the error summary for a form, otherwise an error page that says what to do
            const clear = res.body.includes('govuk-error-summary') || /<h1[^>]*>[^<]+<\/h1>[\s\S]*<p class="govuk-body[^"]*">[^<]+/.test(res.body);
            if (!clear) failures.push(`${where}: no clear message`);
            if ((await counts()) !== before) failures.push(`${where}: rejected but something was written`);
          }
        },
      ), { numRuns: RUNS, seed: SEED, endOnFailure: true });
    }
    const unreached = forms.map((f) => f.pattern).filter((f) => !reached.has(f));
    console.log(JSON.stringify({ fuzz: 'forms', forms: forms.length, offeredByWalk: offered.size, pagesWalked: walked, users: agents.size, runsPerForm: RUNS, requests: sent, statuses: Object.fromEntries(statuses), accepted, reachedValidation: reached.size, unreached, failures: failures.length }));
    expect(failures, failures.slice(0, 30).join('\n')).toEqual([]);
    // The walk must keep finding the forms: most of them reach validation, not the access check.
    expect(reached.size).toBeGreaterThanOrEqual(Math.floor(forms.length * 0.75));
  }, 900_000);
});
