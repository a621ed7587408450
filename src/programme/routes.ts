import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import { requireSignIn } from '../platform/auth/routes.ts';
import { lineChart } from '../platform/charts.ts';
import { ODS_CONTENT_TYPE, odsFilename, writeOds } from '../platform/ods.ts';
import { nestDates, validateForm } from '../platform/validation.ts';
import type { Services } from '../services.ts';
import { annexSheet, PRINT_CSS } from './annex.ts';
import {
  ATTENDEE_LABELS, caseStudyQuerySchema, caseStudySchema, commitmentQuerySchema, commitmentUpdateSchema, completionSchema, DISPOSITION_LABELS,
  enrolSchema, EVENT_KIND_LABELS, learningEventSchema, pilotItemSchema, workforceSchema, MEASURE_LABELS, OWNER_LABELS, OWNERS, STATUS_LABELS, STATUSES,
} from './schemas.ts';
import { FormError } from './service.ts';

const LABELS = { status: STATUS_LABELS, owner: OWNER_LABELS, disposition: DISPOSITION_LABELS, eventKind: EVENT_KIND_LABELS, attendee: ATTENDEE_LABELS, measure: MEASURE_LABELS };
const DONE: Record<string, string> = {
  updated: 'Commitment updated.',
  completions: 'Training completions recorded.',
  event: 'Joint learning event recorded.',
  workforce: 'Workforce figure recorded.',
  enrolled: 'Case enrolled in the pilot.',
  item: 'Item recorded as received.',
  'case-study': 'Case study saved. Identifying details were redacted before it was stored.',
};

type P = { planId: string; commitmentId: string; pilotId: string; caseStudyId: string };

function queryString(query: Record<string, unknown>) {
  return (overrides: Record<string, unknown>) => {
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries({ ...query, ...overrides })) if (v !== undefined && v !== '' && v !== null) params.set(k, String(v));
    return `?${params.toString()}`;
  };
}

const done = (request: FastifyRequest) => DONE[String((request.query as Record<string, unknown> | undefined)?.done ?? '')];

