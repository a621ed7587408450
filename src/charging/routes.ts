import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import { assertTransition, canTransition, STAGE_LABELS, STAGE_EVENTS, StageTransitionError, type Stage } from '../cases/stages.ts';
import { requireSignIn } from '../platform/auth/routes.ts';
import { type HttpError, notFound } from '../platform/errors.ts';
import { nestDates, validateForm, type FieldError } from '../platform/validation.ts';
import type { Services } from '../services.ts';
import { ChargingRefusal, COURT_STEP_TARGETS, CPS_ONLY_OUTCOME_CODES, DECISION_STAGE } from './service.ts';
import {
  COURT_STEP_LABELS, courtProgressSchema, DECISION_HINTS, DECISION_LABELS, type Decision, decisionChoiceSchema, decisionSchemas, DECISIONS, fileSchema,
  fileUpdateSchema, MEETING_FORMAT_LABELS, meetingSchema, NFA_DECISIONS, policeOutcomeSchema, REVIEW_LEVEL_LABELS, THRESHOLD_CONDITION_LABELS,
  TIMELINESS_LABELS, VRR_RESULT_LABELS, vrrAcknowledgeSchema, vrrRequestSchema, vrrResultSchema,
} from './schemas.ts';

type Params = { caseId: string; vrrId?: string; decision?: string };
type Req = FastifyRequest<{ Params: Params }>;
type Body = Record<string, unknown>;

const V = (name: string) => `charging/views/${name}.njk`;

const DONE_MESSAGES: Record<string, string> = {
  'file-submitted': 'File submitted to the CPS for a charging decision.',
  'file-updated': 'Charging file updated.',
  meeting: 'Face-to-face meeting recorded.',
  decision: 'Charging decision recorded.',
  'police-outcome': 'Police outcome recorded. The case is closed.',
  'vrr-requested': 'Victims’ Right to Review request recorded.',
  'vrr-acknowledged': 'Acknowledgement recorded.',
  'vrr-result': 'Result of the review recorded.',
  court: 'Court progress recorded.',
};

/** Renders a form again with its errors: bad input (400) or a refused rule (400/409); nothing was written. */
function again(reply: FastifyReply, template: string, data: Record<string, unknown>, errors: FieldError[], byField: Record<string, string>, status = 400) {
  return reply.code(status).render(template, { ...data, errors, fieldErrors: byField });
}

function refusal(err: HttpError & { field?: string }) {
  const field = err.field ?? 'form';
  const text = err.detail ?? err.title;
  return { errors: [{ field, text, href: `#${field}` }], byField: { [field]: text } };
}

/** Runs a change; a ChargingRefusal or an impossible stage change is shown on the form instead of an error page. */
async function attempt(reply: FastifyReply, template: string, data: () => Promise<Record<string, unknown>> | Record<string, unknown>, change: () => Promise<unknown>, done: string) {
  try {
    await change();
  } catch (err) {
    if (err instanceof ChargingRefusal || err instanceof StageTransitionError) {
      const r = refusal(err as HttpError & { field?: string });
      return again(reply, template, await data(), r.errors, r.byField, err.statusCode);
    }
    throw err;
  }
  return reply.redirect(done, 303);
}

/**
 * Refuses an impossible stage change before looking at the form: whatever was entered, it could not be saved, so
 * the stage's reason is the one message worth showing. Returns the reply when refused.
 */
function stageGate(reply: FastifyReply, template: string, data: Record<string, unknown>, from: Stage, to: Stage) {
  try {
    assertTransition(from, to);
    return undefined;
  } catch (err) {
    if (!(err instanceof StageTransitionError)) throw err;
    const r = refusal(err);
    return again(reply, template, data, r.errors, r.byField, err.statusCode);
  }
}

