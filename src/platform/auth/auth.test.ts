import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import type { Db } from '../../db/database.ts';
import { Agent, createUser, signIn, TEST_PASSWORD, TEST_TOTP_SECRET, testApp, testDb } from '../../testing/harness.ts';
import { FixedClock } from '../clock.ts';
import { totpCode } from './totp.ts';
import { CLIENT_ATTEMPTS_PER_HOUR, LOCK_AFTER_FAILURES } from './service.ts';

describe('sign-in, second factor and sessions', () => {
  let db: Db;
  let app: FastifyInstance;
  const clock = new FixedClock(new Date('2026-03-02T10:00:00Z'));

  beforeAll(async () => {
    db = await testDb();
    ({ app } = await testApp(db, { clock, config: { idleTimeoutSeconds: 30 * 60 } }));
    for (const u of ['alice', 'bob', 'carol', 'dave', 'erin']) await createUser(db, { username: u, organisationId: 'force-kent', roles: ['investigator'] });
    await createUser(db, { username: 'newbie', organisationId: 'force-kent', roles: ['investigator'], enrolled: false });
  });
  afterAll(async () => {
    await app?.close();
    await db?.close();
  });

  it('signs in with password then TOTP, rotating the session id at sign-in', async () => {
    const agent = new Agent(app);
    await agent.get('/sign-in');
    const first = await agent.post('/sign-in', { username: 'alice', password: TEST_PASSWORD });
    expect(first.headers.location).toBe('/sign-in/code');
    const preAuthCookie = first.cookies.find((c) => c.name === 'tandem_session')!.value;
    // the pre-authentication session cannot see cases
    expect((await agent.get('/cases')).headers.location).toBe('/sign-in');
    await agent.get('/sign-in/code');
    const second = await agent.post('/sign-in/code', { code: totpCode(TEST_TOTP_SECRET, clock.now()) });
    expect(second.statusCode).toBe(303);
    const activeCookie = second.cookies.find((c) => c.name === 'tandem_session')!.value;
    expect(activeCookie).not.toBe(preAuthCookie);
    expect((await agent.get('/cases')).statusCode).toBe(200);
    // the old id is dead: replaying it gets nothing
    const replay = await app.inject({ method: 'GET', url: '/cases', headers: { cookie: `tandem_session=${preAuthCookie}` } });
    expect(replay.headers.location).toBe('/sign-in');
  });

  it('rejects a wrong password with an error summary and no session', async () => {
    const agent = new Agent(app);
    await agent.get('/sign-in');
    const res = await agent.post('/sign-in', { username: 'bob', password: 'wrong' });
    expect(res.statusCode).toBe(401);
    expect(res.body).toContain('govuk-error-summary');
    expect(res.body).toContain('The details you entered are not right');
    expect(agent.hasCookie('tandem_session')).toBe(false);
  });

  it('shows field errors when nothing is entered', async () => {
    const agent = new Agent(app);
    await agent.get('/sign-in');
    const res = await agent.post('/sign-in', {});
    expect(res.statusCode).toBe(400);
    expect(res.body).toContain('Enter your username');
    expect(res.body).toContain('Enter your password');
  });

  it('rejects a wrong TOTP code', async () => {
    const agent = new Agent(app);
    await agent.get('/sign-in');
    await agent.post('/sign-in', { username: 'carol', password: TEST_PASSWORD });
    await agent.get('/sign-in/code');
    const res = await agent.post('/sign-in/code', { code: totpCode(TEST_TOTP_SECRET, new Date(clock.now().getTime() - 10 * 60_000)) });
    expect(res.statusCode).toBe(401);
    expect(res.body).toContain('The code is not right');
    expect((await agent.get('/cases')).headers.location).toBe('/sign-in');
  });

  it(`locks the account after ${LOCK_AFTER_FAILURES} failures, even for the right password, until the lock expires`, async () => {
    const agent = new Agent(app);
    await agent.get('/sign-in');
    for (let i = 0; i < LOCK_AFTER_FAILURES; i++) await agent.post('/sign-in', { username: 'dave', password: `guess-${i}` });
    const locked = await agent.post('/sign-in', { username: 'dave', password: TEST_PASSWORD });
    expect(locked.body).toContain('Your account is locked');
    expect(locked.headers.location).toBeUndefined();
    const audit = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM audit_log a JOIN users u ON u.id = a.actor_user_id WHERE u.username = 'dave' AND a.action = 'sign-in' AND a.outcome <> 'allowed'`);
    expect(audit[0]!.n).toBeGreaterThanOrEqual(LOCK_AFTER_FAILURES + 1);
    clock.advance(16 * 60_000);
    const again = await agent.post('/sign-in', { username: 'dave', password: TEST_PASSWORD });
    expect(again.headers.location).toBe('/sign-in/code');
  });

  it('times out an idle session, says why, and lets an active user extend it', async () => {
    const agent = await signIn(app, 'erin', clock);
    clock.advance(29 * 60_000);
    const extend = await agent.post('/session/extend', {}, { headers: { accept: 'application/json' } });
    expect(extend.statusCode).toBe(200);
    expect(JSON.parse(extend.body).idleRemainingMs).toBe(30 * 60_000);
    clock.advance(29 * 60_000);
    expect((await agent.get('/cases')).statusCode).toBe(200);
    clock.advance(31 * 60_000);
    const timedOut = await agent.get('/cases');
    expect(timedOut.headers.location).toBe('/sign-in?timedOut=1');
    const page = await agent.get('/sign-in?timedOut=1');
    expect(page.body).toContain('You were signed out because you had not done anything for a while');
  });

  it('sign-out kills the session on the server', async () => {
    const agent = await signIn(app, 'alice', clock);
    const [{ n: before }] = (await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM sessions s JOIN users u ON u.id = s.user_id WHERE u.username = 'alice' AND s.stage = 'active'`)) as [{ n: number }];
    const out = await agent.post('/sign-out');
    expect(out.headers.location).toBe('/signed-out');
    const [{ n: after }] = (await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM sessions s JOIN users u ON u.id = s.user_id WHERE u.username = 'alice' AND s.stage = 'active'`)) as [{ n: number }];
    expect(after).toBe(before - 1);
    expect((await agent.get('/cases')).headers.location).toBe('/sign-in');
  });

  it('enrols a new user’s authenticator app with a QR code and secret, then signs them in', async () => {
    const agent = new Agent(app);
    await agent.get('/sign-in');
    const first = await agent.post('/sign-in', { username: 'newbie', password: TEST_PASSWORD });
    expect(first.headers.location).toBe('/sign-in/enrol');
    const page = await agent.get('/sign-in/enrol');
    expect(page.body).toContain('<svg');
    const secret = /data-qa="totp-secret">([A-Z2-7]+)</.exec(page.body)![1]!;
    const wrong = await agent.post('/sign-in/enrol', { code: '000000' });
    expect(wrong.statusCode).toBe(401);
    // the same secret is offered again after a mistake
    expect(wrong.body).toContain(secret);
    const ok = await agent.post('/sign-in/enrol', { code: totpCode(secret, clock.now()) });
    expect(ok.statusCode).toBe(303);
    expect((await agent.get('/cases')).statusCode).toBe(200);
    const [user] = await db.query<{ totp_secret_enc: string }>(`SELECT totp_secret_enc FROM users WHERE username = 'newbie'`);
    expect(user!.totp_secret_enc).not.toContain(secret);
  });

  it('refuses a form post without the CSRF token', async () => {
    const agent = await signIn(app, 'bob', clock);
    const res = await agent.post('/cases', { summary: 'x' }, { csrf: false });
    expect(res.statusCode).toBe(403);
    expect(res.body).toContain('Your form has expired');
  });

  it('sends a CSP with a per-request nonce that the page’s scripts carry', async () => {
    const a = await app.inject({ url: '/sign-in' });
    const b = await app.inject({ url: '/sign-in' });
    const nonce = (h: unknown) => /'nonce-([^']+)'/.exec(String(h))![1];
    expect(nonce(a.headers['content-security-policy'])).not.toBe(nonce(b.headers['content-security-policy']));
    expect(a.body).toContain(`nonce="${nonce(a.headers['content-security-policy'])}"`);
    expect(String(a.headers['content-security-policy'])).toContain("frame-ancestors 'none'");
  });

  it(`stops a client after ${CLIENT_ATTEMPTS_PER_HOUR} attempts in an hour`, async () => {
    const agent = new Agent(app);
    await agent.get('/sign-in');
    await db.query(`INSERT INTO sign_in_attempts (username, client, at, succeeded) SELECT 'x' || g, '127.0.0.1', $1, false FROM generate_series(1, ${CLIENT_ATTEMPTS_PER_HOUR}) g`, [clock.now()]);
    const res = await agent.post('/sign-in', { username: 'bob', password: TEST_PASSWORD });
    expect(res.statusCode).toBe(429);
    clock.advance(61 * 60_000);
    const later = await agent.post('/sign-in', { username: 'bob', password: TEST_PASSWORD });
    expect(later.headers.location).toBe('/sign-in/code');
  });
});
