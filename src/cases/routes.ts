import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { requireSignIn } from '../platform/auth/routes.ts';
import { HttpError } from '../platform/errors.ts';
import { nestDates, validateForm, version } from '../platform/validation.ts';
import type { Services } from '../services.ts';
import { PAGE_SIZE } from './repository.ts';
import {
  caseSchema, CONTACT_METHOD_LABELS, listQuerySchema, STAGE_LABELS, STAGES, suspectSchema, TEAM_ROLE_LABELS, TEAM_ROLES,
  teamMemberSchema, timelineNoteSchema, victimSchema, VULNERABILITY_LABELS, witnessSchema,
} from './schemas.ts';

const versionSchema = z.object({ version });

type Params = { caseId: string; victimId?: string; suspectId?: string; witnessId?: string; userId?: string };

const DONE_MESSAGES: Record<string, string> = {
  created: 'Case opened. You are the officer in case.',
  updated: 'Case details saved.',
  'victim-added': 'Victim added.',
  'victim-updated': 'Victim details saved.',
  'suspect-added': 'Suspect recorded.',
  'suspect-updated': 'Suspect details saved.',
  'witness-added': 'Witness added.',
  'witness-updated': 'Witness details saved.',
  'team-updated': 'Case team updated.',
  'note-added': 'Added to the timeline.',
};

/** Turns a date stored as 'YYYY-MM-DD' into the three GOV.UK date input values. */
function dateValues(name: string, iso: string | null | undefined): Record<string, string> {
  if (!iso) return {};
  const [y, m, d] = iso.split('-');
  return { [`${name}-day`]: String(Number(d)), [`${name}-month`]: String(Number(m)), [`${name}-year`]: y! };
}

