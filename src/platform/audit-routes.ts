import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { Queryable } from '../db/database.ts';
import type { Services } from '../services.ts';
import { requireSignIn } from './auth/routes.ts';
import { forbidden } from './errors.ts';
import { can } from './policy.ts';
import type { FieldError } from './validation.ts';

export const AUDIT_PAGE_SIZE = 50;

/** Query values arrive as a string, an array (a repeated parameter) or nothing; keep the first, trimmed. */
const queryText = (max: number) =>
  z.preprocess((v) => {
    const first = Array.isArray(v) ? v[0] : v;
    return typeof first === 'string' ? first.trim() : '';
  }, z.string().max(max, `Must be ${max} characters or fewer`));

function isRealDate(v: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(v)) return false;
  const [y, m, d] = v.split('-').map(Number) as [number, number, number];
  const date = new Date(Date.UTC(y, m - 1, d));
  return y >= 1900 && date.getUTCFullYear() === y && date.getUTCMonth() === m - 1 && date.getUTCDate() === d;
}

const dateFilter = (label: string) =>
  queryText(10).refine((v) => !v || isRealDate(v), `Enter the ${label} as a real date in the format YYYY-MM-DD, like 2025-01-31`);

const auditQuerySchema = z
  .object({
    user: queryText(100),
    case: queryText(50),
    from: dateFilter('date from'),
    to: dateFilter('date to'),
    action: queryText(100),
  })
  .superRefine((q, ctx) => {
    if (q.from && q.to && isRealDate(q.from) && isRealDate(q.to) && q.to < q.from) {
      ctx.addIssue({ code: 'custom', path: ['to'], message: 'The date to must be the same as or after the date from' });
    }
  });
type AuditQuery = z.infer<typeof auditQuerySchema>;

const pageSchema = z.preprocess((v) => (Array.isArray(v) ? v[0] : v), z.coerce.number().int().min(1).max(1_000_000)).catch(1);

