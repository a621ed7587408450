import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { requireSignIn } from '../platform/auth/routes.ts';
import { nestDates, validateForm } from '../platform/validation.ts';
import type { Services } from '../services.ts';
import { QUEUE_PAGE_SIZE } from './repository.ts';
import {
  ACTION_SLOTS, adviceSchema, allocateSchema, approveSchema, CHANNEL_LABELS, CHANNELS, CONFERENCE_KIND_LABELS, CONFERENCE_KINDS, conferenceSchema,
  LOE_CATEGORIES, LOE_CATEGORY_LABELS, LOE_SLOTS, LOE_STATUS_LABELS, LOE_STATUSES, loeUpdateSchema, PRIORITIES, PRIORITY_LABELS, queueQuerySchema,
  REQUEST_STATUS_LABELS, REQUEST_STATUSES, requestSchema, TARGET_WORKING_DAYS,
} from './schemas.ts';
import { heldAt } from './service.ts';

type Params = { caseId: string; eaId?: string; adviceId?: string; loeId?: string };
type Req = FastifyRequest<{ Params: Params }>;

const V = (name: string) => `early-advice/views/${name}.njk`;

const DONE_MESSAGES: Record<string, string> = {
  requested: 'Early Advice requested. The CPS RASSO unit has been told.',
  allocated: 'Request allocated. The prosecutor has joined the case team.',
  'advice-given': 'Advice recorded and issued to the police, with the conversation.',
  'advice-drafted': 'Advice recorded. The action plan will be issued to the police once a District Crown Prosecutor approves it.',
  approved: 'Action plan approved and issued to the police.',
  'loe-updated': 'Line of enquiry updated.',
  conference: 'Conference recorded and added to the timeline.',
};

const LABELS = {
  priority: PRIORITY_LABELS, requestStatus: REQUEST_STATUS_LABELS, channel: CHANNEL_LABELS, loeCategory: LOE_CATEGORY_LABELS,
  loeStatus: LOE_STATUS_LABELS, conferenceKind: CONFERENCE_KIND_LABELS,
};

const slots = (n: number) => Array.from({ length: n }, (_, i) => i + 1);

/** Checkbox values arrive as a string, an array, or nothing. */
const asList = (v: unknown): string[] => (v === undefined || v === '' ? [] : Array.isArray(v) ? v.map(String) : [String(v)]);

