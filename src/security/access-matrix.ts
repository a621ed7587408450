import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import type { Db } from '../db/database.ts';
import { type CaseAccessFacts, type CaseAction, type GlobalAction, type ScrutinyAction, can, canScrutiny, decide, performanceScope } from '../platform/policy.ts';
import { CPS_ROLES, POLICE_ROLES, type Principal, type Role } from '../platform/principal.ts';
import type { Services } from '../services.ts';
import { createUser, signIn, testApp, testDb } from '../testing/harness.ts';
import { appRoutes, fillRoute } from '../testing/routes.ts';
import { charge, idOf, openCase } from '../victims/test-support.ts';

/**
 * The access matrix (issue 9, security proof (a)): every role × every GET and POST route of the app (read from the
 * route table) × own / other organisation × on the case team or not. Each route is classified below by the policy
 * decision that guards it; the expected outcome is what src/platform/policy.ts decides for that principal, never a
 * hand-typed answer. Whenever the policy refuses, the app must refuse too (and a POST must change nothing): 0
 * unauthorised reads or writes. A route nobody classified fails the test.
 */

type Rule =
  | { kind: 'public' } // sign-in pages, health, static pages, published statistics
  | { kind: 'session' } // the session itself (sign-in/out, extend): not sent, it would end the principal's session
  | { kind: 'signed-in' } // any signed-in user (their own account, notifications, lists filtered to what they may see)
  | { kind: 'api' } // the integration API takes OAuth client tokens, never a session: 401 to every session
  | { kind: 'global'; action: GlobalAction }
  | { kind: 'scrutiny'; action: ScrutinyAction }
  | { kind: 'performance' }
  | { kind: 'case'; action: CaseAction };

const R = {
  public: { kind: 'public' } as Rule,
  session: { kind: 'session' } as Rule,
  signedIn: { kind: 'signed-in' } as Rule,
  api: { kind: 'api' } as Rule,
  g: (action: GlobalAction): Rule => ({ kind: 'global', action }),
  s: (action: ScrutinyAction): Rule => ({ kind: 'scrutiny', action }),
  perf: { kind: 'performance' } as Rule,
  c: (action: CaseAction): Rule => ({ kind: 'case', action }),
};

/**
 * Every route, classified: [methods, pattern, rule]; the first match wins. A route added to the app must be added
 * here (the test says so), naming the policy decision that guards it.
 */
