import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OidcProviderConfig } from '../src/platform/auth/oidc-config.ts';
import { startTestIdp } from '../src/platform/auth/oidc-test-idp.ts';
import { launchBrowser, newSession } from './support/browser.ts';
import { SignInPage } from './support/pages.ts';
import { startServer, type TestServer } from './support/server.ts';

// Single sign-on in a real browser: Tandem's button → a real OpenID provider on another origin → back, signed in.
let server: TestServer;
let browser: Browser;
let idp: Awaited<ReturnType<typeof startTestIdp>>;
const redirectUris: string[] = [];

beforeAll(async () => {
  idp = await startTestIdp({
    redirectUris, clientId: 'tandem', clientSecret: 'e2e-secret',
    accounts: {
      'sub-pat': { claims: { name: 'Pat Officer', preferred_username: 'pat', email: 'pat@kent.police.test', org: 'KENT', groups: ['Tandem-Investigators'] } },
      'sub-nobody': { claims: { name: 'No Body', email: 'nobody@kent.police.test', org: 'KENT', groups: ['Canteen'] } },
    },
  });
  const provider: OidcProviderConfig = {
    id: 'kent-idp', label: 'Kent Police', issuer: idp.issuer, clientId: 'tandem', clientSecret: 'e2e-secret', scopes: ['tandem'],
    organisation: { claim: 'org', map: { KENT: 'force-kent' } },
    roles: { claim: 'groups', map: { 'Tandem-Investigators': 'investigator' } },
    trustIdpMfa: { amr: ['mfa'], acr: [] },
  };
  [server, browser] = await Promise.all([startServer({ config: { oidc: { publicUrl: undefined, providers: [provider] } } }), launchBrowser()]);
  redirectUris.push(`${server.baseUrl}/sign-in/oidc/kent-idp/callback`);
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
  await idp?.close();
});

describe('single sign-on (OpenID Connect)', () => {
  it('signs in with "Sign in with Kent Police" and lands on the case list as that person', async () => {
    const { page, problems } = await newSession(browser, server.baseUrl);
    const signIn = new SignInPage(page);
    await signIn.goto();
    await signIn.checkAccessibility('the sign-in page with a single sign-on button');
    idp.state.nextLogin = { accountId: 'sub-pat', amr: ['pwd', 'mfa'] };
    await Promise.all([page.waitForURL('**/cases'), page.getByRole('button', { name: 'Sign in with Kent Police' }).click()]);
    expect(await signIn.signedInAs().innerText()).toContain('Pat Officer');
    expect(problems).toEqual([]);
  });

  it('tells someone with no Tandem group why they cannot sign in, and leaves them signed out', async () => {
    const { page, problems } = await newSession(browser, server.baseUrl);
    const signIn = new SignInPage(page);
    await signIn.goto();
    idp.state.nextLogin = { accountId: 'sub-nobody', amr: ['pwd', 'mfa'] };
    await Promise.all([page.waitForURL('**/sign-in/oidc/kent-idp/callback**'), page.locator('[data-qa="sso-kent-idp"]').click()]);
    expect(await signIn.heading().innerText()).toBe('Your Kent Police account does not have a Tandem role');
    await signIn.checkAccessibility('the single sign-on refusal page');
    await page.getByRole('link', { name: 'Go back to the sign-in page' }).click();
    await page.waitForURL('**/sign-in');
    await page.goto('/cases');
    expect(new URL(page.url()).pathname).toBe('/sign-in');
    expect(problems).toEqual([]);
  });
});
