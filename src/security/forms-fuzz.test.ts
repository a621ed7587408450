import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import type { Db } from '../db/database.ts';
import type { Services } from '../services.ts';
import { type Agent, createUser, signIn, testApp, testDb } from '../testing/harness.ts';
import { appRoutes, fillRoute } from '../testing/routes.ts';
import { charge, idOf, openCase } from '../victims/test-support.ts';

/**
 * Security proof (b), forms: every HTML form of the app (every POST route in the route table) is sent hostile input
 * generated with fast-check — each field the form's page renders, plus stray ones, filled with wrong types (repeated
 * fields), huge, unicode, control and injection strings. Whatever comes in: never a 5xx; a rejection is a page a
 * person can act on (the GOV.UK error summary, or an error page with a title and what to do); and a rejection
 * writes nothing (every table's row count unchanged). The JSON API gets the same treatment in
 * src/api/robustness.test.ts. Runs per form: FUZZ_RUNS (default 3).
 */
const RUNS = Number(process.env.FUZZ_RUNS ?? 3);
const SEED = Number(process.env.FUZZ_SEED ?? 20261129);

/** Routes that manage the session itself, or that a stray success would make meaningless to continue with. */
const SKIP = /^\/(sign-in|sign-out|session\/extend|api\/)|\/team\/:userId\/remove$/;

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
  let police: Agent;
  let dcp: Agent;
  let lead: Agent;
  let admin: Agent;
  const fill: Record<string, string> = {};
  let countsSql: string;

  beforeAll(async () => {
    db = await testDb();
    ({ app, services } = await testApp(db));
    await createUser(db, { username: 'oic', organisationId: 'force-hampshire-and-isle-of-wight', roles: ['investigator', 'police_supervisor'] });
    await createUser(db, { username: 'dcp', organisationId: 'rasso-wessex', roles: ['district_crown_prosecutor'] });
    police = await signIn(app, 'oic');
    dcp = await signIn(app, 'dcp');
    await createUser(db, { username: 'lead', organisationId: 'national', roles: ['national_lead', 'analyst'] });
    await createUser(db, { username: 'admin', organisationId: 'national', roles: ['admin'] });
    lead = await signIn(app, 'lead');
    admin = await signIn(app, 'admin');
    const caseId = await openCase(police, { suspect: true, witness: true });
    await charge(services, caseId);
    Object.assign(fill, {
      caseId,
      victimId: await idOf(db, 'SELECT id FROM victims WHERE case_id = $1', [caseId]),
      suspectId: await idOf(db, 'SELECT id FROM suspects WHERE case_id = $1', [caseId]),
      witnesseId: await idOf(db, 'SELECT id FROM witnesses WHERE case_id = $1', [caseId]),
      code: 'SOA2003-s1', forceId: 'kent', decision: 'charge_full_code',
    });
    // One query for every table's row count (the audit log, sessions and sign-in attempts grow on any request).
    const tables = (await db.query<{ t: string }>(`SELECT table_name AS t FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'
      AND table_name NOT IN ('audit_log', 'sessions', 'sign_in_attempts', 'api_rate_windows', 'schema_migrations', 'notifications') ORDER BY 1`)).map((r) => r.t);
    countsSql = `SELECT ARRAY[${tables.map((t) => `(SELECT count(*) FROM ${t})`).join(', ')}]::text AS c`;
  });
  afterAll(async () => {
    await app?.close();
    await db?.close();
  });

  const counts = async () => String((await db.query<{ c: string }>(countsSql))[0]!.c);

  it('fuzzes every form in the route table', async () => {
    const routes = appRoutes(app);
    const gets = new Set(routes.filter(([m]) => m === 'GET').map(([, u]) => u));
    const forms = routes.filter(([m, url]) => m === 'POST' && !SKIP.test(url)).map(([, url]) => url);
    expect(forms.length).toBeGreaterThan(60);
    const statuses = new Map<number, number>();
    let sent = 0, accepted = 0;
    const reached = new Set<string>(); // forms where some body got past the role and record checks to validation or a save
    const failures: string[] = [];

    for (const pattern of forms) {
      const url = fillRoute(pattern, fill, '00000000-0000-4000-8000-000000000001');
      // The form's own page names its fields (and carries a fresh token and the record's version).
      const page = [pattern, `${pattern}/new`, pattern.replace(/\/[^/]+$/, '/new')].find((p) => gets.has(p));
      // Sent as the first of police, District Crown Prosecutor, national lead and administrator who may open the form,
      // so the hostile body reaches the form's validation rather than stopping at the role check.
      let agent = /charging\/(decision|meeting)|early-advice\/.*advice|approve|plea|\/vlo$|inbox|allocate/.test(pattern) ? dcp : police;
      let form = await agent.get(page ? fillRoute(page, fill, '00000000-0000-4000-8000-000000000001') : '/account');
      if (page && form.statusCode !== 200) {
        for (const other of [dcp, lead, admin]) {
          const res = await other.get(fillRoute(page, fill, '00000000-0000-4000-8000-000000000001'));
          if (res.statusCode === 200) {
            [agent, form] = [other, res];
            break;
          }
        }
      }
      const fields = [...new Set([...form.body.matchAll(/<(?:input|select|textarea)\b[^>]*?\sname="([^"_][^"]*)"/g)].map((m) => m[1]!))].filter((f) => f !== 'version').slice(0, 40);
      const version = /name="version" value="(\d*)"/.exec(form.body)?.[1];
      await fc.assert(fc.asyncProperty(
        fc.record(Object.fromEntries([...fields, 'unexpected', '__proto__'].map((f) => [f, hostileValue])), { requiredKeys: [] }),
        async (body) => {
          const before = await counts();
          const res = await agent.post(url, { ...(version !== undefined ? { version } : {}), ...(body as Record<string, string | string[]>) });
          sent++;
          statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1);
          if (![403, 404].includes(res.statusCode)) reached.add(pattern);
          const where = `POST ${pattern} ${JSON.stringify(body).slice(0, 200)} → ${res.statusCode}`;
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
    console.log(`forms fuzz: ${forms.length} forms × ${RUNS} hostile bodies = ${sent} requests; statuses ${JSON.stringify(Object.fromEntries(statuses))}; ${accepted} accepted as valid; ${reached.size} forms reached validation, the rest stopped at the role check or a placeholder id (${forms.filter((f) => !reached.has(f)).join(', ')}); ${failures.length} failures`);
    expect(failures, failures.slice(0, 30).join('\n')).toEqual([]);
  }, 600_000);
});