export async function programmeRoutes(app: FastifyInstance, { services }: { services: Services }) {
  const programme = services.programme;
  app.addHook('preHandler', requireSignIn);

  const render = (reply: FastifyReply, template: string, data: Record<string, unknown>) => reply.render(`programme/views/${template}`, { labels: LABELS, ...data });

  /** Validates, runs the change, redirects; on a form error re-renders with status 400 and nothing written. */
  async function submit<S extends z.ZodType>(
    request: FastifyRequest, reply: FastifyReply,
    opts: { schema: S; dates?: string[]; template: string; page: () => Promise<Record<string, unknown>>; run: (value: z.infer<S>) => Promise<string> },
  ) {
    // The page first: it checks the person may use the form, so validation never answers someone who may not.
    const page = await opts.page();
    const body = (request.body ?? {}) as Record<string, unknown>;
    const form = validateForm(opts.schema, opts.dates ? nestDates(body, opts.dates) : body);
    if (!form.ok) return reply.code(400).render(`programme/views/${opts.template}`, { labels: LABELS, ...page, values: body, errors: form.errors, fieldErrors: form.byField });
    try {
      return reply.redirect(await opts.run(form.value), 303);
    } catch (err) {
      if (!(err instanceof FormError)) throw err;
      return reply.code(400).render(`programme/views/${opts.template}`, { labels: LABELS, ...page, values: body, errors: err.errors, fieldErrors: err.byField });
    }
  }

  // ---- Plans, commitments, annex --------------------------------------------------------------------------------
  app.get('/programme', async (request, reply) => {
    const plans = await programme.plans(request.principal!, request.id);
    return render(reply, 'index.njk', { pageTitle: 'Programme', plans, canManage: programme.canManage(request.principal!) });
  });

  app.get<{ Params: P }>('/programme/plans/:planId', async (request, reply) => {
    const data = await programme.plan(request.principal!, request.params.planId, request.id);
    return render(reply, 'plan.njk', { pageTitle: data.plan.name, ...data });
  });

  app.get<{ Params: P }>('/programme/plans/:planId/commitments', async (request, reply) => {
    const query = commitmentQuerySchema.parse(request.query ?? {});
    const data = await programme.commitments(request.principal!, request.params.planId, query, request.id);
    return render(reply, 'commitments.njk', { pageTitle: `${data.plan.short_name} commitments`, ...data, query, queryString: queryString(query), statuses: STATUSES, owners: OWNERS });
  });

  app.get<{ Params: P }>('/programme/commitments/:commitmentId', async (request, reply) => {
    const data = await programme.commitment(request.principal!, request.params.commitmentId, request.id);
    return render(reply, 'commitment.njk', { pageTitle: `${data.commitment.reference}: ${data.commitment.title}`, ...data, canManage: programme.canManage(request.principal!), done: done(request) });
  });

  const updatePage = async (request: FastifyRequest<{ Params: P }>) => {
    const data = await programme.commitment(request.principal!, request.params.commitmentId, request.id);
    await programme.authorize(request.principal!, 'programme:manage', request.id);
    return { pageTitle: `Update ${data.commitment.reference}`, ...data, statuses: STATUSES };
  };
  app.get<{ Params: P }>('/programme/commitments/:commitmentId/update', async (request, reply) => {
    const page = await updatePage(request);
    const c = page.commitment;
    return render(reply, 'commitment-form.njk', { ...page, values: { status: c.status, transferredTo: c.transferred_to ?? '', update: '', outcome: '', version: c.version } });
  });
  app.post<{ Params: P }>('/programme/commitments/:commitmentId/update', async (request, reply) =>
    submit(request, reply, {
      schema: commitmentUpdateSchema, template: 'commitment-form.njk', page: () => updatePage(request),
      run: async (value) => {
        await programme.updateCommitment(request.principal!, request.params.commitmentId, value, request.id);
        return `/programme/commitments/${request.params.commitmentId}?done=updated`;
      },
    }));

  app.get<{ Params: P }>('/programme/plans/:planId/annex', async (request, reply) => {
    const data = await programme.annex(request.principal!, request.params.planId, request.id);
    return render(reply, 'annex.njk', { pageTitle: `${data.plan.short_name} annex: commitments and their status`, ...data });
  });
  app.get<{ Params: P }>('/programme/plans/:planId/annex/print', async (request, reply) => {
    const data = await programme.annex(request.principal!, request.params.planId, request.id);
    return render(reply, 'annex-print.njk', { pageTitle: `${data.plan.short_name} annex (printable)`, ...data, printedOn: programme.today() });
  });
  app.get<{ Params: P }>('/programme/plans/:planId/annex.ods', async (request, reply) => {
    const data = await programme.annex(request.principal!, request.params.planId, request.id);
    const file = writeOds([annexSheet(data.plan, data.rows)]);
    return reply.type(ODS_CONTENT_TYPE).header('content-disposition', `attachment; filename="${odsFilename(`${data.plan.short_name} annex`)}"`).send(file);
  });
  // The printable annex's stylesheet: a file, not inline styles, so the CSP stays strict.
  app.get('/programme/print.css', async (_request, reply) => reply.type('text/css').header('cache-control', 'public, max-age=3600').send(PRINT_CSS));

  // ---- Workforce ----------------------------------------------------------------------------------------------------
  app.get('/programme/workforce', async (request, reply) => {
    const data = await programme.workforce(request.principal!, request.id);
    const chart = data.cps.totals.length
      ? await lineChart(data.cps.totals.map((t) => ({ x: t.asOf, y: t.value, series: 'CPS RASSO units (FTE)' })), {
        title: `Line chart of CPS RASSO unit staff in England and Wales, ${data.cps.baseline?.value} FTE on ${data.cps.baseline?.asOf} to ${data.cps.latest?.value} FTE on ${data.cps.latest?.asOf}`,
        xTitle: 'Date', yTitle: 'FTE',
      })
      : null;
    return render(reply, 'workforce.njk', { pageTitle: 'RASSO workforce', ...data, chart, canRecord: programme.canRecordTraining(request.principal!), done: done(request) });
  });

  const workforcePage = async (request: FastifyRequest) => {
    await programme.authorize(request.principal!, 'programme:record-training', request.id);
    return { pageTitle: 'Record a workforce figure', areas: (await services.reference.areas()).filter((a) => !a.is_cps_direct), forces: await services.reference.forces() };
  };
  app.get('/programme/workforce/new', async (request, reply) => render(reply, 'workforce-form.njk', { ...(await workforcePage(request)), values: {} }));
  app.post('/programme/workforce', async (request, reply) =>
    submit(request, reply, {
      schema: workforceSchema(() => services.clock.now()), dates: ['asOf'], template: 'workforce-form.njk', page: () => workforcePage(request),
      run: async (value) => {
        await programme.recordWorkforce(request.principal!, value, request.id);
        return '/programme/workforce?done=workforce';
      },
    }));

  // ---- Training -----------------------------------------------------------------------------------------------------
  app.get('/programme/training', async (request, reply) => {
    const course = String((request.query as Record<string, unknown> | undefined)?.course ?? '');
    const data = await programme.training(request.principal!, course || undefined, request.id);
    const chart = data.cumulative.length
      ? await lineChart(data.cumulative.map((p) => ({ x: p.periodEnd, y: p.cumulative, series: `${data.course.code} completions (cumulative)` })), {
        title: `Line chart of ${data.course.code} completions over time: ${data.total.toLocaleString('en-GB')} in total${data.course.target ? ` against a target of ${data.course.target.toLocaleString('en-GB')}` : ''}`,
        xTitle: 'Period ending', yTitle: 'Officers trained (cumulative)',
        target: data.course.target ? { value: data.course.target, label: `Target ${data.course.target.toLocaleString('en-GB')}` } : undefined,
      })
      : null;
    return render(reply, 'training.njk', { pageTitle: `Training: ${data.course.code}`, ...data, chart, canRecord: programme.canRecordTraining(request.principal!), done: done(request) });
  });

  const completionPage = async (request: FastifyRequest) => {
    await programme.authorize(request.principal!, 'programme:record-training', request.id);
    return { pageTitle: 'Record training completions', courses: await programme.courses(), forces: await services.reference.forces() };
  };
  app.get('/programme/training/completions/new', async (request, reply) => {
    const course = String((request.query as Record<string, unknown> | undefined)?.course ?? '');
    return render(reply, 'completion-form.njk', { ...(await completionPage(request)), values: { courseId: course } });
  });
  app.post('/programme/training/completions', async (request, reply) =>
    submit(request, reply, {
      schema: completionSchema(() => services.clock.now()), dates: ['periodEnd'], template: 'completion-form.njk', page: () => completionPage(request),
      run: async (value) => `/programme/training?course=${encodeURIComponent(await programme.recordCompletion(request.principal!, value, request.id))}&done=completions`,
    }));

  const eventPage = async (request: FastifyRequest) => {
    await programme.authorize(request.principal!, 'programme:record-training', request.id);
    return { pageTitle: 'Record a joint learning event', kinds: Object.keys(EVENT_KIND_LABELS) };
  };
  app.get('/programme/training/events/new', async (request, reply) => render(reply, 'event-form.njk', { ...(await eventPage(request)), values: {} }));
  app.post('/programme/training/events', async (request, reply) =>
    submit(request, reply, {
      schema: learningEventSchema(() => services.clock.now()), dates: ['heldOn'], template: 'event-form.njk', page: () => eventPage(request),
      run: async (value) => {
        await programme.recordLearningEvent(request.principal!, value, request.id);
        return '/programme/training?done=event#learning-events';
      },
    }));

  // ---- Pilots -------------------------------------------------------------------------------------------------------
  app.get('/programme/pilots', async (request, reply) => {
    const pilots = await programme.pilots(request.principal!, request.id);
    return render(reply, 'pilots.njk', { pageTitle: 'Pilots', pilots });
  });
  const pilotPage = async (request: FastifyRequest<{ Params: P }>) => {
    const data = await programme.pilot(request.principal!, request.params.pilotId, request.id);
    return { pageTitle: data.pilot.name, ...data, canManage: programme.canManage(request.principal!) };
  };
  app.get<{ Params: P }>('/programme/pilots/:pilotId', async (request, reply) => render(reply, 'pilot.njk', { ...(await pilotPage(request)), values: {}, done: done(request) }));
  app.post<{ Params: P }>('/programme/pilots/:pilotId/cases', async (request, reply) =>
    submit(request, reply, {
      schema: enrolSchema, template: 'pilot.njk', page: () => pilotPage(request),
      run: async (value) => {
        await programme.enrolCase(request.principal!, request.params.pilotId, value.reference, request.id);
        return `/programme/pilots/${request.params.pilotId}?done=enrolled`;
      },
    }));

  app.post<{ Params: P }>('/programme/pilots/:pilotId/items', async (request, reply) =>
    submit(request, reply, {
      schema: pilotItemSchema(() => services.clock.now()), dates: ['receivedOn'], template: 'pilot.njk', page: () => pilotPage(request),
      run: async (value) => {
        await programme.recordPilotItem(request.principal!, request.params.pilotId, value, request.id);
        return `/programme/pilots/${request.params.pilotId}?done=item`;
      },
    }));

  // ---- Case studies -------------------------------------------------------------------------------------------------
  app.get('/programme/case-studies', async (request, reply) => {
    const query = caseStudyQuerySchema.parse(request.query ?? {});
    const data = await programme.caseStudies(request.principal!, query, request.id);
    return render(reply, 'case-studies.njk', { pageTitle: 'Case studies', ...data, query, queryString: queryString(query), canManage: programme.canManage(request.principal!), done: done(request) });
  });
  const caseStudyPage = async (request: FastifyRequest) => {
    await programme.authorize(request.principal!, 'programme:manage', request.id);
    return { pageTitle: 'Add a case study', themes: await programme.themes() };
  };
  app.get('/programme/case-studies/new', async (request, reply) => render(reply, 'case-study-form.njk', { ...(await caseStudyPage(request)), values: {} }));
  app.post('/programme/case-studies', async (request, reply) =>
    submit(request, reply, {
      schema: caseStudySchema, template: 'case-study-form.njk', page: () => caseStudyPage(request),
      run: async (value) => `/programme/case-studies/${await programme.addCaseStudy(request.principal!, value, request.id)}?done=case-study`,
    }));
  app.get<{ Params: P }>('/programme/case-studies/:caseStudyId', async (request, reply) => {
    const study = await programme.caseStudy(request.principal!, request.params.caseStudyId, request.id);
    return render(reply, 'case-study.njk', { pageTitle: study.title, study, done: done(request) });
  });
}
