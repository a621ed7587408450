import type { FastifyInstance } from 'fastify';
import type { Db } from '../db/database.ts';
import type { Services } from '../services.ts';
import { ApiClientService, type Scope } from './clients.ts';

/** Test helpers for the API: register a client as an administrator would, and get a token the way a system would. */
export async function registerClient(services: Services, adminUserId: string, input: { name: string; organisationId: string; scopes: Scope[] }) {
  const admin = (await services.identity.principal(adminUserId))!;
  return new ApiClientService(services.db, services.audit, services.clock).register(admin, input);
}

export async function tokenFor(app: FastifyInstance, client: { clientId: string; clientSecret: string }, scope?: string): Promise<string> {
  const res = await app.inject({
    method: 'POST', url: '/api/v1/oauth/token', headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams({ grant_type: 'client_credentials', client_id: client.clientId, client_secret: client.clientSecret, ...(scope ? { scope } : {}) }).toString(),
  });
  if (res.statusCode !== 200) throw new Error(`token request failed: ${res.statusCode} ${res.body}`);
  return res.json().access_token as string;
}

/** A JSON API client over app.inject. */
export function apiAgent(app: FastifyInstance, token: string) {
  const call = (method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, body?: unknown, headers: Record<string, string> = {}) =>
    app.inject({
      method, url, headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
      ...(body !== undefined ? { payload: JSON.stringify(body) } : {}),
    });
  return {
    get: (url: string, headers?: Record<string, string>) => call('GET', url, undefined, headers),
    post: (url: string, body: unknown, headers?: Record<string, string>) => call('POST', url, body, headers),
    put: (url: string, body: unknown, headers?: Record<string, string>) => call('PUT', url, body, headers),
    delete: (url: string, headers?: Record<string, string>) => call('DELETE', url, undefined, headers),
  };
}

export const count = async (db: Db, sql: string, params: unknown[] = []) => (await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${sql}`, params))[0]!.n;

/** A valid JSON case body (the same fields as the case form, dates as ISO strings). */
export const caseBody = (over: Record<string, unknown> = {}) => ({
  offences: ['SOA2003-s1'], offenceDate: '2025-02-03', reportedDate: '2025-02-10', summary: 'V1 reports rape by an acquaintance after a night out.', ...over,
});
