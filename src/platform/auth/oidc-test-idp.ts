import http from 'node:http';
import type { AddressInfo } from 'node:net';
import Provider from 'oidc-provider';

/** An account at the test identity provider: its claims, and the authentication methods its next login reports. */
export interface IdpAccount {
  claims: Record<string, unknown>;
}

/**
 * A real OpenID Connect provider (`oidc-provider`) on an ephemeral port, for tests. Its login and consent screens are
 * replaced by an automatic answer: whoever `nextLogin` names is signed in, with the `amr` given.
 * The provider is built at the first request, so `redirectUris` may be filled in after the app under test has a port.
 */
export async function startTestIdp(opts: { redirectUris: string[]; clientId: string; clientSecret: string; accounts: Record<string, IdpAccount> }) {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const state = { nextLogin: { accountId: '', amr: ['pwd'] as string[] } };
  const build = () => new Provider(issuer, {
    clients: [{ client_id: opts.clientId, client_secret: opts.clientSecret, redirect_uris: opts.redirectUris, grant_types: ['authorization_code'], response_types: ['code'] }],
    findAccount: async (_ctx: unknown, id: string) => {
      const account = opts.accounts[id];
      return account ? { accountId: id, claims: async () => ({ sub: id, ...account.claims }) } : undefined;
    },
    claims: { openid: ['sub', 'amr', 'acr', 'auth_time'], profile: ['name', 'preferred_username'], email: ['email'], tandem: ['groups', 'org'] },
    scopes: ['openid', 'profile', 'email', 'tandem'],
    // Claims in the ID token itself, as Entra ID and most enterprise IdPs put groups.
    conformIdTokenClaims: false,
    pkce: { required: () => true },
    interactions: { url: (_ctx: unknown, interaction: { uid: string }) => `/interaction/${interaction.uid}` },
    features: { devInteractions: { enabled: false } },
    cookies: { keys: ['test-idp-cookie-key'] },
  });
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  let built: { provider: any; callback: (req: http.IncomingMessage, res: http.ServerResponse) => void } | undefined;
  server.on('request', (req, res) => {
    if (!built) {
      const p = build();
      built = { provider: p, callback: p.callback() };
    }
    const { provider, callback } = built;
    if (!req.url?.startsWith('/interaction/')) return callback(req, res);
    void (async () => {
      const details = await provider.interactionDetails(req, res);
      if (details.prompt.name === 'login') {
        return provider.interactionFinished(req, res, { login: { accountId: state.nextLogin.accountId, amr: state.nextLogin.amr } }, { mergeWithLastSubmission: false });
      }
      const grant = new provider.Grant({ accountId: details.session.accountId, clientId: details.params.client_id });
      const missing = details.prompt.details;
      if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
      if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
      const grantId = await grant.save();
      return provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
    })().catch((err) => {
      res.statusCode = 500;
      res.end(String(err));
    });
  });
  return {
    issuer,
    state,
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}

/** Follows the browser's redirects through the provider (with its own cookie jar) until it is sent back to `returnTo`. */
export async function throughIdp(authorisationUrl: string, returnTo: string): Promise<string> {
  const jar = new Map<string, string>();
  let url = authorisationUrl;
  for (let hop = 0; hop < 12; hop++) {
    if (url.startsWith(returnTo)) return url.slice(returnTo.length);
    const res = await fetch(url, { redirect: 'manual', headers: { cookie: [...jar].map(([k, v]) => `${k}=${v}`).join('; ') } });
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(';');
      const at = pair!.indexOf('=');
      const name = pair!.slice(0, at);
      const value = pair!.slice(at + 1);
      if (!value || /expires=Thu, 01 Jan 1970/i.test(c)) jar.delete(name);
      else jar.set(name, value);
    }
    const location = res.headers.get('location');
    if (!location) throw new Error(`identity provider stopped at ${res.status}: ${(await res.text()).slice(0, 300)}`);
    url = new URL(location, url).href;
  }
  throw new Error('too many redirects at the identity provider');
}
