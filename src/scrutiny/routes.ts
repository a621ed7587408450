import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { requireSignIn } from '../platform/auth/routes.ts';
import { HttpError } from '../platform/errors.ts';
import { nestDates, validateForm, version as versionField } from '../platform/validation.ts';
import type { Services } from '../services.ts';
import { z } from 'zod';
import { PRIORITIES, PRIORITY_LABELS, requestSchema, TARGET_WORKING_DAYS } from '../early-advice/schemas.ts';
import { learningChart, learningCsv, learningTable } from './learning.ts';
import {
  findingSchema, joimActionSchema, joimSchema, meetingSchema, memberSchema, panelSchema, RECOMMENDATION_KIND_LABELS, RECOMMENDATION_KINDS,
  RECOMMENDATION_STATUS_LABELS, RECOMMENDATION_STATUSES, recommendationSchema, recommendationStatusSchema, SELECTION_THEME_LABELS, SELECTION_THEMES,
  selectionSchema, THEME_LABELS, THEMES,
} from './schemas.ts';

const V = (name: string) => `scrutiny/views/${name}.njk`;
type P = { panelId?: string; selectionId?: string; packId?: string; recId?: string; joimId?: string; actionId?: string };
type Req = FastifyRequest<{ Params: P }>;

const LABELS = { theme: THEME_LABELS, selectionTheme: SELECTION_THEME_LABELS, recKind: RECOMMENDATION_KIND_LABELS, recStatus: RECOMMENDATION_STATUS_LABELS, side: { police: 'Police', cps: 'CPS', external: 'Community member' } };
const DONE: Record<string, string> = {
  created: 'Panel set up. Add its police, CPS and community members.', member: 'Member added to the panel.', selected: 'Cases selected. Generate the redacted packs, check each one and release it.',
  generated: 'Redacted packs generated. Check each pack and release it to the panel.', released: 'Pack released. Panel members can now open it.',
  finding: 'Finding recorded.', recommendation: 'Recommendation recorded. The owner has been told.', status: 'Recommendation updated.', meeting: 'Meeting recorded.',
  joim: 'Meeting recorded.', action: 'Action added.', 'action-done': 'Action marked as done.',
};

const body = (request: { body?: unknown }) => (request.body ?? {}) as Record<string, unknown>;
const done = (request: { query?: unknown }) => DONE[(request.query as { done?: string } | undefined)?.done ?? ''];
const invalid = (reply: FastifyReply, template: string, data: Record<string, unknown>, form: { errors: unknown[]; byField: Record<string, string> }) =>
  reply.code(400).render(template, { ...data, errors: form.errors, fieldErrors: form.byField });

