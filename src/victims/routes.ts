import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import { requireSignIn } from '../platform/auth/routes.ts';
import { can } from '../platform/policy.ts';
import { nestDates, validateForm } from '../platform/validation.ts';
import type { Services } from '../services.ts';
import {
  closeSchema, CONSENT_METHOD_LABELS, consentSchema, CONTACT_CHANNEL_LABELS, CONTACT_CHANNELS, CONTACT_PURPOSE_LABELS, contactSchema, dashboardQuerySchema, eventSchema,
  inboxQuerySchema, ISVA_SCOPE_LABELS, ISVA_SCOPES, isvaHomeQuerySchema, isvaQueriesQuerySchema, LETTER_TEMPLATE_LABELS, LETTER_TEMPLATES, letterSchema, MEASURE_LABELS,
  MEASURE_STATUS_LABELS, MEASURE_STATUSES, MEASURES, meetingSchema, outboxQuerySchema, PAGE_SIZE, PLEA_LABELS, pleaSchema, PTM_STATUS_LABELS, PTM_TOPIC_LABELS, PTM_TOPICS,
  QUERY_STATUS_LABELS, QUERY_TARGET_WORKING_DAYS, querySchema, replySchema, revokeSchema, SIDE_LABELS, specialMeasureSchema, specialMeasureUpdateSchema, vloSchema,
  worklistQuerySchema,
} from './schemas.ts';
import { FormError } from './service.ts';

const DUTY_STATUS_LABELS = { met: 'Told on time', met_late: 'Told late', overdue: 'Overdue', due: 'Due' };
const LABELS = {
  scope: ISVA_SCOPE_LABELS, channel: CONTACT_CHANNEL_LABELS, purpose: CONTACT_PURPOSE_LABELS, side: SIDE_LABELS, measure: MEASURE_LABELS, measureStatus: MEASURE_STATUS_LABELS,
  ptmStatus: PTM_STATUS_LABELS, topic: PTM_TOPIC_LABELS, plea: PLEA_LABELS, queryStatus: QUERY_STATUS_LABELS, letterTemplate: LETTER_TEMPLATE_LABELS,
  consentMethod: CONSENT_METHOD_LABELS, dutyStatus: DUTY_STATUS_LABELS,
};

const DONE: Record<string, string> = {
  contact: 'Contact recorded in the log.',
  event: 'Event recorded. The victim must now be told about it.',
  consent: 'Consent recorded. The ISVA can now see what the victim agreed to share.',
  revoked: 'Consent withdrawn. The ISVA can no longer see this victim’s case.',
  vlo: 'Victim Liaison Officer assigned.',
  plea: 'Plea recorded.',
  meeting: 'Pre-trial meeting saved.',
  measure: 'Special measure saved.',
  letter: 'Letter queued for sending and recorded in the contact log.',
  query: 'Query sent.',
  reply: 'Reply sent.',
  closed: 'Query closed.',
};

type P = { caseId: string; victimId: string; consentId: string; meetingId: string; measureId: string; queryId: string; letterId: string };
type Req = FastifyRequest<{ Params: P }>;

/** Splits a stored 'YYYY-MM-DD' into GOV.UK date input values. */
function dateValues(name: string, iso: string | null | undefined): Record<string, string> {
  if (!iso) return {};
  const [y, m, d] = iso.split('-');
  return { [`${name}-day`]: String(Number(d)), [`${name}-month`]: String(Number(m)), [`${name}-year`]: y! };
}

/** A query string builder for sortable, paginated lists. */
function queryString(query: Record<string, unknown>) {
  return (overrides: Record<string, unknown>) => {
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries({ ...query, ...overrides })) if (v !== undefined && v !== '' && v !== null) params.set(k, String(v));
    return `?${params.toString()}`;
  };
}

const pages = (total: number) => Math.max(1, Math.ceil(total / PAGE_SIZE));