export async function chargingRoutes(app: FastifyInstance, { services }: { services: Services }) {
  const charging = services.charging;
  const today = () => services.clock.now();
  app.addHook('preHandler', requireSignIn);

  const base = '/cases/:caseId/charging';
  const back = (request: Req, done?: string, hash = '') => `/cases/${request.params.caseId}/charging${done ? `?done=${done}` : ''}${hash}`;
  const body = (request: Req) => (request.body ?? {}) as Body;

  // ── the charging page ──
  app.get<{ Params: Params }>(base, async (request, reply) => {
    const view = await charging.page(request.principal!, request.params.caseId, request.id);
    const done = (request.query as { done?: string }).done;
    return reply.render(V('index'), {
      pageTitle: `Charging and outcomes for case ${view.case.reference}`, ...view, done: done ? DONE_MESSAGES[done] : undefined,
      meetingFormatLabels: MEETING_FORMAT_LABELS, timelinessLabels: TIMELINESS_LABELS, thresholdLabels: THRESHOLD_CONDITION_LABELS,
    });
  });

  // ── full file ──
  const fileData = async (request: Req, editing: boolean) => {
    const action = 'charging:submit-file';
    const { case: kase, submission, items } = await charging.openFile(request.principal!, request.params.caseId, action, request.id);
    return { kase, submission, storedItems: items, items: await charging.fileItems(), editing, pageTitle: editing ? `Update the charging file for case ${kase.reference}` : `Submit the full file for case ${kase.reference}` };
  };
  app.get<{ Params: Params }>(`${base}/file`, async (request, reply) => reply.render(V('file-form'), { ...(await fileData(request, false)), values: {} }));
  app.post<{ Params: Params }>(`${base}/file`, async (request, reply) => {
    const data = await fileData(request, false);
    const form = validateForm(fileSchema, body(request));
    if (!form.ok) return again(reply, V('file-form'), { ...data, values: body(request) }, form.errors, form.byField);
    return attempt(reply, V('file-form'), () => ({ ...data, values: body(request) }),
      () => charging.submitFile(request.principal!, request.params.caseId, form.value, request.id), back(request, 'file-submitted'));
  });
  app.get<{ Params: Params }>(`${base}/file/edit`, async (request, reply) => {
    const data = await fileData(request, true);
    if (!data.submission) throw notFound('There is no file awaiting a charging decision on this case.');
    const values = {
      summary: data.submission.summary, missingNote: data.submission.missing_note, version: data.submission.version,
      provided: data.storedItems.filter((i) => i.status === 'provided').map((i) => i.item_code),
      notApplicable: data.storedItems.filter((i) => i.status === 'not_applicable').map((i) => i.item_code),
    };
    return reply.render(V('file-form'), { ...data, values });
  });
  app.post<{ Params: Params }>(`${base}/file/edit`, async (request, reply) => {
    const data = await fileData(request, true);
    const form = validateForm(fileUpdateSchema, body(request));
    if (!form.ok) return again(reply, V('file-form'), { ...data, values: body(request) }, form.errors, form.byField);
    return attempt(reply, V('file-form'), () => ({ ...data, values: body(request) }),
      () => charging.updateFile(request.principal!, request.params.caseId, form.value, request.id), back(request, 'file-updated'));
  });

  // ── face-to-face meeting ──
  const meetingData = async (request: Req) => {
    const { case: kase, submission } = await charging.openFile(request.principal!, request.params.caseId, 'charging:decide', request.id);
    return { kase, submission, formats: MEETING_FORMAT_LABELS, pageTitle: `Record a face-to-face meeting for case ${kase.reference}` };
  };
  app.get<{ Params: Params }>(`${base}/meeting`, async (request, reply) => reply.render(V('meeting-form'), { ...(await meetingData(request)), values: {} }));
  app.post<{ Params: Params }>(`${base}/meeting`, async (request, reply) => {
    const data = await meetingData(request);
    const form = validateForm(meetingSchema(today), nestDates(body(request), ['heldOn']));
    if (!form.ok) return again(reply, V('meeting-form'), { ...data, values: body(request) }, form.errors, form.byField);
    return attempt(reply, V('meeting-form'), () => ({ ...data, values: body(request) }),
      () => charging.recordMeeting(request.principal!, request.params.caseId, form.value, request.id), back(request, 'meeting', '#decision'));
  });

  // ── CPS decision: choose the decision, then give what it needs ──
  const decisionData = async (request: Req, decision?: Decision) => {
    const view = await charging.page(request.principal!, request.params.caseId, request.id);
    await services.cases.authorize(request.principal!, request.params.caseId, 'charging:decide', request.id);
    return {
      kase: view.case, stage: view.stage, stageLabel: view.stageLabel, submission: view.openSubmission, meeting: view.openMeeting,
      decision, decisionLabel: decision ? DECISION_LABELS[decision] : undefined, decisions: DECISIONS.map((d) => ({ value: d, text: DECISION_LABELS[d], hint: DECISION_HINTS[d] })),
      offences: (await services.reference.offences()).filter((o) => o.active), thresholdLabels: THRESHOLD_CONDITION_LABELS,
      isNfa: decision ? NFA_DECISIONS.includes(decision) : false,
      pageTitle: decision ? `${DECISION_LABELS[decision]}: case ${view.case.reference}` : `Record the charging decision for case ${view.case.reference}`,
    };
  };
  app.get<{ Params: Params }>(`${base}/decision`, async (request, reply) => reply.render(V('decision-choose'), { ...(await decisionData(request)), values: {} }));
  app.post<{ Params: Params }>(`${base}/decision`, async (request, reply) => {
    const data = await decisionData(request);
    const form = validateForm(decisionChoiceSchema, body(request));
    if (!form.ok) return again(reply, V('decision-choose'), { ...data, values: body(request) }, form.errors, form.byField);
    return reply.redirect(`/cases/${request.params.caseId}/charging/decision/${form.value.decision}`, 303);
  });
  const decisionParam = (request: Req): Decision => {
    const d = request.params.decision;
    if (!d || !(DECISIONS as readonly string[]).includes(d)) throw notFound();
    return d as Decision;
  };
  app.get<{ Params: Params }>(`${base}/decision/:decision`, async (request, reply) => {
    await services.cases.authorize(request.principal!, request.params.caseId, 'charging:decide', request.id);
    const decision = decisionParam(request);
    const data = await decisionData(request, decision);
    return reply.render(V('decision-form'), { ...data, values: { version: data.submission?.version } });
  });
  app.post<{ Params: Params }>(`${base}/decision/:decision`, async (request, reply) => {
    await services.cases.authorize(request.principal!, request.params.caseId, 'charging:decide', request.id);
    const decision = decisionParam(request);
    const data = await decisionData(request, decision);
    const gate = stageGate(reply, V('decision-form'), { ...data, values: body(request) }, data.stage, DECISION_STAGE[decision]);
    if (gate) return gate;
    const schema = decisionSchemas(today)[decision] as z.ZodType;
    const form = validateForm(schema, nestDates(body(request), ['fullCodeReviewOn', 'responseDue']));
    if (!form.ok) return again(reply, V('decision-form'), { ...data, values: body(request) }, form.errors, form.byField);
    return attempt(reply, V('decision-form'), () => ({ ...data, values: body(request) }),
      () => charging.decide(request.principal!, request.params.caseId, { decision, ...(form.value as object) } as Parameters<typeof charging.decide>[2], request.id),
      back(request, 'decision', '#decision'));
  });

  // ── police outcome ──
  const outcomeData = async (request: Req) => {
    const view = await charging.page(request.principal!, request.params.caseId, request.id);
    await services.cases.authorize(request.principal!, request.params.caseId, 'outcome:record-police', request.id);
    const outcomeTypes = (await services.reference.outcomeTypes()).filter((o) => o.active && !CPS_ONLY_OUTCOME_CODES.includes(o.code));
    return { kase: view.case, stage: view.stage, stageLabel: view.stageLabel, hasEarlyAdvice: view.hasEarlyAdvice, outcomeTypes, possible: canTransition(view.stage, 'nfa_police'), pageTitle: `Record the police outcome for case ${view.case.reference}` };
  };
  app.get<{ Params: Params }>(`${base}/police-outcome`, async (request, reply) => reply.render(V('police-outcome-form'), { ...(await outcomeData(request)), values: {} }));
  app.post<{ Params: Params }>(`${base}/police-outcome`, async (request, reply) => {
    const data = await outcomeData(request);
    const gate = stageGate(reply, V('police-outcome-form'), { ...data, values: body(request) }, data.stage, STAGE_EVENTS.police_outcome);
    if (gate) return gate;
    const form = validateForm(policeOutcomeSchema, body(request));
    if (!form.ok) return again(reply, V('police-outcome-form'), { ...data, values: body(request) }, form.errors, form.byField);
    return attempt(reply, V('police-outcome-form'), () => ({ ...data, values: body(request) }),
      () => charging.recordPoliceOutcome(request.principal!, request.params.caseId, form.value, request.id), back(request, 'police-outcome', '#outcome'));
  });

  // ── Victims' Right to Review ──
  const vrrData = async (request: Req) => {
    const data = await charging.vrrWindows(request.principal!, request.params.caseId, request.id);
    return { kase: data.case, windows: data.windows, today: data.today, pageTitle: `Record a Victims’ Right to Review request for case ${data.case.reference}` };
  };
  app.get<{ Params: Params }>(`${base}/vrr`, async (request, reply) => {
    const data = await vrrData(request);
    return reply.render(V('vrr-request-form'), { ...data, values: data.windows.length === 1 ? { windowId: data.windows[0]!.id } : {} });
  });
  app.post<{ Params: Params }>(`${base}/vrr`, async (request, reply) => {
    const data = await vrrData(request);
    const form = validateForm(vrrRequestSchema(today), nestDates(body(request), ['requestedOn']));
    if (!form.ok) return again(reply, V('vrr-request-form'), { ...data, values: body(request) }, form.errors, form.byField);
    return attempt(reply, V('vrr-request-form'), () => ({ ...data, values: body(request) }),
      () => charging.recordVrrRequest(request.principal!, request.params.caseId, form.value, request.id), back(request, 'vrr-requested', '#vrr'));
  });
  const vrrOne = async (request: Req) => {
    const data = await charging.vrrRequest(request.principal!, request.params.caseId, request.params.vrrId!, request.id);
    return {
      kase: data.case, request: data.request, window: data.window, mayUpdate: data.side === data.request.scheme, today: data.today,
      resultLabels: VRR_RESULT_LABELS, reviewLevelLabels: REVIEW_LEVEL_LABELS, timelinessLabels: TIMELINESS_LABELS,
      pageTitle: `Victims’ Right to Review request for case ${data.case.reference}`,
    };
  };
  app.get<{ Params: Params }>(`${base}/vrr/:vrrId`, async (request, reply) => reply.render(V('vrr-request'), { ...(await vrrOne(request)), values: {} }));
  app.post<{ Params: Params }>(`${base}/vrr/:vrrId/acknowledge`, async (request, reply) => {
    const data = await vrrOne(request);
    const form = validateForm(vrrAcknowledgeSchema(today), nestDates(body(request), ['acknowledgedOn']));
    if (!form.ok) return again(reply, V('vrr-request'), { ...data, values: body(request) }, form.errors, form.byField);
    return attempt(reply, V('vrr-request'), () => ({ ...data, values: body(request) }),
      () => charging.acknowledgeVrr(request.principal!, request.params.caseId, request.params.vrrId!, form.value, request.id), back(request, 'vrr-acknowledged', '#vrr'));
  });
  app.post<{ Params: Params }>(`${base}/vrr/:vrrId/result`, async (request, reply) => {
    const data = await vrrOne(request);
    const form = validateForm(vrrResultSchema(today), nestDates(body(request), ['resultOn']));
    if (!form.ok) return again(reply, V('vrr-request'), { ...data, values: body(request) }, form.errors, form.byField);
    return attempt(reply, V('vrr-request'), () => ({ ...data, values: body(request) }),
      () => charging.recordVrrResult(request.principal!, request.params.caseId, request.params.vrrId!, form.value, request.id), back(request, 'vrr-result', '#vrr'));
  });

  // ── court progress after charge ──
  const courtData = async (request: Req) => {
    const view = await charging.page(request.principal!, request.params.caseId, request.id);
    await services.cases.authorize(request.principal!, request.params.caseId, 'charging:decide', request.id);
    const steps = COURT_STEP_TARGETS.filter(([, to]) => canTransition(view.stage as Stage, to)).map(([s]) => ({ value: s, text: COURT_STEP_LABELS[s] }));
    return { kase: view.case, stage: view.stage, stageLabel: STAGE_LABELS[view.stage as Stage], steps, pageTitle: `Record court progress for case ${view.case.reference}` };
  };
  app.get<{ Params: Params }>(`${base}/court`, async (request, reply) => reply.render(V('court-form'), { ...(await courtData(request)), values: {} }));
  app.post<{ Params: Params }>(`${base}/court`, async (request, reply) => {
    const data = await courtData(request);
    const step = body(request).step;
    if (typeof step === 'string' && step in STAGE_EVENTS) {
      const gate = stageGate(reply, V('court-form'), { ...data, values: body(request) }, data.stage, STAGE_EVENTS[step as keyof typeof STAGE_EVENTS]);
      if (gate) return gate;
    }
    const form = validateForm(courtProgressSchema(today), nestDates(body(request), ['occurredOn']));
    if (!form.ok) return again(reply, V('court-form'), { ...data, values: body(request) }, form.errors, form.byField);
    return attempt(reply, V('court-form'), () => ({ ...data, values: body(request) }),
      () => charging.recordCourtProgress(request.principal!, request.params.caseId, form.value, request.id), back(request, 'court', '#court'));
  });
}
