import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import type { Config } from '../config.ts';
import { DATABASE_RETRY_AFTER_SECONDS, isDatabaseUnavailable } from '../db/unavailable.ts';
import { ConflictError, HttpError, notFound } from '../platform/errors.ts';
import { validateForm } from '../platform/validation.ts';
import type { Services } from '../services.ts';
import { PAGE_SIZE } from '../cases/repository.ts';
import { ApiClientService, type ApiCaller, OAuthError, type Scope } from './clients.ts';
import { IdempotencyStore, requestHash, type StoredResponse } from './idempotency.ts';
import { buildOpenApi, type OperationSpec } from './openapi.ts';
import { caseListQuery, DATE_FIELDS, requestBodies, responses, toFormShape } from './schemas.ts';
import { WebhookDispatcher, WebhookService } from './webhooks.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** The machine client of an /api/v1 call (never a browser session: the API ignores cookies). */
    apiCaller: ApiCaller | null;
  }
}

/** An RFC 9457 problem with response headers (WWW-Authenticate, Retry-After). */
class ApiProblem extends HttpError {
  constructor(status: number, title: string, detail: string, readonly headers: Record<string, string> = {}, extra: Record<string, unknown> = {}) {
    super(status, title, detail, extra);
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const REALM = 'Bearer realm="tandem-api"';

type Handler = (request: FastifyRequest, reply: FastifyReply, caller: ApiCaller) => Promise<unknown>;

/**
 * /api/v1: the integration API for police and CPS systems. Routes call the same services as the pages, so the
 * policy, the audit and every business rule are the pages' own; this plugin adds authentication by bearer token,
 * scopes, idempotency, ETags and problem+json.
 */
export async function apiRoutes(app: FastifyInstance, { services, config }: { services: Services; config: Config }) {
  const clients = new ApiClientService(services.db, services.audit, services.clock);
  const idempotency = new IdempotencyStore(services.db, services.clock);
  const webhooks = new WebhookService(services.db, services.cipher, services.audit, services.clock, { allowHttp: config.env !== 'production' });
  const today = () => services.clock.now();
  const bodies = requestBodies(today);
  const operations: OperationSpec[] = [];

  // Webhook delivery runs in every server process, like the job worker; tests drive WebhookService directly.
  const dispatcher = new WebhookDispatcher(webhooks, { log: (msg, extra) => app.log.warn(extra ?? {}, msg) });
  app.addHook('onListen', async () => dispatcher.start());
  app.addHook('onClose', async () => dispatcher.stop());

  app.decorateRequest('apiCaller', null);
  // The API authenticates by token only: a browser's session cookie gives no access here (and so no CSRF exposure).
  app.addHook('onRequest', async (request, reply) => {
    request.principal = null;
    request.session = null;
    reply.header('cache-control', 'no-store');
  });

  app.setErrorHandler(async (error, request, reply) => {
    const e = error as Error & { code?: string; statusCode?: number };
    let status: number;
    let title: string;
    let detail: string | undefined;
    let extra: Record<string, unknown> = {};
    if (e instanceof ConflictError) {
      // The pages' conflict carries a field-by-field diff for people; the API says only that the record changed.
      [status, title, detail] = [409, 'Conflict', 'The record was changed by someone else. Read it again and retry.'];
    } else if (e instanceof HttpError) {
      [status, title, detail, extra] = [e.statusCode, e.title, e.detail, { ...e.extra }];
      if (typeof extra.field === 'string' && !extra.errors) extra = { errors: [{ field: extra.field, detail: e.detail ?? e.title }] };
      if (e instanceof ApiProblem) for (const [k, v] of Object.entries(e.headers)) reply.header(k, v);
      if (e instanceof OAuthError && status === 401) reply.header('www-authenticate', 'Basic realm="tandem-api"');
    } else if (e.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
      [status, title, detail] = [415, 'Unsupported Media Type', 'Send the body as application/json.'];
    } else if (e.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      [status, title, detail] = [413, 'Content Too Large', 'The body is larger than 1 MB.'];
    } else if (e.statusCode && e.statusCode < 500) {
      [status, title, detail] = [400, 'Bad Request', e.code === 'FST_ERR_CTP_EMPTY_JSON_BODY' ? 'The JSON body is empty.' : 'The body is not valid JSON.'];
    } else if (isDatabaseUnavailable(e)) {
      // The database is restarting or unreachable: fail fast so the client retries; the pool reconnects when it is back.
      request.log.warn({ err: error }, 'database unavailable');
      reply.header('retry-after', String(DATABASE_RETRY_AFTER_SECONDS));
      [status, title, detail] = [503, 'Service Unavailable', 'The database is unavailable. Retry after the number of seconds in Retry-After (with the same Idempotency-Key for a write).'];
    } else {
      request.log.error({ err: error }, 'unhandled API error');
      [status, title, detail] = [500, 'Internal Server Error', 'Something went wrong. Nothing was saved; try again later.'];
    }
    return reply.code(status).type('application/problem+json').send({ type: 'about:blank', title, status, detail, instance: request.url.split('?')[0], ...extra });
  });

  // Every call is audited with the client as actor (refused ones too, without one); the services audit what they read and change.
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? request.url.split('?')[0]!;
    if (['/api/v1/oauth/token', '/api/v1/openapi.json', '/api/v1/docs'].includes(route)) return;
    const caseId = (request.params as { caseId?: string } | undefined)?.caseId;
    const caller = request.apiCaller;
    await services.audit.record({
      actorUserId: caller?.principal.userId ?? null, actorOrganisationId: caller?.principal.organisation.id ?? null,
      action: 'api:call', outcome: reply.statusCode < 400 ? 'allowed' : reply.statusCode === 401 || reply.statusCode === 403 || reply.statusCode === 404 ? 'denied' : 'failed',
      entityType: 'api_client', entityId: caller?.clientId ?? null, caseId: caseId && UUID.test(caseId) ? caseId : null, requestId: request.id,
      detail: { method: request.method, route, status: reply.statusCode, ...(caller ? { client: caller.clientName } : {}) },
    }).catch((err) => request.log.error({ err }, 'API audit failed'));
  });

