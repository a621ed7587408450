import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { Config } from '../../config.ts';
import type { Services } from '../../services.ts';
import { ROLE_LABELS } from '../principal.ts';
import { requiredText, validateForm } from '../validation.ts';
import { oidcRoutes, ssoButtons } from './oidc-routes.ts';
import { otpauthUri, qrSvg } from './totp.ts';

export const SESSION_COOKIE = { secure: '__Host-tandem_session', plain: 'tandem_session' };
const cookieName = (config: Config) => (config.secureCookies ? SESSION_COOKIE.secure : SESSION_COOKIE.plain);

const UNAUTHENTICATED_PREFIXES = ['/build/', '/assets/', '/health', '/ping', '/info'];

/** onRequest: find the session for the cookie, drop it if timed out, and resolve the principal. */
export async function loadSession(request: FastifyRequest, services: Services, config: Config): Promise<void> {
  if (UNAUTHENTICATED_PREFIXES.some((p) => request.url.startsWith(p))) return;
  const id = request.cookies[cookieName(config)];
  if (!id) return;
  const found = await services.sessions.find(id);
  if (!('session' in found)) {
    request.sessionTimedOut = found.expired;
    return;
  }
  request.session = found.session;
  if (found.session.stage === 'active') {
    request.principal = (await services.identity.principal(found.session.userId)) ?? null;
    if (!request.principal) {
      await services.sessions.destroy(found.session.idHash);
      request.session = null;
      return;
    }
    await services.sessions.touch(found.session);
  }
}

/** preHandler for pages that need a signed-in user. */
export async function requireSignIn(request: FastifyRequest, reply: FastifyReply) {
  if (request.principal) return;
  if (request.url.startsWith('/api/') || (request.headers.accept ?? '').startsWith('application/json')) {
    return reply.code(401).type('application/problem+json').send({ type: 'about:blank', title: 'Unauthorised', status: 401, detail: 'Sign in first.' });
  }
  return reply.redirect(request.sessionTimedOut ? '/sign-in?timedOut=1' : '/sign-in');
}

const signInSchema = z.object({
  username: requiredText('Enter your username', 100),
  password: z.preprocess((v) => v ?? '', z.string().min(1, 'Enter your password').max(200, 'Password must be 200 characters or fewer')),
});
const codeSchema = z.object({
  code: z.preprocess((v) => (typeof v === 'string' ? v.replace(/\s+/g, '') : ''), z.string().min(1, 'Enter the 6-digit code from your authenticator app').regex(/^\d{6}$/, 'The code must be 6 digits')),
});

const FAILURE_MESSAGES = {
  invalid: 'The details you entered are not right. Check them and try again.',
  locked: 'Your account is locked for 15 minutes after too many failed attempts. Try again later or contact your administrator.',
  rate_limited: 'Too many sign-in attempts from this device. Try again in an hour.',
} as const;

