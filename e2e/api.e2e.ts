import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser } from '../src/testing/harness.ts';
import { launchBrowser, newSession, type Session } from './support/browser.ts';
import { AppPage, SignInPage } from './support/pages.ts';
import { startServer, type TestServer, USERS } from './support/server.ts';

/** The API clients admin pages and the API docs, by data-qa hooks and the names people see. */
class ApiClientsPage extends AppPage {
  qa(name: string) {
    return this.page.locator(`[data-qa="${name}"]`);
  }

  async follow(qa: string): Promise<void> {
    await Promise.all([this.page.waitForNavigation(), this.qa(qa).first().click()]);
  }

  async save(qa: string): Promise<void> {
    await this.submit(qa);
  }
}

const ADMIN = { username: 'service.admin', displayName: 'Sam Admin', organisationId: 'national' };

let server: TestServer;
let browser: Browser;
const sessions: Session[] = [];

beforeAll(async () => {
  [server, browser] = await Promise.all([startServer(), launchBrowser()]);
  await createUser(server.db, { ...ADMIN, roles: ['admin'] });
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

describe('the integration API in a browser', () => {
  it('an administrator registers a force’s system, copies its secret once, the system gets a token and reads its cases, then the administrator revokes it', async () => {
    const session = await newSession(browser, server.baseUrl);
    sessions.push(session);
    const { page } = session;
    await new SignInPage(page).signInAs(ADMIN.username);
    const p = new ApiClientsPage(page);

    await Promise.all([page.waitForNavigation(), page.getByRole('link', { name: 'API clients' }).click()]);
    expect(await p.heading().innerText()).toBe('API clients');
    expect(await p.qa('no-clients').isVisible()).toBe(true);
    await p.checkAccessibility('the API clients list (empty)');

    await p.follow('register-client');
    await p.save('save');
    expect(await p.errorLinks().allInnerTexts()).toEqual([
      'Enter the name of the system, like “Hampshire Niche”',
      'Select the force or RASSO unit the system acts for',
    ]);
    await p.checkAccessibility('the register form with errors');

    await page.getByLabel('Name of the system').fill('Hampshire Niche');
    await page.getByLabel('Organisation it acts for').selectOption({ label: `${USERS.hampshire.organisationName} (police force)` });
    await page.getByLabel('Create and update cases and people').check();
    await p.save('save');
    expect(await p.qa('confirmation').innerText()).toContain('API client registered');
    const clientId = (await p.qa('client-id').innerText()).trim();
    const clientSecret = (await p.qa('client-secret').innerText()).trim();
    await p.checkAccessibility('the registration confirmation');

    // The system uses the credentials as a machine would.
    const token = await fetch(`${server.baseUrl}/api/v1/oauth/token`, {
      method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'client_credentials', client_id: clientId, client_secret: clientSecret }),
    });
    expect(token.status).toBe(200);
    const { access_token } = (await token.json()) as { access_token: string };
    const created = await fetch(`${server.baseUrl}/api/v1/cases`, {
      method: 'POST', headers: { authorization: `Bearer ${access_token}`, 'content-type': 'application/json', 'idempotency-key': 'e2e-create-0001' },
      body: JSON.stringify({ offences: ['SOA2003-s1'], reportedDate: '2025-02-10', summary: 'Reported through the API.' }),
    });
    expect(created.status).toBe(201);

    await Promise.all([page.waitForNavigation(), page.locator('[data-qa="back-to-clients"]').click()]);
    expect(await p.qa('client-name').allInnerTexts()).toEqual(['Hampshire Niche']);
    expect(await page.content()).not.toContain(clientSecret);
    await p.checkAccessibility('the API clients list');
    await p.save('revoke');
    expect(await p.successBanner().innerText()).toContain('The client was revoked');
    expect(await p.qa('status').innerText()).toContain('Revoked');
    const after = await fetch(`${server.baseUrl}/api/v1/cases`, { headers: { authorization: `Bearer ${access_token}` } });
    expect(after.status).toBe(401);
    expect(after.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(session.problems).toEqual([]);
  });

  it('anyone can read the API docs, rendered on the server under the strict CSP, linking the OpenAPI document', async () => {
    const session = await newSession(browser, server.baseUrl);
    sessions.push(session);
    const { page } = session;
    const p = new ApiClientsPage(page);
    await page.goto(`${server.baseUrl}/api/v1/docs`);
    expect(await p.heading().innerText()).toBe('Tandem integration API');
    expect(await p.qa('operation-path').allInnerTexts()).toEqual(expect.arrayContaining(['/api/v1/oauth/token', '/api/v1/cases/{caseId}/early-advice-requests']));
    await p.checkAccessibility('the API docs');
    const spec = await page.evaluate(async () => (await fetch('/api/v1/openapi.json')).json());
    expect(spec.openapi).toBe('3.1.0');
    expect(session.problems).toEqual([]);
  });
});