  /** Bearer token → caller; then scope; then the client's rate limit. */
  async function authenticate(request: FastifyRequest, scope: Scope): Promise<ApiCaller> {
    const header = request.headers.authorization ?? '';
    const m = /^Bearer\s+(\S+)$/i.exec(header);
    if (!m) throw new ApiProblem(401, 'Unauthorized', 'Send a bearer token from /api/v1/oauth/token in the Authorization header.', { 'www-authenticate': REALM });
    const caller = await clients.authenticate(m[1]!);
    if (!caller) throw new ApiProblem(401, 'Unauthorized', 'The token is unknown, expired or revoked. Get a new one.', { 'www-authenticate': `${REALM}, error="invalid_token"` });
    request.apiCaller = caller;
    if (!caller.scopes.includes(scope)) {
      throw new ApiProblem(403, 'Forbidden', `The token does not have the ${scope} scope.`, { 'www-authenticate': `${REALM}, error="insufficient_scope", scope="${scope}"` });
    }
    const limit = await clients.rateLimit(caller);
    if (!limit.ok) throw new ApiProblem(429, 'Too Many Requests', `This client may make ${caller.rateLimitPerMinute} requests a minute.`, { 'retry-after': String(limit.retryAfter) });
    return caller;
  }

  const uuidParam = (request: FastifyRequest, name: string): string => {
    const v = (request.params as Record<string, string>)[name] ?? '';
    if (!UUID.test(v)) throw notFound('There is no such resource, or this client may not see it.');
    return v;
  };

  /** The JSON body as the named form schema validates it; 400 with every field error otherwise (nothing written). */
  function validate<T>(request: FastifyRequest, name: keyof ReturnType<typeof requestBodies>, extra: Record<string, unknown> = {}): T {
    const ct = String(request.headers['content-type'] ?? '');
    if (!/^application\/json\b/i.test(ct)) throw new ApiProblem(415, 'Unsupported Media Type', 'Send the body as application/json.');
    const body = request.body;
    if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new ApiProblem(400, 'Bad Request', 'The body must be a JSON object.');
    const result = validateForm(bodies[name] as z.ZodType, { ...toFormShape(body as Record<string, unknown>, DATE_FIELDS[name] ?? []), ...extra });
    if (!result.ok) throw new ApiProblem(400, 'Validation failed', 'One or more fields are invalid. Nothing was saved.', {}, { errors: result.errors.map((e) => ({ field: e.field, detail: e.text })) });
    return result.value as T;
  }

