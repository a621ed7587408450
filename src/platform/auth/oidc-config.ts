import { z } from 'zod';
import { ROLES } from '../principal.ts';

/**
 * Identity providers for OpenID Connect single sign-on, one or more per organisation (a force's Entra ID, the CPS's
 * identity service). Read from TANDEM_OIDC_PROVIDERS (JSON array) so secrets stay in the environment, not the repo.
 *
 * Claim mapping is an allow-list: only listed claim values give an organisation or a role; anything else is ignored,
 * and a person left with no organisation or no role is refused.
 */
const providerSchema = z.object({
  /** Short id used in URLs: /sign-in/oidc/<id>. */
  id: z.string().regex(/^[a-z0-9-]{1,40}$/, 'provider id must be lowercase letters, digits and hyphens'),
  /** Shown on the button: "Sign in with <label>". */
  label: z.string().min(1).max(80),
  issuer: z.string().url(),
  clientId: z.string().min(1),
  clientSecret: z.string().min(1),
  /** Extra scopes to ask for, beyond "openid profile email" (e.g. "groups"). */
  scopes: z.array(z.string().regex(/^[\x21\x23-\x5b\x5d-\x7e]+$/)).default([]),
  /** Either one fixed organisation (a force's own IdP) or a claim whose values map to organisations. */
  organisation: z.union([
    z.object({ id: z.string().min(1) }),
    z.object({ claim: z.string().min(1), map: z.record(z.string(), z.string().min(1)) }),
  ]),
  /** The claim holding groups or roles (string or array of strings), and the allow-list of values → Tandem roles. */
  roles: z.object({ claim: z.string().min(1), map: z.record(z.string(), z.enum(ROLES)) }),
  /**
   * When set, an ID token whose `amr` contains one of these methods, or whose `acr` is one of these values, counts as
   * multi-factor and Tandem's own code is not asked for. Otherwise (or when the token does not show it) TOTP is asked.
   */
  trustIdpMfa: z.object({ amr: z.array(z.string()).default([]), acr: z.array(z.string()).default([]) }).optional(),
});

export type OidcProviderConfig = z.infer<typeof providerSchema>;

export interface OidcSettings {
  /** Public base URL of Tandem (TANDEM_PUBLIC_URL), for the redirect URI registered with each provider. */
  publicUrl: string | undefined;
  providers: OidcProviderConfig[];
}

export class OidcConfigError extends Error {}

export function parseOidcProviders(json: string | undefined): OidcProviderConfig[] {
  if (!json?.trim()) return [];
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch {
    throw new OidcConfigError('TANDEM_OIDC_PROVIDERS must be a JSON array of identity providers');
  }
  const parsed = z.array(providerSchema).safeParse(raw);
  if (!parsed.success) {
    const first = parsed.error.issues[0]!;
    throw new OidcConfigError(`TANDEM_OIDC_PROVIDERS: ${first.path.join('.')}: ${first.message}`);
  }
  const ids = parsed.data.map((p) => p.id);
  if (new Set(ids).size !== ids.length) throw new OidcConfigError('TANDEM_OIDC_PROVIDERS: provider ids must be unique');
  return parsed.data;
}

export function loadOidcSettings(env: NodeJS.ProcessEnv): OidcSettings {
  const settings = { publicUrl: env.TANDEM_PUBLIC_URL?.replace(/\/+$/, '') || undefined, providers: parseOidcProviders(env.TANDEM_OIDC_PROVIDERS) };
  if (env.NODE_ENV === 'production' && settings.providers.length > 0) {
    // Tokens and secrets must not cross the network in clear, and the redirect URI must not follow the Host header.
    const plain = settings.providers.find((p) => !p.issuer.startsWith('https://'));
    if (plain) throw new OidcConfigError(`TANDEM_OIDC_PROVIDERS: provider "${plain.id}" must have an https issuer in production`);
    if (!settings.publicUrl?.startsWith('https://')) throw new OidcConfigError('TANDEM_PUBLIC_URL (https) is required in production when single sign-on is configured');
  }
  return settings;
}
