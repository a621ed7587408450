import type { Browser, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser } from '../src/testing/harness.ts';
import { launchBrowser, newSession, type Session } from './support/browser.ts';
import { AppPage, CaseFormPage, type DateParts, SignInPage } from './support/pages.ts';
import { startServer, type TestServer, USERS } from './support/server.ts';

/**
 * The joint way of working in a browser: Early Advice from request to charge, and a file that ends in a CPS
 * no further action decision with the face-to-face meeting and a Victims' Right to Review request. Hampshire and
 * Isle of Wight Police map to CPS Wessex, whose RASSO unit the prosecutor and DCP belong to.
 */

const CPS = {
  prosecutor: { username: 'wessex.prosecutor', displayName: 'Nadia Okafor', organisationId: 'rasso-wessex', roles: ['prosecutor' as const] },
  dcp: { username: 'wessex.dcp', displayName: 'Martin Ellery', organisationId: 'rasso-wessex', roles: ['district_crown_prosecutor' as const] },
};

let server: TestServer;
let browser: Browser;

beforeAll(async () => {
  [server, browser] = await Promise.all([startServer(), launchBrowser()]);
  for (const u of Object.values(CPS)) await createUser(server.db, u);
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

/** London calendar date and time, some minutes ago (a conversation that has already happened). */
function londonNow(minutesAgo = 0): { date: DateParts; time: string } {
  const parts = Object.fromEntries(new Intl.DateTimeFormat('en-GB', {
    timeZone: 'Europe/London', year: 'numeric', month: 'numeric', day: 'numeric', hour: '2-digit', minute: '2-digit', hourCycle: 'h23',
  }).formatToParts(new Date(Date.now() - minutesAgo * 60_000)).map((p) => [p.type, p.value]));
  return { date: { day: parts.day!, month: parts.month!, year: parts.year! }, time: `${parts.hour}:${parts.minute}` };
}

function inDays(days: number): DateParts {
  const d = new Date(Date.now() + days * 86_400_000);
  return { day: String(d.getUTCDate()), month: String(d.getUTCMonth() + 1), year: String(d.getUTCFullYear()) };
}

/** A page with the Early Advice and charging steps this journey needs, found by data-qa hooks and accessible names. */
class Journey extends AppPage {
  constructor(page: Page) {
    super(page);
  }

  async click(qa: string): Promise<void> {
    await this.submit(qa);
  }

  qa(name: string): Locator {
    return this.page.locator(`[data-qa="${name}"]`);
  }

  path(): string {
    return new URL(this.page.url()).pathname;
  }

  async fillDateIn(scope: Locator, legend: string, date: DateParts): Promise<void> {
    const group = scope.getByRole('group', { name: legend });
    await group.getByLabel('Day', { exact: true }).fill(date.day);
    await group.getByLabel('Month', { exact: true }).fill(date.month);
    await group.getByLabel('Year', { exact: true }).fill(date.year);
  }

  async expectErrorSummary(...hrefs: string[]): Promise<string> {
    await expect.poll(() => this.errorSummary().isVisible()).toBe(true);
    expect(await this.page.title()).toMatch(/^Error: /);
    const links = await this.errorLinks().evaluateAll((as) => as.map((a) => a.getAttribute('href') ?? ''));
    expect(links).toEqual(expect.arrayContaining(hrefs));
    for (const href of hrefs) expect(await this.page.locator(href).count(), `error link ${href} points at a field`).toBeGreaterThan(0);
    return this.errorSummary().innerText();
  }
}

async function signedIn(username: string): Promise<Session & { j: Journey }> {
  const session = await newSession(browser, server.baseUrl);
  await new SignInPage(session.page).signInAs(username, { checkAccessibility: true });
  await expect.poll(() => new URL(session.page.url()).pathname).toBe('/cases');
  return { ...session, j: new Journey(session.page) };
}

/** The Hampshire investigator opens a case through the real form; returns its id and reference. */
async function openCase(j: Journey, summary: string): Promise<{ caseId: string; reference: string }> {
  await Promise.all([j.page.waitForURL('**/cases/new'), j.qa('open-case').click()]);
  const form = new CaseFormPage(j.page);
  await form.fill({ offences: ['Rape'], offenceDate: { day: '3', month: '2', year: '2025' }, reportedDate: { day: '10', month: '2', year: '2025' }, summary });
  await form.save();
  const caseId = /\/cases\/([0-9a-f-]{36})/.exec(j.path())![1]!;
  const reference = (await j.qa('case-reference').innerText()).replace(/^Case\s+/, '').trim();
  await j.checkAccessibility('the new case page');
  return { caseId, reference };
}

describe('Early Advice and charging in a browser', () => {
  it('investigator asks for Early Advice, the unit allocates, the prosecutor advises, the police complete the enquiries and the CPS charges', async () => {
    const police = await signedIn(USERS.hampshire.username);
    const { j } = police;
    const { caseId, reference } = await openCase(j, 'V1 reports rape by an acquaintance after a night out; S1 arrested and interviewed.');

    // The investigator asks for Early Advice from the case page.
    await Promise.all([j.page.waitForURL(`**/cases/${caseId}/early-advice`), j.qa('early-advice-link').click()]);
    expect(await j.qa('no-requests').isVisible()).toBe(true);
    await j.checkAccessibility('the Early Advice page with no requests');
    await Promise.all([j.page.waitForURL('**/early-advice/request'), j.qa('request-ea').click()]);
    await j.checkAccessibility('the Early Advice request form');
    expect(await j.page.locator('main').innerText()).toContain('CPS Wessex');

    // Sent empty: the error summary names each missing answer, and nothing is requested.
    await j.click('send-ea-request');
    await j.expectErrorSummary('#caseSummary', '#questions', '#strategy');
    await j.checkAccessibility('the Early Advice request form with errors');
    await j.page.getByLabel('Case summary', { exact: true }).fill('V1 (23) reports rape by S1, an acquaintance, after a night out in Southampton. S1 arrested, interviewed: says consent.');
    await j.page.getByLabel('Questions for the prosecutor', { exact: true }).fill('Is V1’s phone needed? What further evidence on capacity is reasonable?');
    await j.page.getByLabel('Suspect-focused investigation strategy so far', { exact: true }).fill('CCTV of the route home seized; S1’s messages to V1 the next day; previous reports about S1 checked.');
    await j.choose('Priority', 'High');
    await j.click('send-ea-request');
    expect(await j.successBanner().innerText()).toContain('Early Advice requested');
    expect(await j.qa('ea-request-1').innerText()).toMatch(/Awaiting allocation/i);
    await j.checkAccessibility('the Early Advice page after the request');

    // The CPS Wessex RASSO unit: the DCP sees the request in the queue and allocates it to a prosecutor.
    const dcp = await signedIn(CPS.dcp.username);
    await Promise.all([dcp.page.waitForURL('**/early-advice'), dcp.page.getByRole('link', { name: 'Early Advice', exact: true }).click()]);
    const queue = dcp.j.qa('ea-queue');
    expect(await queue.innerText()).toContain(reference);
    expect(await queue.innerText()).toContain('High');
    await dcp.j.checkAccessibility('the Early Advice queue');
    const row = dcp.page.locator('[data-qa="ea-queue-row"]', { hasText: reference });
    await Promise.all([dcp.page.waitForURL('**/allocate'), row.locator('[data-qa="allocate-link"]').click()]);
    await dcp.j.checkAccessibility('the allocation page');
    await dcp.page.getByLabel('Prosecutor', { exact: true }).selectOption({ label: CPS.prosecutor.displayName });
    await dcp.j.click('allocate');
    expect(await dcp.j.successBanner().innerText()).toContain('Request allocated');
    expect(await dcp.page.locator('[data-qa="ea-queue-row"]', { hasText: reference }).innerText()).toContain(CPS.prosecutor.displayName);
    await dcp.j.checkAccessibility('the queue after allocation');

    // The prosecutor records the conversation and two lines of enquiry, one a digital device request.
    const cps = await signedIn(CPS.prosecutor.username);
    await cps.page.goto(`/cases/${caseId}/early-advice`);
    await cps.j.checkAccessibility('the Early Advice page for the prosecutor');
    await Promise.all([cps.page.waitForURL('**/advice'), cps.j.qa('give-advice').click()]);
    await cps.j.checkAccessibility('the advice form');
    const now = londonNow(10);
    await cps.j.fillDate('Date of the conversation', now.date);
    await cps.page.getByLabel('Time of the conversation').fill(now.time);
    await cps.j.choose('How was it held?', 'Video call');
    await cps.page.getByRole('group', { name: 'Who took part from the case team?' }).getByLabel(new RegExp(USERS.hampshire.displayName)).check();
    await cps.page.getByLabel('Advice given', { exact: true }).fill('Capacity is the key issue. Secure the CCTV and first account; a targeted download of V1’s phone only for the night in question.');
    const slot1 = cps.j.qa('loe-slot-1');
    await slot1.getByLabel('What needs to be done').fill('Obtain statements from the door staff at the club about V1’s state when leaving.');
    await slot1.getByLabel('Type').selectOption('general');
    await slot1.getByLabel('Owner').selectOption({ label: `${USERS.hampshire.displayName} (Police)` });
    await cps.j.fillDateIn(slot1, 'Due date', inDays(14));
    const slot2 = cps.j.qa('loe-slot-2');
    await slot2.getByLabel('What needs to be done').fill('Download V1’s phone: messages with S1 from 8 pm to 8 am on the night only.');
    await slot2.getByLabel('Type').selectOption('digital_device');
    await slot2.getByLabel('Owner').selectOption({ label: `${USERS.hampshire.displayName} (Police)` });
    await cps.j.fillDateIn(slot2, 'Due date', inDays(21));

    // A digital device request without its rationale is refused, with the reason, and nothing is saved.
    await cps.j.click('save-advice');
    const errors = await cps.j.expectErrorSummary('#loe2-rationale');
    expect(errors).toMatch(/necessary and proportionate/);
    await cps.j.checkAccessibility('the advice form with a missing rationale');
    expect(await server.db.query('SELECT 1 FROM ea_advice')).toHaveLength(0);
    await cps.j.qa('loe-slot-2').getByLabel('Why it is necessary and proportionate').fill('S1’s messages the next morning may acknowledge V1 was too drunk to consent; limited to the night, so no wider intrusion into V1’s private life.');
    await cps.j.click('save-advice');
    expect(await cps.j.successBanner().innerText()).toContain('Advice recorded and issued');
    expect(await cps.j.qa('advice-1').innerText()).toMatch(/video call/i);
    expect(await cps.j.qa('loe-table').innerText()).toContain('Digital device request');
    expect(await cps.j.qa('loe-rationale').innerText()).toContain('limited to the night');
    await cps.j.checkAccessibility('the Early Advice page with advice given');

    // The investigator sees the advice and completes both lines of enquiry.
    await j.page.goto('/lines-of-enquiry');
    expect(await j.qa('loe-table').innerText()).toContain(reference);
    await j.checkAccessibility('the investigator’s lines of enquiry tracker');
    await j.page.goto(`/cases/${caseId}/early-advice`);
    expect(await j.qa('advice-1').innerText()).toContain('Capacity is the key issue');
    await j.checkAccessibility('the Early Advice page for the investigator after advice');
    for (const n of [1, 2]) {
      await Promise.all([j.page.waitForURL('**/lines-of-enquiry/**'), j.qa(`update-loe-${n}`).click()]);
      await j.checkAccessibility(`the update form for line of enquiry ${n}`);
      await j.choose('Status', 'Done');
      await j.page.getByLabel('Progress note', { exact: true }).fill(n === 1 ? 'Statements from both door staff taken.' : 'Download done for the night only; messages reviewed.');
      await j.click('save-loe');
      expect(await j.successBanner().innerText()).toContain('Line of enquiry updated');
      expect(await j.qa(`loe-${n}`).locator('[data-qa="loe-status"]').innerText()).toBe('Done');
    }
    await j.checkAccessibility('the Early Advice page with both lines of enquiry done');

    // The full file goes to the CPS with the VPS record missing: it is sent, and the missing item is flagged.
    await j.page.goto(`/cases/${caseId}`);
    await Promise.all([j.page.waitForURL(`**/cases/${caseId}/charging`), j.qa('charging-link').click()]);
    await j.checkAccessibility('the charging page before the file');
    await Promise.all([j.page.waitForURL('**/charging/file'), j.qa('submit-file-link').click()]);
    await j.checkAccessibility('the file submission form');
    for (const box of await j.page.locator('input[data-qa^="provided-"]').all()) await box.check();
    await j.qa('provided-vps_offer').uncheck();
    await j.page.getByLabel('Covering note for the prosecutor', { exact: true }).fill('Full file after Early Advice: both lines of enquiry complete. Charge of rape sought.');
    await j.page.getByLabel('Missing material (optional)').fill('V1 is considering a VPS; it will follow within two weeks.');
    await j.click('submit-file');
    expect(await j.successBanner().innerText()).toContain('File submitted');
    expect(await j.qa('item-vps_offer').first().getAttribute('data-status')).toBe('missing');
    expect(await j.qa('item-mg3').first().getAttribute('data-status')).toBe('provided');
    expect(await j.page.locator('main').innerText()).toMatch(/1 checklist item is missing/);
    await j.checkAccessibility('the charging page with a missing item flagged');

    // The prosecutor charges under the Full Code Test, with reasons for each stage and the offence from the list.
    await cps.page.goto(`/cases/${caseId}/charging`);
    await cps.j.checkAccessibility('the charging page for the prosecutor');
    await Promise.all([cps.page.waitForURL('**/charging/decision'), cps.j.qa('decide-link').click()]);
    await cps.j.checkAccessibility('the choose-a-decision page');
    await cps.j.qa('decision-charge_full_code').check();
    await Promise.all([cps.page.waitForURL('**/decision/charge_full_code'), cps.j.qa('choose-decision').click()]);
    await cps.j.checkAccessibility('the Full Code Test form');
    await cps.j.click('confirm-decision');
    await cps.j.expectErrorSummary('#evidentialReasons', '#publicInterestReasons');
    await cps.j.checkAccessibility('the Full Code Test form with errors');
    expect(await server.db.query('SELECT 1 FROM charging_decisions')).toHaveLength(0);
    await cps.page.getByLabel('Evidential stage: reasons', { exact: true }).fill('CCTV and the door staff show V1 could not stand; S1’s messages acknowledge it. Realistic prospect of conviction.');
    await cps.page.getByLabel('Public interest stage: reasons', { exact: true }).fill('A serious offence against a vulnerable victim; V1 supports a prosecution.');
    await cps.j.qa('offence-SOA2003-s1').check();
    await cps.j.click('confirm-decision');
    expect(await cps.j.successBanner().innerText()).toContain('Charging decision recorded');
    const decision = await cps.j.qa('decision-charge_full_code').innerText();
    expect(decision).toContain('Rape');
    expect(decision).toContain('Realistic prospect of conviction');
    expect(decision).toContain('V1 supports a prosecution');
    expect(await cps.j.qa('charging-stage').innerText()).toBe('Charged');
    await cps.j.checkAccessibility('the charging page after the charge');

    // The investigator sees the charge on the case.
    await j.page.goto(`/cases/${caseId}/charging`);
    expect(await j.qa('charging-stage').innerText()).toBe('Charged');
    await j.checkAccessibility('the charging page for the investigator after the charge');

    for (const s of [police, dcp, cps]) expect(s.problems).toEqual([]);
    await Promise.all([police, dcp, cps].map((s) => s.context.close()));
  });

  it('a file ends in a CPS no further action decision after the face-to-face meeting, and the victim asks for a review', async () => {
    const police = await signedIn(USERS.hampshire.username);
    const { j } = police;
    const { caseId } = await openCase(j, 'V1 reports rape by her former partner S1 in 2019; S1 denies it.');
    await j.page.goto(`/cases/${caseId}/charging`);
    await Promise.all([j.page.waitForURL('**/charging/file'), j.qa('submit-file-link').click()]);
    for (const box of await j.page.locator('input[data-qa^="provided-"]').all()) await box.check();
    await j.page.getByLabel('Covering note for the prosecutor', { exact: true }).fill('File for a charging decision: word against word, no supporting evidence found.');
    await j.click('submit-file');
    expect(await j.successBanner().innerText()).toContain('File submitted');
    await j.checkAccessibility('the charging page with a complete file');

    const cps = await signedIn(CPS.prosecutor.username);
    await cps.page.goto(`/cases/${caseId}/charging`);
    await Promise.all([cps.page.waitForURL('**/charging/decision'), cps.j.qa('decide-link').click()]);
    await cps.j.qa('decision-nfa_evidential').check();
    await Promise.all([cps.page.waitForURL('**/decision/nfa_evidential'), cps.j.qa('choose-decision').click()]);
    expect(await cps.j.qa('no-meeting').isVisible()).toBe(true);
    await cps.j.checkAccessibility('the NFA form before the meeting');

    // Without the face-to-face meeting the NFA is refused, with the reason, and nothing is written.
    await cps.page.getByLabel('Evidential stage: reasons', { exact: true }).fill('No independent support for V1’s account; the messages relied on are ambiguous. No realistic prospect of conviction.');
    await cps.j.click('confirm-decision');
    await expect.poll(() => cps.j.errorSummary().isVisible()).toBe(true);
    expect(await cps.j.errorSummary().innerText()).toMatch(/face-to-face meeting/);
    await cps.j.checkAccessibility('the NFA form refused without a meeting');
    expect(await server.db.query('SELECT 1 FROM charging_decisions WHERE case_id = $1', [caseId])).toHaveLength(0);

    // Record the meeting, then confirm the decision.
    await cps.page.goto(`/cases/${caseId}/charging`);
    await Promise.all([cps.page.waitForURL('**/charging/meeting'), cps.j.qa('record-meeting').click()]);
    await cps.j.checkAccessibility('the face-to-face meeting form');
    await cps.j.fillDate('When was the meeting held?', londonNow().date);
    await cps.j.choose('How was it held?', 'By video');
    await cps.page.getByLabel('Who attended', { exact: true }).fill(`${CPS.prosecutor.displayName}, prosecutor\n${USERS.hampshire.displayName}, officer in case`);
    await cps.page.getByLabel('What was discussed (optional)').fill('Went through the evidence; no further reasonable lines of enquiry identified.');
    await cps.j.click('save-meeting');
    expect(await cps.j.successBanner().innerText()).toContain('Face-to-face meeting recorded');
    expect(await cps.j.qa('meeting-recorded').innerText()).toContain(USERS.hampshire.displayName);
    await cps.j.checkAccessibility('the charging page with the meeting recorded');
    await Promise.all([cps.page.waitForURL('**/charging/decision'), cps.j.qa('decide-link').click()]);
    await cps.j.qa('decision-nfa_evidential').check();
    await Promise.all([cps.page.waitForURL('**/decision/nfa_evidential'), cps.j.qa('choose-decision').click()]);
    expect(await cps.j.qa('meeting-recorded').isVisible()).toBe(true);
    await cps.j.checkAccessibility('the NFA form after the meeting');
    await cps.page.getByLabel('Evidential stage: reasons', { exact: true }).fill('No independent support for V1’s account; the messages relied on are ambiguous. No realistic prospect of conviction.');
    await cps.j.click('confirm-decision');
    expect(await cps.j.successBanner().innerText()).toContain('Charging decision recorded');
    expect(await cps.j.qa('decision-nfa_evidential').innerText()).toContain('No realistic prospect of conviction');
    expect(await cps.j.qa('charging-stage').innerText()).toMatch(/no further action/i);
    expect(await cps.j.qa('vrr-window-cps').isVisible()).toBe(true);
    await cps.j.checkAccessibility('the charging page after the NFA');

    // The victim asks for a review under the CPS scheme, in time.
    await Promise.all([cps.page.waitForURL('**/charging/vrr'), cps.j.qa('vrr-request-link').click()]);
    await cps.j.checkAccessibility('the review request form');
    await cps.j.qa('window-cps').check();
    await cps.j.fillDate('When was the request received?', londonNow().date);
    await cps.j.click('save-vrr-request');
    expect(await cps.j.successBanner().innerText()).toContain('Right to Review request recorded');
    expect(await cps.j.qa('vrr-request').getAttribute('data-status')).toBe('received');
    await cps.j.checkAccessibility('the charging page with the review request');

    // The police see the decision and that they cannot now close the case themselves.
    await j.page.goto(`/cases/${caseId}/charging`);
    expect(await j.qa('decision-nfa_evidential').isVisible()).toBe(true);
    expect(await j.qa('police-outcome-link').count()).toBe(0);
    await j.checkAccessibility('the charging page for the investigator after the NFA');

    for (const s of [police, cps]) expect(s.problems).toEqual([]);
    await Promise.all([police, cps].map((s) => s.context.close()));
  });
});
