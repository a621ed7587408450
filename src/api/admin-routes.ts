import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { requireSignIn } from '../platform/auth/routes.ts';
import { forbidden, notFound } from '../platform/errors.ts';
import { can } from '../platform/policy.ts';
import { checkboxes, requiredText, validateForm } from '../platform/validation.ts';
import type { Services } from '../services.ts';
import { ApiClientService, CLIENT_ROLE, SCOPES, SCOPE_LABELS } from './clients.ts';

const registerSchema = (orgIds: string[]) =>
  z.object({
    name: requiredText('Enter the name of the system, like “Hampshire Niche”', 100),
    organisationId: z.string({ message: 'Select the force or RASSO unit the system acts for' }).refine((v) => orgIds.includes(v), 'Select the force or RASSO unit the system acts for'),
    scopes: checkboxes([...SCOPES]).refine((s) => s.length > 0, 'Select at least one thing the system may do'),
  });

/** Administrators register and revoke the API's machine clients (admin area, beside the audit log). */
export async function apiAdminRoutes(app: FastifyInstance, { services }: { services: Services }) {
  const clients = new ApiClientService(services.db, services.audit, services.clock);

  const allow = async (request: FastifyRequest, reply: FastifyReply) => {
    if (!request.principal) return requireSignIn(request, reply);
    const p = request.principal;
    if (!can(p, 'api:manage-clients')) {
      await services.audit.record({ actorUserId: p.userId, actorOrganisationId: p.organisation.id, action: 'api:manage-clients', outcome: 'denied', requestId: request.id, detail: { path: request.routeOptions.url } });
      throw forbidden();
    }
  };
  const opts = { preHandler: allow };

  const formData = async () => {
    const organisations = await clients.organisations();
    return {
      organisations,
      scopeItems: SCOPES.map((s) => ({ value: s, text: SCOPE_LABELS[s], hint: { text: s } })),
      roles: CLIENT_ROLE,
    };
  };

  app.get('/admin/api-clients', opts, async (request, reply) => {
    const p = request.principal!;
    const rows = await clients.list();
    await services.audit.record({ actorUserId: p.userId, actorOrganisationId: p.organisation.id, action: 'api-client:list', outcome: 'allowed', requestId: request.id });
    const done = (request.query as { done?: string }).done;
    return reply.render('api/views/admin-clients.njk', { pageTitle: 'API clients', rows, scopeLabels: SCOPE_LABELS, done: done === 'revoked' ? 'The client was revoked. Its tokens no longer work.' : null });
  });

  app.get('/admin/api-clients/new', opts, async (_request, reply) =>
    reply.render('api/views/admin-client-new.njk', { pageTitle: 'Register an API client', values: { scopes: ['cases:read'] }, ...(await formData()) }));

  app.post('/admin/api-clients', opts, async (request, reply) => {
    const data = await formData();
    const form = validateForm(registerSchema(data.organisations.map((o) => o.id)), request.body);
    const body = (request.body ?? {}) as Record<string, unknown>;
    if (!form.ok) {
      const values = { ...body, scopes: Array.isArray(body.scopes) ? body.scopes : body.scopes ? [body.scopes] : [] };
      return reply.code(400).render('api/views/admin-client-new.njk', { pageTitle: 'Register an API client', ...data, values, errors: form.errors, fieldErrors: form.byField });
    }
    const { clientId, clientSecret } = await clients.register(request.principal!, form.value, request.id);
    const org = data.organisations.find((o) => o.id === form.value.organisationId)!;
    // Not a redirect: the secret is shown on this one response and never again (it is stored only as a hash).
    return reply.header('cache-control', 'no-store').render('api/views/admin-client-created.njk', {
      pageTitle: 'API client registered', name: form.value.name, organisation: org.name, clientId, clientSecret, scopes: form.value.scopes,
    });
  });

  app.post('/admin/api-clients/:id/revoke', opts, async (request, reply) => {
    const id = (request.params as { id: string }).id;
    if (!/^[0-9a-f-]{36}$/i.test(id) || !(await clients.revoke(request.principal!, id, request.id))) throw notFound();
    return reply.redirect('/admin/api-clients?done=revoked', 303);
  });
}
