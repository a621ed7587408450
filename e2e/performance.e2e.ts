import { readFile } from 'node:fs/promises';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addCase } from '../src/performance/test-support.ts';
import { createUser } from '../src/testing/harness.ts';
import { launchBrowser, newSession, type Session } from './support/browser.ts';
import { AppPage, SignInPage } from './support/pages.ts';
import { startServer, type TestServer } from './support/server.ts';

/** The performance dashboard, found by its data-qa hooks and the labels people see. */
class DashboardPage extends AppPage {
  headlineChange(id: string) {
    return this.page.locator(`[data-qa="headline-${id}"] [data-qa="headline-change"]`);
  }

  async chooseBaseline(label: string): Promise<void> {
    await this.page.getByLabel('Compare with (baseline quarter)').selectOption({ label });
    await Promise.all([this.page.waitForNavigation(), this.page.locator('[data-qa="apply-filters"]').click()]);
  }

  async downloadCsv(table: string): Promise<string> {
    const [download] = await Promise.all([this.page.waitForEvent('download'), this.page.locator(`[data-qa="csv-${table}"]`).click()]);
    return readFile((await download.path())!, 'utf8');
  }
}

let server: TestServer;
let browser: Browser;

beforeAll(async () => {
  [server, browser] = await Promise.all([startServer(), launchBrowser()]);
  await createUser(server.db, { username: 'perf.analyst', displayName: 'Robin Hall', organisationId: 'national', roles: ['analyst'] });
  const kent = { force: 'kent', area: 'south-east' };
  const hants = { force: 'hampshire-and-isle-of-wight', area: 'wessex' };
  // Adult rape referrals: 10 in Jan–Mar 2021, 20 in Jan–Mar 2022, 25 in Apr–Jun 2024 (3 of them in Wessex, a small cell).
  for (let i = 0; i < 10; i++) await addCase(server.db, { ...kent, reported: '2021-01-04', events: [['referred_for_charge', '2021-02-01']] });
  for (let i = 0; i < 20; i++) await addCase(server.db, { ...kent, reported: '2022-01-04', events: [['referred_for_charge', '2022-02-01']] });
  for (let i = 0; i < 22; i++) await addCase(server.db, { ...kent, reported: '2024-03-01', events: [['referred_for_charge', '2024-04-10'], ...(i < 9 ? [['charged', '2024-05-20'] as [string, string]] : [])] });
  for (let i = 0; i < 3; i++) await addCase(server.db, { ...hants, reported: '2024-03-01', events: [['early_advice_requested', '2024-04-10']] });
  await server.services.performance.refreshNow();
  await server.services.performance.release({ quarter: '2024Q2', commentary: 'Adult rape referrals continued to rise this quarter.', changeNote: '', releasedBy: 'e2e' });
}, 300_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

async function signIn(session: Session, username: string): Promise<void> {
  await new SignInPage(session.page).signInAs(username);
}

async function visit(page: Page, url: string, where: string): Promise<void> {
  const res = await page.goto(url);
  expect(res?.status(), where).toBe(200);
  await new AppPage(page).checkAccessibility(where);
}

describe('performance data in a browser', () => {
  it('an analyst reads the national dashboard, changes the baseline quarter and downloads a table', async () => {
    const session = await newSession(browser, server.baseUrl);
    await signIn(session, 'perf.analyst');
    const { page } = session;
    await Promise.all([page.waitForURL('**/performance/dashboard'), page.getByRole('link', { name: 'Performance', exact: true }).click()]);
    const dashboard = new DashboardPage(page);
    await expect.poll(() => dashboard.heading().innerText()).toBe('Performance: adult rape');
    await dashboard.checkAccessibility('the national dashboard');
    // 25 referrals against 10 in Jan–Mar 2021
    expect(await dashboard.headlineChange('referrals').innerText()).toBe('+150% since Jan–Mar 2021');
    expect(await page.locator('svg[role="img"][aria-label^="Line chart of referrals and charges"]').count()).toBe(1);

    await dashboard.chooseBaseline('Jan–Mar 2022');
    expect(await dashboard.headlineChange('referrals').innerText()).toBe('+25% since Jan–Mar 2022');
    expect(new URL(page.url()).searchParams.get('baseline')).toBe('2022Q1');
    await dashboard.checkAccessibility('the dashboard with another baseline');

    const csv = await dashboard.downloadCsv('referrals-charges');
    expect(csv.split('\r\n')[0]).toContain('Measure,');
    expect(csv.split('\r\n')[0]).toMatch(/,Change since Jan–Mar 2022 \(%\)$/);
    // Two years to Apr–Jun 2024 by default: nothing from Jul–Sep 2022 until 25 in the last quarter, +25% on 20
    expect(csv).toMatch(/\r\nReferrals \(Early Advice and charging\),(0,){7}25,25\r\n/);

    // Drill down into an Area from the breakdown table.
    await Promise.all([page.waitForNavigation(), page.locator('[data-qa="breakdown"]').getByRole('link', { name: 'South East' }).click()]);
    expect(await page.locator('[data-qa="scope-name"]').innerText()).toBe('CPS South East');
    await dashboard.checkAccessibility('an Area dashboard');

    await visit(page, '/performance/definitions', 'the definitions page');
    await visit(page, '/performance/data-quality', 'the data quality page');
    expect(session.problems).toEqual([]);
  });

  it('the public reads a quarter’s publication without signing in, with withheld cells marked and explained', async () => {
    const session = await newSession(browser, server.baseUrl);
    const { page } = session;
    await visit(page, '/statistics', 'the list of publications');
    await Promise.all([page.waitForURL('**/statistics/2024Q2'), page.getByRole('link', { name: 'Apr–Jun 2024' }).click()]);
    await new AppPage(page).checkAccessibility('the public quarterly publication');
    expect(await page.locator('[data-qa="commentary"]').innerText()).toBe('Adult rape referrals continued to rise this quarter.');
    expect(await page.locator('[data-qa="suppression-note"]').innerText()).toContain('Counts below 5 are withheld');
    const wessex = page.locator('[data-qa="table-referrals-adult-rape"] tr', { hasText: 'Wessex' });
    expect(await wessex.locator('td').first().innerText()).toBe('[c]');
    expect(await page.locator('[data-qa="signed-in-as"]').count()).toBe(0);
    expect(session.problems).toEqual([]);
  });
});