const CLASSIFICATION: [string, RegExp, Rule][] = [
  ['GET', /^\/(ping|health|info|privacy|accessibility|signed-out|sign-out-confirm|sign-in(\/code|\/enrol)?|\*)$/, R.public],
  ['GET', /^\/sign-in\/oidc\//, R.session], // single sign-on: starts or completes a sign-in
  ['GET', /^\/statistics(\/|$)/, R.public],
  ['GET', /^\/programme\/print\.css$/, R.public],
  ['GET', /^\/api\/v1\/(openapi\.json|docs)$/, R.public],
  ['POST', /^\/(sign-in(\/code|\/enrol)?|sign-out|session\/extend)$/, R.session],
  ['POST', /^\/api\/v1\/oauth\/token$/, R.session],
  ['GET|POST|PUT|DELETE', /^\/api\/v1\//, R.api],
  ['GET|POST', /^\/(account|notifications.*|lines-of-enquiry)$/, R.signedIn],
  ['GET', /^\/$/, R.signedIn],
  // redirects and explanatory pages that show nothing of any case
  ['GET', /^\/(isva|performance|performance\/definitions)$/, R.signedIn],
  // administration
  ['GET', /^\/admin\/audit$/, R.g('audit:read')],
  ['GET|POST', /^\/admin\/api-clients/, R.g('api:manage-clients')],
  ['GET', /^\/reference$/, R.g('reference:read')],
  ['GET|POST', /^\/reference\//, R.g('reference:update')],
  // the case file
  ['GET', /^\/cases$/, R.g('case:list')],
  ['GET|POST', /^\/cases(\/new)?$/, R.g('case:create')],
  ['GET', /^\/cases\/:caseId$/, R.c('case:read')],
  ['GET|POST', /^\/cases\/:caseId\/edit$/, R.c('case:update')],
  ['GET|POST', /^\/cases\/:caseId\/victims(\/new|\/:victimId\/edit)?$/, R.c('victim:update')],
  ['GET|POST', /^\/cases\/:caseId\/suspects(\/new|\/:suspectId\/edit)?$/, R.c('suspect:update')],
  ['GET|POST', /^\/cases\/:caseId\/witnesses(\/new|\/:witnesseId\/edit)?$/, R.c('witness:update')],
  ['GET', /^\/cases\/:caseId\/team$/, R.c('case:read')],
  ['POST', /^\/cases\/:caseId\/team/, R.c('case:manage-team')],
  ['POST', /^\/cases\/:caseId\/timeline$/, R.c('timeline:add')],
  // Early Advice, conferences, lines of enquiry
  ['GET', /^\/cases\/:caseId\/early-advice$/, R.c('case:read')],
  ['GET|POST', /^\/cases\/:caseId\/early-advice\/request$/, R.c('ea:request')],
  ['POST', /^\/cases\/:caseId\/early-advice\/action-plans\/:adviceId\/approve$/, R.c('ea:approve-action-plan')],
  ['GET|POST', /^\/cases\/:caseId\/early-advice\/:eaId\/advice$/, R.c('ea:advise')],
  ['GET|POST', /^\/cases\/:caseId\/lines-of-enquiry\/:loeId$/, R.c('case:read')],
  ['GET|POST', /^\/cases\/:caseId\/conferences(\/new)?$/, R.c('conference:record')],
  ['GET', /^\/early-advice$/, R.g('ea:triage')],
  ['GET|POST', /^\/early-advice\/requests\/:eaId\/allocate$/, R.g('ea:allocate')],
  // charging and outcomes
  ['GET', /^\/cases\/:caseId\/charging$/, R.c('case:read')],
  ['GET|POST', /^\/cases\/:caseId\/charging\/file/, R.c('charging:submit-file')],
  ['GET|POST', /^\/cases\/:caseId\/charging\/(meeting|decision)/, R.c('charging:decide')],
  ['GET|POST', /^\/cases\/:caseId\/charging\/police-outcome$/, R.c('outcome:record-police')],
  ['GET|POST', /^\/cases\/:caseId\/charging\/vrr$/, R.c('vrr:record')],
  ['GET|POST', /^\/cases\/:caseId\/charging\/(vrr\/|court)/, R.c('case:read')],
  // victim care
  ['GET', /^\/cases\/:caseId\/victim-care(\/letters\/:letterId|\/meetings\/:meetingId|\/special-measures\/:measureId)?$/, R.c('victim-care:read')],
  ['GET|POST', /^\/cases\/:caseId\/victim-care\/plea/, R.c('trial:record-plea')],
  ['GET|POST', /^\/cases\/:caseId\/victim-care\/victims\/:victimId\/consents/, R.c('isva-consent:record')],
  ['POST', /^\/cases\/:caseId\/victim-care\/consents\/:consentId\/revoke$/, R.c('isva-consent:record')],
  ['GET|POST', /^\/cases\/:caseId\/victim-care\/victims\/:victimId\/vlo$/, R.c('vlo:assign')],
  ['GET|POST', /^\/cases\/:caseId\/victim-care\//, R.c('victim-care:record')],
  ['GET|POST', /^\/isva(\/|$)/, R.g('isva:mailbox')],
  ['GET', /^\/victim-care\/inbox\/stats$/, R.signedIn], // response times by RASSO unit: counts, no case
  ['GET|POST', /^\/victim-care\/inbox/, R.g('isva:inbox')],
  ['GET', /^\/victim-care\/worklist$/, R.g('vlo:worklist')],
  ['GET', /^\/victim-care\/dashboard$/, R.g('victims:dashboard')],
  ['GET', /^\/victim-care\/outbox$/, R.signedIn],
  // suspect linkage
  ['GET', /^\/cases\/:caseId\/(series|linkage|linkage\/:matchId)$/, R.c('linkage:read')],
  ['POST', /^\/cases\/:caseId\/linkage\/:matchId\/decision$/, R.c('linkage:review')],
  ['GET|POST', /^\/cases\/:caseId\/linkage\/:matchId\/share$/, R.c('linkage:request-sharing')],
  ['GET', /^\/cases\/:caseId\/mo$/, R.c('case:read')],
  ['POST', /^\/cases\/:caseId\/mo$/, R.c('mo:update')],
  ['GET|POST', /^\/linkage\/sharing-requests/, R.g('linkage:sharing-requests')],
  // scrutiny panels and JOIMs
  ['GET', /^\/scrutiny$/, R.signedIn],
  ['GET', /^\/scrutiny\/learning/, R.s('scrutiny:learning')],
  ['GET|POST', /^\/scrutiny\/panels(\/new)?$/, R.s('scrutiny:coordinate')],
  ['GET|POST', /^\/scrutiny\//, R.s('scrutiny:review')],
  ['GET|POST', /^\/joims/, R.s('joim:manage')],
  // performance and the programme
  ['GET', /^\/performance/, R.perf],
  ['GET', /^\/programme/, R.g('programme:read')],
  ['POST', /^\/programme\/training\//, R.g('programme:record-training')],
  // Workforce figures are recorded by the same people as training completions (analysts and national leads).
  ['POST', /^\/programme\/workforce$/, R.g('programme:record-training')],
  ['POST', /^\/programme\//, R.g('programme:manage')],
];

export function classify(method: string, pattern: string): Rule | undefined {
  return CLASSIFICATION.find(([methods, re]) => methods.split('|').includes(method) && re.test(pattern))?.[2];
}

/** What the policy says this principal may do on this route: allowed, or refused (with whether existence is hidden). */
function expected(rule: Rule, p: Principal, facts: CaseAccessFacts): { allowed: boolean; hidden?: boolean } {
  switch (rule.kind) {
    case 'public': case 'signed-in': return { allowed: true };
    case 'session': return { allowed: true };
    case 'api': return { allowed: false };
    case 'global': return { allowed: can(p, rule.action) };
    case 'scrutiny': return { allowed: canScrutiny(p, rule.action) };
    case 'performance': return { allowed: performanceScope(p) !== null };
    case 'case': {
      const d = decide(p, rule.action, facts);
      return d.allowed ? { allowed: true } : { allowed: false, hidden: d.status === 404 };
    }
  }
}

const CASE_TEAM_ROLES: readonly Role[] = [...POLICE_ROLES, ...CPS_ROLES];

const OWN: Record<string, string> = { police: 'force-hampshire-and-isle-of-wight', cps: 'rasso-wessex', isva: 'isva-own', panel: 'panel-own', national: 'national' };
const OTHER: Record<string, string> = { police: 'force-kent', cps: 'rasso-south-east', isva: 'isva-other', panel: 'panel-other', national: 'cps-direct' };
const SIDE: Record<Role, string> = {
  investigator: 'police', police_supervisor: 'police', prosecutor: 'cps', district_crown_prosecutor: 'cps', paralegal: 'cps', vlo: 'cps',
  isva: 'isva', panel_member: 'panel', analyst: 'national', national_lead: 'national', admin: 'national',
};

/** One half of the matrix (the roles given), so the two halves run side by side in two Vitest workers. */
export function accessMatrix(name: string, roles: readonly Role[]) {
describe(`security proof (a): the access matrix, generated from the route table and decided by the policy (${name})`, () => {
  let db: Db;
  let app: FastifyInstance;
  let services: Services;
  let caseId: string;
  let reference: string;
  let facts: CaseAccessFacts;
  const fill: Record<string, string> = {};
  const FAKE = '00000000-0000-4000-8000-000000000001';
  // The case's identifying details, from the harness's victim form: shown only to those whose role reads identity.
  const IDENTITY = ['Quintrell', '07700 900123', 'victim@example.invalid', '1 Test Street'];

  beforeAll(async () => {
    db = await testDb();
    ({ app, services } = await testApp(db));
    await db.query(`INSERT INTO organisations (id, kind, name) VALUES ('isva-own', 'isva_service', 'Own ISVA service'), ('isva-other', 'isva_service', 'Other ISVA service'),
      ('panel-own', 'panel', 'Own panel'), ('panel-other', 'panel', 'Other panel')`);
    await createUser(db, { username: 'owner', organisationId: OWN.police!, roles: ['investigator'] });
    const owner = await signIn(app, 'owner');
    caseId = await openCase(owner, { suspect: true, witness: true });
    await charge(services, caseId); // referred: the Area's RASSO unit has a relationship too
    reference = (await services.cases.summary(caseId)).reference;
    Object.assign(fill, {
      caseId,
      victimId: await idOf(db, 'SELECT id FROM victims WHERE case_id = $1', [caseId]),
      suspectId: await idOf(db, 'SELECT id FROM suspects WHERE case_id = $1', [caseId]),
      witnesseId: await idOf(db, 'SELECT id FROM witnesses WHERE case_id = $1', [caseId]),
      userId: await idOf(db, 'SELECT id FROM users WHERE username = $1', ['owner']),
      code: '1', forceId: 'kent', quarter: '2025-Q1', table: 'a', decision: 'charge',
    });
  });
  afterAll(async () => {
    await app?.close();
    await db?.close();
  });

  if (roles.includes('investigator')) it('classifies every route of the app (a new route must name the policy decision that guards it)', () => {
    const unknown = appRoutes(app).filter(([m, url]) => !classify(m, url)).map(([m, url]) => `${m} ${url}`);
    expect(unknown, `Unclassified routes: add each to CLASSIFICATION in src/security/access-matrix.test.ts with the policy decision that guards it:\n${unknown.join('\n')}`).toEqual([]);
  });

  it('refuses every request the policy refuses, for every role, organisation and relationship: 0 unauthorised reads or writes', async () => {
    const routes = appRoutes(app).filter(([m]) => m === 'GET' || m === 'POST' || m === 'PUT' || m === 'DELETE');
    const tables = (await db.query<{ t: string }>(`SELECT table_name AS t FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'
      AND table_name NOT IN ('audit_log', 'sessions', 'sign_in_attempts', 'api_rate_windows', 'schema_migrations')`)).map((r) => r.t);
    const snapshot = async () => Object.fromEntries(await Promise.all(tables.map(async (t) => [t, (await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${t}`))[0]!.n] as const)));

    // 11 roles × own / other organisation × on the team / not: 44 principals, each with a real session.
    const principals: { team: boolean; label: string; principal: Principal; cookie: string; csrf: string }[] = [];
    for (const role of roles) {
      for (const org of ['own', 'other'] as const) {
        // Only police and CPS staff can be put on a case team (the team form refuses anyone else), so other roles are
        // tried off the team only; their case decisions are refusals either way.
        for (const team of CASE_TEAM_ROLES.includes(role) ? [false, true] : [false]) {
          const username = `${role}-${org}${team ? '-team' : ''}`;
          const userId = await createUser(db, { username, organisationId: (org === 'own' ? OWN : OTHER)[SIDE[role]]!, roles: [role] });
          if (team) await db.query(`INSERT INTO case_team (case_id, user_id, force_id, team_role, added_at) VALUES ($1, $2, 'hampshire-and-isle-of-wight', 'investigator', now())`, [caseId, userId]);
          const { id } = await services.sessions.create(userId, 'active');
          const cookie = `tandem_session=${id}`;
          const page = await app.inject({ method: 'GET', url: '/account', headers: { cookie, accept: 'text/html' } });
          const csrfCookie = page.cookies.find((c) => c.name === 'tandem_csrf');
          const csrf = /name="_csrf" value="([^"]+)"/.exec(page.body)?.[1] ?? '';
          principals.push({ team, label: `${role} (${org} organisation${team ? ', on the team' : ''})`, principal: (await services.identity.principal(userId))!, cookie: csrfCookie ? `${cookie}; tandem_csrf=${csrfCookie.value}` : cookie, csrf });
        }
      }
    }
    const [f] = await db.query<{ force_id: string; cps_area_id: string; referred: boolean }>('SELECT force_id, cps_area_id, referred_at IS NOT NULL AS referred FROM cases WHERE id = $1', [caseId]);
    const team = await db.query<{ user_id: string }>('SELECT user_id FROM case_team WHERE case_id = $1', [caseId]);
    facts = { caseId, forceId: f!.force_id, cpsAreaId: f!.cps_area_id, referred: f!.referred, teamUserIds: team.map((t) => t.user_id) };

    const before = await snapshot();
    const failures: string[] = [];
    const validatedFirst = new Set<string>();
    const cost = new Map<string, number>();
    let checked = 0, refused = 0, allowed = 0, postsSent = 0;
    const send = (method: string, url: string, cookie: string, csrf: string): Promise<LightMyRequestResponse> => method === 'GET'
      ? app.inject({ method: 'GET', url, headers: { cookie, accept: 'text/html' } })
      : app.inject({ method: method as 'POST', url, headers: { cookie, accept: 'text/html', 'content-type': 'application/x-www-form-urlencoded' }, payload: new URLSearchParams({ _csrf: csrf, version: '1', reason: 'x' }).toString() });

    const started = Date.now();
    for (const { label, principal, cookie, csrf, team } of principals) {
      const readsIdentity = decide(principal, 'victim:read-identity', facts).allowed;
      const related = decide(principal, 'case:read', facts).allowed;
      for (const [method, pattern] of routes) {
        const rule = classify(method, pattern);
        if (!rule || rule.kind === 'session' || (rule.kind === 'public' && method !== 'GET')) continue;
        // Being on a case team changes only case decisions: other routes are tried once per role and organisation.
        if (team && rule.kind !== 'case') continue;
        const exp = expected(rule, principal, facts);
        checked++;
        // Allowed writes are not sent: an empty form might legitimately change something; this matrix proves refusals.
        if (exp.allowed && method !== 'GET') continue;
        const url = fillRoute(pattern, fill, FAKE);
        const t0 = Date.now();
        const res = await send(method, url, cookie, csrf);
        cost.set(`${method} ${pattern}`, (cost.get(`${method} ${pattern}`) ?? 0) + Date.now() - t0);
        if (method !== 'GET') postsSent++;
        const where = `${label}: ${method} ${url}`;
        if (res.statusCode >= 500) failures.push(`${where} → ${res.statusCode}`);
        if (exp.allowed) allowed++;
        else {
          refused++;
          const ok = rule.kind === 'api' ? [401] : exp.hidden ? [404] : [403, 404];
          // Some forms outside the case file validate before the service checks the role: an empty form is refused
          // with 400 and nothing written (the row counts below prove it). Counted and reported, not a leak.
          if (method !== 'GET' && rule.kind !== 'case' && res.statusCode === 400) validatedFirst.add(`${method} ${pattern}`);
          else if (!ok.includes(res.statusCode)) failures.push(`${where} → ${res.statusCode}, the policy refuses (${exp.hidden ? '404, existence hidden' : '403 or 404'})`);
        }
        // Whatever the page, a principal with no relationship to the case never sees it, and identity only reaches those who may read it.
        if (!related && !(rule.kind === 'global' && rule.action === 'audit:read') && res.body.includes(reference)) failures.push(`${where} shows the case reference to someone with no relationship to the case`);
        if (!readsIdentity) for (const s of IDENTITY) if (res.body.includes(s)) failures.push(`${where} shows victim identity "${s}"`);
      }
    }
    console.log(`access matrix: ${Date.now() - started} ms for the requests; slowest: ${[...cost].sort((a, b) => b[1] - a[1]).slice(0, 15).map(([k, v]) => `${k} ${v}ms`).join(', ')}`);
    console.log(`refused writes answered 400 (validation before the role check): ${[...validatedFirst].join(', ')}`);
    const after = await snapshot();
    const changed = tables.filter((t) => before[t] !== after[t] && t !== 'notifications').map((t) => `${t}: ${before[t]} → ${after[t]}`);
    console.log(`access matrix: ${routes.length} routes × ${roles.length} roles × 2 organisations × ${roles.some((r) => CASE_TEAM_ROLES.includes(r)) ? 2 : 1} relationships = ${checked} checks; ${refused} refusals verified, ${allowed} allowed reads, ${postsSent} refused writes sent; ${failures.length} failures`);
    expect(failures, failures.slice(0, 60).join('\n')).toEqual([]);
    expect(changed, 'refused writes changed state').toEqual([]);
    expect(refused).toBeGreaterThan(500);
  }, 300_000);
});
}
