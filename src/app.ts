import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import fastifyCookie from '@fastify/cookie';
import fastifyCsrf from '@fastify/csrf-protection';
import fastifyFormbody from '@fastify/formbody';
import fastifyHelmet from '@fastify/helmet';
import fastifyStatic from '@fastify/static';
import fastifyView from '@fastify/view';
import nunjucks from 'nunjucks';
import type { Config } from './config.ts';
import { buildAssets, BUILD_DIR, type AssetManifest } from './platform/assets/build.ts';
import { authRoutes, loadSession, SESSION_COOKIE } from './platform/auth/routes.ts';
import { ConflictError, HttpError } from './platform/errors.ts';
import { DATABASE_RETRY_AFTER_SECONDS, isDatabaseUnavailable } from './db/unavailable.ts';
import { healthRoutes } from './platform/health.ts';
import type { Principal } from './platform/principal.ts';
import type { Session } from './platform/sessions.ts';
import { navigationFor } from './platform/navigation.ts';
import type { Services } from './services.ts';
import { caseRoutes } from './cases/routes.ts';
import { auditRoutes } from './platform/audit-routes.ts';
import { referenceRoutes } from './reference/routes.ts';
import { earlyAdviceRoutes } from './early-advice/routes.ts';
import { chargingRoutes } from './charging/routes.ts';
import { victimRoutes } from './victims/routes.ts';
import { scrutinyRoutes } from './scrutiny/routes.ts';
import { performanceRoutes } from './performance/routes.ts';
import { programmeRoutes } from './programme/routes.ts';
import { linkageRoutes } from './linkage/routes.ts';
import { notificationRoutes, unreadCount } from './platform/notifications-routes.ts';
import { apiRoutes } from './api/routes.ts';
import { apiAdminRoutes } from './api/admin-routes.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

declare module 'fastify' {
  interface FastifyRequest {
    session: Session | null;
    principal: Principal | null;
    /** Set when the request carried a session that had timed out, so sign-in can say why. */
    sessionTimedOut: boolean;
    unreadNotifications: number;
  }
  interface FastifyReply {
    /** Renders a page with the layout's shared context (principal, CSRF token, CSP nonce, assets). */
    render(template: string, data?: Record<string, unknown>): FastifyReply;
  }
}

export interface AppOptions {
  config: Config;
  services: Services;
  logger?: boolean | object;
}

/** View folders, one per capability, then the design systems' templates. */
const VIEW_PATHS = [
  // Capability templates may also be named by path from src/, e.g. "early-advice/views/request.njk", to avoid clashes.
  path.join(ROOT, 'src'),
  path.join(ROOT, 'src/platform/views'),
  path.join(ROOT, 'src/platform/auth/views'),
  path.join(ROOT, 'src/cases/views'),
  path.join(ROOT, 'src/reference/views'),
  path.join(ROOT, 'node_modules/govuk-frontend/dist'),
  path.join(ROOT, 'node_modules/@ministryofjustice/frontend'),
];

