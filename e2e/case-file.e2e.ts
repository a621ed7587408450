import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { totpCode } from '../src/platform/auth/totp.ts';
import { TEST_PASSWORD, TEST_TOTP_SECRET } from '../src/testing/harness.ts';
import { launchBrowser, newSession, type Session } from './support/browser.ts';
import { AppPage, CaseFormPage, CaseListPage, CasePage, EnrolPage, SignInPage, SuspectFormPage, VictimFormPage } from './support/pages.ts';
import { startServer, type TestServer, USERS } from './support/server.ts';

const VICTIM = { givenName: 'Amelia', familyName: 'Quintrell' };
const SUSPECT = { givenName: 'Robert', familyName: 'Hallworth' };

let server: TestServer;
let browser: Browser;
const sessions: Session[] = [];

beforeAll(async () => {
  [server, browser] = await Promise.all([startServer(), launchBrowser()]);
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

async function open(): Promise<Session> {
  const session = await newSession(browser, server.baseUrl);
  sessions.push(session);
  return session;
}

/** Signs in through the real pages, checking each page for accessibility on the way. */
async function signIn(session: Session, username: string): Promise<void> {
  await new SignInPage(session.page).signInAs(username, { checkAccessibility: true });
}

describe('the joint case file in a browser', () => {
  it('an investigator opens a case, records a victim and a suspect, and another force cannot see it', async () => {
    const { page, problems, context } = await open();

    // Sign in: password, then the authenticator code; lands on the case list.
    await signIn({ page, problems, context }, USERS.hampshire.username);
    const list = new CaseListPage(page);
    await expect.poll(() => new URL(page.url()).pathname).toBe('/cases');
    expect(await list.signedInAs().innerText()).toContain(USERS.hampshire.displayName);
    await list.checkAccessibility('the empty case list');

    // Open a case.
    await list.openCase();
    const caseForm = new CaseFormPage(page);
    await caseForm.checkAccessibility('the open-a-case form');
    await caseForm.fill({
      offences: ['Rape'], offenceDate: { day: '3', month: '2', year: '2025' }, reportedDate: { day: '10', month: '2', year: '2025' },
      summary: 'V1 reports rape by an acquaintance after a night out.',
    });
    await caseForm.save();
    const casePage = new CasePage(page);
    expect(await casePage.successBanner().innerText()).toContain('Case opened');
    const caseId = casePage.caseId();
    const reference = await casePage.reference();
    expect(reference).not.toBe('');
    expect(await page.locator('[data-qa="case-details"]').innerText()).toContain('Rape');
    await casePage.checkAccessibility('a new case page');

    // A form error: the victim form sent empty comes back with the GOV.UK error summary, focused, linking to fields.
    await casePage.addVictim();
    const victimForm = new VictimFormPage(page);
    await victimForm.checkAccessibility('the add-a-victim form');
    await victimForm.clear();
    await victimForm.save();
    await expect.poll(() => victimForm.errorSummary().isVisible()).toBe(true);
    expect(await page.title()).toMatch(/^Error: /);
    await expect.poll(() => victimForm.isFocused('.govuk-error-summary')).toBe(true);
    const links = await victimForm.errorLinks().evaluateAll((as) => as.map((a) => ({ text: a.textContent?.trim() ?? '', href: a.getAttribute('href') ?? '' })));
    expect(links.length).toBeGreaterThanOrEqual(4);
    expect(links.map((l) => l.href)).toEqual(expect.arrayContaining(['#givenName', '#familyName']));
    for (const link of links) {
      expect(link.text).not.toBe('');
      expect(await page.locator(link.href).count(), `error link ${link.href} points at a field on the page`).toBe(1);
    }
    await victimForm.checkAccessibility('the victim form with errors');
    // Following the first link moves focus to the field it names.
    await victimForm.errorLinks().first().click();
    await expect.poll(() => victimForm.isFocused(links[0]!.href)).toBe(true);

    // Add the victim properly.
    await victimForm.fill({ ...VICTIM, phone: '07700 900123', contactMethod: 'Phone', mayLeaveMessage: 'No', interviewer: 'Female', enhancedRights: 'Yes' });
    await victimForm.save();
    expect(await casePage.successBanner().innerText()).toContain('Victim added');
    expect(await casePage.victim('V1').innerText()).toContain(`${VICTIM.givenName} ${VICTIM.familyName}`);
    await casePage.checkAccessibility('the case page with a victim');

    // Add a suspect.
    await casePage.addSuspect();
    const suspectForm = new SuspectFormPage(page);
    await suspectForm.checkAccessibility('the add-a-suspect form');
    await suspectForm.fill({ ...SUSPECT, dateOfBirth: { day: '2', month: '11', year: '1987' } });
    await suspectForm.save();
    expect(await casePage.successBanner().innerText()).toContain('Suspect recorded');
    expect(await casePage.victim('V1').innerText()).toContain(`${VICTIM.givenName} ${VICTIM.familyName}`);
    expect(await casePage.suspect('S1').innerText()).toContain(`${SUSPECT.givenName} ${SUSPECT.familyName}`);
    await casePage.checkAccessibility('the case page with a victim and a suspect');

    // The case list shows the case.
    await casePage.allCases();
    expect(await list.references()).toContain(reference);
    expect(await list.resultCount().innerText()).toMatch(/^1 case\b/);
    await list.checkAccessibility('the case list with one case');

    // Sign out: the session is gone.
    await list.signOut();
    const signedOut = new AppPage(page);
    expect(await signedOut.heading().innerText()).toBe('You have signed out');
    await signedOut.checkAccessibility('the signed-out page');
    await page.goto(`/cases/${caseId}`);
    expect(new URL(page.url()).pathname).toBe('/sign-in');
    expect(await page.content()).not.toContain(VICTIM.familyName);

    // Another force: the Kent investigator gets "Page not found" for the Hampshire case, and no trace of it.
    await signIn({ page, problems, context }, USERS.kent.username);
    await expect.poll(() => new URL(page.url()).pathname).toBe('/cases');
    expect(await list.signedInAs().innerText()).toContain(USERS.kent.displayName);
    const response = await page.goto(`/cases/${caseId}`);
    expect(response?.status()).toBe(404);
    const notFound = new AppPage(page);
    expect(await notFound.heading().innerText()).toBe('Page not found');
    const html = await page.content();
    for (const secret of [VICTIM.givenName, VICTIM.familyName, SUSPECT.familyName, reference]) expect(html).not.toContain(secret);
    await notFound.checkAccessibility('the page-not-found page');
    await list.goto();
    expect(await list.references()).not.toContain(reference);
    expect(await page.locator('[data-qa="no-cases"]').isVisible()).toBe(true);
    await list.checkAccessibility('the Kent case list');

    expect(problems).toEqual([]);
  });

  it('a new user sets up their authenticator app at first sign-in', async () => {
    const { page, problems } = await open();
    const signInPage = new SignInPage(page);
    await signInPage.goto();
    await signInPage.enterPassword(USERS.newStarter.username, TEST_PASSWORD);
    expect(new URL(page.url()).pathname).toBe('/sign-in/enrol');
    const enrol = new EnrolPage(page);
    await enrol.checkAccessibility('the authenticator set-up page');
    const secret = await enrol.secret();
    expect(secret).toMatch(/^[A-Z2-7]{16,}$/);
    expect(secret).not.toBe(TEST_TOTP_SECRET);

    await enrol.enterCode(totpCode(secret, new Date()));
    await expect.poll(() => new URL(page.url()).pathname).toBe('/cases');
    expect(await enrol.signedInAs().innerText()).toContain(USERS.newStarter.displayName);
    await enrol.checkAccessibility('the case list after enrolment');
    expect(problems).toEqual([]);
  });
});
