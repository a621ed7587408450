import type { Locator, Page, Response } from 'playwright-core';
import { totpCode } from '../../src/platform/auth/totp.ts';
import { TEST_PASSWORD, TEST_TOTP_SECRET } from '../../src/testing/harness.ts';
import { expectNoAxeViolations } from './axe.ts';

/** Page objects: find things by data-qa attributes and by the accessible names people see, never by layout. */

export interface DateParts { day: string; month: string; year: string }

/** What every page has: the GOV.UK layout, the signed-in banner, the error summary, and an accessibility check. */
export class AppPage {
  constructor(readonly page: Page) {}

  heading(): Locator {
    return this.page.getByRole('heading', { level: 1 });
  }

  signedInAs(): Locator {
    return this.page.locator('[data-qa="signed-in-as"]');
  }

  errorSummary(): Locator {
    return this.page.locator('.govuk-error-summary');
  }

  errorLinks(): Locator {
    return this.errorSummary().locator('.govuk-error-summary__list a');
  }

  successBanner(): Locator {
    return this.page.locator('.govuk-notification-banner--success');
  }

  /** True when the element matching the selector holds keyboard focus. */
  isFocused(selector: string): Promise<boolean> {
    return this.page.evaluate((s) => document.activeElement === document.querySelector(s), selector);
  }

  async signOut(): Promise<void> {
    await Promise.all([this.page.waitForURL('**/signed-out'), this.page.locator('[data-qa="sign-out"]').click()]);
  }

  checkAccessibility(where: string): Promise<void> {
    return expectNoAxeViolations(this.page, where);
  }

  /** Fills a GOV.UK date input, found by its fieldset's legend. */
  async fillDate(legend: string | RegExp, date: DateParts): Promise<void> {
    const group = this.page.getByRole('group', { name: legend });
    await group.getByLabel('Day', { exact: true }).fill(date.day);
    await group.getByLabel('Month', { exact: true }).fill(date.month);
    await group.getByLabel('Year', { exact: true }).fill(date.year);
  }

  /** Chooses a radio button, found by its fieldset's legend and its own label. */
  async choose(legend: string | RegExp, option: string): Promise<void> {
    await this.page.getByRole('group', { name: legend }).getByLabel(option, { exact: true }).check();
  }

  /** Submits a form with a button marked data-qa, waiting for the page that comes back. */
  protected async submit(qa: string): Promise<void> {
    await Promise.all([this.page.waitForNavigation(), this.page.locator(`[data-qa="${qa}"]`).click()]);
  }
}

export class SignInPage extends AppPage {
  async goto(): Promise<Response | null> {
    return this.page.goto('/sign-in');
  }

  async enterPassword(username: string, password: string): Promise<void> {
    await this.page.getByLabel('Username', { exact: true }).fill(username);
    await this.page.getByLabel('Password', { exact: true }).fill(password);
    await this.submit('sign-in-submit');
  }

  async enterCode(code: string): Promise<void> {
    await this.page.getByLabel('Enter the 6-digit code from your authenticator app').fill(code);
    await this.submit('code-submit');
  }

  /** Signs a test user in through both real steps (password, then the authenticator code), optionally checking each page with axe. */
  async signInAs(username: string, opts: { checkAccessibility?: boolean } = {}): Promise<void> {
    await this.goto();
    if (opts.checkAccessibility) await this.checkAccessibility('the sign-in page');
    await this.enterPassword(username, TEST_PASSWORD);
    if (new URL(this.page.url()).pathname !== '/sign-in/code') throw new Error(`${username}: the password step did not lead to the code page (at ${this.page.url()})`);
    if (opts.checkAccessibility) await this.checkAccessibility('the security code page');
    await this.enterCode(totpCode(TEST_TOTP_SECRET, new Date()));
  }
}

export class EnrolPage extends AppPage {
  async secret(): Promise<string> {
    return (await this.page.locator('[data-qa="totp-secret"]').innerText()).replace(/\s+/g, '');
  }

  async enterCode(code: string): Promise<void> {
    await this.page.getByLabel('Code from your authenticator app').fill(code);
    await this.submit('enrol-submit');
  }
}

export class CaseListPage extends AppPage {
  async goto(): Promise<Response | null> {
    return this.page.goto('/cases');
  }

  async openCase(): Promise<void> {
    await Promise.all([this.page.waitForURL('**/cases/new'), this.page.locator('[data-qa="open-case"]').click()]);
  }

  resultCount(): Locator {
    return this.page.locator('[data-qa="result-count"]');
  }

