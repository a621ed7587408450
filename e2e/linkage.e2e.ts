import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { caseIdFrom, forms, signIn as signInAgent } from '../src/testing/harness.ts';
import { launchBrowser, newSession, type Session } from './support/browser.ts';
import { AppPage, CaseFormPage, CaseListPage, CasePage, SignInPage, SuspectFormPage } from './support/pages.ts';
import { startServer, type TestServer, USERS } from './support/server.ts';

const KENT_SUMMARY = 'V1 met the suspect through a dating app; he offered to walk her home. Closed NFA: evidential difficulties.';

/** The linkage pages, found by data-qa hooks and accessible names. */
class LinkagePages extends AppPage {
  async openAlert(): Promise<void> {
    await Promise.all([this.page.waitForURL('**/linkage'), this.page.locator('[data-qa="linkage-alert-link"]').click()]);
  }
  async openExplanation(): Promise<void> {
    await Promise.all([this.page.waitForURL(/\/linkage\/[0-9a-f-]{36}$/), this.page.locator('[data-qa="explain-link"]').first().click()]);
  }
  async askToShare(): Promise<void> {
    await Promise.all([this.page.waitForURL('**/share'), this.page.locator('[data-qa="request-sharing"]').click()]);
  }
  async sendRequest(reason: string): Promise<void> {
    await this.page.getByLabel('Why do you need to see this case?').fill(reason);
    await this.submit('send-request');
  }
  async openRequests(): Promise<void> {
    await Promise.all([this.page.waitForURL('**/linkage/sharing-requests'), this.page.getByRole('link', { name: 'Sharing requests' }).click()]);
  }
  async openRequest(): Promise<void> {
    await Promise.all([this.page.waitForURL(/\/linkage\/sharing-requests\/[0-9a-f-]{36}$/), this.page.locator('[data-qa="open-request"]').first().click()]);
  }
  async decide(option: string, reason: string): Promise<void> {
    await this.choose('Do you agree to share this case?', option);
    await this.page.getByLabel('Reason for your decision').fill(reason);
    await this.submit('decide-request');
  }
  async recordMo(): Promise<void> {
    await this.page.getByRole('group', { name: 'How did the suspect approach the victim?' }).getByLabel('Contact through a dating or social media app').check();
    await this.page.getByRole('group', { name: 'Drug or alcohol facilitation' }).getByLabel('Alcohol encouraged or supplied').check();
    await this.choose('Did the suspect offer to escort the victim home?', 'Yes');
    await this.submit('save-mo');
  }
}

let server: TestServer;
let browser: Browser;
let kentCaseId: string;
let kentReference: string;