  /** The version an If-Match names: 428 without one, 412 when it is not an ETag of this kind of resource. */
  function ifMatch(request: FastifyRequest, kind: string): number {
    const header = request.headers['if-match'];
    if (!header) throw new ApiProblem(428, 'Precondition Required', 'Send If-Match with the ETag from your last read, so you do not overwrite someone else’s change.');
    const m = new RegExp(`^(?:W/)?"${kind}-(\\d+)"$`).exec(String(header).trim());
    if (!m) throw new ApiProblem(412, 'Precondition Failed', 'If-Match does not match the current version of this resource. Read it again.');
    return Number(m[1]);
  }

  /** A write: Idempotency-Key replays, conflicts and in-flight refusals around the real work. */
  async function write(request: FastifyRequest, reply: FastifyReply, caller: ApiCaller, run: () => Promise<StoredResponse>) {
    const key = request.headers['idempotency-key'];
    const send = (r: StoredResponse) => {
      for (const [k, v] of Object.entries(r.headers)) reply.header(k, v);
      return r.status === 204 ? reply.code(204).send() : reply.code(r.status).send(r.body);
    };
    if (typeof key !== 'string') return send(await run());
    const hash = requestHash(request.method, `${request.url} if-match:${request.headers['if-match'] ?? ''}`, request.body);
    const begun = await idempotency.begin(caller.clientId, key, hash);
    if (begun.kind === 'replay') {
      reply.header('idempotent-replayed', 'true');
      return send(begun.response);
    }
    let response: StoredResponse;
    try {
      // The write and the stored response commit together: a process killed after the write cannot leave a key that
      // a retry (after ABANDONED_MS) would run again, duplicating the write.
      response = await services.db.transaction(async () => {
        const r = await run();
        await idempotency.complete(caller.clientId, key, r);
        return r;
      });
    } catch (err) {
      await idempotency.release(caller.clientId, key);
      throw err;
    }
    return send(response);
  }

  /** Declares an operation: the Fastify route and its entry in the OpenAPI document come from the same place. */
  function op(spec: Omit<OperationSpec, 'errors'> & { errors?: number[] }, handler: Handler) {
    const errors = spec.errors ?? [];
    const all = [...new Set([...(spec.scope ? [401, 403, 429] : []), ...(spec.body ? [400, 415] : []), ...(spec.idempotent ? [409, 422] : []), ...(spec.ifMatch ? [412, 428] : []), ...errors])].sort();
    operations.push({ ...spec, errors: all });
    const url = spec.path.replace(/\{(\w+)\}/g, ':$1');
    app.route({
      method: spec.method, url,
      handler: async (request, reply) => {
        const caller = spec.scope ? await authenticate(request, spec.scope) : (null as unknown as ApiCaller);
        return handler(request, reply, caller);
      },
    });
  }

  // ───────────────────────────── presentation ─────────────────────────────

  const iso = (d: Date | string | null) => (d === null ? null : new Date(d).toISOString());
  const caseEtag = (version: number) => `"case-${version}"`;

  async function readCase(caller: ApiCaller, caseId: string, requestId: string) {
    const v = await services.cases.view(caller.principal, caseId, requestId);
    const c = v.case;
    return {
      etag: caseEtag(c.version),
      body: {
        id: c.id, reference: c.reference, stage: c.stage, forceId: c.force_id, cpsAreaId: c.cps_area_id, offenceDate: c.offence_date, reportedDate: c.reported_at,
        summary: c.summary, offences: v.offences.map((o) => o.code), referredAt: iso(c.referred_at), updatedAt: iso(c.updated_at), version: c.version,
        // Victim identity is never sent by the API, whatever the client's role: labels and versions only.
        victims: v.victims.map((x) => ({ id: x.id, label: x.label, version: x.version })),
        suspects: v.suspects.map((x) => ({ id: x.id, label: x.label, version: x.version, givenName: x.given_name, familyName: x.family_name })),
        witnesses: v.witnesses.map((x) => ({ id: x.id, label: x.label, version: x.version })),
      },
    };
  }

  // ───────────────────────────── authentication ─────────────────────────────

