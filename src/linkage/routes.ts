import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { requireSignIn } from '../platform/auth/routes.ts';
import { notFound } from '../platform/errors.ts';
import { optionalText, requiredText, validateForm, version } from '../platform/validation.ts';
import type { Services } from '../services.ts';
import { APPROACHES, FACILITATIONS, LOCATION_TYPES, type MoRow, moSchema, TIMES_OF_DAY, VIOLENCE } from './mo.ts';
import { CHECK_BUDGET_MS, PAGE_SIZE } from './service.ts';

type Params = { caseId: string; matchId?: string; requestId?: string };
type Req = FastifyRequest<{ Params: Params }>;
const V = (name: string) => `linkage/views/${name}.njk`;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

const linksQuery = z.object({
  decision: z.enum(['all', 'undecided', 'confirmed', 'rejected']).catch('all'),
  sort: z.enum(['probability', 'year']).catch('probability'),
  page: z.coerce.number().int().min(1).max(10000).catch(1),
});
const requestsQuery = z.object({
  status: z.enum(['pending', 'approved', 'refused', 'all']).catch('pending'),
  page: z.coerce.number().int().min(1).max(10000).catch(1),
});
const pageQuery = z.object({ page: z.coerce.number().int().min(1).max(10000).catch(1) });

const decisionSchema = z.object({
  decision: z.enum(['confirmed', 'rejected'], { message: 'Select whether this is the same person' }),
  note: optionalText(1000),
  version,
});
const sharingRequestSchema = z.object({
  reason: requiredText('Enter why you need to see this case', 1000),
});
const sharingDecisionSchema = z.object({
  decision: z.enum(['approved', 'refused'], { message: 'Select whether to share the case' }),
  reason: requiredText('Enter the reason for your decision', 1000),
  version,
});

const DONE: Record<string, string> = {
  confirmed: 'Link confirmed. Your decision is recorded and will refine the model at its next fit.',
  rejected: 'Link rejected. It will not be raised again for this suspect.',
  requested: 'Request sent. The force holding the case will see it in their sharing requests.',
  approved: 'Request approved. The requesting force can now see the case details.',
  refused: 'Request refused. The requesting force will see your reason.',
  mo: 'Offence features saved.',
};

function qs(base: Record<string, unknown>) {
  return (over: Record<string, unknown>) => {
    const p = new URLSearchParams();
    for (const [k, v] of Object.entries({ ...base, ...over })) if (v !== undefined && v !== '' && v !== null) p.set(k, String(v));
    return `?${p.toString()}`;
  };
}