export async function buildApp({ config, services, logger = false }: AppOptions): Promise<FastifyInstance> {
  const app = Fastify({
    logger: logger === true ? { level: 'info', redact: ['req.headers.cookie', 'req.headers.authorization'] } : logger,
    trustProxy: config.env === 'production',
    genReqId: () => crypto.randomUUID(),
    bodyLimit: 1024 * 1024,
  });
  const assets: AssetManifest = buildAssets();

  // Errors: set before any route is registered, since routes keep the handler in force when they were added.
  app.setErrorHandler(async (error, request, reply) => {
    let httpError: HttpError;
    if (error instanceof HttpError) httpError = error;
    else if (String((error as { code?: string }).code).startsWith('FST_CSRF')) httpError = csrfError();
    else if ((error as { validation?: unknown }).validation) httpError = new HttpError(400, 'Bad request', (error as Error).message);
    else if ((error as { statusCode?: number }).statusCode && (error as { statusCode: number }).statusCode < 500) {
      const e = error as { statusCode: number; message: string };
      httpError = new HttpError(e.statusCode, e.statusCode === 413 ? 'Request too large' : 'Bad request', e.message);
    } else if (isDatabaseUnavailable(error)) {
      // The database is restarting or unreachable: say so at once; the pool reconnects when it is back.
      request.log.warn({ err: error }, 'database unavailable');
      reply.header('retry-after', String(DATABASE_RETRY_AFTER_SECONDS));
      httpError = new HttpError(503, 'Sorry, the service is unavailable', 'Try again in a few seconds.');
    } else {
      request.log.error({ err: error }, 'unhandled error');
      httpError = new HttpError(500, 'Sorry, there is a problem with the service', 'Try again later. Nothing you entered has been saved.');
    }
    return sendError(request, reply, httpError);
  });

  // 1. health (no session, no CSRF: probes must be cheap)
  await app.register(healthRoutes, { services, config });

  // 2. security headers, with a per-request CSP nonce for the few inline/module scripts
  await app.register(fastifyHelmet, {
    enableCSPNonces: true,
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", 'data:'],
        fontSrc: ["'self'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
        upgradeInsecureRequests: config.secureCookies ? [] : null,
      },
    },
    hsts: config.secureCookies,
  });

  // 3. cookies and the database session
  await app.register(fastifyCookie, { secret: config.sessionSecret });
  app.decorateRequest('session', null);
  app.decorateRequest('principal', null);
  app.decorateRequest('sessionTimedOut', false);
  app.addHook('onRequest', async (request) => loadSession(request, services, config));

  // 4. body parsing (HTML forms; JSON is Fastify's own)
  await app.register(fastifyFormbody);

  // 5. static assets: compiled styles/scripts (fingerprinted, cached for a year) and GOV.UK fonts/images
  await app.register(fastifyStatic, { root: BUILD_DIR, prefix: '/build/', immutable: true, maxAge: '365d' });
  await app.register(fastifyStatic, { root: path.join(ROOT, 'node_modules/govuk-frontend/dist/govuk/assets'), prefix: '/assets/', decorateReply: false, maxAge: '1d' });
  await app.register(fastifyStatic, {
    root: path.join(ROOT, 'node_modules/govuk-frontend/dist/govuk'), prefix: '/assets/js/', decorateReply: false, maxAge: '1d',
    allowedPath: (p) => p === '/govuk-frontend.min.js',
  });

  // 6. views
  await app.register(fastifyView, {
    engine: { nunjucks },
    templates: VIEW_PATHS,
    options: {
      onConfigure: (env: nunjucks.Environment) => {
        // Nunjucks' own trim is a regex (/^\s*|\s*$/g) that is slow on long runs of whitespace, and GOV.UK templates trim
        // the same nested output repeatedly: it was a third of the case page's CPU under load. Same result, native speed.
        env.addFilter('trim', (v: unknown) => {
          const trimmed = String(v ?? '').trim();
          return v instanceof nunjucks.runtime.SafeString ? new nunjucks.runtime.SafeString(trimmed) : trimmed;
        });
        env.addFilter('date', (v: unknown) => formatDate(v));
        env.addFilter('dateTime', (v: unknown) => formatDateTime(v));
        env.addFilter('label', (v: string, labels: Record<string, string>) => labels?.[v] ?? v);
      },
      autoescape: true,
      throwOnUndefined: false,
    },
  });
  app.decorateRequest('unreadNotifications', 0);
  app.addHook('preHandler', async (request) => {
    if (request.principal && request.method === 'GET') request.unreadNotifications = await unreadCount(services, request.principal.userId);
  });
  app.decorateReply('render', function (this: FastifyReply, template: string, data: Record<string, unknown> = {}) {
    const request = this.request;
    const session = request.session;
    const nonce = (this as unknown as { cspNonce?: { script: string } }).cspNonce?.script;
    return this.view(template, {
      assets,
      principal: request.principal,
      navigation: request.principal ? navigationFor(request.principal, request.url, request.unreadNotifications) : [],
      csrfToken: this.generateCsrf(),
      cspNonce: nonce,
      sessionInfo: session && request.principal ? { idleRemainingMs: services.sessions.idleExpiry(session).getTime() - services.clock.now().getTime() } : null,
      ...data,
    });
  });

  // 7. CSRF: every state-changing form request carries the token (the API, from issue 9, uses tokens instead)
  await app.register(fastifyCsrf, {
    sessionPlugin: '@fastify/cookie',
    cookieKey: config.secureCookies ? '__Host-tandem_csrf' : 'tandem_csrf',
    cookieOpts: { signed: true, httpOnly: true, sameSite: 'strict', path: '/', secure: config.secureCookies },
    getToken: (req: FastifyRequest) => (req.body as Record<string, string> | undefined)?._csrf ?? (req.headers['x-csrf-token'] as string | undefined),
  });
  app.addHook('preHandler', async (request, reply) => {
    if (['POST', 'PUT', 'PATCH', 'DELETE'].includes(request.method) && !request.url.startsWith('/api/')) {
      await new Promise<void>((resolve, reject) => {
        app.csrfProtection(request, reply, (err?: Error) => (err ? reject(csrfError()) : resolve()));
      });
    }
  });

  // Case data must never sit in a browser or proxy cache.
  app.addHook('onSend', async (request, reply) => {
    if (request.principal && !reply.hasHeader('cache-control')) reply.header('cache-control', 'no-store');
  });

  // 8. routes, one capability each
  await app.register(authRoutes, { services, config });
  await app.register(caseRoutes, { services });
  await app.register(auditRoutes, { services });
  await app.register(referenceRoutes, { services });
  await app.register(earlyAdviceRoutes, { services });
  await app.register(chargingRoutes, { services });
  await app.register(victimRoutes, { services });
  await app.register(scrutinyRoutes, { services });
  await app.register(performanceRoutes, { services });
  await app.register(programmeRoutes, { services });
  await app.register(linkageRoutes, { services });
  await app.register(notificationRoutes, { services });
  // The integration API: bearer tokens, no session or CSRF, problem+json (its own error handler, inside the plugin).
  await app.register(apiRoutes, { services, config });
  await app.register(apiAdminRoutes, { services });
  app.get('/', async (request, reply) => {
    if (!request.principal) return reply.redirect('/sign-in');
    return reply.redirect(navigationFor(request.principal, '/')[0]?.href ?? '/account');
  });
  app.get('/accessibility', async (_request, reply) => reply.render('static/accessibility.njk', { pageTitle: 'Accessibility statement' }));
  app.get('/privacy', async (_request, reply) => reply.render('static/privacy.njk', { pageTitle: 'Privacy notice' }));

  // 9. 404 and errors: GOV.UK pages for people, problem+json (RFC 9457) for the API and JSON clients
  app.setNotFoundHandler(async (request, reply) => sendError(request, reply, new HttpError(404, 'Page not found', 'If you typed the web address, check it is correct.')));
  return app;
}