  op({
    method: 'POST', path: '/api/v1/oauth/token', operationId: 'issueToken', tag: 'Authentication', body: 'TokenRequest',
    summary: 'Get an access token (OAuth 2.0 client credentials)',
    description: 'Send `grant_type=client_credentials` with the client id and secret (HTTP Basic, or `client_id` and `client_secret` in the body). Errors carry the RFC 6749 `error` code as well as the problem details.',
    success: { status: 200, schema: 'TokenResponse', description: 'A bearer token.' },
    errors: [400, 401, 415],
  }, async (request, reply) => {
    const ct = String(request.headers['content-type'] ?? '');
    if (!/^application\/(json|x-www-form-urlencoded)\b/i.test(ct)) throw new ApiProblem(415, 'Unsupported Media Type', 'Send the token request as application/x-www-form-urlencoded or application/json.');
    const body = (typeof request.body === 'object' && request.body !== null ? request.body : {}) as Record<string, unknown>;
    const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
    let clientId = str(body.client_id);
    let secret = str(body.client_secret);
    const basic = /^Basic\s+([A-Za-z0-9+/=]+)$/i.exec(request.headers.authorization ?? '');
    if (basic) {
      const decoded = Buffer.from(basic[1]!, 'base64').toString('utf8');
      const i = decoded.indexOf(':');
      if (i > 0) [clientId, secret] = [decodeURIComponent(decoded.slice(0, i)), decodeURIComponent(decoded.slice(i + 1))];
    }
    const grant = str(body.grant_type);
    if (!grant) throw new OAuthError(400, 'invalid_request', 'grant_type is required.');
    if (grant !== 'client_credentials') throw new OAuthError(400, 'unsupported_grant_type', 'Only the client_credentials grant is supported.');
    if (!clientId || !secret) throw new OAuthError(401, 'invalid_client', 'Send the client id and secret.');
    const issued = await clients.issueToken(clientId.slice(0, 100), secret.slice(0, 200), str(body.scope), request.id);
    return reply.header('pragma', 'no-cache').send(issued);
  });

  // ───────────────────────────── cases ─────────────────────────────

  op({
    method: 'GET', path: '/api/v1/cases', operationId: 'listCases', tag: 'Cases', scope: 'cases:read',
    summary: 'List the cases this client may see', description: `Pages of ${PAGE_SIZE}, newest report first by default.`,
    query: [
      { name: 'page', description: 'Page number, from 1.', schema: { type: 'integer', minimum: 1 } },
      { name: 'stage', description: 'Only cases at this stage.', schema: { type: 'string' } },
      { name: 'q', description: 'Case reference prefix or suspect name.', schema: { type: 'string', maxLength: 100 } },
      { name: 'sort', description: 'reported, reference, stage or updated.', schema: { type: 'string', enum: ['reported', 'reference', 'stage', 'updated'] } },
      { name: 'order', description: 'asc or desc.', schema: { type: 'string', enum: ['asc', 'desc'] } },
    ],
    success: { status: 200, schema: 'CasePage', description: 'A page of cases.' },
  }, async (request, _reply, caller) => {
    const query = caseListQuery.parse(request.query ?? {});
    const { total, rows } = await services.cases.list(caller.principal, query, request.id);
    const link = (page: number) => {
      const params = new URLSearchParams(Object.entries(request.query as Record<string, string>).filter(([k]) => k !== 'page'));
      params.set('page', String(page));
      return `/api/v1/cases?${params}`;
    };
    const pages = Math.max(1, Math.ceil(total / PAGE_SIZE));
    return {
      items: rows.map((c) => ({ id: c.id, reference: c.reference, stage: c.stage, forceId: c.force_id, cpsAreaId: c.cps_area_id, reportedDate: c.reported_at, updatedAt: iso(c.updated_at), version: c.version })),
      page: query.page, pageSize: PAGE_SIZE, total,
      links: { self: link(query.page), next: query.page < pages ? link(query.page + 1) : null, prev: query.page > 1 ? link(Math.min(query.page - 1, pages)) : null },
    };
  });