export async function linkageRoutes(app: FastifyInstance, { services }: { services: Services }) {
  const linkage = services.linkage;
  app.addHook('preHandler', requireSignIn);

  const caseParam = (request: Req) => {
    if (!UUID.test(request.params.caseId) || (request.params.matchId !== undefined && !UUID.test(request.params.matchId))) throw notFound();
    return request.params.caseId;
  };
  const done = (request: FastifyRequest) => DONE[(request.query as { done?: string }).done ?? ''];

  // The alert page: every proposed link for the case's suspects
  app.get<{ Params: Params }>('/cases/:caseId/linkage', async (request, reply) => {
    const caseId = caseParam(request);
    const query = linksQuery.parse(request.query ?? {});
    const data = await linkage.caseLinks(request.principal!, caseId, query, request.id);
    return reply.render(V('links'), { pageTitle: `Possible links for case ${data.case.reference}`, ...data, query, pageSize: PAGE_SIZE, budgetMs: CHECK_BUDGET_MS, queryString: qs(query), done: done(request) });
  });

  const linkPage = async (request: Req, reply: FastifyReply, extra: Record<string, unknown> = {}, status = 200) => {
    const data = await linkage.link(request.principal!, caseParam(request), request.params.matchId!, request.id);
    return reply.code(status).render(V('link'), { pageTitle: `Possible link for suspect ${data.link.suspectLabel}`, ...data, done: done(request), ...extra });
  };
  app.get<{ Params: Params }>('/cases/:caseId/linkage/:matchId', (request, reply) => linkPage(request, reply));

  app.post<{ Params: Params }>('/cases/:caseId/linkage/:matchId/decision', async (request, reply) => {
    const caseId = caseParam(request);
    const form = validateForm(decisionSchema, request.body);
    if (!form.ok) return linkPage(request, reply, { errors: form.errors, fieldErrors: form.byField, values: request.body }, 400);
    await linkage.recordDecision(request.principal!, caseId, request.params.matchId!, form.value, request.id);
    return reply.redirect(`/cases/${caseId}/linkage/${request.params.matchId}?done=${form.value.decision}`, 303);
  });

  const sharePage = async (request: Req, reply: FastifyReply, extra: Record<string, unknown> = {}, status = 200) => {
    const data = await linkage.link(request.principal!, caseParam(request), request.params.matchId!, request.id);
    if (!data.can.requestSharing) return reply.redirect(`/cases/${data.case.id}/linkage/${data.link.id}`, 303);
    return reply.code(status).render(V('share'), { pageTitle: 'Ask to see this case', ...data, ...extra });
  };
  app.get<{ Params: Params }>('/cases/:caseId/linkage/:matchId/share', (request, reply) => sharePage(request, reply));
  app.post<{ Params: Params }>('/cases/:caseId/linkage/:matchId/share', async (request, reply) => {
    const caseId = caseParam(request);
    const form = validateForm(sharingRequestSchema, request.body);
    if (!form.ok) return sharePage(request, reply, { errors: form.errors, fieldErrors: form.byField, values: request.body }, 400);
    await linkage.requestSharing(request.principal!, caseId, request.params.matchId!, form.value, request.id);
    return reply.redirect(`/cases/${caseId}/linkage/${request.params.matchId}?done=requested`, 303);
  });

  // Incoming information-sharing requests (the force holding the case decides)
  app.get('/linkage/sharing-requests', async (request, reply) => {
    const query = requestsQuery.parse(request.query ?? {});
    const data = await linkage.incomingRequests(request.principal!, query, request.id);
    return reply.render(V('requests'), { pageTitle: 'Sharing requests', ...data, query, queryString: qs(query), done: done(request) });
  });
  const requestPage = async (request: FastifyRequest<{ Params: { requestId: string } }>, reply: FastifyReply, extra: Record<string, unknown> = {}, status = 200) => {
    const data = await linkage.incomingRequest(request.principal!, request.params.requestId, request.id);
    return reply.code(status).render(V('request'), { pageTitle: `Request from ${data.request.requesting_force_name}`, ...data, ...extra });
  };
  app.get<{ Params: { requestId: string } }>('/linkage/sharing-requests/:requestId', (request, reply) => requestPage(request, reply));
  app.post<{ Params: { requestId: string } }>('/linkage/sharing-requests/:requestId', async (request, reply) => {
    const form = validateForm(sharingDecisionSchema, request.body);
    if (!form.ok) return requestPage(request, reply, { errors: form.errors, fieldErrors: form.byField, values: request.body }, 400);
    await linkage.decideRequest(request.principal!, request.params.requestId, form.value, request.id);
    return reply.redirect(`/linkage/sharing-requests?status=all&done=${form.value.decision}`, 303);
  });

  // Behavioural similarity: the offence's MO features, and possible series
  const moValues = (mo: MoRow | null) => (mo ? {
    approach: mo.approach, facilitation: mo.facilitation, victimIncapacitated: mo.victim_incapacitated === null ? 'unknown' : mo.victim_incapacitated ? 'yes' : 'no',
    locationType: mo.location_type ?? '', timeOfDay: mo.time_of_day ?? '', violence: mo.violence, escortHome: mo.escort_home === null ? 'unknown' : mo.escort_home ? 'yes' : 'no', version: mo.version,
  } : {});
  const moOptions = { approaches: APPROACHES, facilitations: FACILITATIONS, locationTypes: LOCATION_TYPES, timesOfDay: TIMES_OF_DAY, violence: VIOLENCE };
  app.get<{ Params: Params }>('/cases/:caseId/mo', async (request, reply) => {
    const data = await linkage.moForEdit(request.principal!, caseParam(request), request.id);
    return reply.render(V('mo-form'), { pageTitle: 'Offence features', case: data.case, values: moValues(data.mo), ...moOptions });
  });
  app.post<{ Params: Params }>('/cases/:caseId/mo', async (request, reply) => {
    const caseId = caseParam(request);
    const body = (request.body ?? {}) as Record<string, unknown>;
    const form = validateForm(moSchema.extend({ version: z.coerce.number().int().positive().optional().catch(undefined) }), body);
    if (!form.ok) {
      const data = await linkage.moForEdit(request.principal!, caseId, request.id);
      return reply.code(400).render(V('mo-form'), { pageTitle: 'Offence features', case: data.case, values: body, errors: form.errors, fieldErrors: form.byField, ...moOptions });
    }
    await linkage.saveMo(request.principal!, caseId, form.value, request.id);
    return reply.redirect(`/cases/${caseId}/series?done=mo`, 303);
  });
  app.get<{ Params: Params }>('/cases/:caseId/series', async (request, reply) => {
    const caseId = caseParam(request);
    const query = pageQuery.parse(request.query ?? {});
    const data = await linkage.series(request.principal!, caseId, query, request.id);
    return reply.render(V('series'), { pageTitle: `Possible series for case ${data.case.reference}`, ...data, query, queryString: qs(query), done: done(request) });
  });
}
