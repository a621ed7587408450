import { z } from 'zod';
import { SCOPES, SCOPE_LABELS, TOKEN_TTL_SECONDS } from './clients.ts';
import { DATE_FIELDS, requestBodies, responses } from './schemas.ts';
import { EVENT_ID_HEADER, SIGNATURE_HEADER, SIGNATURE_TOLERANCE_SECONDS, TIMESTAMP_HEADER } from './webhooks.ts';

/** One API operation as the route table declares it; the OpenAPI document is generated from this table. */
export interface OperationSpec {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** OpenAPI path, e.g. /api/v1/cases/{caseId} */
  path: string;
  operationId: string;
  summary: string;
  description?: string;
  tag: 'Authentication' | 'Cases' | 'People' | 'Early Advice' | 'Charging' | 'Webhooks';
  scope?: (typeof SCOPES)[number];
  /** Name of a schema in requestBodies() or responses */
  body?: string;
  success: { status: number; schema?: string; description: string; etag?: boolean; location?: boolean };
  query?: { name: string; description: string; schema: Record<string, unknown> }[];
  idempotent?: boolean;
  ifMatch?: boolean;
  errors: number[];
}

const STATUS_TEXT: Record<number, string> = {
  400: 'The request is malformed or a field is invalid (field errors in `errors`). Nothing was written.',
  401: 'No valid bearer token (or, at the token endpoint, the client could not be authenticated).',
  403: 'The token lacks the scope, or the client’s organisation and role do not permit this on the case.',
  404: 'No such resource, or none this client may see (existence is not revealed across organisations).',
  409: 'Not possible at this stage of the case, or a request with this Idempotency-Key is still in progress.',
  412: 'If-Match does not match the current ETag: someone else changed the record. Read it again.',
  415: 'The body must be application/json.',
  422: 'This Idempotency-Key was already used with a different request.',
  428: 'If-Match is required to update this resource.',
  429: 'Too many requests for this client this minute. Wait for Retry-After seconds.',
};

/** zod → JSON Schema (2020-12, which OpenAPI 3.1 uses) for the request side, with date parts described as dates. */
function schemaOf(name: string, schema: z.ZodType, io: 'input' | 'output'): Record<string, unknown> {
  const json = z.toJSONSchema(schema, { io, unrepresentable: 'any', target: 'draft-2020-12' }) as Record<string, unknown>;
  delete json.$schema;
  const props = json.properties as Record<string, Record<string, unknown>> | undefined;
  for (const field of DATE_FIELDS[name] ?? []) {
    if (props?.[field]) props[field] = { anyOf: [{ type: 'string', format: 'date', examples: ['2025-02-10'] }, props[field]], description: 'A date as YYYY-MM-DD, or the form’s day, month and year.' };
  }
  return json;
}

