import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { Db, Queryable } from '../db/database.ts';
import type { AuditLog } from '../platform/audit.ts';
import { dummyHash, hashPassword, verifyPassword } from '../platform/auth/passwords.ts';
import type { Clock } from '../platform/clock.ts';
import { HttpError } from '../platform/errors.ts';
import { IdentityRepository } from '../platform/identity.ts';
import type { OrganisationKind, Principal, Role } from '../platform/principal.ts';

/** What a token may be used for. A scope narrows what the client's organisation and role already allow; it never widens it. */
export const SCOPES = ['cases:read', 'cases:write', 'early-advice:write', 'charging:write', 'webhooks:manage'] as const;
export type Scope = (typeof SCOPES)[number];
export const SCOPE_LABELS: Record<Scope, string> = {
  'cases:read': 'Read cases, people and decisions',
  'cases:write': 'Create and update cases and people',
  'early-advice:write': 'Request Early Advice',
  'charging:write': 'Submit files for a charging decision',
  'webhooks:manage': 'Manage webhook subscriptions',
};

/** Short-lived: a leaked token is useful for minutes, and a revoked client stops at once (tokens are checked against it). */
export const TOKEN_TTL_SECONDS = 900;

/**
 * The role a client's service account holds, by the kind of organisation it acts for. Police systems do police case
 * work; a CPS system reads what the Area's RASSO unit may read. The policy (src/platform/policy.ts) decides the rest.
 */
export const CLIENT_ROLE: Partial<Record<string, Role>> = { force: 'investigator', rasso_unit: 'paralegal' };

export interface ApiClientRow {
  id: string;
  name: string;
  organisation_id: string;
  organisation_name: string;
  service_user_id: string;
  scopes: Scope[];
  rate_limit_per_minute: number;
  active: boolean;
  created_at: Date;
  revoked_at: Date | null;
}

/** An authenticated API call: the client, the principal it acts as, and the scopes of its token. */
export interface ApiCaller {
  clientId: string;
  clientName: string;
  principal: Principal;
  scopes: Scope[];
  rateLimitPerMinute: number;
}

export class OAuthError extends HttpError {
  constructor(status: 400 | 401, readonly error: 'invalid_request' | 'invalid_client' | 'invalid_grant' | 'unauthorized_client' | 'unsupported_grant_type' | 'invalid_scope', description: string) {
    super(status, status === 401 ? 'Unauthorised' : 'Bad request', description, { error, error_description: description });
  }
}

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
const token = (prefix: string) => `${prefix}${randomBytes(32).toString('base64url')}`;

export class ApiClientService {
  constructor(
    private readonly db: Db,
    private readonly audit: AuditLog,
    private readonly clock: Clock,
  ) {}

  /** Organisations a client may act for: forces and RASSO units. */
  async organisations() {
    return this.db.query<{ id: string; name: string; kind: string }>(
      `SELECT id, name, kind FROM organisations WHERE active AND kind IN ('force', 'rasso_unit') ORDER BY kind, name`,
    );
  }

  async list(): Promise<ApiClientRow[]> {
    return this.db.query<ApiClientRow>(
      `SELECT c.id, c.name, c.organisation_id, o.name AS organisation_name, c.service_user_id, c.scopes, c.rate_limit_per_minute, c.active, c.created_at, c.revoked_at
         FROM api_clients c JOIN organisations o ON o.id = c.organisation_id ORDER BY c.active DESC, c.created_at DESC`,
    );
  }