  op({
    method: 'POST', path: '/api/v1/cases', operationId: 'createCase', tag: 'Cases', scope: 'cases:write', body: 'CaseInput', idempotent: true,
    summary: 'Open a case for the client’s force', success: { status: 201, schema: 'Case', description: 'The new case.', etag: true, location: true },
  }, async (request, reply, caller) => write(request, reply, caller, async () => {
    const input = validate<Parameters<Services['cases']['create']>[1]>(request, 'CaseInput');
    const { id } = await services.cases.create(caller.principal, input, request.id);
    const c = await readCase(caller, id, request.id);
    return { status: 201, headers: { etag: c.etag, location: `/api/v1/cases/${id}` }, body: c.body };
  }));

  op({
    method: 'GET', path: '/api/v1/cases/{caseId}', operationId: 'getCase', tag: 'Cases', scope: 'cases:read',
    summary: 'Read a case', success: { status: 200, schema: 'Case', description: 'The case.', etag: true }, errors: [404],
  }, async (request, reply, caller) => {
    const c = await readCase(caller, uuidParam(request, 'caseId'), request.id);
    return reply.header('etag', c.etag).send(c.body);
  });

  op({
    method: 'PUT', path: '/api/v1/cases/{caseId}', operationId: 'updateCase', tag: 'Cases', scope: 'cases:write', body: 'CaseInput', idempotent: true, ifMatch: true,
    summary: 'Update a case (offences, dates, summary, CPS Area)', success: { status: 200, schema: 'Case', description: 'The updated case.', etag: true }, errors: [404],
  }, async (request, reply, caller) => write(request, reply, caller, async () => {
    const caseId = uuidParam(request, 'caseId');
    const version = ifMatch(request, 'case');
    const input = validate<Parameters<Services['cases']['update']>[2]>(request, 'CaseInput');
    try {
      await services.cases.update(caller.principal, caseId, { ...input, version }, request.id);
    } catch (err) {
      if (err instanceof ConflictError) throw new ApiProblem(412, 'Precondition Failed', 'The case was changed after the version in If-Match. Read it again and retry.');
      throw err;
    }
    const c = await readCase(caller, caseId, request.id);
    return { status: 200, headers: { etag: c.etag }, body: c.body };
  }));

  // ───────────────────────────── people ─────────────────────────────

  const people = {
    victims: { kind: 'victim', body: 'VictimInput', add: services.cases.addVictim.bind(services.cases), update: services.cases.updateVictim.bind(services.cases), label: 'a victim', versionOf: (v: Awaited<ReturnType<typeof readCase>>['body']) => v.victims },
    suspects: { kind: 'suspect', body: 'SuspectInput', add: services.cases.addSuspect.bind(services.cases), update: services.cases.updateSuspect.bind(services.cases), label: 'a suspect', versionOf: (v: Awaited<ReturnType<typeof readCase>>['body']) => v.suspects },
    witnesses: { kind: 'witness', body: 'WitnessInput', add: services.cases.addWitness.bind(services.cases), update: services.cases.updateWitness.bind(services.cases), label: 'a witness', versionOf: (v: Awaited<ReturnType<typeof readCase>>['body']) => v.witnesses },
  } as const;

  for (const [collection, p] of Object.entries(people)) {
    const Name = collection[0]!.toUpperCase() + collection.slice(1, -1).replace(/e$/, '');
    const personBody = (caseId: string, person: { id: string; label: string; version: number }) => ({ id: person.id, caseId, kind: p.kind, label: person.label, version: person.version });
    const find = async (caller: ApiCaller, caseId: string, id: string, requestId: string) => {
      const c = await readCase(caller, caseId, requestId);
      const person = p.versionOf(c.body).find((x) => x.id === id);
      if (!person) throw notFound('There is no such person on this case.');
      return person;
    };
    op({
      method: 'POST', path: `/api/v1/cases/{caseId}/${collection}`, operationId: `add${Name}`, tag: 'People', scope: 'cases:write', body: p.body, idempotent: true,
      summary: `Add ${p.label} to a case`, success: { status: 201, schema: 'Person', description: `The new ${p.kind}.`, etag: true, location: true }, errors: [404],
    }, async (request, reply, caller) => write(request, reply, caller, async () => {
      const caseId = uuidParam(request, 'caseId');
      const input = validate<never>(request, p.body);
      const id = await p.add(caller.principal, caseId, input, request.id);
      const person = await find(caller, caseId, id, request.id);
      return { status: 201, headers: { etag: `"${p.kind}-${person.version}"`, location: `/api/v1/cases/${caseId}/${collection}/${id}` }, body: personBody(caseId, person) };
    }));
    op({
      method: 'PUT', path: `/api/v1/cases/{caseId}/${collection}/{personId}`, operationId: `update${Name}`, tag: 'People', scope: 'cases:write', body: p.body, idempotent: true, ifMatch: true,
      summary: `Update ${p.label}`, success: { status: 200, schema: 'Person', description: `The updated ${p.kind}.`, etag: true }, errors: [404],
    }, async (request, reply, caller) => write(request, reply, caller, async () => {
      const caseId = uuidParam(request, 'caseId');
      const personId = uuidParam(request, 'personId');
      const version = ifMatch(request, p.kind);
      const input = validate<never>(request, p.body);
      try {
        await p.update(caller.principal, caseId, personId, { ...(input as object), version } as never, request.id);
      } catch (err) {
        if (err instanceof ConflictError) throw new ApiProblem(412, 'Precondition Failed', `The ${p.kind} was changed after the version in If-Match. Read the case again and retry.`);
        throw err;
      }
      const person = await find(caller, caseId, personId, request.id);
      return { status: 200, headers: { etag: `"${p.kind}-${person.version}"` }, body: personBody(caseId, person) };
    }));
  }

