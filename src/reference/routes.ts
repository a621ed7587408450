import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { requireSignIn } from '../platform/auth/routes.ts';
import { forbidden, notFound } from '../platform/errors.ts';
import { can, type GlobalAction } from '../platform/policy.ts';
import { optionalText, requiredText, validateForm, version } from '../platform/validation.ts';
import type { Services } from '../services.ts';
import type { CpsArea, ForceAreaMapping } from './service.ts';

const yesNo = (message: string) => z.enum(['yes', 'no'], { message }).transform((v) => v === 'yes');

const outcomeTypeSchema = z.object({
  title: requiredText('Enter the title of the outcome type', 200),
  active: yesNo('Select whether the outcome type is in use'),
  needsCheck: yesNo('Select whether the outcome type still needs to be confirmed'),
  version,
});

const offenceSchema = z.object({
  title: requiredText('Enter the title of the offence', 200),
  maxPenalty: requiredText('Enter the maximum penalty, like Life or 10 years', 200),
  active: yesNo('Select whether the offence is in use'),
  version,
});

const forceSchema = (areaIds: string[]) =>
  z.object({
    primaryAreaId: z.string({ message: 'Select the CPS Area that takes this force’s cases' }).refine((v) => areaIds.includes(v), 'Select the CPS Area that takes this force’s cases'),
    needsCheck: yesNo('Select whether the mapping still needs to be confirmed'),
    note: optionalText(500),
    version,
  });

const DONE_MESSAGES: Record<string, string> = {
  'outcome-type': 'Outcome type saved.',
  offence: 'Offence saved.',
  force: 'Force’s CPS Area saved. Cases already open keep their Area.',
  unchanged: 'No changes were made.',
};

type Body = Record<string, unknown>;
const yn = (v: boolean) => (v ? 'yes' : 'no');