/** Scrutiny panels, redacted packs, findings, recommendations, learning across panels, and JOIMs. */
export async function scrutinyRoutes(app: FastifyInstance, { services }: { services: Services }) {
  const s = services.scrutiny;
  const j = services.joims;
  app.addHook('preHandler', async (request, reply) => {
    const url = request.url;
    if (url === '/scrutiny' || url.startsWith('/scrutiny/') || url.startsWith('/scrutiny?') || url === '/joims' || url.startsWith('/joims/') || url.startsWith('/joims?')) return requireSignIn(request, reply);
  });

  // ------------------------------------------------------------------------------------------------ panels
  app.get('/scrutiny', async (request, reply) => reply.render(V('index'), { pageTitle: 'Scrutiny panels', ...(await s.list(request.principal!, request.id)), labels: LABELS, done: done(request) }));

  const panelForm = async (request: FastifyRequest) => ({ pageTitle: 'Set up a scrutiny panel', pairs: await s.pairsFor(request.principal!) });
  app.get('/scrutiny/panels/new', async (request, reply) => {
    await s.requireRole(request.principal!, 'scrutiny:coordinate', request.id);
    const data = await panelForm(request);
    const first = data.pairs[0];
    return reply.render(V('panel-form'), { ...data, values: { pair: first ? `${first.forceId}|${first.cpsAreaId}` : '', name: first ? `${first.forceName} and CPS ${first.areaName} joint rape scrutiny panel` : '' } });
  });
  app.post('/scrutiny/panels', async (request, reply) => {
    await s.requireRole(request.principal!, 'scrutiny:coordinate', request.id);
    const b = body(request);
    const [forceId, cpsAreaId] = String(b.pair ?? '').split('|');
    const form = validateForm(panelSchema, { name: b.name, forceId, cpsAreaId });
    if (!form.ok) return invalid(reply, V('panel-form'), { ...(await panelForm(request)), values: b }, form);
    const id = await s.createPanel(request.principal!, form.value, request.id);
    return reply.code(303).redirect(`/scrutiny/panels/${id}?done=created`);
  });

  const panelPage = async (request: Req, extra: Record<string, unknown> = {}) => {
    const view = await s.overview(request.principal!, request.params.panelId!, request.id);
    return { pageTitle: view.panel.name, ...view, labels: LABELS, done: done(request), ...extra };
  };
  app.get<{ Params: P }>('/scrutiny/panels/:panelId', async (request, reply) => reply.render(V('panel'), await panelPage(request)));
  app.post<{ Params: P }>('/scrutiny/panels/:panelId/members', async (request, reply) => {
    const form = validateForm(memberSchema, body(request));
    if (!form.ok) return invalid(reply, V('panel'), await panelPage(request), form);
    await s.addMember(request.principal!, request.params.panelId!, form.value.userId, request.id);
    return reply.code(303).redirect(`/scrutiny/panels/${request.params.panelId}?done=member`);
  });

  // ------------------------------------------------------------------------------------------------ selection
  const selectionForm = async (request: Req) => {
    const { panel } = await s.panelFor(request.principal!, request.params.panelId!, 'panel:coordinate', request.id);
    return { pageTitle: 'Select cases for the panel', panel, themes: SELECTION_THEMES, labels: LABELS };
  };
  app.get<{ Params: P }>('/scrutiny/panels/:panelId/selections/new', async (request, reply) =>
    reply.render(V('selection-form'), { ...(await selectionForm(request)), values: { randomSize: '5', vulnerable: '0', no_ea: '0', outcome_16: '0', long_investigation: '0', longDays: '365' } }));
  app.post<{ Params: P }>('/scrutiny/panels/:panelId/selections', async (request, reply) => {
    const data = await selectionForm(request);
    const form = validateForm(selectionSchema, nestDates(body(request), ['periodFrom', 'periodTo']));
    if (!form.ok) return invalid(reply, V('selection-form'), { ...data, values: body(request) }, form);
    const { id } = await s.select(request.principal!, request.params.panelId!, form.value, request.id);
    return reply.code(303).redirect(`/scrutiny/selections/${id}?done=selected`);
  });
  app.get<{ Params: P }>('/scrutiny/selections/:selectionId', async (request, reply) => {
    const view = await s.selection(request.principal!, request.params.selectionId!, request.id);
    return reply.render(V('selection'), { pageTitle: 'Selected cases', ...view, labels: LABELS, done: done(request) });
  });
  app.post<{ Params: P }>('/scrutiny/selections/:selectionId/packs', async (request, reply) => {
    await s.generatePacks(request.principal!, request.params.selectionId!, request.id);
    return reply.code(303).redirect(`/scrutiny/selections/${request.params.selectionId}?done=generated`);
  });

  // ------------------------------------------------------------------------------------------------ packs
  const packPage = async (request: Req, extra: Record<string, unknown> = {}) => {
    const view = await s.pack(request.principal!, request.params.packId!, request.id);
    return { pageTitle: `Case pack ${view.pack.number}`, ...view, themes: THEMES, kinds: RECOMMENDATION_KINDS, statuses: RECOMMENDATION_STATUSES, labels: LABELS, done: done(request), values: {}, ...extra };
  };
  app.get<{ Params: P }>('/scrutiny/packs/:packId', async (request, reply) => reply.render(V('pack'), await packPage(request)));
  app.post<{ Params: P }>('/scrutiny/packs/:packId/release', async (request, reply) => {
    const form = validateForm(z.object({ version: versionField }), body(request));
    if (!form.ok) return invalid(reply, V('pack'), await packPage(request), form);
    await s.release(request.principal!, request.params.packId!, form.value.version, request.id);
    return reply.code(303).redirect(`/scrutiny/packs/${request.params.packId}?done=released`);
  });
  app.post<{ Params: P }>('/scrutiny/packs/:packId/findings', async (request, reply) => {
    const form = validateForm(findingSchema, body(request));
    if (!form.ok) return invalid(reply, V('pack'), await packPage(request, { values: body(request), form: 'finding' }), form);
    await s.recordFinding(request.principal!, request.params.packId!, form.value, request.id);
    return reply.code(303).redirect(`/scrutiny/packs/${request.params.packId}?done=finding`);
  });
  app.post<{ Params: P }>('/scrutiny/packs/:packId/recommendations', async (request, reply) => {
    const form = validateForm(recommendationSchema, nestDates(body(request), ['dueOn']));
    if (!form.ok) return invalid(reply, V('pack'), await packPage(request, { values: body(request), form: 'recommendation' }), form);
    await s.recordRecommendation(request.principal!, request.params.packId!, form.value, request.id);
    return reply.code(303).redirect(`/scrutiny/packs/${request.params.packId}?done=recommendation`);
  });
  app.post<{ Params: P }>('/scrutiny/recommendations/:recId/status', async (request, reply) => {
    // Who may update comes before what they sent: someone without access learns nothing from validation messages.
    await s.recommendationForUpdate(request.principal!, request.params.recId!, request.id);
    const form = validateForm(recommendationStatusSchema, body(request));
    if (!form.ok) throw new HttpError(400, 'Select the status', 'Go back and select the status of the recommendation. Nothing has been saved.');
    const rec = await s.updateRecommendation(request.principal!, request.params.recId!, form.value, request.id);
    return reply.code(303).redirect(`/scrutiny/packs/${rec.pack_id}?done=status`);
  });

  // Re-open from a recommendation: the Early Advice request form, sent through the Early Advice service.
  const reopenPage = async (request: Req) => {
    const { rec, ctx } = await s.reopenContext(request.principal!, request.params.recId!, request.id);
    return {
      pageTitle: `Re-open case ${ctx.case.reference} and request Early Advice`, rec, ...ctx,
      priorities: PRIORITIES.map((p) => ({ value: p, text: PRIORITY_LABELS[p], hint: `Response due by the end of ${TARGET_WORKING_DAYS[p]} working days (${ctx.targets[p]})` })),
    };
  };
  app.get<{ Params: P }>('/scrutiny/recommendations/:recId/reopen', async (request, reply) => {
    const data = await reopenPage(request);
    return reply.render(V('reopen'), { ...data, values: { priority: 'standard', questions: `The joint scrutiny panel recommended re-opening this case and seeking Early Advice: ${data.rec.text}` } });
  });
  app.post<{ Params: P }>('/scrutiny/recommendations/:recId/reopen', async (request, reply) => {
    const data = await reopenPage(request);
    const form = validateForm(requestSchema, body(request));
    if (!form.ok) return invalid(reply, V('reopen'), { ...data, values: body(request) }, form);
    const { caseId } = await s.reopen(request.principal!, request.params.recId!, form.value, request.id);
    return reply.code(303).redirect(`/cases/${caseId}/early-advice?done=requested`);
  });

  // ------------------------------------------------------------------------------------------------ meetings
  const meetingForm = async (request: Req) => {
    const view = await s.overview(request.principal!, request.params.panelId!, request.id);
    if (!view.coordinator) throw new HttpError(403, 'You do not have access to this page', 'Only the panel’s coordinators record meetings.');
    return { pageTitle: 'Record a panel meeting', ...view, labels: LABELS };
  };
  app.get<{ Params: P }>('/scrutiny/panels/:panelId/meetings/new', async (request, reply) => reply.render(V('meeting-form'), { ...(await meetingForm(request)), values: {} }));
  app.post<{ Params: P }>('/scrutiny/panels/:panelId/meetings', async (request, reply) => {
    const form = validateForm(meetingSchema, nestDates(body(request), ['heldOn']));
    if (!form.ok) return invalid(reply, V('meeting-form'), { ...(await meetingForm(request)), values: body(request) }, form);
    await s.recordMeeting(request.principal!, request.params.panelId!, form.value, request.id);
    return reply.code(303).redirect(`/scrutiny/panels/${request.params.panelId}?done=meeting`);
  });

  // ------------------------------------------------------------------------------------------------ learning
  app.get('/scrutiny/learning', async (request, reply) => {
    const rows = await s.learning(request.principal!, request.id);
    return reply.render(V('learning'), { pageTitle: 'Learning across scrutiny panels', table: learningTable(rows), chart: learningChart(rows), labels: LABELS });
  });
  app.get('/scrutiny/learning.csv', async (request, reply) => {
    const rows = await s.learning(request.principal!, request.id);
    return reply.type('text/csv; charset=utf-8').header('content-disposition', 'attachment; filename="scrutiny-themes.csv"').send(learningCsv(rows));
  });

  // ------------------------------------------------------------------------------------------------ JOIMs
  app.get('/joims', async (request, reply) => {
    const page = Number((request.query as { page?: string }).page ?? 1) || 1;
    return reply.render(V('joims'), { pageTitle: 'Joint operational improvement meetings', ...(await j.list(request.principal!, { page }, request.id)), done: done(request) });
  });
  const joimForm = async (request: FastifyRequest) => {
    await j.list(request.principal!, {}, request.id);
    return { pageTitle: 'Record a JOIM', counterparts: await j.counterparts(request.principal!) };
  };
  app.get('/joims/new', async (request, reply) => reply.render(V('joim-form'), { ...(await joimForm(request)), values: {} }));
  app.post('/joims', async (request, reply) => {
    const form = validateForm(joimSchema, nestDates(body(request), ['heldOn']));
    if (!form.ok) return invalid(reply, V('joim-form'), { ...(await joimForm(request)), values: body(request) }, form);
    const id = await j.create(request.principal!, form.value, request.id);
    return reply.code(303).redirect(`/joims/${id}?done=joim`);
  });
  const joimPage = async (request: Req) => ({ pageTitle: 'JOIM', ...(await j.show(request.principal!, request.params.joimId!, request.id)), done: done(request), values: {} });
  app.get<{ Params: P }>('/joims/:joimId', async (request, reply) => reply.render(V('joim'), await joimPage(request)));
  app.post<{ Params: P }>('/joims/:joimId/actions', async (request, reply) => {
    const form = validateForm(joimActionSchema, nestDates(body(request), ['dueOn']));
    if (!form.ok) return invalid(reply, V('joim'), { ...(await joimPage(request)), values: body(request) }, form);
    await j.addAction(request.principal!, request.params.joimId!, form.value, request.id);
    return reply.code(303).redirect(`/joims/${request.params.joimId}?done=action`);
  });
  app.post<{ Params: P }>('/joims/:joimId/actions/:actionId/done', async (request, reply) => {
    const form = validateForm(z.object({ version: versionField }), body(request));
    if (!form.ok) throw new HttpError(400, 'Reload the page', 'The form is missing its version. Nothing has been saved.');
    await j.completeAction(request.principal!, request.params.joimId!, request.params.actionId!, form.value.version, request.id);
    return reply.code(303).redirect(`/joims/${request.params.joimId}?done=action-done`);
  });
}
