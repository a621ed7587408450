import { createHash, randomUUID } from 'node:crypto';
import * as client from 'openid-client';
import type { Db, Queryable } from '../../db/database.ts';
import type { AuditLog } from '../audit.ts';
import type { Clock } from '../clock.ts';
import { IdentityRepository } from '../identity.ts';
import type { Role } from '../principal.ts';
import type { SessionStore } from '../sessions.ts';
import type { OidcProviderConfig, OidcSettings } from './oidc-config.ts';

/** How long a sign-in may sit at the identity provider before its state is no longer accepted. */
export const SIGN_IN_REQUEST_SECONDS = 10 * 60;

/** Why an SSO sign-in was refused; each has its own explanation on the refusal page. */
export type OidcRefusal =
  | 'unknown_provider'
  | 'provider_unavailable'
  | 'bad_state'
  | 'provider_error'
  | 'token_rejected'
  | 'no_organisation'
  | 'no_role'
  | 'account_disabled';

export type OidcCallbackResult =
  | { ok: true; sessionId: string; next: 'active' | 'second_factor' | 'enrol' }
  | { ok: false; reason: OidcRefusal; provider?: OidcProviderConfig };

// Sentinel that no argon2 hash can equal: users provisioned by SSO have no Tandem password.
const NO_PASSWORD = '!sso';

const hashState = (state: string) => createHash('sha256').update(state).digest('hex');

/** String or array-of-strings claim values (IdPs send groups either way); anything else counts as nothing. */
function claimValues(claims: Record<string, unknown>, name: string): string[] {
  const v = claims[name];
  if (typeof v === 'string') return [v];
  if (Array.isArray(v)) return v.filter((x): x is string => typeof x === 'string');
  return [];
}

/**
 * OpenID Connect sign-in (authorisation code flow with PKCE, state and nonce) over `openid-client`. It ends in an
 * ordinary Tandem session, so policy, audit and session timeouts downstream do not know or care how someone signed in.
 */
export class OidcService {
  private readonly discovered = new Map<string, Promise<client.Configuration>>();

  constructor(
    private readonly db: Db,
    private readonly sessions: SessionStore,
    private readonly audit: AuditLog,
    private readonly clock: Clock,
    private readonly settings: OidcSettings,
    private readonly allowHttpIssuers: boolean,
  ) {}

  get providers(): OidcProviderConfig[] {
    return this.settings.providers;
  }

  provider(id: string): OidcProviderConfig | undefined {
    return this.settings.providers.find((p) => p.id === id);
  }

  redirectUri(provider: OidcProviderConfig, requestOrigin: string): string {
    return `${this.settings.publicUrl ?? requestOrigin}/sign-in/oidc/${provider.id}/callback`;
  }

  /** Discovery once per process; a failure is not cached, so a provider that was down is retried next time. */
  private configuration(provider: OidcProviderConfig): Promise<client.Configuration> {
    let found = this.discovered.get(provider.id);
    if (!found) {
      const insecure = this.allowHttpIssuers && provider.issuer.startsWith('http:');
      found = client.discovery(new URL(provider.issuer), provider.clientId, undefined, client.ClientSecretBasic(provider.clientSecret), {
        execute: insecure ? [client.allowInsecureRequests] : [],
        timeout: 10,
      });
      found.catch(() => this.discovered.delete(provider.id));
      this.discovered.set(provider.id, found);
    }
    return found;
  }