export function buildOpenApi(operations: OperationSpec[], opts: { version: string; today: () => Date }) {
  const bodies = requestBodies(opts.today);
  const schemas: Record<string, unknown> = {};
  for (const [name, s] of Object.entries(bodies)) schemas[name] = schemaOf(name, s as z.ZodType, 'input');
  for (const [name, s] of Object.entries(responses)) schemas[name] = schemaOf(name, s as z.ZodType, name.endsWith('Input') || name.endsWith('Request') ? 'input' : 'output');
  const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
  const problem = (status: number) => ({ description: STATUS_TEXT[status] ?? 'Error', content: { 'application/problem+json': { schema: ref('Problem') } } });

  const paths: Record<string, Record<string, unknown>> = {};
  for (const op of operations) {
    const params: unknown[] = [...op.path.matchAll(/\{(\w+)\}/g)].map((m) => ({ name: m[1], in: 'path', required: true, schema: { type: 'string', format: 'uuid' } }));
    for (const q of op.query ?? []) params.push({ name: q.name, in: 'query', required: false, description: q.description, schema: q.schema });
    if (op.idempotent) params.push({ name: 'Idempotency-Key', in: 'header', required: false, description: 'Makes a retry safe: the same key and body return the stored response and write nothing more.', schema: { type: 'string', minLength: 8, maxLength: 200 } });
    if (op.ifMatch) params.push({ name: 'If-Match', in: 'header', required: true, description: 'The ETag from your last read of the resource.', schema: { type: 'string' } });
    const headers: Record<string, unknown> = {};
    if (op.success.etag) headers.ETag = { description: 'Version of the resource, for If-Match.', schema: { type: 'string' } };
    if (op.success.location) headers.Location = { description: 'Where the new resource is.', schema: { type: 'string' } };
    const success: Record<string, unknown> = { description: op.success.description };
    if (Object.keys(headers).length) success.headers = headers;
    if (op.success.schema) success.content = { 'application/json': { schema: ref(op.success.schema) } };
    const responsesOut: Record<string, unknown> = { [String(op.success.status)]: success };
    for (const s of op.errors) responsesOut[String(s)] = problem(s);
    const operation: Record<string, unknown> = {
      operationId: op.operationId, summary: op.summary, tags: [op.tag], responses: responsesOut,
      security: op.scope ? [{ oauth2: [op.scope] }] : [],
    };
    if (op.description) operation.description = op.description;
    if (params.length) operation.parameters = params;
    if (op.body) {
      operation.requestBody = op.path.endsWith('/oauth/token')
        ? { required: true, content: { 'application/x-www-form-urlencoded': { schema: ref(op.body) }, 'application/json': { schema: ref(op.body) } } }
        : { required: true, content: { 'application/json': { schema: ref(op.body) } } };
    }
    (paths[op.path] ??= {})[op.method.toLowerCase()] = operation;
  }

  return {
    openapi: '3.1.0',
    info: {
      title: 'Tandem integration API',
      version: opts.version,
      summary: 'For police and CPS case management systems: cases, people, Early Advice, charging files and decisions.',
      description: [
        'Machine clients authenticate with the OAuth 2.0 client credentials grant and call the API with the bearer token.',
        `Tokens last ${TOKEN_TTL_SECONDS / 60} minutes and are scoped to the client’s organisation: a force’s client sees only what that force may see.`,
        'Every write accepts an `Idempotency-Key`. Editable resources carry an `ETag`; send it back in `If-Match` to update.',
        'Errors are RFC 9457 problem details (`application/problem+json`). Victim identity is never returned and never sent in webhooks.',
        '',
        `Webhooks: each delivery is a POST of a WebhookEvent with headers \`${EVENT_ID_HEADER}\` (the event id, the same on retries: drop repeats),`,
        `\`${TIMESTAMP_HEADER}\` (Unix seconds) and \`${SIGNATURE_HEADER}\` = \`v1=\` + hex HMAC-SHA256 of \`<timestamp>.<raw body>\` with the subscription secret.`,
        `Refuse deliveries older than ${SIGNATURE_TOLERANCE_SECONDS} seconds. Failed deliveries are retried with exponential backoff (at least once).`,
      ].join('\n'),
      license: { name: 'MIT', identifier: 'MIT' },
      contact: { name: 'Tandem service team' },
    },
    servers: [{ url: '/', description: 'This Tandem server' }],
    security: [],
    tags: [
      { name: 'Authentication', description: 'OAuth 2.0 client credentials.' },
      { name: 'Cases', description: 'The joint case file.' },
      { name: 'People', description: 'Victims, suspects and witnesses on a case.' },
      { name: 'Early Advice', description: 'Requests for Early Advice from the CPS RASSO unit.' },
      { name: 'Charging', description: 'Full files for a charging decision, and the decisions.' },
      { name: 'Webhooks', description: 'Events out, signed with HMAC-SHA256.' },
    ],
    paths,
    webhooks: {
      caseEvent: {
        post: {
          operationId: 'receiveCaseEvent', summary: 'An event on a case this client may see', tags: ['Webhooks'],
          parameters: [
            { name: EVENT_ID_HEADER, in: 'header', required: true, schema: { type: 'string', format: 'uuid' } },
            { name: TIMESTAMP_HEADER, in: 'header', required: true, schema: { type: 'string' } },
            { name: SIGNATURE_HEADER, in: 'header', required: true, schema: { type: 'string' } },
          ],
          requestBody: { required: true, content: { 'application/json': { schema: ref('WebhookEvent') } } },
          responses: { '200': { description: 'Any 2xx acknowledges the delivery.' }, '400': { description: 'Refused (bad signature): the delivery is retried.' } },
        },
      },
    },
    components: {
      schemas,
      securitySchemes: {
        oauth2: {
          type: 'oauth2', description: 'Client credentials issued by a Tandem administrator.',
          flows: { clientCredentials: { tokenUrl: '/api/v1/oauth/token', scopes: SCOPE_LABELS } },
        },
      },
    },
  };
}
