import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import type { Db } from '../db/database.ts';
import { type Agent, createUser, signIn, testApp, testDb } from '../testing/harness.ts';
import { openCase } from '../victims/test-support.ts';

/**
 * Security proof (d): the response headers and cookies a browser relies on, in the production configuration (HTTPS
 * only, so HSTS and __Host- cookies are on). A page that could be framed, cached or scripted inline would fail here.
 */
describe('security proof (d): headers and cookies in the production configuration', () => {
  let db: Db;
  let app: FastifyInstance;
  let agent: Agent;
  let caseId: string;
  const setCookies: string[] = [];

  beforeAll(async () => {
    db = await testDb();
    ({ app } = await testApp(db, { config: { env: 'production', secureCookies: true } }));
    await createUser(db, { username: 'oic', organisationId: 'force-hampshire-and-isle-of-wight', roles: ['investigator'] });
    // Record every Set-Cookie header the sign-in journey sends, to check each cookie's attributes.
    const original = app.inject.bind(app);
    (app as unknown as { inject: typeof app.inject }).inject = (async (opts: never) => {
      const res = (await original(opts)) as LightMyRequestResponse;
      const raw = res.headers['set-cookie'];
      if (raw) setCookies.push(...[raw].flat().map(String));
      return res;
    }) as unknown as typeof app.inject;
    agent = await signIn(app, 'oic');
    caseId = await openCase(agent);
  });
  afterAll(async () => {
    await app?.close();
    await db?.close();
  });

  const csp = (res: LightMyRequestResponse) => String(res.headers['content-security-policy'] ?? '');

  it('sends a strict Content-Security-Policy on every page: no unsafe-inline or unsafe-eval, frame-ancestors none', async () => {
    const pages = [await app.inject({ method: 'GET', url: '/sign-in' }), await agent.get(`/cases/${caseId}`), await agent.get('/cases'), await agent.get('/no-such-page')];
    for (const res of pages) {
      const policy = csp(res);
      expect(policy).toContain("default-src 'self'");
      expect(policy).toMatch(/script-src 'self'( 'nonce-[^']+')?;/);
      expect(policy).toContain("frame-ancestors 'none'");
      expect(policy).toContain("object-src 'none'");
      expect(policy).toContain("form-action 'self'");
      expect(policy).not.toContain('unsafe-inline');
      expect(policy).not.toContain('unsafe-eval');
      expect(res.headers['x-content-type-options']).toBe('nosniff');
    }
  });

  it('sends HSTS for a year, with subdomains, in production', async () => {
    const res = await app.inject({ method: 'GET', url: '/sign-in' });
    const hsts = String(res.headers['strict-transport-security']);
    expect(Number(/max-age=(\d+)/.exec(hsts)?.[1])).toBeGreaterThanOrEqual(31_536_000);
    expect(hsts).toContain('includeSubDomains');
    expect(csp(res)).toContain('upgrade-insecure-requests');
  });

  it('never lets a browser or proxy cache a signed-in page', async () => {
    for (const url of [`/cases/${caseId}`, '/cases', '/account', `/cases/${caseId}/victim-care`, '/no-such-page']) {
      const res = await agent.get(url);
      expect(res.headers['cache-control'], url).toBe('no-store');
    }
  });

  it('sets every cookie __Host- prefixed, Secure, HttpOnly, SameSite, Path=/ and without a Domain', async () => {
    expect(setCookies.length).toBeGreaterThan(0);
    const names = new Set<string>();
    for (const c of setCookies) {
      const [pair, ...attrs] = c.split(';').map((s) => s.trim());
      const name = pair!.split('=')[0]!;
      names.add(name);
      const a = attrs.map((x) => x.toLowerCase());
      expect(name, c).toMatch(/^__Host-/);
      expect(a, c).toContain('secure');
      expect(a, c).toContain('httponly');
      expect(a, c).toContain('path=/');
      expect(a.some((x) => /^samesite=(lax|strict)$/.test(x)), c).toBe(true);
      expect(a.some((x) => x.startsWith('domain=')), c).toBe(false);
    }
    expect(names).toContain('__Host-tandem_session');
    expect(names).toContain('__Host-tandem_csrf');
  });
});