export async function authRoutes(app: FastifyInstance, { services, config }: { services: Services; config: Config }) {
  const name = cookieName(config);
  const setSessionCookie = (reply: FastifyReply, id: string) =>
    reply.setCookie(name, id, { path: '/', httpOnly: true, sameSite: 'lax', secure: config.secureCookies });
  const client = (request: FastifyRequest) => request.ip;
  // "Sign in with <provider>" buttons, when single sign-on is configured.
  const ssoProviders = ssoButtons(config);
  await app.register(oidcRoutes, { services, config, setSessionCookie });

  app.get('/sign-in', async (request, reply) => {
    if (request.principal) return reply.redirect('/');
    const query = request.query as { timedOut?: string };
    return reply.render('sign-in.njk', { pageTitle: 'Sign in', ssoProviders, timedOut: query.timedOut === '1' || request.sessionTimedOut, values: {} });
  });

  app.post('/sign-in', async (request, reply) => {
    const form = validateForm(signInSchema, request.body);
    const body = request.body as Record<string, string>;
    if (!form.ok) return reply.code(400).render('sign-in.njk', { pageTitle: 'Sign in', ssoProviders, errors: form.errors, fieldErrors: form.byField, values: { username: body?.username } });
    const result = await services.auth.signIn(form.value.username, form.value.password, client(request));
    if (!result.ok) {
      const text = FAILURE_MESSAGES[result.reason];
      return reply.code(result.reason === 'rate_limited' ? 429 : 401).render('sign-in.njk', {
        pageTitle: 'Sign in', ssoProviders, errors: [{ text, href: '#username' }], fieldErrors: {}, values: { username: form.value.username },
      });
    }
    setSessionCookie(reply, result.sessionId);
    return reply.redirect(result.next === 'enrol' ? '/sign-in/enrol' : '/sign-in/code', 303);
  });

  const pending = (request: FastifyRequest, stage: 'second_factor' | 'enrol') => (request.session?.stage === stage ? request.session : null);

  app.get('/sign-in/code', async (request, reply) => {
    if (!pending(request, 'second_factor')) return reply.redirect('/sign-in');
    return reply.render('sign-in-code.njk', { pageTitle: 'Enter your security code' });
  });

  app.post('/sign-in/code', async (request, reply) => {
    const session = pending(request, 'second_factor');
    if (!session) return reply.redirect('/sign-in', 303);
    const form = validateForm(codeSchema, request.body);
    if (!form.ok) return reply.code(400).render('sign-in-code.njk', { pageTitle: 'Enter your security code', errors: form.errors, fieldErrors: form.byField });
    const result = await services.auth.verifySecondFactor(session, form.value.code, client(request));
    if (!result.ok) {
      if (result.reason !== 'invalid') return reply.code(result.reason === 'locked' ? 401 : 429).clearCookie(name, { path: '/' }).render('sign-in.njk', { pageTitle: 'Sign in', errors: [{ text: FAILURE_MESSAGES[result.reason], href: '#username' }], values: {} });
      return reply.code(401).render('sign-in-code.njk', { pageTitle: 'Enter your security code', errors: [{ text: 'The code is not right or has expired. Enter the current code from your authenticator app', href: '#code' }], fieldErrors: { code: 'The code is not right or has expired. Enter the current code from your authenticator app' } });
    }
    setSessionCookie(reply, result.sessionId);
    return reply.redirect('/', 303);
  });

  const enrolPage = async (request: FastifyRequest, reply: FastifyReply, extra: Record<string, unknown> = {}) => {
    const session = request.session!;
    const user = await services.identity.findById(session.userId);
    const secret = await services.auth.enrolmentSecret(session);
    const uri = otpauthUri(user!.username, secret);
    return reply.render('sign-in-enrol.njk', { pageTitle: 'Set up your authenticator app', qr: await qrSvg(uri), secret, ...extra });
  };

  app.get('/sign-in/enrol', async (request, reply) => {
    if (!pending(request, 'enrol')) return reply.redirect('/sign-in');
    return enrolPage(request, reply);
  });

  app.post('/sign-in/enrol', async (request, reply) => {
    const session = pending(request, 'enrol');
    if (!session) return reply.redirect('/sign-in', 303);
    const form = validateForm(codeSchema, request.body);
    if (!form.ok) return enrolPage(request, reply.code(400), { errors: form.errors, fieldErrors: form.byField });
    const result = await services.auth.completeEnrolment(session, form.value.code, client(request));
    if (!result.ok) {
      const text = result.reason === 'invalid' ? 'The code is not right. Check the time on your device and enter the current code' : FAILURE_MESSAGES[result.reason];
      return enrolPage(request, reply.code(401), { errors: [{ text, href: '#code' }], fieldErrors: { code: text } });
    }
    setSessionCookie(reply, result.sessionId);
    return reply.redirect('/', 303);
  });

  app.post('/sign-out', async (request, reply) => {
    if (request.session) {
      await services.sessions.destroy(request.session.idHash);
      await services.audit.record({ actorUserId: request.session.userId, action: 'sign-out', outcome: 'allowed' });
    }
    reply.clearCookie(name, { path: '/' });
    return reply.redirect('/signed-out', 303);
  });

  app.get('/signed-out', async (request, reply) => reply.render('signed-out.njk', { pageTitle: 'You have signed out', principal: null }));

  app.get('/sign-out-confirm', async (request, reply) => {
    if (!request.principal) return reply.redirect('/sign-in');
    return reply.render('sign-out-confirm.njk', { pageTitle: 'Sign out' });
  });

  // Extending the session is the touch the onRequest hook already made; this answers with the new idle deadline.
  app.post('/session/extend', async (request, reply) => {
    if (!request.principal || !request.session) return reply.code(401).send({ status: 401, title: 'Signed out' });
    const idleRemainingMs = services.sessions.idleExpiry(request.session).getTime() - services.clock.now().getTime();
    if ((request.headers.accept ?? '').includes('application/json')) return { idleRemainingMs };
    return reply.redirect((request.headers.referer && new URL(request.headers.referer).pathname) || '/', 303);
  });

  app.get('/account', { preHandler: requireSignIn }, async (request, reply) => {
    const p = request.principal!;
    return reply.render('account.njk', {
      pageTitle: 'Your account', roles: p.roles.map((r) => ROLE_LABELS[r]),
      idleExpires: services.sessions.idleExpiry(request.session!), absoluteExpires: request.session!.expiresAt,
    });
  });
}