  // ───────────────────────────── Early Advice and charging ─────────────────────────────

  op({
    method: 'POST', path: '/api/v1/cases/{caseId}/early-advice-requests', operationId: 'requestEarlyAdvice', tag: 'Early Advice', scope: 'early-advice:write',
    body: 'EarlyAdviceRequestInput', idempotent: true,
    summary: 'Ask the CPS RASSO unit for Early Advice', description: 'Routed to the RASSO unit of the case’s CPS Area, with a response target in working days by priority.',
    success: { status: 201, schema: 'EarlyAdviceRequest', description: 'The request and its response target.', location: true }, errors: [404],
  }, async (request, reply, caller) => write(request, reply, caller, async () => {
    const caseId = uuidParam(request, 'caseId');
    const input = validate<Parameters<Services['earlyAdvice']['request']>[2]>(request, 'EarlyAdviceRequestInput');
    const { id, targetDate } = await services.earlyAdvice.request(caller.principal, caseId, input, request.id);
    return { status: 201, headers: { location: `/api/v1/cases/${caseId}` }, body: { id, caseId, priority: input.priority, targetDate } };
  }));

  op({
    method: 'POST', path: '/api/v1/cases/{caseId}/charging-submissions', operationId: 'submitFile', tag: 'Charging', scope: 'charging:write',
    body: 'ChargingSubmissionInput', idempotent: true,
    summary: 'Submit the full file for a charging decision', description: 'Checklist items neither provided nor marked not applicable are recorded as missing and flagged to both sides.',
    success: { status: 201, schema: 'ChargingSubmission', description: 'The submission, with the missing items.', location: true }, errors: [404],
  }, async (request, reply, caller) => write(request, reply, caller, async () => {
    const caseId = uuidParam(request, 'caseId');
    const input = validate<Parameters<Services['charging']['submitFile']>[2]>(request, 'ChargingSubmissionInput');
    const result = await services.charging.submitFile(caller.principal, caseId, input, request.id);
    return { status: 201, headers: { location: `/api/v1/cases/${caseId}/decisions` }, body: { id: result.id, caseId, missing: result.missing } };
  }));

  op({
    method: 'GET', path: '/api/v1/cases/{caseId}/decisions', operationId: 'listDecisions', tag: 'Charging', scope: 'cases:read',
    summary: 'Read the charging decisions and police outcomes on a case', success: { status: 200, schema: 'Decisions', description: 'Decisions and outcomes, newest first.' }, errors: [404],
  }, async (request, _reply, caller) => {
    const caseId = uuidParam(request, 'caseId');
    await services.cases.authorize(caller.principal, caseId, 'case:read', request.id);
    const d = await services.charging.decisionsFor(caseId);
    await services.audit.record({ actorUserId: caller.principal.userId, actorOrganisationId: caller.principal.organisation.id, action: 'charging:read', outcome: 'allowed', entityType: 'case', entityId: caseId, caseId, requestId: request.id, detail: { via: 'api' } });
    return {
      caseId,
      decisions: d.decisions.map((x) => ({ id: x.id, submissionId: x.submission_id, decision: x.decision, decidedAt: iso(x.decided_at), offences: x.offences, outcomeTypeCode: x.outcome_type_code ?? null })),
      policeOutcomes: d.policeOutcomes.map((o) => ({ id: o.id, outcomeTypeCode: o.outcome_type_code, decidedAt: iso(o.decided_at) })),
    };
  });