/** Early Advice: requests, triage and allocation, advice with its conversation, lines of enquiry, conferences. */
export async function earlyAdviceRoutes(app: FastifyInstance, { services }: { services: Services }) {
  const ea = services.earlyAdvice;
  const now = () => services.clock.now();
  app.addHook('preHandler', async (request, reply) => {
    const url = request.url;
    if (url === '/early-advice' || url.startsWith('/early-advice/') || url.startsWith('/early-advice?') || url === '/lines-of-enquiry' || url.startsWith('/lines-of-enquiry?')
      || /^\/cases\/[^/]+\/(early-advice|lines-of-enquiry|conferences)(\/|\?|$)/.test(url)) {
      return requireSignIn(request, reply);
    }
  });

  /** Renders a form again with its errors (status 400): bad input changes nothing. */
  const invalid = (reply: FastifyReply, template: string, data: Record<string, unknown>, form: { errors: unknown[]; byField: Record<string, string> }) =>
    reply.code(400).render(template, { ...data, errors: form.errors, fieldErrors: form.byField });
  const body = (request: { body?: unknown }) => (request.body ?? {}) as Record<string, unknown>;
  const done = (request: { query?: unknown }) => {
    const key = (request.query as { done?: string } | undefined)?.done;
    return key ? DONE_MESSAGES[key] : undefined;
  };

  // ------------------------------------------------------------------------------------------ the case's Early Advice page
  const casePage = async (request: Req, extra: Record<string, unknown> = {}) => {
    const view = await ea.overview(request.principal!, request.params.caseId, request.id);
    return { pageTitle: `Early Advice for case ${view.case.reference}`, ...view, labels: LABELS, ...extra };
  };

  app.get<{ Params: Params }>('/cases/:caseId/early-advice', async (request, reply) =>
    reply.render(V('case'), await casePage(request, { done: done(request) })));

  // ------------------------------------------------------------------------------------------ request
  const requestPage = async (request: Req) => {
    const ctx = await ea.requestContext(request.principal!, request.params.caseId, request.id);
    return {
      pageTitle: `Request Early Advice for case ${ctx.case.reference}`, ...ctx,
      priorities: PRIORITIES.map((p) => ({ value: p, text: PRIORITY_LABELS[p], hint: `Response due by the end of ${TARGET_WORKING_DAYS[p]} working days (${ctx.targets[p]})` })),
    };
  };
  app.get<{ Params: Params }>('/cases/:caseId/early-advice/request', async (request, reply) =>
    reply.render(V('request-form'), { ...(await requestPage(request)), values: { priority: 'standard' } }));
  app.post<{ Params: Params }>('/cases/:caseId/early-advice/request', async (request, reply) => {
    const data = await requestPage(request);
    const form = validateForm(requestSchema, body(request));
    if (!form.ok) return invalid(reply, V('request-form'), { ...data, values: body(request) }, form);
    await ea.request(request.principal!, request.params.caseId, form.value, request.id);
    return reply.redirect(`/cases/${request.params.caseId}/early-advice?done=requested`, 303);
  });

  // ------------------------------------------------------------------------------------------ advice with its conversation
  const advicePage = async (request: Req) => {
    const ctx = await ea.adviceContext(request.principal!, request.params.caseId, request.params.eaId!, request.id);
    return {
      pageTitle: `Give Early Advice on case ${ctx.request.case_reference}`, ...ctx, labels: LABELS, loeSlots: slots(LOE_SLOTS),
      channels: CHANNELS.map((c) => ({ value: c, text: CHANNEL_LABELS[c] })), categories: LOE_CATEGORIES.map((c) => ({ value: c, text: LOE_CATEGORY_LABELS[c] })),
    };
  };
  app.get<{ Params: Params }>('/cases/:caseId/early-advice/:eaId/advice', async (request, reply) => {
    const data = await advicePage(request);
    return reply.render(V('advice-form'), { ...data, values: { version: data.request.version, participants: [] } });
  });
  app.post<{ Params: Params }>('/cases/:caseId/early-advice/:eaId/advice', async (request, reply) => {
    const data = await advicePage(request);
    const raw = body(request);
    const form = validateForm(adviceSchema(now, data.team), nestDates(raw, ['conversationDate']));
    if (!form.ok) return invalid(reply, V('advice-form'), { ...data, values: { ...raw, participants: asList(raw.participants) } }, form);
    const v = form.value;
    const result = await ea.giveAdvice(request.principal!, request.params.caseId, request.params.eaId!, {
      conversation: { heldAt: heldAt(v.conversation.date, v.conversation.time), channel: v.conversation.channel, participantUserIds: v.conversation.participantUserIds, otherParticipants: v.conversation.otherParticipants },
      advice: v.advice, linesOfEnquiry: v.linesOfEnquiry, version: v.version,
    }, request.id);
    return reply.redirect(`/cases/${request.params.caseId}/early-advice?done=${result.status === 'issued' ? 'advice-given' : 'advice-drafted'}`, 303);
  });

  app.post<{ Params: Params }>('/cases/:caseId/early-advice/action-plans/:adviceId/approve', async (request, reply) => {
    const form = validateForm(approveSchema, body(request));
    if (!form.ok) return invalid(reply, V('case'), await casePage(request, { approveValues: body(request) }), form);
    await ea.approveActionPlan(request.principal!, request.params.caseId, request.params.adviceId!, form.value, request.id);
    return reply.redirect(`/cases/${request.params.caseId}/early-advice?done=approved`, 303);
  });

  // ------------------------------------------------------------------------------------------ lines of enquiry
  const loePage = async (request: Req) => {
    const loe = await ea.loeForEdit(request.principal!, request.params.caseId, request.params.loeId!, request.id);
    return { pageTitle: `Update line of enquiry ${loe.number} on case ${loe.case_reference}`, loe, labels: LABELS, statuses: LOE_STATUSES.map((s) => ({ value: s, text: LOE_STATUS_LABELS[s] })) };
  };
  app.get<{ Params: Params }>('/cases/:caseId/lines-of-enquiry/:loeId', async (request, reply) => {
    const data = await loePage(request);
    return reply.render(V('loe-form'), { ...data, values: { status: data.loe.status, note: data.loe.status_note, version: data.loe.version } });
  });
  app.post<{ Params: Params }>('/cases/:caseId/lines-of-enquiry/:loeId', async (request, reply) => {
    const data = await loePage(request);
    const form = validateForm(loeUpdateSchema, body(request));
    if (!form.ok) return invalid(reply, V('loe-form'), { ...data, values: body(request) }, form);
    await ea.updateLoe(request.principal!, request.params.caseId, request.params.loeId!, form.value, request.id);
    return reply.redirect(`/cases/${request.params.caseId}/early-advice?done=loe-updated#lines-of-enquiry`, 303);
  });

  app.get('/lines-of-enquiry', async (request, reply) => {
    const q = z.object({ show: z.enum(['open', 'all']).catch('open') }).parse(request.query ?? {});
    const rows = await ea.myLinesOfEnquiry(request.principal!, q.show === 'all');
    return reply.render(V('my-lines'), { pageTitle: 'Your lines of enquiry', rows, query: q, labels: LABELS });
  });

  // ------------------------------------------------------------------------------------------ conferences
  const conferencePage = async (request: Req) => {
    const ctx = await ea.conferenceContext(request.principal!, request.params.caseId, request.id);
    return {
      pageTitle: `Record a conference on case ${ctx.case.reference}`, ...ctx, actionSlots: slots(ACTION_SLOTS),
      kinds: CONFERENCE_KINDS.map((k) => ({ value: k, text: CONFERENCE_KIND_LABELS[k] })), channels: CHANNELS.map((c) => ({ value: c, text: CHANNEL_LABELS[c] })),
    };
  };
  app.get<{ Params: Params }>('/cases/:caseId/conferences/new', async (request, reply) =>
    reply.render(V('conference-form'), { ...(await conferencePage(request)), values: { participants: [] } }));
  app.post<{ Params: Params }>('/cases/:caseId/conferences', async (request, reply) => {
    const data = await conferencePage(request);
    const raw = body(request);
    const form = validateForm(conferenceSchema(now, data.team), nestDates(raw, ['heldDate']));
    if (!form.ok) return invalid(reply, V('conference-form'), { ...data, values: { ...raw, participants: asList(raw.participants) } }, form);
    const v = form.value;
    await ea.recordConference(request.principal!, request.params.caseId, {
      kind: v.kind, heldAt: heldAt(v.date, v.time), channel: v.channel, participantUserIds: v.participantUserIds, externalAttendees: v.externalAttendees,
      agreedStrategy: v.agreedStrategy, actions: v.actions,
    }, request.id);
    return reply.redirect(`/cases/${request.params.caseId}/early-advice?done=conference#conferences`, 303);
  });

  // ------------------------------------------------------------------------------------------ the unit's queue
  app.get('/early-advice', async (request, reply) => {
    const query = queueQuerySchema.parse(request.query ?? {});
    const { total, rows, canAllocate } = await ea.queue(request.principal!, query, request.id);
    const pages = Math.max(1, Math.ceil(total / QUEUE_PAGE_SIZE));
    return reply.render(V('queue'), {
      pageTitle: 'Early Advice requests', rows, total, query, pages, pageSize: QUEUE_PAGE_SIZE, canAllocate, labels: LABELS, done: done(request),
      shownFrom: total ? (query.page - 1) * QUEUE_PAGE_SIZE + 1 : 0, shownTo: Math.min(query.page * QUEUE_PAGE_SIZE, total),
      statuses: [{ value: 'open', text: 'All open requests' }, ...REQUEST_STATUSES.map((s) => ({ value: s, text: REQUEST_STATUS_LABELS[s] })), { value: 'all', text: 'All requests' }],
      priorities: PRIORITIES.map((p) => ({ value: p, text: PRIORITY_LABELS[p] })),
      queryString: (overrides: Record<string, unknown>) => {
        const params = new URLSearchParams();
        for (const [k, v] of Object.entries({ ...query, ...overrides } as Record<string, unknown>)) if (v !== undefined && v !== '' && v !== null) params.set(k, String(v));
        return `?${params.toString()}`;
      },
    });
  });

  const allocatePage = async (request: Req) => {
    const ctx = await ea.allocationContext(request.principal!, request.params.eaId!, request.id);
    return { pageTitle: `Allocate Early Advice on case ${ctx.request.case_reference}`, ...ctx, labels: LABELS };
  };
  app.get<{ Params: Params }>('/early-advice/requests/:eaId/allocate', async (request, reply) => {
    const data = await allocatePage(request);
    return reply.render(V('allocate'), { ...data, values: { prosecutorId: data.request.allocated_to ?? '', version: data.request.version } });
  });
  app.post<{ Params: Params }>('/early-advice/requests/:eaId/allocate', async (request, reply) => {
    const data = await allocatePage(request);
    const form = validateForm(allocateSchema, body(request));
    if (!form.ok) return invalid(reply, V('allocate'), { ...data, values: body(request) }, form);
    await ea.allocate(request.principal!, request.params.eaId!, form.value, request.id);
    return reply.redirect('/early-advice?done=allocated', 303);
  });
}
