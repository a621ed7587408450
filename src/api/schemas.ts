import { z } from 'zod';
import { caseSchema, listQuerySchema, STAGES, suspectSchema, victimSchema, witnessSchema } from '../cases/schemas.ts';
import { fileSchema, DECISIONS } from '../charging/schemas.ts';
import { PRIORITIES, requestSchema } from '../early-advice/schemas.ts';
import { SCOPES } from './clients.ts';
import { EVENT_TYPES } from './webhooks.ts';

/**
 * Request bodies are the very schemas the forms validate with (so a rule lives in one place); this file adds only the
 * API's own shapes (responses, tokens, webhooks) and the small translation from JSON to the form shape.
 */
export const requestBodies = (today: () => Date) => ({
  CaseInput: caseSchema(today),
  VictimInput: victimSchema(today),
  SuspectInput: suspectSchema(today),
  WitnessInput: witnessSchema,
  EarlyAdviceRequestInput: requestSchema,
  ChargingSubmissionInput: fileSchema,
});

/** Date fields of each body: JSON clients send "YYYY-MM-DD" (or the form's { day, month, year }). */
export const DATE_FIELDS: Record<string, string[]> = {
  CaseInput: ['offenceDate', 'reportedDate'],
  VictimInput: ['dateOfBirth'],
  SuspectInput: ['dateOfBirth'],
  WitnessInput: [],
  EarlyAdviceRequestInput: [],
  ChargingSubmissionInput: [],
};

/** Fields whose form value is a number typed as text, and yes/no radios: JSON may send a number or a boolean for these. */
const NUMERIC_FIELDS = new Set(['ageAtOffence']);
const YES_NO_FIELDS = new Set(['mayLeaveMessage', 'enhancedRights']);

/**
 * JSON → the form's shape: ISO dates become date parts, a number for a numeric field becomes the string a form would
 * send, and true/false for a yes/no question becomes the radio's value. Nothing else changes (a number where a name
 * belongs stays a number, and is refused), so validation and messages are the forms' own.
 */
export function toFormShape(body: Record<string, unknown>, dateFields: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(body)) {
    out[k] = typeof v === 'number' && NUMERIC_FIELDS.has(k) ? String(v) : typeof v === 'boolean' && YES_NO_FIELDS.has(k) ? (v ? 'yes' : 'no') : v;
  }
  for (const name of dateFields) {
    const v = out[name];
    const iso = typeof v === 'string' ? /^(\d{4})-(\d{2})-(\d{2})$/.exec(v) : null;
    if (iso) out[name] = { year: iso[1], month: String(Number(iso[2])), day: String(Number(iso[3])) };
    else if (v === undefined || v === null || v === '') out[name] = { day: '', month: '', year: '' };
    else if (typeof v === 'string') out[name] = { day: v, month: '', year: '' }; // not a date: the schema says so
    else if (typeof v === 'object' && !Array.isArray(v)) {
      out[name] = Object.fromEntries(Object.entries(v as Record<string, unknown>).map(([p, x]) => [p, typeof x === 'number' && Number.isInteger(x) ? String(x) : x]));
    }
  }
  return out;
}

export const caseListQuery = listQuerySchema;

const isoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/).meta({ format: 'date' });
const uuid = z.uuid();
const caseSummary = z.object({
    id: uuid, reference: z.string(), stage: z.enum(STAGES), forceId: z.string(), cpsAreaId: z.string(), reportedDate: isoDate,
    updatedAt: z.iso.datetime(), version: z.number().int(),
  });
const person = z.object({ id: uuid, label: z.string(), version: z.number().int() });

const webhookSubscription = z.object({
    id: uuid, url: z.string(), eventTypes: z.array(z.enum(EVENT_TYPES)), createdAt: z.iso.datetime(),
    secret: z.string().optional().meta({ description: 'The HMAC-SHA256 signing key. Returned once, when the subscription is created.' }),
  });

export const responses = {
  TokenResponse: z.object({
    access_token: z.string(), token_type: z.literal('Bearer'), expires_in: z.number().int(), scope: z.string(),
  }),
  TokenRequest: z.object({
    grant_type: z.literal('client_credentials'),
    client_id: z.string().optional().meta({ description: 'Or send the client id and secret with HTTP Basic authentication.' }),
    client_secret: z.string().optional(),
    scope: z.string().optional().meta({ description: `Space-separated subset of the client’s scopes: ${SCOPES.join(', ')}` }),
  }),
  Case: z.object({
    id: uuid, reference: z.string(), stage: z.enum(STAGES), forceId: z.string(), cpsAreaId: z.string(),
    offenceDate: isoDate.nullable(), reportedDate: isoDate, summary: z.string(), offences: z.array(z.string()),
    referredAt: z.iso.datetime().nullable(), updatedAt: z.iso.datetime(), version: z.number().int(),
    victims: z.array(person).meta({ description: 'Labels only: victim identity is never returned by the API.' }),
    suspects: z.array(person.extend({ givenName: z.string(), familyName: z.string() })),
    witnesses: z.array(person),
  }),
  CasePage: z.object({
    items: z.array(caseSummary), page: z.number().int(), pageSize: z.number().int(), total: z.number().int(),
    links: z.object({ self: z.string(), next: z.string().nullable(), prev: z.string().nullable() }),
  }),
  Person: person.extend({ caseId: uuid, kind: z.enum(['victim', 'suspect', 'witness']) }),
  EarlyAdviceRequest: z.object({ id: uuid, caseId: uuid, priority: z.enum(PRIORITIES), targetDate: isoDate }),
  ChargingSubmission: z.object({ id: uuid, caseId: uuid, missing: z.array(z.object({ code: z.string(), title: z.string() })) }),
  Decisions: z.object({
    caseId: uuid,
    decisions: z.array(z.object({ id: uuid, submissionId: uuid, decision: z.enum(DECISIONS), decidedAt: z.iso.datetime(), offences: z.array(z.string()), outcomeTypeCode: z.number().int().nullable() })),
    policeOutcomes: z.array(z.object({ id: uuid, outcomeTypeCode: z.number().int(), decidedAt: z.iso.datetime() })),
  }),
  WebhookSubscriptionInput: z.object({
    url: z.url().max(2000),
    eventTypes: z.array(z.enum(EVENT_TYPES)).min(1, 'Choose at least one event type'),
  }),
  WebhookSubscription: webhookSubscription,
  WebhookSubscriptionList: z.object({ items: z.array(webhookSubscription) }),
  Problem: z.object({
    type: z.string(), title: z.string(), status: z.number().int(), detail: z.string().optional(), instance: z.string().optional(),
    errors: z.array(z.object({ field: z.string(), detail: z.string() })).optional().meta({ description: 'Each invalid field, in the order of the form.' }),
    error: z.string().optional().meta({ description: 'OAuth 2.0 error code (token endpoint only, RFC 6749 section 5.2).' }),
    error_description: z.string().optional(),
  }),
  WebhookEvent: z.object({
    id: uuid.meta({ description: 'Event id: the same on every retry, so receivers drop repeats.' }),
    type: z.enum(EVENT_TYPES), occurredAt: z.iso.datetime(),
    data: z.object({ caseId: uuid, caseReference: z.string(), forceId: z.string(), cpsAreaId: z.string() }).catchall(z.unknown()),
  }),
};
