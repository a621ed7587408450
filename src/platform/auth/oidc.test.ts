import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import type { Db } from '../../db/database.ts';
import { Agent, createUser, signIn, testApp, testDb } from '../../testing/harness.ts';
import { systemClock } from '../clock.ts';
import type { OidcProviderConfig } from './oidc-config.ts';
import { startTestIdp, throughIdp } from './oidc-test-idp.ts';
import { totpCode } from './totp.ts';

// Real time: the provider signs ID tokens with its clock, and openid-client checks them against the same.
const PUBLIC_URL = 'http://tandem.test';
const REDIRECT = `${PUBLIC_URL}/sign-in/oidc/kent-idp/callback`;

describe('single sign-on with OpenID Connect', () => {
  let db: Db;
  let app: FastifyInstance;
  let idp: Awaited<ReturnType<typeof startTestIdp>>;
  let localAliceId: string;
  const accounts: Record<string, { claims: Record<string, unknown> }> = {
    'sub-kim': { claims: { name: 'Kim Investigator', email: 'kim@kent.police.test', preferred_username: 'kim', org: 'KENT', groups: ['All staff', 'Tandem-Investigators'] } },
    'sub-sam': { claims: { name: 'Sam Supervisor', email: 'sam@kent.police.test', org: 'KENT', groups: ['Tandem-Investigators', 'Tandem-Supervisors'] } },
    'sub-finance': { claims: { name: 'Fin Ance', email: 'fin@kent.police.test', org: 'KENT', groups: ['All staff', 'Finance'] } },
    'sub-elsewhere': { claims: { name: 'Out Sider', email: 'out@example.test', org: 'SOMEWHERE-ELSE', groups: ['Tandem-Investigators'] } },
    // Same email and preferred username as the local account "alice": must get a user of its own.
    'sub-alice-impostor': { claims: { name: 'Alice', email: 'alice@test.invalid', preferred_username: 'alice', org: 'KENT', groups: ['Tandem-Supervisors'] } },
    'sub-twice': { claims: { name: 'Two Tabs', email: 'two@kent.police.test', org: 'KENT', groups: ['Tandem-Investigators'] } },
    'sub-mover': { claims: { name: 'Mo Ver', email: 'mo@kent.police.test', org: 'KENT', groups: ['Tandem-Supervisors'] } },
  };

  beforeAll(async () => {
    idp = await startTestIdp({
      redirectUris: [REDIRECT], clientId: 'tandem', clientSecret: 'tandem-secret-for-tests',
      accounts,
    });
    const provider: OidcProviderConfig = {
      id: 'kent-idp', label: 'Kent Police', issuer: idp.issuer, clientId: 'tandem', clientSecret: 'tandem-secret-for-tests', scopes: ['tandem'],
      organisation: { claim: 'org', map: { KENT: 'force-kent' } },
      roles: { claim: 'groups', map: { 'Tandem-Investigators': 'investigator', 'Tandem-Supervisors': 'police_supervisor' } },
      trustIdpMfa: { amr: ['mfa', 'hwk'], acr: [] },
    };
    db = await testDb();
    // A second provider that is down (nothing listens on port 1).
    const down: OidcProviderConfig = { ...provider, id: 'down-idp', label: 'Essex Police', issuer: 'http://127.0.0.1:1/' };
    ({ app } = await testApp(db, { clock: systemClock, config: { oidc: { publicUrl: PUBLIC_URL, providers: [provider, down] } } }));
    localAliceId = await createUser(db, { username: 'alice', organisationId: 'force-kent', roles: ['investigator'] });
  });
  afterAll(async () => {
    await app?.close();
    await db?.close();
    await idp?.close();
  });

  /** The browser: Tandem's button → the provider (signs in `accountId`) → back to Tandem's callback. */
  async function ssoSignIn(accountId: string, amr: string[] = ['pwd', 'mfa']) {
    const agent = new Agent(app);
    const start = await agent.get('/sign-in/oidc/kent-idp');
    expect(start.statusCode).toBe(303);
    const authUrl = new URL(start.headers.location as string);
    expect(authUrl.origin).toBe(idp.issuer);
    expect(authUrl.searchParams.get('code_challenge_method')).toBe('S256');
    expect(authUrl.searchParams.get('nonce')).toBeTruthy();
    idp.state.nextLogin = { accountId, amr };
    const callbackPath = await throughIdp(authUrl.href, PUBLIC_URL);
    return { agent, callbackPath, state: authUrl.searchParams.get('state')! };
  }

  const auditFor = (reason: string) =>
    db.query<{ n: number }>(`SELECT count(*)::int AS n FROM audit_log WHERE action = 'sign-in' AND outcome = 'denied' AND detail->>'method' = 'oidc' AND detail->>'reason' = $1`, [reason]);

  it('offers "Sign in with Kent Police" on the sign-in page', async () => {
    const res = await new Agent(app).get('/sign-in');
    expect(res.body).toContain('Sign in with Kent Police');
    expect(res.body).toContain('href="/sign-in/oidc/kent-idp"');
  });

  it('signs a new person in with roles mapped from their groups, in a normal Tandem session, and audits it with the provider', async () => {
    const { agent, callbackPath } = await ssoSignIn('sub-kim');
    const back = await agent.get(callbackPath);
    expect(back.statusCode).toBe(303);
    expect(back.headers.location).toBe('/');
    expect((await agent.get('/cases')).statusCode).toBe(200);
    const account = await agent.get('/account');
    expect(account.body).toContain('Investigator');
    expect(account.body).not.toContain('Police supervisor');

    const users = await db.query<{ id: string; username: string; organisation_id: string; display_name: string }>(
      `SELECT u.id, u.username, u.organisation_id, u.display_name FROM users u JOIN user_identities i ON i.user_id = u.id WHERE i.issuer = $1 AND i.subject = 'sub-kim'`, [idp.issuer],
    );
    expect(users).toHaveLength(1);
    expect(users[0]).toMatchObject({ username: 'kent-idp:kim', organisation_id: 'force-kent', display_name: 'Kim Investigator' });
    const audit = await db.query<{ detail: Record<string, unknown> }>(`SELECT detail FROM audit_log WHERE action = 'sign-in' AND outcome = 'allowed' AND actor_user_id = $1`, [users[0]!.id]);
    expect(audit).toHaveLength(1);
    expect(audit[0]!.detail).toMatchObject({ method: 'oidc', provider: 'kent-idp', mfa: 'idp', roles: ['investigator'] });

    // The second time is the same user, not a new one.
    const again = await ssoSignIn('sub-kim');
    expect((await again.agent.get(again.callbackPath)).headers.location).toBe('/');
    expect((await db.query(`SELECT 1 FROM user_identities WHERE subject = 'sub-kim'`))).toHaveLength(1);
  });

  it('maps several groups to several roles', async () => {
    const { agent, callbackPath } = await ssoSignIn('sub-sam');
    await agent.get(callbackPath);
    const account = await agent.get('/account');
    expect(account.body).toContain('Investigator');
    expect(account.body).toContain('Police supervisor');
  });

  it('asks for a Tandem authenticator code when the provider did not do multi-factor authentication', async () => {
    const { agent, callbackPath } = await ssoSignIn('sub-sam', ['pwd']);
    const back = await agent.get(callbackPath);
    // Sam has never set up Tandem's authenticator, so enrolment comes first; nothing is visible until it is done.
    expect(back.headers.location).toBe('/sign-in/enrol');
    expect((await agent.get('/cases')).headers.location).toBe('/sign-in');
    const enrol = await agent.get('/sign-in/enrol');
    const secret = /data-qa="totp-secret">([A-Z2-7]+)</.exec(enrol.body)![1]!;
    const done = await agent.post('/sign-in/enrol', { code: totpCode(secret, new Date()) });
    expect(done.headers.location).toBe('/');
    expect((await agent.get('/cases')).statusCode).toBe(200);
  });

  it('refuses someone none of whose groups is on the allow-list, with a page that says why, and provisions nobody', async () => {
    const { agent, callbackPath } = await ssoSignIn('sub-finance');
    const res = await agent.get(callbackPath);
    expect(res.statusCode).toBe(403);
    expect(res.body).toContain('Your Kent Police account does not have a Tandem role');
    expect(res.body).toContain('data-reason="no_role"');
    expect(agent.hasCookie('tandem_session')).toBe(false);
    expect((await agent.get('/cases')).headers.location).toBe('/sign-in');
    expect(await db.query(`SELECT 1 FROM user_identities WHERE subject = 'sub-finance'`)).toHaveLength(0);
    expect((await auditFor('no_role'))[0]!.n).toBe(1);
  });

  it('refuses an organisation that is not on the allow-list', async () => {
    const { agent, callbackPath } = await ssoSignIn('sub-elsewhere');
    const res = await agent.get(callbackPath);
    expect(res.statusCode).toBe(403);
    expect(res.body).toContain('Your Kent Police account is not set up for Tandem');
    expect(agent.hasCookie('tandem_session')).toBe(false);
  });

  it('refuses a callback whose state is not the one this browser set off with', async () => {
    const { agent, callbackPath } = await ssoSignIn('sub-kim');
    const tampered = callbackPath.replace(/state=[^&]+/, 'state=forged-state-value');
    const res = await agent.get(tampered);
    expect(res.statusCode).toBe(400);
    expect(res.body).toContain('Your sign-in could not be completed');
    expect(agent.hasCookie('tandem_session')).toBe(false);

    // The genuine callback, opened in another browser (no state cookie: login CSRF), is refused too.
    const other = await new Agent(app).get(callbackPath);
    expect(other.statusCode).toBe(400);
    expect(other.body).toContain('data-reason="bad_state"');
    expect((await auditFor('bad_state'))[0]!.n).toBeGreaterThanOrEqual(2);
  });

  it('refuses a replayed callback, and an ID token carrying another sign-in’s nonce', async () => {
    // Replay: the same code, state and nonce a second time, even with the state cookie, finds nothing to complete.
    const first = await ssoSignIn('sub-kim');
    expect((await first.agent.get(first.callbackPath)).headers.location).toBe('/');
    const replay = await app.inject({ method: 'GET', url: first.callbackPath, headers: { cookie: `tandem_oidc_state=${first.state}` } });
    expect(replay.statusCode).toBe(400);
    expect(replay.headers['set-cookie']?.toString() ?? '').not.toMatch(/tandem_session=[^;]/);

    // Nonce: this sign-in's ID token will carry the nonce it was started with; Tandem now expects a different one
    // (as when a token minted for one sign-in is injected into another) and refuses it.
    const second = await ssoSignIn('sub-kim');
    await db.query(`UPDATE oidc_sign_in_requests SET nonce = 'nonce-of-another-sign-in'`);
    const res = await second.agent.get(second.callbackPath);
    expect(res.statusCode).toBe(401);
    expect(res.body).toContain('Tandem could not confirm who you are with Kent Police');
    expect(second.agent.hasCookie('tandem_session')).toBe(false);
    expect((await auditFor('token_rejected'))[0]!.n).toBe(1);
  });

  it('never hands an existing local account to an IdP user with the same email address and username', async () => {
    const { agent, callbackPath } = await ssoSignIn('sub-alice-impostor');
    expect((await agent.get(callbackPath)).headers.location).toBe('/');
    const account = await agent.get('/account');
    expect(account.body).toContain('kent-idp:alice');
    expect(account.body).toContain('Police supervisor');
    const linked = await db.query<{ user_id: string }>(`SELECT user_id FROM user_identities WHERE subject = 'sub-alice-impostor'`);
    expect(linked[0]!.user_id).not.toBe(localAliceId);
    // Local alice is untouched: same roles, no link, and her password still works.
    expect(await db.query(`SELECT 1 FROM user_identities WHERE user_id = $1`, [localAliceId])).toHaveLength(0);
    expect(await db.query<{ role: string }>(`SELECT role FROM user_roles WHERE user_id = $1`, [localAliceId])).toEqual([{ role: 'investigator' }]);
    const alice = await signIn(app, 'alice');
    expect((await alice.get('/account')).body).not.toContain('Police supervisor');
  });

  it('follows the provider when a group is taken away: the Tandem role goes at the next sign-in, and is audited', async () => {
    const first = await ssoSignIn('sub-mover');
    await first.agent.get(first.callbackPath);
    expect((await first.agent.get('/account')).body).toContain('Police supervisor');
    accounts['sub-mover']!.claims.groups = ['Tandem-Investigators'];
    const second = await ssoSignIn('sub-mover');
    await second.agent.get(second.callbackPath);
    const account = (await second.agent.get('/account')).body;
    expect(account).toContain('Investigator');
    expect(account).not.toContain('Police supervisor');
    const synced = await db.query(`SELECT 1 FROM audit_log WHERE action = 'user-access-synced'`);
    expect(synced).toHaveLength(1);
  });

  it('says so plainly when the person cancels at the provider, when the provider is down, or the provider does not exist', async () => {
    const agent = new Agent(app);
    const start = await agent.get('/sign-in/oidc/kent-idp');
    const state = new URL(start.headers.location as string).searchParams.get('state')!;
    const cancelled = await agent.get(`/sign-in/oidc/kent-idp/callback?error=access_denied&state=${state}`);
    expect(cancelled.statusCode).toBe(401);
    expect(cancelled.body).toContain('Kent Police did not sign you in');

    const down = await new Agent(app).get('/sign-in/oidc/down-idp');
    expect(down.statusCode).toBe(503);
    expect(down.body).toContain('Essex Police is not available at the moment');

    const unknown = await new Agent(app).get('/sign-in/oidc/no-such-idp');
    expect(unknown.statusCode).toBe(404);
    expect(unknown.body).toContain('Page not found');
  });

  it('gives one user, not two, when the same person finishes two first sign-ins at once', async () => {
    const a = await ssoSignIn('sub-twice');
    const b = await ssoSignIn('sub-twice');
    const [ra, rb] = await Promise.all([a.agent.get(a.callbackPath), b.agent.get(b.callbackPath)]);
    expect([ra.headers.location, rb.headers.location]).toEqual(['/', '/']);
    expect(await db.query(`SELECT 1 FROM user_identities WHERE subject = 'sub-twice'`)).toHaveLength(1);
  });

  it('cannot use an SSO-provisioned user with a password', async () => {
    const res = await (async () => {
      const agent = new Agent(app);
      await agent.get('/sign-in');
      return agent.post('/sign-in', { username: 'kent-idp:kim', password: '!sso' });
    })();
    expect(res.statusCode).toBe(401);
  });
});