  async references(): Promise<string[]> {
    return (await this.page.locator('[data-qa="case-link"]').allInnerTexts()).map((s) => s.trim());
  }
}

export interface CaseDetails { offences: string[]; offenceDate: DateParts; reportedDate: DateParts; summary: string }

export class CaseFormPage extends AppPage {
  async fill(details: CaseDetails): Promise<void> {
    const offences = this.page.getByRole('group', { name: 'Offences' });
    for (const offence of details.offences) await offences.getByLabel(offence, { exact: true }).check();
    await this.fillDate('When did the offence happen?', details.offenceDate);
    await this.fillDate('When was it reported to police?', details.reportedDate);
    // Forces served by more than one CPS Area are asked which one takes the case.
    const area = this.page.getByRole('group', { name: 'Which CPS Area takes this case?' });
    if (await area.count()) await area.getByRole('radio').first().check();
    await this.page.getByLabel('Summary of the allegation').fill(details.summary);
  }

  async save(): Promise<void> {
    await this.submit('save-case');
  }
}

export class CasePage extends AppPage {
  async goto(caseId: string): Promise<Response | null> {
    return this.page.goto(`/cases/${caseId}`);
  }

  /** The case id, from the URL of the case page. */
  caseId(): string {
    const m = /\/cases\/([0-9a-f-]{36})/.exec(new URL(this.page.url()).pathname);
    if (!m) throw new Error(`not on a case page: ${this.page.url()}`);
    return m[1]!;
  }

  /** The case reference, from the page heading "Case <reference>". */
  async reference(): Promise<string> {
    return (await this.page.locator('[data-qa="case-reference"]').innerText()).replace(/^Case\s+/, '').trim();
  }

  victim(label = 'V1'): Locator {
    return this.page.locator(`[data-qa="victim-${label}"]`);
  }

  suspect(label = 'S1'): Locator {
    return this.page.locator(`[data-qa="suspect-${label}"]`);
  }

  async addVictim(): Promise<void> {
    await Promise.all([this.page.waitForURL('**/victims/new'), this.page.locator('[data-qa="add-victim"]').click()]);
  }

  async addSuspect(): Promise<void> {
    await Promise.all([this.page.waitForURL('**/suspects/new'), this.page.locator('[data-qa="add-suspect"]').click()]);
  }

  async allCases(): Promise<void> {
    await Promise.all([this.page.waitForURL('**/cases'), this.page.getByRole('link', { name: 'All cases' }).click()]);
  }
}

export interface VictimDetails {
  givenName: string; familyName: string; contactMethod: string; mayLeaveMessage: 'Yes' | 'No'; interviewer: 'Female' | 'Male' | 'No preference'; enhancedRights: 'Yes' | 'No';
  phone?: string;
}

export class VictimFormPage extends AppPage {
  async fill(v: VictimDetails): Promise<void> {
    await this.page.getByLabel('First name', { exact: true }).fill(v.givenName);
    await this.page.getByLabel('Last name', { exact: true }).fill(v.familyName);
    if (v.phone) await this.page.getByLabel('Phone number', { exact: true }).fill(v.phone);
    await this.choose('How does the victim want to be contacted?', v.contactMethod);
    await this.choose('May we leave a message?', v.mayLeaveMessage);
    await this.choose(/Sex of police interviewer/, v.interviewer);
    await this.choose(/Entitled to enhanced rights/, v.enhancedRights);
  }

  /** Empties the form, including the pre-selected enhanced-rights answer, as a user who deletes everything would. */
  async clear(): Promise<void> {
    await this.page.evaluate(() => {
      for (const input of Array.from(document.querySelectorAll<HTMLInputElement>('form[method="post"] input:not([type="hidden"]), form[method="post"] textarea'))) {
        if (input.type === 'radio' || input.type === 'checkbox') input.checked = false;
        else input.value = '';
      }
    });
  }

  async save(): Promise<void> {
    await this.submit('save-victim');
  }
}

export interface SuspectDetails { givenName: string; familyName: string; dateOfBirth?: DateParts }

export class SuspectFormPage extends AppPage {
  async fill(s: SuspectDetails): Promise<void> {
    await this.page.getByLabel('First name', { exact: true }).fill(s.givenName);
    await this.page.getByLabel('Last name', { exact: true }).fill(s.familyName);
    if (s.dateOfBirth) await this.fillDate('Date of birth', s.dateOfBirth);
  }

  async save(): Promise<void> {
    await this.submit('save-suspect');
  }
}