export async function caseRoutes(app: FastifyInstance, { services }: { services: Services }) {
  const cases = services.cases;
  const today = () => services.clock.now();
  app.addHook('preHandler', async (request, reply) => {
    if (request.url === '/cases' || request.url.startsWith('/cases/') || request.url.startsWith('/cases?')) return requireSignIn(request, reply);
  });

  const referenceData = async (forceId?: string) => ({
    offences: (await services.reference.offences()).filter((o) => o.active),
    areas: forceId ? await services.reference.areasFor(forceId) : [],
  });

  /** Renders a form again with its errors (status 400): bad input changes nothing. */
  const invalid = (reply: FastifyReply, template: string, data: Record<string, unknown>, form: { errors: unknown[]; byField: Record<string, string> }) =>
    reply.code(400).render(template, { ...data, errors: form.errors, fieldErrors: form.byField });

  app.get('/cases', async (request, reply) => {
    const query = listQuerySchema.parse(request.query ?? {});
    const principal = request.principal!;
    const { total, rows } = await cases.list(principal, query, request.id);
    const forces = principal.organisation.kind === 'rasso_unit'
      ? (await services.reference.forces()).filter((f) => f.primary_area_id === principal.organisation.cpsAreaId || (principal.organisation.cpsAreaId?.startsWith('london') && f.id === 'metropolitan-police'))
      : [];
    return reply.render('list.njk', {
      pageTitle: 'Cases', rows, total, query, pageSize: PAGE_SIZE, shownTo: Math.min(query.page * PAGE_SIZE, total), pages: Math.max(1, Math.ceil(total / PAGE_SIZE)),
      stages: STAGES.map((s) => ({ value: s, text: STAGE_LABELS[s] })), stageLabels: STAGE_LABELS, forces,
      offences: await services.reference.offences(), canCreate: principal.organisation.kind === 'force' && principal.roles.some((r) => r === 'investigator' || r === 'police_supervisor'),
      queryString: (overrides: Record<string, unknown>) => {
        const merged: Record<string, unknown> = { ...query, ...overrides };
        const params = new URLSearchParams();
        for (const [k, v] of Object.entries(merged)) if (v !== undefined && v !== '' && v !== null) params.set(k, String(v));
        return `?${params.toString()}`;
      },
    });
  });

  // Opening a case
  // Who may open a case is decided before the form is read, so a refused user is told so rather than shown field errors.
  const mayOpenCase = (p: NonNullable<FastifyRequest['principal']>) =>
    p.organisation.kind === 'force' && p.roles.some((r) => r === 'investigator' || r === 'police_supervisor');
  const cannotOpenCase = () => new HttpError(403, 'You cannot open a case', 'Only police investigators and supervisors can open a case.');

  app.get('/cases/new', async (request, reply) => {
    const p = request.principal!;
    if (!mayOpenCase(p)) throw cannotOpenCase();
    return reply.render('case-form.njk', { pageTitle: 'Open a case', values: {}, ...(await referenceData(p.organisation.forceId!)) });
  });

  app.post('/cases', async (request, reply) => {
    const p = request.principal!;
    if (!mayOpenCase(p)) {
      await services.audit.record({ actorUserId: p.userId, action: 'case:create', outcome: 'denied', requestId: request.id });
      throw cannotOpenCase();
    }
    const body = (request.body ?? {}) as Record<string, unknown>;
    const form = validateForm(caseSchema(today), nestDates(body, ['offenceDate', 'reportedDate']));
    if (!form.ok) return invalid(reply, 'case-form.njk', { pageTitle: 'Open a case', values: body, ...(await referenceData(p.organisation.forceId ?? undefined)) }, form);
    const { id } = await cases.create(p, form.value, request.id);
    return reply.redirect(`/cases/${id}?done=created`, 303);
  });

  app.get<{ Params: Params }>('/cases/:caseId', async (request, reply) => {
    const view = await cases.view(request.principal!, request.params.caseId, request.id);
    const done = (request.query as { done?: string }).done;
    return reply.render('show.njk', {
      pageTitle: `Case ${view.case.reference}`, ...view, stageLabels: STAGE_LABELS, teamRoleLabels: TEAM_ROLE_LABELS,
      linkage: await services.linkage.casePanel(request.principal!, view.facts),
      vulnerabilityLabels: VULNERABILITY_LABELS, contactMethodLabels: CONTACT_METHOD_LABELS, done: done ? DONE_MESSAGES[done] : undefined,
    });
  });

  // Case details
  app.get<{ Params: Params }>('/cases/:caseId/edit', async (request, reply) => {
    const { case: c, offenceCodes } = await cases.forEdit(request.principal!, request.params.caseId, 'case:update', request.id);
    const values = { offences: offenceCodes, summary: c.summary, cpsAreaId: c.cps_area_id, version: c.version, ...dateValues('offenceDate', c.offence_date), ...dateValues('reportedDate', c.reported_at) };
    return reply.render('case-form.njk', { pageTitle: `Change case ${c.reference}`, kase: c, values, ...(await referenceData(c.force_id)) });
  });

  app.post<{ Params: Params }>('/cases/:caseId/edit', async (request, reply) => {
    const { case: c } = await cases.forEdit(request.principal!, request.params.caseId, 'case:update', request.id);
    const body = (request.body ?? {}) as Record<string, unknown>;
    const form = validateForm(caseSchema(today).and(versionSchema), nestDates(body, ['offenceDate', 'reportedDate']));
    if (!form.ok) return invalid(reply, 'case-form.njk', { pageTitle: `Change case ${c.reference}`, kase: c, values: body, ...(await referenceData(c.force_id)) }, form);
    await cases.update(request.principal!, c.id, form.value, request.id);
    return reply.redirect(`/cases/${c.id}?done=updated`, 303);
  });

  // People: victims, suspects, witnesses share one pattern (new form, create, edit form, update).
  const person = <S extends z.ZodType>(opts: {
    kind: 'victims' | 'suspects' | 'witnesses';
    template: string;
    noun: string;
    action: 'victim:update' | 'suspect:update' | 'witness:update';
    schema: S;
    dates: string[];
    load: (request: FastifyRequest<{ Params: Params }>) => Promise<{ values: Record<string, unknown>; label: string }>;
    create: (request: FastifyRequest<{ Params: Params }>, value: z.infer<S>) => Promise<unknown>;
    update: (request: FastifyRequest<{ Params: Params }>, value: z.infer<S> & { version: number }) => Promise<unknown>;
  }) => {
    const idParam = `${opts.kind.slice(0, -1)}Id` as 'victimId' | 'suspectId' | 'witnessId';
    const base = `/cases/:caseId/${opts.kind}`;
    const page = async (request: FastifyRequest<{ Params: Params }>, title: string) => {
      const { case: c } = await cases.forEdit(request.principal!, request.params.caseId, opts.action, request.id);
      const formAction = request.url.endsWith('/new') || request.method === 'POST' && !request.url.endsWith('/edit') ? `/cases/${c.id}/${opts.kind}` : request.url.split('?')[0];
      return { pageTitle: title, kase: c, kind: opts.kind, formAction, vulnerabilities: VULNERABILITY_LABELS, contactMethods: CONTACT_METHOD_LABELS };
    };
    app.get<{ Params: Params }>(`${base}/new`, async (request, reply) =>
      reply.render(opts.template, { ...(await page(request, `Add a ${opts.noun}`)), values: opts.kind === 'victims' ? { enhancedRights: 'yes' } : {} }));
    // Forms post back to the URL they were served from: /new posts to the collection, /:id/edit to itself.
    app.post<{ Params: Params }>(base, async (request, reply) => {
      const data = await page(request, `Add a ${opts.noun}`);
      const body = (request.body ?? {}) as Record<string, unknown>;
      const form = validateForm(opts.schema, nestDates(body, opts.dates));
      if (!form.ok) return invalid(reply, opts.template, { ...data, values: body }, form);
      await opts.create(request, form.value);
      return reply.redirect(`/cases/${request.params.caseId}?done=${opts.kind.slice(0, -1)}-added#${opts.kind}`, 303);
    });
    app.get<{ Params: Params }>(`${base}/:${idParam}/edit`, async (request, reply) => {
      const { values, label } = await opts.load(request);
      return reply.render(opts.template, { ...(await page(request, `Change ${opts.noun} ${label}`)), values, editing: true });
    });
    app.post<{ Params: Params }>(`${base}/:${idParam}/edit`, async (request, reply) => {
      const { label } = await opts.load(request);
      const data = await page(request, `Change ${opts.noun} ${label}`);
      const body = (request.body ?? {}) as Record<string, unknown>;
      const form = validateForm((opts.schema as z.ZodType).and(versionSchema) as unknown as z.ZodType<z.infer<S> & { version: number }>, nestDates(body, opts.dates));
      if (!form.ok) return invalid(reply, opts.template, { ...data, values: body, editing: true }, form);
      await opts.update(request, form.value);
      return reply.redirect(`/cases/${request.params.caseId}?done=${opts.kind.slice(0, -1)}-updated#${opts.kind}`, 303);
    });
  };

  person({
    kind: 'victims', template: 'victim-form.njk', noun: 'victim', action: 'victim:update', schema: victimSchema(today), dates: ['dateOfBirth'],
    load: async (request) => {
      const { victim: v, identity: i } = await cases.victimForEdit(request.principal!, request.params.caseId, request.params.victimId!, request.id);
      return {
        label: v.label,
        values: {
          givenName: i.givenName, familyName: i.familyName, ...dateValues('dateOfBirth', i.dateOfBirth), ageAtOffence: v.age_at_offence ?? '',
          phone: i.phone, email: i.email, address: i.address, vulnerabilities: v.vulnerabilities, communicationNeeds: v.communication_needs,
          contactMethod: v.contact_preferences.method, mayLeaveMessage: v.contact_preferences.mayLeaveMessage ? 'yes' : 'no',
          safeTimes: v.contact_preferences.safeTimes ?? '', interviewerSex: v.contact_preferences.interviewerSex, enhancedRights: v.enhanced_rights ? 'yes' : 'no', version: v.version,
        },
      };
    },
    create: (request, value) => cases.addVictim(request.principal!, request.params.caseId, value, request.id),
    update: (request, value) => cases.updateVictim(request.principal!, request.params.caseId, request.params.victimId!, value, request.id),
  });

  person({
    kind: 'suspects', template: 'suspect-form.njk', noun: 'suspect', action: 'suspect:update', schema: suspectSchema(today), dates: ['dateOfBirth'],
    load: async (request) => {
      const s = await cases.suspectForEdit(request.principal!, request.params.caseId, request.params.suspectId!, request.id);
      return {
        label: s.label,
        values: {
          givenName: s.given_name, familyName: s.family_name, aliases: s.aliases.map((a) => `${a.given} ${a.family}`.trim()).join('\n'),
          ...dateValues('dateOfBirth', s.date_of_birth), addresses: s.addresses.join('\n'), phones: s.phones.join('\n'), emails: s.emails.join('\n'),
          onlineIdentifiers: s.online_identifiers.join('\n'), vehicles: s.vehicles.join('\n'), version: s.version,
        },
      };
    },
    create: (request, value) => cases.addSuspect(request.principal!, request.params.caseId, value, request.id),
    update: (request, value) => cases.updateSuspect(request.principal!, request.params.caseId, request.params.suspectId!, value, request.id),
  });

  person({
    kind: 'witnesses', template: 'witness-form.njk', noun: 'witness', action: 'witness:update', schema: witnessSchema, dates: [],
    load: async (request) => {
      const { witness: w, identity: i } = await cases.witnessForEdit(request.principal!, request.params.caseId, request.params.witnessId!, request.id);
      return { label: w.label, values: { givenName: i.givenName, familyName: i.familyName, phone: i.phone, email: i.email, address: i.address, relationship: w.relationship, version: w.version } };
    },
    create: (request, value) => cases.addWitness(request.principal!, request.params.caseId, value, request.id),
    update: (request, value) => cases.updateWitness(request.principal!, request.params.caseId, request.params.witnessId!, value, request.id),
  });

  // Case team
  const teamPage = async (request: FastifyRequest<{ Params: Params }>) => {
    const data = await cases.teamCandidates(request.principal!, request.params.caseId, request.id);
    return { pageTitle: `Case team for ${data.case.reference}`, kase: data.case, team: data.team, candidates: data.candidates, teamRoles: TEAM_ROLES.map((r) => ({ value: r, text: TEAM_ROLE_LABELS[r] })), teamRoleLabels: TEAM_ROLE_LABELS };
  };
  app.get<{ Params: Params }>('/cases/:caseId/team', async (request, reply) => reply.render('team.njk', { ...(await teamPage(request)), values: {} }));
  app.post<{ Params: Params }>('/cases/:caseId/team', async (request, reply) => {
    const data = await teamPage(request);
    const form = validateForm(teamMemberSchema, request.body);
    if (!form.ok) return invalid(reply, 'team.njk', { ...data, values: request.body ?? {} }, form);
    await cases.addTeamMember(request.principal!, request.params.caseId, form.value, request.id);
    return reply.redirect(`/cases/${request.params.caseId}/team?done=1`, 303);
  });
  app.post<{ Params: Params }>('/cases/:caseId/team/:userId/remove', async (request, reply) => {
    await cases.removeTeamMember(request.principal!, request.params.caseId, request.params.userId!, request.id);
    return reply.redirect(`/cases/${request.params.caseId}/team?done=1`, 303);
  });

  // Timeline
  app.post<{ Params: Params }>('/cases/:caseId/timeline', async (request, reply) => {
    const body = (request.body ?? {}) as Record<string, unknown>;
    const form = validateForm(timelineNoteSchema(today), nestDates(body, ['occurredDate']));
    if (!form.ok) {
      const view = await cases.view(request.principal!, request.params.caseId, request.id);
      return invalid(reply, 'show.njk', { pageTitle: `Case ${view.case.reference}`, ...view, stageLabels: STAGE_LABELS, teamRoleLabels: TEAM_ROLE_LABELS, vulnerabilityLabels: VULNERABILITY_LABELS, contactMethodLabels: CONTACT_METHOD_LABELS, noteValues: body }, form);
    }
    await cases.addTimelineNote(request.principal!, request.params.caseId, form.value, request.id);
    return reply.redirect(`/cases/${request.params.caseId}?done=note-added#timeline`, 303);
  });
}