  /**
   * Registers a client with its service account. Returns the secret, which is not stored (only its argon2id hash)
   * and so can be shown once.
   */
  async register(admin: Principal, input: { name: string; organisationId: string; scopes: Scope[] }, requestId?: string): Promise<{ clientId: string; clientSecret: string }> {
    const [org] = await this.db.query<{ id: string; kind: string }>('SELECT id, kind FROM organisations WHERE id = $1 AND active', [input.organisationId]);
    const role = org ? CLIENT_ROLE[org.kind] : undefined;
    if (!org || !role) throw new HttpError(400, 'Choose a police force or RASSO unit', 'An API client can only act for a police force or a CPS RASSO unit.');
    const clientId = randomUUID();
    const userId = randomUUID();
    const clientSecret = token('tdms_');
    const secretHash = await hashPassword(clientSecret);
    const now = this.clock.now();
    await this.db.transaction(async (tx) => {
      await new IdentityRepository(tx).create({
        id: userId, username: `api-client-${clientId}`, displayName: `${input.name} (API client)`, email: 'api-client@tandem.invalid',
        // Not an argon2 hash, so no password can ever match: the service account cannot sign in to the pages.
        organisationId: org.id, passwordHash: '!api-client', roles: [role], totpSecretEnc: null, totpEnrolledAt: null,
      });
      // Stored inactive so it is never taken for a person: no sign-in, no place in team or allocation pickers, no
      // reminders. The API builds its principal from the client row instead (servicePrincipal), so revoking the client is what stops it.
      await tx.query('UPDATE users SET active = false WHERE id = $1', [userId]);
      await tx.query(
        `INSERT INTO api_clients (id, name, organisation_id, service_user_id, secret_hash, scopes, created_by, created_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8)`,
        [clientId, input.name, org.id, userId, secretHash, input.scopes, admin.userId, now],
      );
      await this.audit.record({ actorUserId: admin.userId, actorOrganisationId: admin.organisation.id, action: 'api-client:register', outcome: 'allowed', entityType: 'api_client', entityId: clientId, requestId, detail: { organisationId: org.id, scopes: input.scopes, role } }, tx);
    });
    return { clientId, clientSecret };
  }