export async function victimRoutes(app: FastifyInstance, { services }: { services: Services }) {
  const victims = services.victims;
  const today = () => services.clock.now();
  app.addHook('preHandler', requireSignIn);

  const render = (reply: FastifyReply, template: string, data: Record<string, unknown>) => reply.render(`victims/views/${template}`, { labels: LABELS, ...data });

  /** Validates, runs the change, redirects; on a form error re-renders the page with status 400 and nothing written. */
  async function submit<S extends z.ZodType>(
    request: FastifyRequest, reply: FastifyReply,
    opts: { schema: S; dates?: string[]; template: string; page: () => Promise<Record<string, unknown>>; run: (value: z.infer<S>) => Promise<string> },
  ) {
    const body = (request.body ?? {}) as Record<string, unknown>;
    const form = validateForm(opts.schema, opts.dates ? nestDates(body, opts.dates) : body);
    if (!form.ok) return reply.code(400).render(`victims/views/${opts.template}`, { labels: LABELS, ...(await opts.page()), values: body, errors: form.errors, fieldErrors: form.byField });
    try {
      return reply.redirect(await opts.run(form.value), 303);
    } catch (err) {
      if (!(err instanceof FormError)) throw err;
      return reply.code(400).render(`victims/views/${opts.template}`, { labels: LABELS, ...(await opts.page()), values: body, errors: err.errors, fieldErrors: err.byField, warnings: err.warnings });
    }
  }

  const done = (request: FastifyRequest) => DONE[(request.query as { done?: string }).done ?? ''];
  const caseBase = (id: string) => `/cases/${id}/victim-care`;

  // ---------------------------------------------------------------------------------------------------------------
  // The victim care page of a case (police and CPS)
  // ---------------------------------------------------------------------------------------------------------------
  app.get<{ Params: P }>('/cases/:caseId/victim-care', async (request, reply) => {
    const data = await victims.casePage(request.principal!, request.params.caseId, request.id);
    return render(reply, 'case.njk', { pageTitle: `Victim care – case ${data.case.reference}`, ...data, done: done(request) });
  });

  // Victims' Code events
  const eventPage = async (request: Req) => {
    const data = await victims.caseHeader(request.principal!, request.params.caseId, 'victim-care:record', request.id);
    return { pageTitle: 'Record an event the victim must be told about', ...data, kinds: await victims.dutyKindList() };
  };
  app.get<{ Params: P }>('/cases/:caseId/victim-care/events/new', async (request, reply) => render(reply, 'event-form.njk', { ...(await eventPage(request)), values: {} }));
  app.post<{ Params: P }>('/cases/:caseId/victim-care/events', async (request, reply) =>
    submit(request, reply, {
      schema: eventSchema(today), dates: ['occurredOn', 'subjectDate'], template: 'event-form.njk', page: () => eventPage(request),
      run: async (value) => {
        await victims.recordEvent(request.principal!, request.params.caseId, value, request.id);
        return `${caseBase(request.params.caseId)}?done=event`;
      },
    }));

  // Pleas
  const pleaPage = async (request: Req) => ({ pageTitle: 'Record a plea', ...(await victims.pleaForm(request.principal!, request.params.caseId, request.id)) });
  app.get<{ Params: P }>('/cases/:caseId/victim-care/plea/new', async (request, reply) => render(reply, 'plea-form.njk', { ...(await pleaPage(request)), values: {} }));
  app.post<{ Params: P }>('/cases/:caseId/victim-care/plea', async (request, reply) =>
    submit(request, reply, {
      schema: pleaSchema(today), dates: ['enteredOn'], template: 'plea-form.njk', page: () => pleaPage(request),
      run: async (value) => {
        await victims.recordPlea(request.principal!, request.params.caseId, value, request.id);
        return `${caseBase(request.params.caseId)}?done=plea`;
      },
    }));

  // Contact log
  const contactPage = async (request: Req) => {
    const data = await victims.contactForm(request.principal!, request.params.caseId, request.params.victimId, request.id);
    return { pageTitle: `Record a contact with victim ${data.victim.label}`, ...data, formAction: `${caseBase(request.params.caseId)}/victims/${request.params.victimId}/contacts`, backHref: `${caseBase(request.params.caseId)}#victim-${request.params.victimId}`, channels: CONTACT_CHANNELS };
  };
  app.get<{ Params: P }>('/cases/:caseId/victim-care/victims/:victimId/contacts/new', async (request, reply) => render(reply, 'contact-form.njk', { ...(await contactPage(request)), values: {} }));
  app.post<{ Params: P }>('/cases/:caseId/victim-care/victims/:victimId/contacts', async (request, reply) =>
    submit(request, reply, {
      schema: contactSchema(today), dates: ['contactedOn'], template: 'contact-form.njk', page: () => contactPage(request),
      run: async (value) => {
        await victims.recordContact(request.principal!, request.params.caseId, request.params.victimId, value, request.id);
        return `${caseBase(request.params.caseId)}?done=contact#victim-${request.params.victimId}`;
      },
    }));

  // ISVA consent
  const consentPage = async (request: Req) => {
    const data = await victims.consentForm(request.principal!, request.params.caseId, request.params.victimId, request.id);
    return { pageTitle: `Record victim ${data.victim.label}’s consent to share with an ISVA`, ...data, scopes: ISVA_SCOPES };
  };
  app.get<{ Params: P }>('/cases/:caseId/victim-care/victims/:victimId/consents/new', async (request, reply) => render(reply, 'consent-form.njk', { ...(await consentPage(request)), values: {} }));
  app.post<{ Params: P }>('/cases/:caseId/victim-care/victims/:victimId/consents', async (request, reply) =>
    submit(request, reply, {
      schema: consentSchema(today), dates: ['givenOn'], template: 'consent-form.njk', page: () => consentPage(request),
      run: async (value) => {
        await victims.recordConsent(request.principal!, request.params.caseId, request.params.victimId, value, request.id);
        return `${caseBase(request.params.caseId)}?done=consent#victim-${request.params.victimId}`;
      },
    }));
  app.post<{ Params: P }>('/cases/:caseId/victim-care/consents/:consentId/revoke', async (request, reply) => {
    const form = validateForm(revokeSchema, request.body);
    if (!form.ok) {
      await victims.caseHeader(request.principal!, request.params.caseId, 'isva-consent:record', request.id); // refuse before anything else
      return reply.redirect(caseBase(request.params.caseId), 303);
    }
    await victims.revokeConsent(request.principal!, request.params.caseId, request.params.consentId, form.value, request.id);
    return reply.redirect(`${caseBase(request.params.caseId)}?done=revoked`, 303);
  });

  // Victim Liaison Officer
  const vloPage = async (request: Req) => {
    const data = await victims.vloForm(request.principal!, request.params.caseId, request.params.victimId, request.id);
    return { pageTitle: `Victim Liaison Officer for victim ${data.victim.label}`, ...data };
  };
  app.get<{ Params: P }>('/cases/:caseId/victim-care/victims/:victimId/vlo', async (request, reply) => {
    const data = await vloPage(request);
    return render(reply, 'vlo-form.njk', { ...data, values: { vloUserId: data.current?.vlo_user_id, current: data.current?.id ?? '' } });
  });
  app.post<{ Params: P }>('/cases/:caseId/victim-care/victims/:victimId/vlo', async (request, reply) =>
    submit(request, reply, {
      schema: vloSchema, template: 'vlo-form.njk', page: () => vloPage(request),
      run: async (value) => {
        await victims.assignVlo(request.principal!, request.params.caseId, request.params.victimId, value, request.id);
        const back = (request.body as { returnTo?: string }).returnTo === 'worklist' ? '/victim-care/worklist?done=vlo' : `${caseBase(request.params.caseId)}?done=vlo#victim-${request.params.victimId}`;
        return back;
      },
    }));

  // Pre-trial meetings
  const meetingPage = async (request: Req) => {
    const data = await victims.meetingForm(request.principal!, request.params.caseId, request.params.meetingId, request.id);
    return { pageTitle: `Pre-trial meeting for victim ${data.meeting.victim_label}`, ...data, topics: PTM_TOPICS };
  };
  app.get<{ Params: P }>('/cases/:caseId/victim-care/meetings/:meetingId', async (request, reply) => {
    const data = await meetingPage(request);
    const m = data.meeting;
    return render(reply, 'meeting-form.njk', {
      ...data,
      values: {
        version: m.version, offerChannel: m.offer_channel ?? '', response: m.response ?? '', attendees: m.attendees.join('\n'), topics: m.topics, outcome: m.outcome, actions: m.actions.join('\n'),
        ...dateValues('offeredOn', m.offered_on), ...dateValues('respondedOn', m.responded_on), ...dateValues('heldOn', m.held_on),
      },
    });
  });
  app.post<{ Params: P }>('/cases/:caseId/victim-care/meetings/:meetingId', async (request, reply) =>
    submit(request, reply, {
      schema: meetingSchema(today), dates: ['offeredOn', 'respondedOn', 'heldOn'], template: 'meeting-form.njk', page: () => meetingPage(request),
      run: async (value) => {
        await victims.updateMeeting(request.principal!, request.params.caseId, request.params.meetingId, value, request.id);
        return `${caseBase(request.params.caseId)}?done=meeting`;
      },
    }));

  // Special measures
  const measurePage = async (request: Req) => ({ pageTitle: 'Add a special measure', ...(await victims.measureForm(request.principal!, request.params.caseId, request.id)), measures: MEASURES, statuses: MEASURE_STATUSES });
  app.get<{ Params: P }>('/cases/:caseId/victim-care/special-measures/new', async (request, reply) => {
    const person = (request.query as { person?: string }).person;
    return render(reply, 'measure-form.njk', { ...(await measurePage(request)), values: { person } });
  });
  app.post<{ Params: P }>('/cases/:caseId/victim-care/special-measures', async (request, reply) =>
    submit(request, reply, {
      schema: specialMeasureSchema, template: 'measure-form.njk', page: () => measurePage(request),
      run: async (value) => {
        await victims.addMeasure(request.principal!, request.params.caseId, value, request.id);
        return `${caseBase(request.params.caseId)}?done=measure#special-measures`;
      },
    }));
  const measureEditPage = async (request: Req) => {
    const data = await victims.measureForEdit(request.principal!, request.params.caseId, request.params.measureId, request.id);
    return { pageTitle: `Change special measure for ${data.measure.person_label}`, ...data, statuses: MEASURE_STATUSES, editing: true };
  };
  app.get<{ Params: P }>('/cases/:caseId/victim-care/special-measures/:measureId', async (request, reply) => {
    const data = await measureEditPage(request);
    return render(reply, 'measure-form.njk', { ...data, values: { status: data.measure.status, wishes: data.measure.wishes, notes: data.measure.notes, version: data.measure.version } });
  });
  app.post<{ Params: P }>('/cases/:caseId/victim-care/special-measures/:measureId', async (request, reply) =>
    submit(request, reply, {
      schema: specialMeasureUpdateSchema, template: 'measure-form.njk', page: () => measureEditPage(request),
      run: async (value) => {
        await victims.updateMeasure(request.principal!, request.params.caseId, request.params.measureId, value, request.id);
        return `${caseBase(request.params.caseId)}?done=measure#special-measures`;
      },
    }));

  // Letters
  const letterPage = async (request: Req) => {
    const data = await victims.letterForm(request.principal!, request.params.caseId, request.params.victimId, request.id);
    return { pageTitle: `Send a letter to victim ${data.victim.label}`, ...data, templates: LETTER_TEMPLATES };
  };
  app.get<{ Params: P }>('/cases/:caseId/victim-care/victims/:victimId/letters/new', async (request, reply) => render(reply, 'letter-form.njk', { ...(await letterPage(request)), values: {} }));
  app.post<{ Params: P }>('/cases/:caseId/victim-care/victims/:victimId/letters', async (request, reply) =>
    submit(request, reply, {
      schema: letterSchema, template: 'letter-form.njk', page: () => letterPage(request),
      run: async (value) => {
        const body = request.body as { acknowledgePreference?: string; overrideReason?: string };
        await victims.sendLetter(request.principal!, request.params.caseId, request.params.victimId,
          { ...value, acknowledgePreference: body.acknowledgePreference === 'yes' ? 'yes' : undefined, overrideReason: String(body.overrideReason ?? '').trim().slice(0, 500) }, request.id);
        return `${caseBase(request.params.caseId)}?done=letter#victim-${request.params.victimId}`;
      },
    }));
  app.get<{ Params: P }>('/cases/:caseId/victim-care/letters/:letterId', async (request, reply) => {
    const data = await victims.letterView(request.principal!, request.params.caseId, request.params.letterId, request.id);
    return render(reply, 'letter.njk', { pageTitle: data.content.subject, ...data });
  });

  // ---------------------------------------------------------------------------------------------------------------
  // ISVAs: the victims they support (through consent) and their mailbox
  // ---------------------------------------------------------------------------------------------------------------
  app.get('/isva', async (_request, reply) => reply.redirect('/isva/victims'));
  app.get('/isva/victims', async (request, reply) => {
    const query = isvaHomeQuerySchema.parse(request.query ?? {});
    const { total, rows } = await victims.isvaHome(request.principal!, query, request.id);
    return render(reply, 'isva-home.njk', { pageTitle: 'Victims you support', total, rows, query, pages: pages(total), queryString: queryString(query), done: done(request) });
  });
  app.get<{ Params: P }>('/isva/victims/:consentId', async (request, reply) => {
    const data = await victims.isvaVictim(request.principal!, request.params.consentId, request.id);
    return render(reply, 'isva-victim.njk', { pageTitle: `Victim ${data.victim.label} – case ${data.case.reference}`, ...data, done: done(request) });
  });
  const isvaContactPage = async (request: Req) => {
    const data = await victims.isvaContactForm(request.principal!, request.params.consentId, request.id);
    return { pageTitle: `Record a contact with victim ${data.victim.label}`, ...data, formAction: `/isva/victims/${request.params.consentId}/contacts`, backHref: `/isva/victims/${request.params.consentId}`, channels: CONTACT_CHANNELS.filter((c) => c !== 'via_isva'), isva: true };
  };
  app.get<{ Params: P }>('/isva/victims/:consentId/contacts/new', async (request, reply) => render(reply, 'contact-form.njk', { ...(await isvaContactPage(request)), values: {} }));
  app.post<{ Params: P }>('/isva/victims/:consentId/contacts', async (request, reply) =>
    submit(request, reply, {
      schema: contactSchema(today), dates: ['contactedOn'], template: 'contact-form.njk', page: () => isvaContactPage(request),
      run: async (value) => {
        await victims.recordContactAsIsva(request.principal!, request.params.consentId, value, request.id);
        return `/isva/victims/${request.params.consentId}?done=contact`;
      },
    }));
  app.post<{ Params: P }>('/isva/victims/:consentId/revoke', async (request, reply) => {
    const form = validateForm(revokeSchema, request.body);
    if (!form.ok) {
      await victims.checkIsvaConsent(request.principal!, request.params.consentId, request.id);
      return reply.redirect(`/isva/victims/${request.params.consentId}`, 303);
    }
    await victims.revokeConsentAsIsva(request.principal!, request.params.consentId, form.value, request.id);
    return reply.redirect('/isva/victims?done=revoked', 303);
  });

  app.get('/isva/queries', async (request, reply) => {
    const query = isvaQueriesQuerySchema.parse(request.query ?? {});
    const { total, rows } = await victims.isvaQueries(request.principal!, query, request.id);
    return render(reply, 'isva-queries.njk', { pageTitle: 'ISVA mailbox', total, rows, query, pages: pages(total), queryString: queryString(query), done: done(request) });
  });
  const queryPage = async (request: FastifyRequest) => {
    if (!can(request.principal!, 'isva:mailbox')) await victims.isvaQueries(request.principal!, { sort: 'updated', order: 'desc', page: 1 }, request.id); // audits and refuses
    return { pageTitle: 'Send a query to a RASSO unit', ...(await victims.queryFormData()), targetDays: QUERY_TARGET_WORKING_DAYS };
  };
  app.get('/isva/queries/new', async (request, reply) => render(reply, 'query-form.njk', { ...(await queryPage(request)), values: {} }));
  app.post('/isva/queries', async (request, reply) =>
    submit(request, reply, {
      schema: querySchema, template: 'query-form.njk', page: () => queryPage(request),
      run: async (value) => `/isva/queries/${await victims.sendQuery(request.principal!, value, request.id)}?done=query`,
    }));
  const isvaThread = async (request: Req) => {
    const data = await victims.isvaQuery(request.principal!, request.params.queryId, request.id);
    return { pageTitle: `Query ${data.query.reference}`, ...data, replyAction: `/isva/queries/${data.query.id}/replies`, backHref: '/isva/queries', viewer: 'isva' };
  };
  app.get<{ Params: P }>('/isva/queries/:queryId', async (request, reply) => render(reply, 'query.njk', { ...(await isvaThread(request)), values: {}, done: done(request) }));
  app.post<{ Params: P }>('/isva/queries/:queryId/replies', async (request, reply) =>
    submit(request, reply, {
      schema: replySchema, template: 'query.njk', page: () => isvaThread(request),
      run: async (value) => {
        await victims.isvaReply(request.principal!, request.params.queryId, value.body, request.id);
        return `/isva/queries/${request.params.queryId}?done=reply`;
      },
    }));

  // ---------------------------------------------------------------------------------------------------------------
  // RASSO units: the ISVA inbox, response-time statistics, the VLO worklist and the Victims' Code dashboard
  // ---------------------------------------------------------------------------------------------------------------
  app.get('/victim-care/inbox', async (request, reply) => {
    const query = inboxQuerySchema.parse(request.query ?? {});
    const data = await victims.inbox(request.principal!, query, request.id);
    return render(reply, 'inbox.njk', { pageTitle: 'ISVA queries', ...data, query, pages: pages(data.total), queryString: queryString(query), targetDays: QUERY_TARGET_WORKING_DAYS });
  });
  app.get('/victim-care/inbox/stats', async (request, reply) => {
    const rows = await victims.inboxStats(request.principal!, request.id);
    return render(reply, 'inbox-stats.njk', { pageTitle: 'ISVA query response times by RASSO unit', rows, targetDays: QUERY_TARGET_WORKING_DAYS });
  });
  const unitThread = async (request: Req) => {
    const data = await victims.inboxQuery(request.principal!, request.params.queryId, request.id);
    return { pageTitle: `Query ${data.query.reference}`, ...data, replyAction: `/victim-care/inbox/${data.query.id}/replies`, backHref: '/victim-care/inbox', viewer: 'unit' };
  };
  app.get<{ Params: P }>('/victim-care/inbox/:queryId', async (request, reply) => render(reply, 'query.njk', { ...(await unitThread(request)), values: {}, done: done(request) }));
  app.post<{ Params: P }>('/victim-care/inbox/:queryId/replies', async (request, reply) =>
    submit(request, reply, {
      schema: replySchema, template: 'query.njk', page: () => unitThread(request),
      run: async (value) => {
        await victims.unitReply(request.principal!, request.params.queryId, value.body, request.id);
        return `/victim-care/inbox/${request.params.queryId}?done=reply`;
      },
    }));
  app.post<{ Params: P }>('/victim-care/inbox/:queryId/close', async (request, reply) => {
    const form = validateForm(closeSchema, request.body);
    if (!form.ok) {
      await victims.checkUnitQuery(request.principal!, request.params.queryId, request.id);
      return reply.redirect(`/victim-care/inbox/${request.params.queryId}`, 303);
    }
    await victims.closeQuery(request.principal!, request.params.queryId, form.value, request.id);
    return reply.redirect(`/victim-care/inbox/${request.params.queryId}?done=closed`, 303);
  });

  app.get('/victim-care/worklist', async (request, reply) => {
    const raw = (request.query ?? {}) as Record<string, unknown>;
    const principal = request.principal!;
    const query = worklistQuerySchema.parse({ ...raw, show: raw.show ?? (principal.roles.includes('vlo') ? 'mine' : 'area') });
    const data = await victims.worklist(principal, query, request.id);
    return render(reply, 'worklist.njk', { pageTitle: 'Victim Liaison worklist', ...data, query, pages: pages(data.total), queryString: queryString(query), done: done(request), isVlo: principal.roles.includes('vlo') });
  });

  // The outbox viewer: what the notification provider (the embedded default keeps them in Tandem) has sent
  app.get('/victim-care/outbox', async (request, reply) => {
    const query = outboxQuerySchema.parse(request.query ?? {});
    const data = await victims.outbox(request.principal!, query, request.id);
    return render(reply, 'outbox.njk', { pageTitle: 'Outbox: letters and messages to victims', ...data, query, pages: pages(data.total), queryString: queryString(query), templates: LETTER_TEMPLATES });
  });

  app.get('/victim-care/dashboard', async (request, reply) => {
    const query = dashboardQuerySchema.parse(request.query ?? {});
    const data = await victims.dashboard(request.principal!, query, request.id);
    return render(reply, 'dashboard.njk', { pageTitle: 'Victims’ Code compliance', ...data, query, pages: pages(data.overdue.total), queryString: queryString(query) });
  });
}
