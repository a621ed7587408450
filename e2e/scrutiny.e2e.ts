import type { Browser, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { caseIdFrom, createUser, forms, signIn as injectSignIn } from '../src/testing/harness.ts';
import { launchBrowser, newSession, type Session } from './support/browser.ts';
import { AppPage, type DateParts, SignInPage } from './support/pages.ts';
import { startServer, type TestServer, USERS } from './support/server.ts';

/**
 * The scrutiny cycle in a browser: a police supervisor selects closed cases and releases a redacted pack; a
 * community member of the panel reviews it, records a finding and recommends re-opening; the supervisor re-opens the
 * case, which re-enters the Early Advice flow. axe-core on every page.
 */
const SUP = { username: 'hants.supervisor', displayName: 'DS Alex Morgan', organisationId: 'force-hampshire-and-isle-of-wight', roles: ['police_supervisor' as const] };
const MEMBER = { username: 'panel.member', displayName: 'Casey Lloyd', organisationId: 'panel-e2e', roles: ['panel_member' as const] };

let server: TestServer;
let browser: Browser;
let caseId: string;
let reference: string;

beforeAll(async () => {
  [server, browser] = await Promise.all([startServer(), launchBrowser()]);
  await server.db.query(`INSERT INTO organisations (id, kind, name) VALUES ('panel-e2e', 'panel', 'Hampshire community scrutiny members')`);
  await createUser(server.db, SUP);
  await createUser(server.db, MEMBER);
  // A case closed by the police (victim withdrew support, outcome 16) without Early Advice, set up through the app.
  const oic = await injectSignIn(server.app, USERS.hampshire.username);
  await oic.get('/cases/new');
  caseId = caseIdFrom(await oic.post('/cases', forms.case({ summary: 'Amelia Quintrell says Robert Hallworth raped her after a party at 22 Harbour Road.' })));
  await oic.get(`/cases/${caseId}/victims/new`);
  await oic.post(`/cases/${caseId}/victims`, forms.victim());
  await oic.get(`/cases/${caseId}/suspects/new`);
  await oic.post(`/cases/${caseId}/suspects`, forms.suspect());
  await oic.get(`/cases/${caseId}/charging/police-outcome`);
  await oic.post(`/cases/${caseId}/charging/police-outcome`, { outcomeTypeCode: '16', suspectInterviewed: 'yes', reasons: 'Amelia withdrew support.', eaNotSoughtReason: 'Victim withdrew before a file could be built.' });
  reference = (await server.services.cases.summary(caseId)).reference;
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

function daysFromNow(days: number): DateParts {
  const d = new Date(Date.now() + days * 86_400_000);
  return { day: String(d.getUTCDate()), month: String(d.getUTCMonth() + 1), year: String(d.getUTCFullYear()) };
}

class Scrutiny extends AppPage {
  constructor(page: Page) {
    super(page);
  }
  qa(name: string): Locator {
    return this.page.locator(`[data-qa="${name}"]`);
  }
  async click(qa: string): Promise<void> {
    await this.submit(qa);
  }
  async follow(qa: string): Promise<void> {
    await Promise.all([this.page.waitForNavigation(), this.qa(qa).first().click()]);
  }
}

async function signIn(session: Session, username: string): Promise<void> {
  await new SignInPage(session.page).signInAs(username);
}

describe('scrutiny panels in a browser', () => {
  it('select cases → release a pack → a community member reviews it and recommends re-opening → the case re-enters Early Advice', async () => {
    // ---- the police supervisor sets up the panel and selects cases
    const sup = await newSession(browser, server.baseUrl);
    await signIn(sup, SUP.username);
    const s = new Scrutiny(sup.page);
    await sup.page.goto('/scrutiny');
    expect(await s.heading().innerText()).toBe('Scrutiny panels');
    await s.checkAccessibility('the empty scrutiny panel list');
    await s.follow('new-panel');
    await s.checkAccessibility('the set-up-a-panel form');
    await s.click('create-panel');
    expect(await s.successBanner().innerText()).toContain('Panel set up');
    await s.checkAccessibility('a new panel page');
    await sup.page.getByLabel('Add a member').selectOption({ label: `${MEMBER.displayName} (Hampshire community scrutiny members)` });
    await s.click('add-member');
    expect(await s.qa('members').innerText()).toContain('Community member');

    await s.follow('select-cases');
    await s.checkAccessibility('the select-cases form');
    // empty form: error summary, nothing selected
    await s.click('select-submit');
    await expect.poll(() => s.errorSummary().isVisible()).toBe(true);
    await s.checkAccessibility('the select-cases form with errors');
    await s.fillDate('Start of the period', daysFromNow(-30));
    await s.fillDate('End of the period', daysFromNow(1));
    await sup.page.getByLabel('Random sample: number of cases').fill('0');
    await sup.page.getByLabel('Victim withdrew support (outcome 16): number of cases').fill('2');
    await s.click('select-submit');
    expect(await s.qa('selected-cases').innerText()).toContain(reference);
    await s.checkAccessibility('the selected cases page');
    await s.click('generate-packs');
    expect(await s.successBanner().innerText()).toContain('Redacted packs generated');
    await Promise.all([sup.page.waitForNavigation(), sup.page.getByRole('link', { name: 'Open pack' }).click()]);
    expect(await s.qa('pack-content').innerText()).toContain('[VICTIM]');
    expect(await s.qa('pack-content').innerText()).not.toContain('Quintrell');
    await s.checkAccessibility('a pack awaiting release');
    const packUrl = new URL(sup.page.url()).pathname;
    await s.click('release-pack');
    expect(await s.successBanner().innerText()).toContain('Pack released');
    await s.checkAccessibility('a released pack (coordinator)');

    // ---- the community member reviews the released pack
    const mem = await newSession(browser, server.baseUrl);
    await signIn(mem, MEMBER.username);
    const m = new Scrutiny(mem.page);
    await mem.page.goto('/scrutiny');
    await m.checkAccessibility('the member’s panel list');
    await m.follow('panel-link');
    await m.checkAccessibility('the panel page as a member');
    await m.follow('pack-link-1');
    const pack = await m.qa('pack-content').innerText();
    for (const secret of ['Amelia', 'Quintrell', 'Hallworth', 'Harbour Road', reference]) expect(pack).not.toContain(secret);
    expect(pack).toContain('[SUSPECT 1]');
    await m.checkAccessibility('a released pack (member)');
    // the case itself stays out of reach
    const refused = await mem.page.goto(`/cases/${caseId}`);
    expect(refused?.status()).toBe(404);
    await m.checkAccessibility('the refused case page');
    await mem.page.goto(packUrl);
    await mem.page.getByLabel('Early Advice not sought').check();
    await mem.page.getByLabel('ISVA and support').check();
    await mem.page.getByLabel('Finding').fill('No ISVA referral is recorded and Early Advice was not sought for [VICTIM].');
    await m.click('record-finding');
    expect(await m.qa('findings').innerText()).toContain('No ISVA referral');
    await m.checkAccessibility('the pack with a finding');
    await mem.page.getByLabel('Re-open and refer for Early Advice').check();
    await mem.page.getByLabel('What the panel recommends').fill('Re-open the case and seek Early Advice on the suspect’s account.');
    await mem.page.getByLabel('Owner').selectOption({ label: `${SUP.displayName} (Hampshire and Isle of Wight Police)` });
    await m.click('record-recommendation');
    expect(await m.qa('recommendation-status').first().innerText()).toBe('Open');
    await m.checkAccessibility('the pack with a recommendation');

    // ---- the supervisor re-opens the case into Early Advice
    await sup.page.goto(packUrl);
    expect(await s.qa('recommendation-status-form').count()).toBe(1);
    await s.checkAccessibility('the pack with a recommendation (owner)');
    await s.follow('reopen-link');
    await s.checkAccessibility('the re-open form');
    await sup.page.getByLabel('Case summary').fill('V1 reported rape; closed with outcome 16; panel recommends Early Advice.');
    await sup.page.getByLabel('Suspect-focused investigation strategy').fill('Review the suspect’s account and digital material.');
    await s.click('reopen-submit');
    expect(new URL(sup.page.url()).pathname).toBe(`/cases/${caseId}/early-advice`);
    expect(await s.successBanner().innerText()).toContain('Early Advice requested');
    await s.checkAccessibility('the case’s Early Advice page after re-opening');
    expect((await server.services.cases.summary(caseId)).stage).toBe('early_advice');

    // ---- learning across panels and a JOIM
    await sup.page.goto('/scrutiny/learning');
    expect(await s.qa('learning-totals').innerText()).toContain('Early Advice not sought');
    await s.checkAccessibility('learning across panels');
    await sup.page.goto('/joims');
    await s.checkAccessibility('the JOIM list');
    await s.follow('new-joim');
    await s.checkAccessibility('the JOIM form');
    await sup.page.getByLabel('CPS Wessex').check();
    await s.fillDate('Date of the meeting', daysFromNow(-2));
    await sup.page.getByLabel('Who attended').fill('DS Alex Morgan; Chris Evans (DCP)');
    await sup.page.getByLabel('Local priorities agreed').fill('Early Advice in every rape case');
    await s.click('joim-submit');
    expect(await s.qa('priorities').innerText()).toContain('Early Advice in every rape case');
    await s.checkAccessibility('a JOIM');
    expect([...sup.problems, ...mem.problems]).toEqual([]);
  });
});
