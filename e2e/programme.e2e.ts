import { readFile } from 'node:fs/promises';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readOds } from '../src/platform/ods.ts';
import { createUser } from '../src/testing/harness.ts';
import { launchBrowser, newSession, type Session } from './support/browser.ts';
import { AppPage, SignInPage } from './support/pages.ts';
import { startServer, type TestServer } from './support/server.ts';

/** Page objects for the programme pages (data-qa hooks and the names people see). */
class ProgrammePage extends AppPage {
  async open(name: string | RegExp): Promise<void> {
    await Promise.all([this.page.waitForNavigation(), this.page.getByRole('link', { name }).first().click()]);
  }

  /** Follows a link styled as a button (role="button"), found by its data-qa hook. */
  async follow(qa: string): Promise<void> {
    await Promise.all([this.page.waitForNavigation(), this.qa(qa).click()]);
  }

  qa(name: string) {
    return this.page.locator(`[data-qa="${name}"]`);
  }

  async save(qa: string): Promise<void> {
    await this.submit(qa);
  }
}

const LEAD = { username: 'national.lead', displayName: 'Nadia National', organisationId: 'national' };
const ANALYST = { username: 'perf.analyst', displayName: 'Pat Analyst', organisationId: 'national' };

let server: TestServer;
let browser: Browser;
const sessions: Session[] = [];