  // ───────────────────────────── webhooks ─────────────────────────────

  const subscriptionBody = (s: { id: string; url: string; event_types: string[]; created_at: Date; secret?: string }) => ({
    id: s.id, url: s.url, eventTypes: s.event_types, createdAt: iso(s.created_at), ...(s.secret ? { secret: s.secret } : {}),
  });

  op({
    method: 'GET', path: '/api/v1/webhook-subscriptions', operationId: 'listWebhookSubscriptions', tag: 'Webhooks', scope: 'webhooks:manage',
    summary: 'List this client’s webhook subscriptions', success: { status: 200, schema: 'WebhookSubscriptionList', description: 'Active subscriptions.' },
  }, async (_request, _reply, caller) => ({ items: (await webhooks.list(caller)).map(subscriptionBody) }));

  op({
    method: 'POST', path: '/api/v1/webhook-subscriptions', operationId: 'createWebhookSubscription', tag: 'Webhooks', scope: 'webhooks:manage',
    body: 'WebhookSubscriptionInput', idempotent: true,
    summary: 'Subscribe a URL to events', description: 'Events are sent only for cases this client may see. The signing secret is returned once.',
    success: { status: 201, schema: 'WebhookSubscription', description: 'The subscription, with its signing secret.', location: true },
  }, async (request, reply, caller) => write(request, reply, caller, async () => {
    const ct = String(request.headers['content-type'] ?? '');
    if (!/^application\/json\b/i.test(ct)) throw new ApiProblem(415, 'Unsupported Media Type', 'Send the body as application/json.');
    const result = validateForm(responses.WebhookSubscriptionInput, request.body);
    if (!result.ok) throw new ApiProblem(400, 'Validation failed', 'One or more fields are invalid. Nothing was saved.', {}, { errors: result.errors.map((e) => ({ field: e.field, detail: e.text })) });
    const s = await webhooks.subscribe(caller, result.value, request.id);
    return { status: 201, headers: { location: `/api/v1/webhook-subscriptions/${s.id}` }, body: subscriptionBody(s) };
  }));

  op({
    method: 'DELETE', path: '/api/v1/webhook-subscriptions/{subscriptionId}', operationId: 'deleteWebhookSubscription', tag: 'Webhooks', scope: 'webhooks:manage',
    idempotent: true, summary: 'Stop a webhook subscription', success: { status: 204, description: 'Stopped; no more deliveries.' }, errors: [404],
  }, async (request, reply, caller) => write(request, reply, caller, async () => {
    await webhooks.unsubscribe(caller, uuidParam(request, 'subscriptionId'), request.id);
    return { status: 204, headers: {}, body: null };
  }));

  // ───────────────────────────── the spec and its docs ─────────────────────────────

  const spec = () => buildOpenApi(operations, { version: config.version || '1.0.0', today });
  app.get('/api/v1/openapi.json', async (_request, reply) => reply.header('cache-control', 'public, max-age=300').type('application/json').send(spec()));
  app.get('/api/v1/docs', async (_request, reply) => {
    const s = spec();
    const ops = Object.entries(s.paths).flatMap(([path, methods]) => Object.entries(methods).map(([method, o]) => ({ path, method: method.toUpperCase(), ...(o as Record<string, unknown>) })));
    const tags = s.tags.map((t) => ({ ...t, operations: ops.filter((o) => ((o as { tags?: string[] }).tags ?? [])[0] === t.name) }));
    reply.header('cache-control', 'public, max-age=300');
    return reply.type('text/html').render('api/views/docs.njk', { pageTitle: 'Integration API', spec: s, tags, scopes: Object.entries(s.components.securitySchemes.oauth2.flows.clientCredentials.scopes), schemas: Object.entries(s.components.schemas).map(([name, schema]) => ({ name, json: JSON.stringify(schema, null, 2) })) });
  });
}

export { ApiClientService };