/** Midnight in Europe/London on a YYYY-MM-DD day, as an instant. Clocks change at 01:00 UTC, so midnight is never ambiguous. */
export function londonMidnight(ymd: string): Date {
  const [y, m, d] = ymd.split('-').map(Number) as [number, number, number];
  const utc = Date.UTC(y, m - 1, d);
  const londonHour = Number(new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/London', hour: '2-digit', hourCycle: 'h23' }).format(new Date(utc)));
  return new Date(utc - londonHour * 3_600_000);
}

function nextDay(ymd: string): string {
  const [y, m, d] = ymd.split('-').map(Number) as [number, number, number];
  return new Date(Date.UTC(y, m - 1, d + 1)).toISOString().slice(0, 10);
}

/** Small look-ups the page needs beyond AuditLog.search. */
const auditPageRepository = (db: Queryable) => ({
  async caseIdByReference(reference: string): Promise<string | undefined> {
    return (await db.query<{ id: string }>('SELECT id FROM cases WHERE upper(reference) = upper($1)', [reference]))[0]?.id;
  },
  // A full scan; fine at pilot scale. At national volume, replace with a list of known actions or an index.
  async distinctActions(): Promise<string[]> {
    return (await db.query<{ action: string }>('SELECT DISTINCT action FROM audit_log ORDER BY action')).map((r) => r.action);
  },
  async organisationNames(): Promise<Record<string, string>> {
    const rows = await db.query<{ id: string; name: string }>('SELECT id, name FROM organisations');
    return Object.fromEntries(rows.map((r) => [r.id, r.name]));
  },
});

const OUTCOME_TAGS: Record<string, string> = { allowed: 'govuk-tag--green', denied: 'govuk-tag--red', failed: 'govuk-tag--orange' };

export async function auditRoutes(app: FastifyInstance, { services }: { services: Services }) {
  const repo = auditPageRepository(services.db);

  app.get('/admin/audit', { preHandler: requireSignIn }, async (request, reply) => {
    const principal = request.principal!;
    const actor = { actorUserId: principal.userId, actorOrganisationId: principal.organisation.id, requestId: request.id };
    if (!can(principal, 'audit:read')) {
      await services.audit.record({ ...actor, action: 'audit:read', outcome: 'denied', entityType: 'audit_log', detail: { reason: 'role does not permit audit:read' } });
      throw forbidden();
    }

    const raw = (request.query ?? {}) as Record<string, unknown>;
    const page = pageSchema.parse(raw.page);
    const actions = await repo.distinctActions();
    const parsed = auditQuerySchema.safeParse(raw);
    const errors: FieldError[] = [];
    const addError = (field: string, text: string) => {
      if (!errors.some((e) => e.field === field)) errors.push({ field, text, href: `#${field}` });
    };
    const values: AuditQuery = parsed.success
      ? parsed.data
      : { user: '', case: '', from: '', to: '', action: '', ...pick(raw) };
    if (!parsed.success) for (const issue of parsed.error.issues) addError(String(issue.path[0] ?? 'user'), issue.message);

    // Resolve names people type into the ids the log holds.
    let userId: string | undefined;
    let caseId: string | undefined;
    if (parsed.success) {
      const q = parsed.data;
      if (q.user) {
        userId = (await services.identity.findByUsername(q.user))?.id;
        if (!userId) addError('user', 'Enter the username of an existing user');
      }
      if (q.case) {
        caseId = await repo.caseIdByReference(q.case);
        if (!caseId) addError('case', 'Enter the reference of an existing case, like HIW-25-000001');
      }
      if (q.action && !actions.includes(q.action)) addError('action', 'Select an action from the list');
    }

    const base = { pageTitle: 'Audit log', values, actions, pageSize: AUDIT_PAGE_SIZE };
    if (errors.length) {
      // Ordered as the fields are on the page.
      const order = ['user', 'case', 'from', 'to', 'action'];
      errors.sort((a, b) => order.indexOf(a.field) - order.indexOf(b.field));
      await services.audit.record({ ...actor, action: 'audit:read', outcome: 'failed', entityType: 'audit_log', detail: { invalidFields: errors.map((e) => e.field) } });
      return reply.code(400).render('audit/index.njk', { ...base, errors, fieldErrors: Object.fromEntries(errors.map((e) => [e.field, e.text])), rows: [], total: 0 });
    }

    const q = parsed.data!;
    const filter = {
      userId,
      caseId,
      from: q.from ? londonMidnight(q.from) : undefined,
      to: q.to ? londonMidnight(nextDay(q.to)) : undefined,
      action: q.action || undefined,
    };
    // Recorded before the search, so this view is itself the newest row on the page.
    await services.audit.record({
      ...actor, action: 'audit:read', outcome: 'allowed', entityType: 'audit_log',
      detail: { filter: { userId: userId ?? null, caseId: caseId ?? null, from: q.from || null, to: q.to || null, action: q.action || null }, page },
    });
    let { total, rows } = await services.audit.search(filter, page, AUDIT_PAGE_SIZE);
    const pages = Math.max(1, Math.ceil(total / AUDIT_PAGE_SIZE));
    let current = page;
    if (page > pages) {
      current = pages;
      ({ total, rows } = await services.audit.search(filter, current, AUDIT_PAGE_SIZE));
    }
    const filtered = Boolean(q.user || q.case || q.from || q.to || q.action);
    return reply.render('audit/index.njk', {
      ...base, rows, total, page: current, pages, filtered,
      shownFrom: total ? (current - 1) * AUDIT_PAGE_SIZE + 1 : 0, shownTo: Math.min(current * AUDIT_PAGE_SIZE, total),
      organisations: await repo.organisationNames(), outcomeTags: OUTCOME_TAGS,
      pagination: pagination(current, pages, (n) => `/admin/audit${queryString({ ...q, page: n })}`),
      filterHref: (overrides: Record<string, unknown>) => `/admin/audit${queryString(overrides)}`,
    });
  });
}

/** govukPagination parameters: first, last and two either side of the current page (never a loop over every page). */
function pagination(current: number, pages: number, href: (n: number) => string) {
  if (pages <= 1) return undefined;
  const items: ({ number: number; href: string; current: boolean } | { ellipsis: true })[] = [];
  const shown = [...new Set([1, current - 2, current - 1, current, current + 1, current + 2, pages])].filter((n) => n >= 1 && n <= pages).sort((a, b) => a - b);
  let last = 0;
  for (const n of shown) {
    if (n > last + 1) items.push({ ellipsis: true });
    items.push({ number: n, href: href(n), current: n === current });
    last = n;
  }
  return {
    previous: current > 1 ? { href: href(current - 1) } : undefined,
    next: current < pages ? { href: href(current + 1) } : undefined,
    items,
    landmarkLabel: 'Audit log pages',
  };
}

function queryString(values: Record<string, unknown>): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(values)) if (v !== undefined && v !== null && v !== '' && !(k === 'page' && v === 1)) params.set(k, String(v));
  const s = params.toString();
  return s ? `?${s}` : '';
}

/** The submitted filter values, as strings, to show back in the form beside their errors. */
function pick(raw: Record<string, unknown>): Partial<AuditQuery> {
  const out: Record<string, string> = {};
  for (const k of ['user', 'case', 'from', 'to', 'action']) {
    const v = Array.isArray(raw[k]) ? (raw[k] as unknown[])[0] : raw[k];
    if (typeof v === 'string') out[k] = v.slice(0, 200);
  }
  return out;
}
