import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../../config.ts';
import type { Services } from '../../services.ts';
import type { OidcProviderConfig } from './oidc-config.ts';
import { type OidcRefusal, OidcService, SIGN_IN_REQUEST_SECONDS } from './oidc.ts';

const STATE_COOKIE = { secure: '__Host-tandem_oidc_state', plain: 'tandem_oidc_state' };

/** What the refusal page says for each reason: what happened and what to do, never a stack of protocol errors. */
const REFUSALS: Record<OidcRefusal, { status: number; title: (p: string) => string; body: (p: string) => string[] }> = {
  unknown_provider: { status: 404, title: () => 'Page not found', body: () => ['This sign-in option does not exist. Go back to the sign-in page and choose again.'] },
  provider_unavailable: {
    status: 503, title: (p) => `${p} is not available at the moment`,
    body: (p) => [`Tandem could not reach ${p}. Try again in a few minutes, or sign in with your Tandem username and password if you have one.`],
  },
  bad_state: {
    status: 400, title: () => 'Your sign-in could not be completed',
    body: () => ['The sign-in had expired, had already been used, or was started in a different browser. Nothing has been changed. Start again from the sign-in page.'],
  },
  provider_error: { status: 401, title: (p) => `${p} did not sign you in`, body: (p) => [`The sign-in was cancelled or refused at ${p}. You have not been signed in to Tandem.`] },
  token_rejected: {
    status: 401, title: (p) => `Tandem could not confirm who you are with ${p}`,
    body: () => ['The answer from your identity provider did not pass Tandem’s checks, so you have not been signed in. Start again; if this keeps happening, contact your IT service desk.'],
  },
  no_organisation: {
    status: 403, title: (p) => `Your ${p} account is not set up for Tandem`,
    body: (p) => [`${p} did not say which organisation you work for in a way Tandem recognises, so you have not been signed in.`, 'Ask your IT service desk to add your account to your organisation’s Tandem group.'],
  },
  no_role: {
    status: 403, title: (p) => `Your ${p} account does not have a Tandem role`,
    body: (p) => [`None of your ${p} groups gives access to Tandem, so you have not been signed in.`, 'Ask your IT service desk or line manager to add you to the Tandem group for your role.'],
  },
  account_disabled: {
    status: 403, title: () => 'Your Tandem account has been disabled',
    body: () => ['You have not been signed in. Contact your Tandem administrator if you think this is wrong.'],
  },
};

/**
 * OpenID Connect single sign-on: "Sign in with <provider>" → the provider → callback → a normal Tandem session
 * (straight to active when the provider's MFA is trusted, otherwise on to Tandem's own code pages).
 */
export async function oidcRoutes(
  app: FastifyInstance,
  { services, config, setSessionCookie }: { services: Services; config: Config; setSessionCookie: (reply: FastifyReply, id: string) => void },
) {
  const oidc = new OidcService(services.db, services.sessions, services.audit, services.clock, config.oidc, config.env !== 'production');
  const stateCookie = config.secureCookies ? STATE_COOKIE.secure : STATE_COOKIE.plain;
  const origin = (request: FastifyRequest) => `${request.protocol}://${request.host}`;

  const refused = (reply: FastifyReply, reason: OidcRefusal, provider?: OidcProviderConfig) => {
    const r = REFUSALS[reason];
    const label = provider?.label ?? 'your identity provider';
    return reply.code(r.status).render('sign-in-refused.njk', { pageTitle: r.title(label), title: r.title(label), paragraphs: r.body(label), reason, principal: null });
  };

  app.get<{ Params: { provider: string } }>('/sign-in/oidc/:provider', async (request, reply) => {
    const provider = oidc.provider(request.params.provider);
    if (!provider) return refused(reply, 'unknown_provider');
    const started = await oidc.start(provider, oidc.redirectUri(provider, origin(request)));
    if (!started.ok) return refused(reply, started.reason, provider);
    // Lax, not Strict: the callback is a top-level navigation from the provider's site.
    reply.setCookie(stateCookie, started.state, { path: '/', httpOnly: true, sameSite: 'lax', secure: config.secureCookies, maxAge: SIGN_IN_REQUEST_SECONDS });
    return reply.redirect(started.url, 303);
  });

  app.get<{ Params: { provider: string } }>('/sign-in/oidc/:provider/callback', async (request, reply) => {
    const provider = oidc.provider(request.params.provider);
    if (!provider) return refused(reply, 'unknown_provider');
    const query = request.url.includes('?') ? request.url.slice(request.url.indexOf('?')) : '';
    const callbackUrl = new URL(oidc.redirectUri(provider, origin(request)) + query);
    const cookieState = request.cookies[stateCookie];
    reply.clearCookie(stateCookie, { path: '/' });
    const result = await oidc.callback(provider, callbackUrl, cookieState);
    if (!result.ok) return refused(reply, result.reason, provider);
    // Whatever session this browser had (someone else's, or half-finished) ends here; the new id is fresh.
    if (request.session) await services.sessions.destroy(request.session.idHash);
    setSessionCookie(reply, result.sessionId);
    return reply.redirect(result.next === 'active' ? '/' : result.next === 'enrol' ? '/sign-in/enrol' : '/sign-in/code', 303);
  });
}

export const ssoButtons = (config: Config) => config.oidc.providers.map((p) => ({ id: p.id, label: p.label }));