  /** Starts a sign-in: remembers state, nonce and PKCE verifier, and gives the provider's authorisation URL. */
  async start(provider: OidcProviderConfig, redirectUri: string): Promise<{ ok: true; url: string; state: string } | { ok: false; reason: OidcRefusal }> {
    let config: client.Configuration;
    try {
      config = await this.configuration(provider);
    } catch {
      return { ok: false, reason: 'provider_unavailable' };
    }
    const state = client.randomState();
    const nonce = client.randomNonce();
    const codeVerifier = client.randomPKCECodeVerifier();
    const now = this.clock.now();
    await this.db.query('DELETE FROM oidc_sign_in_requests WHERE expires_at < $1', [now]);
    await this.db.query(
      'INSERT INTO oidc_sign_in_requests (state_hash, provider_id, nonce, code_verifier, created_at, expires_at) VALUES ($1,$2,$3,$4,$5,$6)',
      [hashState(state), provider.id, nonce, codeVerifier, now, new Date(now.getTime() + SIGN_IN_REQUEST_SECONDS * 1000)],
    );
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: redirectUri,
      scope: ['openid', 'profile', 'email', ...provider.scopes].join(' '),
      code_challenge: await client.calculatePKCECodeChallenge(codeVerifier),
      code_challenge_method: 'S256',
      state,
      nonce,
    });
    return { ok: true, url: url.href, state };
  }

  private async refuse(provider: OidcProviderConfig | undefined, reason: OidcRefusal, extra: Record<string, unknown> = {}, userId: string | null = null): Promise<OidcCallbackResult> {
    await this.audit.record({ actorUserId: userId, action: 'sign-in', outcome: 'denied', detail: { method: 'oidc', provider: provider?.id ?? null, reason, ...extra } });
    return { ok: false, reason, provider };
  }

  /**
   * The provider sent the browser back. `cookieState` is the state this browser was given when it set off: a callback
   * that does not carry it (login CSRF, a link from someone else) is refused, as is any state already used or expired.
   */
  async callback(provider: OidcProviderConfig, callbackUrl: URL, cookieState: string | undefined): Promise<OidcCallbackResult> {
    const state = callbackUrl.searchParams.get('state');
    if (!state || !cookieState || state !== cookieState) return this.refuse(provider, 'bad_state');
    // Single use: the row goes whatever happens next, so a replayed callback (same code, state and nonce) finds nothing.
    const rows = await this.db.query<{ provider_id: string; nonce: string; code_verifier: string; expires_at: Date }>(
      'DELETE FROM oidc_sign_in_requests WHERE state_hash = $1 RETURNING provider_id, nonce, code_verifier, expires_at',
      [hashState(state)],
    );
    const pending = rows[0];
    if (!pending || pending.provider_id !== provider.id || new Date(pending.expires_at) <= this.clock.now()) return this.refuse(provider, 'bad_state');
    if (callbackUrl.searchParams.has('error')) return this.refuse(provider, 'provider_error', { error: callbackUrl.searchParams.get('error')?.slice(0, 100) });

    let claims: Record<string, unknown>;
    try {
      const config = await this.configuration(provider);
      const tokens = await client.authorizationCodeGrant(config, callbackUrl, {
        pkceCodeVerifier: pending.code_verifier, expectedState: state, expectedNonce: pending.nonce, idTokenExpected: true,
      });
      claims = (tokens.claims() ?? {}) as Record<string, unknown>;
    } catch (err) {
      // Signature, issuer, audience, expiry, nonce or PKCE failed, or the code was already used.
      const code = (err as { code?: string }).code ?? (err as Error).name;
      return this.refuse(provider, 'token_rejected', { error: String(code).slice(0, 100) });
    }
    const issuer = String(claims.iss);
    const subject = String(claims.sub);

    const organisationId = await this.mapOrganisation(provider, claims);
    if (!organisationId) return this.refuse(provider, 'no_organisation', { issuer, subject });
    const roles = [...new Set(claimValues(claims, provider.roles.claim).flatMap((v) => (Object.hasOwn(provider.roles.map, v) ? [provider.roles.map[v]!] : [])))].sort();
    if (roles.length === 0) return this.refuse(provider, 'no_role', { issuer, subject });

    let user: Awaited<ReturnType<OidcService['findOrProvision']>>;
    try {
      user = await this.findOrProvision(provider, issuer, subject, claims, organisationId, roles);
    } catch (err) {
      // Two first sign-ins of the same person at once: one provisions, the other finds the link on a second look.
      if ((err as { code?: string }).code !== '23505') throw err;
      user = await this.findOrProvision(provider, issuer, subject, claims, organisationId, roles);
    }
    if (!user.active) return this.refuse(provider, 'account_disabled', {}, user.id);

    const mfaByIdp = this.idpDidMfa(provider, claims);
    const next = mfaByIdp ? 'active' : user.totpEnrolled ? 'second_factor' : 'enrol';
    const { id } = await this.sessions.create(user.id, next);
    await this.audit.record({
      actorUserId: user.id, actorOrganisationId: organisationId, action: mfaByIdp ? 'sign-in' : 'sign-in-oidc-first-factor', outcome: 'allowed',
      detail: { method: 'oidc', provider: provider.id, roles, mfa: mfaByIdp ? 'idp' : 'tandem-totp', amr: claimValues(claims, 'amr'), acr: claims.acr ?? null },
    });
    return { ok: true, sessionId: id, next };
  }

  private async mapOrganisation(provider: OidcProviderConfig, claims: Record<string, unknown>): Promise<string | undefined> {
    let id: string | undefined;
    if ('id' in provider.organisation) id = provider.organisation.id;
    else {
      const { claim, map } = provider.organisation;
      const mapped = [...new Set(claimValues(claims, claim).flatMap((v) => (Object.hasOwn(map, v) ? [map[v]!] : [])))];
      // More than one organisation is ambiguous: refuse rather than guess whose data they should see.
      if (mapped.length === 1) id = mapped[0];
    }
    if (!id) return undefined;
    const rows = await this.db.query<{ id: string }>('SELECT id FROM organisations WHERE id = $1 AND active', [id]);
    return rows[0]?.id;
  }

  private idpDidMfa(provider: OidcProviderConfig, claims: Record<string, unknown>): boolean {
    const trust = provider.trustIdpMfa;
    if (!trust) return false;
    const amr = claimValues(claims, 'amr');
    return amr.some((m) => trust.amr.includes(m)) || (typeof claims.acr === 'string' && trust.acr.includes(claims.acr));
  }

  /**
   * The user linked to issuer + subject, created on first sign-in. Organisation and roles follow the provider's claims
   * on every sign-in, so removing someone from a group at the IdP removes the role in Tandem.
   */
  private async findOrProvision(
    provider: OidcProviderConfig, issuer: string, subject: string, claims: Record<string, unknown>, organisationId: string, roles: Role[],
  ): Promise<{ id: string; active: boolean; totpEnrolled: boolean }> {
    const now = this.clock.now();
    return this.db.transaction(async (tx) => {
      const linked = await tx.query<{ user_id: string }>('SELECT user_id FROM user_identities WHERE issuer = $1 AND subject = $2 FOR UPDATE', [issuer, subject]);
      let userId = linked[0]?.user_id;
      if (userId) {
        await tx.query('UPDATE user_identities SET last_sign_in_at = $3 WHERE issuer = $1 AND subject = $2', [issuer, subject, now]);
        await this.syncAccess(tx, userId, organisationId, roles);
      } else {
        userId = randomUUID();
        const displayName = typeof claims.name === 'string' && claims.name.trim() ? claims.name.trim().slice(0, 200) : subject.slice(0, 200);
        await new IdentityRepository(tx).create({
          id: userId, username: await this.freeUsername(tx, provider, claims, subject), displayName,
          email: typeof claims.email === 'string' ? claims.email.slice(0, 320) : '', organisationId, passwordHash: NO_PASSWORD, roles,
        });
        await tx.query(
          'INSERT INTO user_identities (issuer, subject, provider_id, user_id, created_at, last_sign_in_at) VALUES ($1,$2,$3,$4,$5,$5)',
          [issuer, subject, provider.id, userId, now],
        );
        await this.audit.record({
          actorUserId: userId, actorOrganisationId: organisationId, action: 'user-provisioned', outcome: 'allowed', entityType: 'user', entityId: userId,
          detail: { method: 'oidc', provider: provider.id, roles },
        }, tx);
      }
      const user = (await tx.query<{ active: boolean; totp_enrolled_at: Date | null; totp_secret_enc: string | null }>(
        'SELECT active, totp_enrolled_at, totp_secret_enc FROM users WHERE id = $1', [userId],
      ))[0]!;
      return { id: userId, active: user.active, totpEnrolled: !!user.totp_enrolled_at && !!user.totp_secret_enc };
    });
  }

  private async syncAccess(tx: Queryable, userId: string, organisationId: string, roles: Role[]) {
    const current = await tx.query<{ organisation_id: string; roles: Role[] | null }>(
      'SELECT organisation_id, (SELECT array_agg(role ORDER BY role) FROM user_roles WHERE user_id = $1) AS roles FROM users WHERE id = $1', [userId],
    );
    const before = current[0]!;
    const same = before.organisation_id === organisationId && JSON.stringify(before.roles ?? []) === JSON.stringify(roles);
    if (same) return;
    await tx.query('UPDATE users SET organisation_id = $2, version = version + 1 WHERE id = $1', [userId, organisationId]);
    await tx.query('DELETE FROM user_roles WHERE user_id = $1', [userId]);
    for (const role of roles) await tx.query('INSERT INTO user_roles (user_id, role) VALUES ($1,$2)', [userId, role]);
    await this.audit.record({
      actorUserId: userId, actorOrganisationId: organisationId, action: 'user-access-synced', outcome: 'allowed', entityType: 'user', entityId: userId,
      detail: { method: 'oidc', from: { organisation: before.organisation_id, roles: before.roles ?? [] }, to: { organisation: organisationId, roles } },
    }, tx);
  }

  /** "<provider>:<preferred_username>" when free, else "<provider>:<subject>": never a bare name a local account could hold. */
  private async freeUsername(tx: Queryable, provider: OidcProviderConfig, claims: Record<string, unknown>, subject: string): Promise<string> {
    const preferred = typeof claims.preferred_username === 'string' ? claims.preferred_username.trim() : '';
    for (const candidate of [preferred && `${provider.id}:${preferred}`, `${provider.id}:${subject}`, `${provider.id}:${randomUUID()}`]) {
      if (!candidate) continue;
      const name = candidate.slice(0, 100);
      const taken = await tx.query('SELECT 1 FROM users WHERE lower(username) = lower($1)', [name]);
      if (taken.length === 0) return name;
    }
    return `${provider.id}:${randomUUID()}`;
  }
}