beforeAll(async () => {
  [server, browser] = await Promise.all([startServer(), launchBrowser()]);
  await createUser(server.db, { ...LEAD, roles: ['national_lead'] });
  await createUser(server.db, { ...ANALYST, roles: ['analyst'] });
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

async function signedIn(username: string): Promise<{ page: Page; problems: string[]; p: ProgrammePage }> {
  const session = await newSession(browser, server.baseUrl);
  sessions.push(session);
  await new SignInPage(session.page).signInAs(username);
  return { page: session.page, problems: session.problems, p: new ProgrammePage(session.page) };
}

describe('the programme in a browser', () => {
  it('a national lead reads the JNAP summary, updates a commitment and downloads the annex', async () => {
    const { page, problems, p } = await signedIn(LEAD.username);
    await p.open('Programme');
    expect(new URL(page.url()).pathname).toBe('/programme');
    await p.checkAccessibility('the programme page');

    await p.open(/Joint National Action Plan on rape/);
    expect(await p.heading().innerText()).toBe('Joint National Action Plan on rape');
    const counts = Object.fromEntries(await Promise.all(
      ['count-original', 'count-refresh-complete', 'count-refresh-in-progress', 'count-added', 'count-to-deliver', 'count-final-complete', 'count-final-in-progress', 'count-final-transferred']
        .map(async (k) => [k, (await p.qa(k).innerText()).trim()]),
    ));
    expect(counts).toEqual({
      'count-original': '32', 'count-refresh-complete': '24', 'count-refresh-in-progress': '8', 'count-added': '12', 'count-to-deliver': '20',
      'count-final-complete': '19', 'count-final-in-progress': '1', 'count-final-transferred': '2',
    });
    await p.checkAccessibility('the JNAP summary');

    await p.open(/^All 44 commitments$/);
    await p.checkAccessibility('the commitment list');
    await page.getByLabel('Status').selectOption('in_progress');
    await p.save('apply-filters');
    expect(await p.qa('result-count').innerText()).toBe('1 commitment');
    await p.open('JNAP 32');
    expect(await p.qa('commitment-title').innerText()).toContain('Psychological injury evaluation pilot');
    await p.checkAccessibility('a commitment');

    await p.follow('update-commitment');
    await p.checkAccessibility('the update form');
    // Sent without an update: the error summary, and nothing saved.
    await p.save('save-commitment');
    await expect.poll(() => p.errorSummary().isVisible()).toBe(true);
    expect(await p.errorLinks().allInnerTexts()).toEqual(['Enter an update on progress']);
    await p.checkAccessibility('the update form with an error');
    await page.getByLabel('Update on progress').fill('Evaluation team appointed; 80 reports analysed so far.');
    await p.save('save-commitment');
    expect(await p.successBanner().innerText()).toContain('Commitment updated.');
    expect(await p.qa('latest-update').innerText()).toBe('Evaluation team appointed; 80 reports analysed so far.');
    await p.checkAccessibility('the commitment after an update');

    // The annex: HTML page, ODS download (read back), printable page.
    await page.goto('/programme/plans/jnap/annex');
    expect(await page.locator('[data-qa="annex-row"]').count()).toBe(44);
    expect(await page.locator('[data-qa="annex-row"]', { hasText: 'JNAP 32' }).innerText()).toContain('Evaluation team appointed');
    await p.checkAccessibility('the annex');
    const [download] = await Promise.all([page.waitForEvent('download'), p.qa('annex-ods').click()]);
    expect(download.suggestedFilename()).toBe('jnap-annex.ods');
    const [sheet] = readOds(await readFile((await download.path())!));
    expect(sheet!.rows).toHaveLength(44);
    expect(sheet!.rows.find((r) => r[0] === 'JNAP 32')![8]).toBe('Evaluation team appointed; 80 reports analysed so far.');
    await p.open('Printable version (print or save as PDF from your browser)');
    expect(await page.locator('table tbody tr').count()).toBe(44);
    await p.checkAccessibility('the printable annex');

    for (const [link, where] of [['/programme/workforce', 'workforce'], ['/programme/pilots', 'pilots'], ['/programme/pilots/psychological-injury', 'the pilot dashboard'], ['/programme/case-studies', 'case studies'], ['/programme/case-studies/new', 'the case-study form'], ['/programme/plans/jrig', 'the successor group'], ['/programme/training/events/new', 'the learning-event form'], ['/programme/workforce/new', 'the workforce form']] as const) {
      await page.goto(link);
      await p.checkAccessibility(where);
    }

    // A case study is stored redacted.
    await page.goto('/programme/case-studies/new');
    await page.getByLabel('Theme').selectOption({ label: 'JRIG: Leadership and culture' });
    await page.getByLabel('Title', { exact: true }).fill('Learning from a joint case conference');
    await page.getByLabel('Case study', { exact: true }).fill('The victim, reachable on 07700 900123, was kept informed at every stage.');
    await p.save('save-case-study');
    expect(await p.successBanner().innerText()).toContain('Case study saved.');
    expect(await p.qa('case-study-body').innerText()).not.toContain('07700');
    await p.checkAccessibility('a saved case study');
    expect(problems).toEqual([]);
  });

  it('an analyst records training completions and sees them on the target chart', async () => {
    const { page, problems, p } = await signedIn(ANALYST.username);
    await p.open('Programme');
    await p.open('Training');
    expect(await p.qa('course-total').innerText()).toBe('4,540');
    expect(await p.qa('course-target').innerText()).toBe('2,000');
    await p.checkAccessibility('the training page');

    await p.follow('record-completions');
    await p.checkAccessibility('the completions form');
    await p.save('save-completions');
    await expect.poll(() => p.errorSummary().isVisible()).toBe(true);
    expect(await p.errorLinks().allInnerTexts()).toEqual(['Select the police force', 'Enter the date the period ended', 'Enter how many officers completed the course']);
    await p.checkAccessibility('the completions form with errors');

    await page.getByLabel('Police force').selectOption({ label: 'Kent' });
    await p.fillDate('Date the period ended', { day: '30', month: '9', year: '2026' });
    await page.getByLabel('Number of officers who completed the course').fill('160');
    await p.save('save-completions');
    expect(await p.successBanner().innerText()).toContain('Training completions recorded.');
    expect(await p.qa('course-total').innerText()).toBe('4,700');
    const chart = page.locator('[data-qa="target-chart"] svg[role="img"]');
    expect(await chart.getAttribute('aria-label')).toBe('Line chart of RISDP completions over time: 4,700 in total against a target of 2,000');
    expect(await chart.isVisible()).toBe(true);
    const rows = await page.locator('[data-qa="chart-row"]').allInnerTexts();
    expect(rows.at(-1)!.replace(/\s+/g, ' ')).toBe('30 September 2026 160 4,700 2,000');
    await p.checkAccessibility('the training page with the new completions');
    expect(problems).toEqual([]);
  });
});