export async function referenceRoutes(app: FastifyInstance, { services }: { services: Services }) {
  const reference = services.reference;

  /** preHandler: signed in, and allowed by the policy; a refusal is audited. */
  const allow = (action: GlobalAction) => async (request: FastifyRequest, reply: FastifyReply) => {
    if (!request.principal) return requireSignIn(request, reply);
    const p = request.principal;
    if (!can(p, action)) {
      await services.audit.record({
        actorUserId: p.userId, actorOrganisationId: p.organisation.id, action, outcome: 'denied', entityType: 'reference_data',
        detail: { reason: `role does not permit ${action}`, path: request.routeOptions.url }, requestId: request.id,
      });
      throw forbidden();
    }
  };
  const read = { preHandler: allow('reference:read') };
  const update = { preHandler: allow('reference:update') };

  const invalid = (reply: FastifyReply, template: string, data: Body, form: { errors: unknown[]; byField: Record<string, string> }) =>
    reply.code(400).render(template, { ...data, errors: form.errors, fieldErrors: form.byField });
  const saved = (reply: FastifyReply, what: string, changed: boolean) => reply.redirect(`/reference?done=${changed ? what : 'unchanged'}`, 303);

  app.get('/reference', read, async (request, reply) => {
    // Fresh from the database: the cache is per process and an administrator needs the stored versions.
    const data = await reference.current();
    const areaNames = Object.fromEntries(data.areas.map((a) => [a.id, a.name]));
    const forces = data.forces.map((f) => {
      const mine = data.mappings.filter((m) => m.force_id === f.id);
      const primary = mine.find((m) => m.is_primary);
      return {
        ...f, primaryAreaName: primary ? areaNames[primary.cps_area_id] : undefined, needsCheck: primary?.needs_check ?? true, note: primary?.note,
        otherAreaNames: mine.filter((m) => !m.is_primary).map((m) => areaNames[m.cps_area_id]),
      };
    });
    const forcesByArea = Object.fromEntries(data.areas.map((a) => [a.id, forces.filter((f) => f.primary_area_id === a.id).map((f) => f.name)]));
    const done = (request.query as { done?: string }).done;
    return reply.render('reference-index.njk', {
      pageTitle: 'Reference data', areas: data.areas, forcesByArea, forces, offences: data.offences, outcomes: data.outcomes,
      canEdit: can(request.principal!, 'reference:update'), done: done ? DONE_MESSAGES[done] : undefined,
    });
  });

  // Home Office outcome types
  const outcomeType = async (code: string) => {
    if (!/^\d{1,6}$/.test(code)) throw notFound();
    const found = (await reference.current()).outcomes.find((o) => o.code === Number(code));
    if (!found) throw notFound();
    return found;
  };
  app.get<{ Params: { code: string } }>('/reference/outcome-types/:code/edit', update, async (request, reply) => {
    const o = await outcomeType(request.params.code);
    return reply.render('reference-outcome-type-form.njk', {
      pageTitle: `Change outcome type ${o.code}`, record: o, values: { title: o.title, active: yn(o.active), needsCheck: yn(o.needs_check), version: o.version },
    });
  });
  app.post<{ Params: { code: string } }>('/reference/outcome-types/:code/edit', update, async (request, reply) => {
    const o = await outcomeType(request.params.code);
    const body = (request.body ?? {}) as Body;
    const form = validateForm(outcomeTypeSchema, body);
    if (!form.ok) return invalid(reply, 'reference-outcome-type-form.njk', { pageTitle: `Change outcome type ${o.code}`, record: o, values: body }, form);
    const { changed } = await reference.updateOutcomeType(request.principal!, o.code, form.value, request.id);
    return saved(reply, 'outcome-type', changed);
  });

  // Offences
  const offence = async (code: string) => {
    const found = (await reference.current()).offences.find((o) => o.code === code);
    if (!found) throw notFound();
    return found;
  };
  app.get<{ Params: { code: string } }>('/reference/offences/:code/edit', update, async (request, reply) => {
    const o = await offence(request.params.code);
    return reply.render('reference-offence-form.njk', {
      pageTitle: `Change offence: ${o.title}`, record: o, values: { title: o.title, maxPenalty: o.max_penalty, active: yn(o.active), version: o.version },
    });
  });
  app.post<{ Params: { code: string } }>('/reference/offences/:code/edit', update, async (request, reply) => {
    const o = await offence(request.params.code);
    const body = (request.body ?? {}) as Body;
    const form = validateForm(offenceSchema, body);
    if (!form.ok) return invalid(reply, 'reference-offence-form.njk', { pageTitle: `Change offence: ${o.title}`, record: o, values: body }, form);
    const { changed } = await reference.updateOffence(request.principal!, o.code, form.value, request.id);
    return saved(reply, 'offence', changed);
  });

  // Forces and the CPS Area that takes their cases
  const forcePage = async (forceId: string) => {
    const data = await reference.current();
    const force = data.forces.find((f) => f.id === forceId);
    if (!force) throw notFound();
    const mappings = data.mappings.filter((m) => m.force_id === forceId);
    const primary = mappings.find((m) => m.is_primary);
    // CPS Direct only charges out of hours, so it is never a force's Area; an inactive Area stays listed only if current.
    const choices = data.areas.filter((a) => !a.is_cps_direct && (a.active || a.id === primary?.cps_area_id));
    return { force, primary, choices, otherAreas: otherAreas(mappings, data.areas) };
  };
  app.get<{ Params: { forceId: string } }>('/reference/forces/:forceId/edit', update, async (request, reply) => {
    const { force, primary, choices, otherAreas } = await forcePage(request.params.forceId);
    return reply.render('reference-force-form.njk', {
      pageTitle: `Change the CPS Area for ${force.name}`, record: force, areas: choices, otherAreas,
      values: { primaryAreaId: primary?.cps_area_id, needsCheck: yn(primary?.needs_check ?? true), note: primary?.note ?? '', version: force.version },
    });
  });
  app.post<{ Params: { forceId: string } }>('/reference/forces/:forceId/edit', update, async (request, reply) => {
    const { force, choices, otherAreas } = await forcePage(request.params.forceId);
    const body = (request.body ?? {}) as Body;
    const form = validateForm(forceSchema(choices.map((a) => a.id)), body);
    if (!form.ok) return invalid(reply, 'reference-force-form.njk', { pageTitle: `Change the CPS Area for ${force.name}`, record: force, areas: choices, otherAreas, values: body }, form);
    const { changed } = await reference.updateForceMapping(request.principal!, force.id, form.value, request.id);
    return saved(reply, 'force', changed);
  });
}

function otherAreas(mappings: ForceAreaMapping[], areas: CpsArea[]): string[] {
  return mappings.filter((m) => !m.is_primary).map((m) => areas.find((a) => a.id === m.cps_area_id)?.name ?? m.cps_area_id);
}