const csrfError = () => new HttpError(403, 'Your form has expired', 'Go back, reload the page and try again. Nothing was saved.');

function wantsJson(request: FastifyRequest): boolean {
  return request.url.startsWith('/api/') || (request.headers.accept ?? '').includes('application/json') && !(request.headers.accept ?? '').includes('text/html');
}

function sendError(request: FastifyRequest, reply: FastifyReply, error: HttpError) {
  reply.code(error.statusCode);
  if (wantsJson(request)) {
    return reply.type('application/problem+json').send({
      type: 'about:blank', title: error.title, status: error.statusCode, detail: error.detail, instance: request.url, ...error.extra,
    });
  }
  if (error instanceof ConflictError) return reply.render('conflict.njk', { pageTitle: error.title, diff: error.diff, backHref: error.backHref });
  return reply.render('error.njk', { pageTitle: error.title, title: error.title, detail: error.detail, statusCode: error.statusCode });
}

const dateFmt = new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'Europe/London' });
const dateTimeFmt = new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit', timeZone: 'Europe/London' });

export function formatDate(v: unknown): string {
  if (v === null || v === undefined || v === '') return '';
  const d = typeof v === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(v) ? new Date(`${v}T12:00:00Z`) : new Date(v as string);
  return Number.isNaN(d.getTime()) ? '' : dateFmt.format(d);
}

export function formatDateTime(v: unknown): string {
  if (v === null || v === undefined || v === '') return '';
  const d = new Date(v as string);
  return Number.isNaN(d.getTime()) ? '' : dateTimeFmt.format(d);
}