describe('identity provider configuration (TANDEM_OIDC_PROVIDERS)', () => {
  const valid = {
    id: 'kent', label: 'Kent Police', issuer: 'https://login.example.test/kent', clientId: 'c', clientSecret: 's',
    organisation: { id: 'force-kent' }, roles: { claim: 'groups', map: { 'Tandem-Investigators': 'investigator' } },
  };

  it('reads providers, with none meaning local accounts only', async () => {
    const { parseOidcProviders } = await import('./oidc-config.ts');
    expect(parseOidcProviders(undefined)).toEqual([]);
    expect(parseOidcProviders(JSON.stringify([valid]))[0]).toMatchObject({ id: 'kent', scopes: [] });
  });

  it('refuses to start with a clear message when a role in the mapping is not a Tandem role, or the JSON is broken', async () => {
    const { loadConfig, ConfigError } = await import('../../config.ts');
    const env = { NODE_ENV: 'test' };
    const bad = [{ ...valid, roles: { claim: 'groups', map: { Admins: 'superuser' } } }];
    expect(() => loadConfig({ ...env, TANDEM_OIDC_PROVIDERS: JSON.stringify(bad) })).toThrow(ConfigError);
    expect(() => loadConfig({ ...env, TANDEM_OIDC_PROVIDERS: JSON.stringify(bad) })).toThrow(/roles\.map\.Admins/);
    expect(() => loadConfig({ ...env, TANDEM_OIDC_PROVIDERS: '[{' })).toThrow(/must be a JSON array/);
    expect(() => loadConfig({ ...env, TANDEM_OIDC_PROVIDERS: JSON.stringify([valid, valid]) })).toThrow(/unique/);
    const production = { NODE_ENV: 'production', TANDEM_ENCRYPTION_KEYS: `k1:${Buffer.alloc(32, 1).toString('base64')}`, TANDEM_SESSION_SECRET: 'p'.repeat(40) };
    expect(() => loadConfig({ ...production, TANDEM_OIDC_PROVIDERS: JSON.stringify([valid]) })).toThrow(/TANDEM_PUBLIC_URL/);
    expect(() => loadConfig({ ...production, TANDEM_PUBLIC_URL: 'https://tandem.example', TANDEM_OIDC_PROVIDERS: JSON.stringify([{ ...valid, issuer: 'http://idp.example' }]) })).toThrow(/https issuer/);
    expect(loadConfig({ ...production, TANDEM_PUBLIC_URL: 'https://tandem.example/', TANDEM_OIDC_PROVIDERS: JSON.stringify([valid]) }).oidc.publicUrl).toBe('https://tandem.example');
  });
});