beforeAll(async () => {
  [server, browser] = await Promise.all([startServer(), launchBrowser()]);
  // Kent's earlier case: a suspect recorded in 2023, closed by the police with no further action.
  const kent = await signInAgent(server.app, USERS.kent.username);
  kentCaseId = caseIdFrom(await kent.post('/cases', forms.case({ 'offenceDate-year': '2023', 'reportedDate-year': '2023', summary: KENT_SUMMARY })));
  await kent.post(`/cases/${kentCaseId}/suspects`, forms.suspect({ givenName: 'Robert', familyName: 'Hallworth', aliases: '', emails: 'rob.hallworth@example.invalid' }));
  await kent.post(`/cases/${kentCaseId}/mo`, { approach: ['dating_app'], facilitation: ['alcohol'], escortHome: 'yes', victimIncapacitated: 'unknown' });
  await server.db.query("UPDATE cases SET stage = 'nfa_police', outcome_type_code = 15 WHERE id = $1", [kentCaseId]);
  kentReference = (await server.db.query<{ reference: string }>('SELECT reference FROM cases WHERE id = $1', [kentCaseId]))[0]!.reference;
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

async function signIn(session: Session, username: string): Promise<void> {
  await new SignInPage(session.page).signInAs(username);
  await expect.poll(() => new URL(session.page.url()).pathname).toBe('/cases');
}

describe('suspect linkage in a browser', () => {
  it('add suspect → alert → explanation → request sharing → the other force approves → details visible', async () => {
    const session = await newSession(browser, server.baseUrl);
    const { page, problems } = session;
    const pages = new LinkagePages(page);

    // Hampshire opens a case and records a suspect who is Kent's suspect under a nickname.
    await signIn(session, USERS.hampshire.username);
    await new CaseListPage(page).openCase();
    const caseForm = new CaseFormPage(page);
    await caseForm.fill({ offences: ['Rape'], offenceDate: { day: '3', month: '2', year: '2025' }, reportedDate: { day: '10', month: '2', year: '2025' }, summary: 'V1 reports rape after a date arranged through an app.' });
    await caseForm.save();
    const casePage = new CasePage(page);
    const hantsCaseId = casePage.caseId();
    await casePage.addSuspect();
    const suspectForm = new SuspectFormPage(page);
    await suspectForm.fill({ givenName: 'Bob', familyName: 'Hallworth', dateOfBirth: { day: '2', month: '11', year: '1987' } });
    await suspectForm.save();

    // The alert is on the case page at once: force, year and stage (NFA) of the other case, nothing more.
    const alert = page.locator('[data-qa="linkage-alert-text"]');
    expect(await alert.innerText()).toMatch(/Possible same person in 1 other case \(Kent; 2023; No further action \(police\)\)/);
    expect(await page.content()).not.toContain(kentReference);
    await casePage.checkAccessibility('the case page with a linkage alert');

    // The list of possible links, then the explanation.
    await pages.openAlert();
    expect(await page.locator('[data-qa="link-force"]').first().innerText()).toBe('Kent');
    expect(await page.locator('[data-qa="link-stage"]').first().innerText()).toBe('No further action (police)');
    await pages.checkAccessibility('the possible links page');
    await pages.openExplanation();
    expect(await page.locator('[data-qa="waterfall"]').isVisible()).toBe(true);
    expect(await page.locator('[data-qa="contribution-dob"]').innerText()).toContain('exact');
    expect(await page.locator('[data-qa="values-hidden"]').isVisible()).toBe(true);
    const hidden = await page.content();
    for (const secret of [kentReference, KENT_SUMMARY, 'rob.hallworth@example.invalid']) expect(hidden).not.toContain(secret);
    await pages.checkAccessibility('the explanation page (details hidden)');

    // Ask Kent to share: an empty reason is refused with the error summary first.
    await pages.askToShare();
    await pages.checkAccessibility('the sharing request form');
    await pages.sendRequest('');
    await expect.poll(() => pages.errorSummary().isVisible()).toBe(true);
    await pages.checkAccessibility('the sharing request form with an error');
    await pages.sendRequest('Same suspect by name and date of birth; the earlier report may show the same approach.');
    expect(await pages.successBanner().innerText()).toContain('Request sent');
    expect(await page.locator('[data-qa="sharing-pending"]').isVisible()).toBe(true);
    await pages.checkAccessibility('the explanation page with a pending request');
    const linkUrl = page.url();

    // Offence features and possible series (existence only across forces).
    await page.goto(`/cases/${hantsCaseId}/mo`);
    await pages.checkAccessibility('the offence features form');
    await pages.recordMo();
    expect(await pages.successBanner().innerText()).toContain('Offence features saved');
    expect(await page.locator('[data-qa="series-row"]').first().innerText()).toContain('Kent');
    expect(await page.content()).not.toContain(kentReference);
    await pages.checkAccessibility('the possible series page');
    await pages.signOut();

    // Kent's investigator sees the request and approves it, with a reason.
    await signIn(session, USERS.kent.username);
    await pages.openRequests();
    expect(await page.locator('[data-qa="request-row"]').first().innerText()).toContain(kentReference);
    await pages.checkAccessibility('the sharing requests page');
    await pages.openRequest();
    await pages.checkAccessibility('a sharing request');
    await pages.decide('Yes, share the case', 'Agreed for a joint suspect-focused strategy.');
    expect(await pages.successBanner().innerText()).toContain('Request approved');
    await pages.checkAccessibility('the sharing requests page after a decision');
    await pages.signOut();

    // Hampshire now sees Kent's case details on the explanation page.
    await signIn(session, USERS.hampshire.username);
    await page.goto(linkUrl);
    const shared = await page.locator('[data-qa="shared-case"]').innerText();
    expect(shared).toContain(kentReference);
    expect(shared).toContain(KENT_SUMMARY);
    expect(shared).toContain(USERS.kent.displayName);
    expect(await page.locator('[data-qa="contribution-email"]').innerText()).toContain('rob.hallworth@example.invalid');
    await pages.checkAccessibility('the explanation page with shared details');

    // Confirm the link.
    await pages.choose('Your decision', 'Yes, the same person (confirm the link)');
    await Promise.all([page.waitForNavigation(), page.locator('[data-qa="save-decision"]').click()]);
    expect(await pages.successBanner().innerText()).toContain('Link confirmed');
    await pages.checkAccessibility('the explanation page after confirming');

    expect(problems).toEqual([]);
    await session.context.close();
  });
});