  /** Revokes a client: its tokens are deleted and its webhooks stopped, in one transaction; servicePrincipal then finds nothing. */
  async revoke(admin: Principal, clientId: string, requestId?: string): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      const rows = await tx.query<{ service_user_id: string }>(
        'UPDATE api_clients SET active = false, revoked_at = $2, revoked_by = $3, version = version + 1 WHERE id = $1 AND active RETURNING service_user_id',
        [clientId, this.clock.now(), admin.userId],
      );
      if (!rows[0]) return false;
      await tx.query('DELETE FROM api_tokens WHERE client_id = $1', [clientId]);
      await tx.query('UPDATE api_webhook_subscriptions SET active = false WHERE client_id = $1', [clientId]);
      await this.audit.record({ actorUserId: admin.userId, actorOrganisationId: admin.organisation.id, action: 'api-client:revoke', outcome: 'allowed', entityType: 'api_client', entityId: clientId, requestId }, tx);
      return true;
    });
  }

  /** OAuth 2.0 client credentials grant (RFC 6749 section 4.4). Failures are audited without the secret. */
  async issueToken(clientId: string, secret: string, requestedScope: string | undefined, requestId?: string): Promise<{ access_token: string; token_type: 'Bearer'; expires_in: number; scope: string }> {
    const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(clientId) ? clientId : null;
    const [client] = uuid
      ? await this.db.query<{ id: string; secret_hash: string; scopes: Scope[]; active: boolean; service_user_id: string; organisation_id: string }>(
          'SELECT id, secret_hash, scopes, active, service_user_id, organisation_id FROM api_clients WHERE id = $1', [uuid])
      : [];
    // Verify against something even for an unknown client, so timing does not reveal which client ids exist.
    const ok = await verifyPassword(client?.secret_hash ?? (await dummyHash()), secret);
    if (!client || !ok || !client.active) {
      await this.audit.record({ actorUserId: client?.service_user_id ?? null, actorOrganisationId: client?.organisation_id ?? null, action: 'api:token', outcome: 'denied', entityType: 'api_client', entityId: clientId.slice(0, 64), requestId, detail: { reason: !client ? 'unknown client' : !ok ? 'wrong secret' : 'client revoked' } });
      throw new OAuthError(401, 'invalid_client', 'The client could not be authenticated.');
    }
    const requested = requestedScope?.trim() ? requestedScope.trim().split(/\s+/) : client.scopes;
    const outside = requested.filter((s) => !client.scopes.includes(s as Scope));
    if (outside.length) {
      await this.audit.record({ actorUserId: client.service_user_id, actorOrganisationId: client.organisation_id, action: 'api:token', outcome: 'denied', entityType: 'api_client', entityId: client.id, requestId, detail: { reason: 'scope not granted', scopes: outside.slice(0, 10).map((s) => s.slice(0, 50)) } });
      throw new OAuthError(400, 'invalid_scope', `This client is not granted: ${outside.slice(0, 10).join(' ').slice(0, 200)}`);
    }
    const accessToken = token('tdm_');
    const now = this.clock.now();
    await this.db.transaction(async (tx) => {
      await tx.query('DELETE FROM api_tokens WHERE client_id = $1 AND expires_at < $2', [client.id, now]);
      await tx.query('INSERT INTO api_tokens (token_hash, client_id, scopes, issued_at, expires_at) VALUES ($1,$2,$3,$4,$5)',
        [sha256(accessToken), client.id, requested, now, new Date(now.getTime() + TOKEN_TTL_SECONDS * 1000)]);
      await this.audit.record({ actorUserId: client.service_user_id, actorOrganisationId: client.organisation_id, action: 'api:token', outcome: 'allowed', entityType: 'api_client', entityId: client.id, requestId, detail: { scopes: requested } }, tx);
    });
    return { access_token: accessToken, token_type: 'Bearer', expires_in: TOKEN_TTL_SECONDS, scope: requested.join(' ') };
  }

  /** The caller a bearer token stands for, or null when the token is unknown, expired or its client revoked. */
  async authenticate(bearer: string): Promise<ApiCaller | null> {
    if (!bearer.startsWith('tdm_') || bearer.length > 200) return null;
    const [row] = await this.db.query<{ client_id: string; name: string; scopes: Scope[]; service_user_id: string; rate_limit_per_minute: number }>(
      `SELECT t.client_id, c.name, t.scopes, c.service_user_id, c.rate_limit_per_minute
         FROM api_tokens t JOIN api_clients c ON c.id = t.client_id
        WHERE t.token_hash = $1 AND t.expires_at > $2 AND c.active`,
      [sha256(bearer), this.clock.now()],
    );
    if (!row) return null;
    const principal = await servicePrincipal(this.db, row.client_id);
    if (!principal) return null;
    return { clientId: row.client_id, clientName: row.name, principal, scopes: row.scopes, rateLimitPerMinute: row.rate_limit_per_minute };
  }

  /**
   * Counts the call in the client's one-minute window (shared by every process through the database) and says how
   * many seconds to wait when the limit is reached.
   */
  async rateLimit(caller: ApiCaller): Promise<{ ok: true } | { ok: false; retryAfter: number }> {
    const now = this.clock.now();
    const windowStart = new Date(Math.floor(now.getTime() / 60_000) * 60_000);
    const [row] = await this.db.query<{ count: number }>(
      `INSERT INTO api_rate_windows (client_id, window_start, count) VALUES ($1,$2,1)
       ON CONFLICT (client_id, window_start) DO UPDATE SET count = api_rate_windows.count + 1 RETURNING count`,
      [caller.clientId, windowStart],
    );
    if ((row?.count ?? 0) > caller.rateLimitPerMinute) return { ok: false, retryAfter: Math.max(1, Math.ceil((windowStart.getTime() + 60_000 - now.getTime()) / 1000)) };
    return { ok: true };
  }
}

/**
 * The principal an active client acts as: its service account, organisation and role, exactly the shape a signed-in
 * person has, so `decide`/`can` in src/platform/policy.ts treat it the same way. Null once the client is revoked.
 */
export async function servicePrincipal(q: Queryable, clientId: string): Promise<Principal | null> {
  const [r] = await q.query<{ user_id: string; username: string; display_name: string; org_id: string; org_kind: OrganisationKind; org_name: string; force_id: string | null; cps_area_id: string | null; roles: Role[] | null }>(
    `SELECT u.id AS user_id, u.username, u.display_name, o.id AS org_id, o.kind AS org_kind, o.name AS org_name, o.force_id, o.cps_area_id,
            (SELECT array_agg(r.role ORDER BY r.role) FROM user_roles r WHERE r.user_id = u.id) AS roles
       FROM api_clients c JOIN users u ON u.id = c.service_user_id JOIN organisations o ON o.id = c.organisation_id
      WHERE c.id = $1 AND c.active AND o.active`,
    [clientId],
  );
  if (!r) return null;
  return {
    userId: r.user_id, username: r.username, displayName: r.display_name, roles: r.roles ?? [],
    organisation: { id: r.org_id, kind: r.org_kind, name: r.org_name, forceId: r.force_id, cpsAreaId: r.cps_area_id },
  };
}
