import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, newSession } from './support/browser.ts';
import { CaseListPage, SignInPage } from './support/pages.ts';
import { startServer, type TestServer, USERS } from './support/server.ts';

// The warning opens two minutes before the idle timeout: with a 125 s timeout, about 5 s after the page loads.
const IDLE_TIMEOUT_SECONDS = 125;

let server: TestServer;
let browser: Browser;

beforeAll(async () => {
  [server, browser] = await Promise.all([startServer({ config: { idleTimeoutSeconds: IDLE_TIMEOUT_SECONDS } }), launchBrowser()]);
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

describe('session timeout warning (WCAG 2.2.1)', () => {
  it('warns before signing out for inactivity, and "Stay signed in" keeps the session', async () => {
    const { page, problems } = await newSession(browser, server.baseUrl);
    await new SignInPage(page).signInAs(USERS.hampshire.username);
    const list = new CaseListPage(page);
    await expect.poll(() => new URL(page.url()).pathname).toBe('/cases');

    const dialog = page.locator('#timeout-dialog');
    expect(await dialog.isVisible()).toBe(false);
    await page.locator('#timeout-dialog[open]').waitFor({ state: 'visible', timeout: 20_000 });
    expect(await dialog.getByRole('heading').innerText()).toContain('about to be signed out');
    expect(await page.locator('#timeout-remaining').innerText()).toMatch(/minute|seconds/);
    await list.checkAccessibility('the case list with the timeout warning open');

    const [extended] = await Promise.all([
      page.waitForResponse((r) => new URL(r.url()).pathname === '/session/extend' && r.request().method() === 'POST'),
      dialog.getByRole('button', { name: 'Stay signed in' }).click(),
    ]);
    expect(extended.status()).toBe(200);
    const body = (await extended.json()) as { idleRemainingMs: number };
    expect(body.idleRemainingMs).toBeGreaterThan((IDLE_TIMEOUT_SECONDS - 10) * 1000);
    await page.locator('#timeout-dialog[open]').waitFor({ state: 'detached', timeout: 5_000 });
    expect(await dialog.isVisible()).toBe(false);
    expect(new URL(page.url()).pathname).toBe('/cases');

    // Still signed in: a fresh page load shows the signed-in user, not the sign-in page.
    await list.goto();
    expect(new URL(page.url()).pathname).toBe('/cases');
    expect(await list.signedInAs().innerText()).toContain(USERS.hampshire.displayName);
    expect(problems).toEqual([]);
  });
});
