import type { Browser, Locator } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JobWorker } from '../src/platform/jobs.ts';
import type { Principal } from '../src/platform/principal.ts';
import { createUser } from '../src/testing/harness.ts';
import { addIsvaService, charge } from '../src/victims/test-support.ts';
import { launchBrowser, newSession, type Session } from './support/browser.ts';
import { AppPage, type DateParts, SignInPage } from './support/pages.ts';
import { startServer, type TestServer, USERS } from './support/server.ts';

/**
 * Victim engagement in a browser. The ISVA reaches the case only through the victim's recorded consent; their query
 * about it goes to the RASSO unit of the case's CPS Area (Hampshire and Isle of Wight Police → CPS Wessex), which
 * replies; the ISVA reads the reply. Then the prosecutor records a not-guilty plea, the pre-trial meeting offer
 * appears on the Victim Liaison Officer's worklist, the VLO records the meeting and sends a letter, which the
 * outbox viewer shows as delivered. axe-core on every page.
 */

const PEOPLE = {
  isva: { username: 'e2e.isva', displayName: 'Isla Adviser', organisationId: 'isva-e2e-support', roles: ['isva' as const] },
  prosecutor: { username: 'e2e.wessex.prosecutor', displayName: 'Nadia Okafor', organisationId: 'rasso-wessex', roles: ['prosecutor' as const] },
  vlo: { username: 'e2e.wessex.vlo', displayName: 'Val Liaison', organisationId: 'rasso-wessex', roles: ['vlo' as const] },
  otherUnit: { username: 'e2e.se.paralegal', displayName: 'Sam Southeast', organisationId: 'rasso-south-east', roles: ['paralegal' as const] },
};
const VICTIM = { givenName: 'Amelia', familyName: 'Quintrell' };
const QUESTION = { subject: 'Pre-trial meeting', body: 'Can I come to the pre-trial meeting with V1? She would like me there.' };
const ANSWER = 'Yes, you are welcome at the meeting. The Victim Liaison Officer will be in touch to arrange it.';

let server: TestServer;
let browser: Browser;
let caseId: string;
let caseReference: string;

/** London's calendar date today: the plea and the meeting happen "today" on the real clock the app runs on. */
function londonToday(): DateParts {
  const parts = Object.fromEntries(new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/London', year: 'numeric', month: 'numeric', day: 'numeric' })
    .formatToParts(new Date()).map((p) => [p.type, p.value]));
  return { day: parts.day!, month: parts.month!, year: parts.year! };
}

beforeAll(async () => {
  [server, browser] = await Promise.all([startServer(), launchBrowser()]);
  await addIsvaService(server.db, PEOPLE.isva.organisationId, 'Hampshire Sexual Violence Support (ISVA service)');
  const ids: Record<string, string> = {};
  for (const [key, u] of Object.entries(PEOPLE)) ids[key] = await createUser(server.db, u);

  // The case as the investigator left it: a victim who consented to her ISVA seeing key dates, meetings and special
  // measures, a suspect, and a charge. Built through the services: the pages for these are covered elsewhere.
  const { services, db } = server;
  const [oic] = await db.query<{ id: string }>('SELECT id FROM users WHERE username = $1', [USERS.hampshire.username]);
  const police = (await services.identity.principal(oic!.id)) as Principal;
  ({ id: caseId, reference: caseReference } = await services.cases.create(police, {
    offences: ['SOA2003-s1'], offenceDate: '2025-02-03', reportedDate: '2025-02-10', summary: 'V1 reports rape by an acquaintance after a night out.', cpsAreaId: '',
  }));
  const victimId = await services.cases.addVictim(police, caseId, {
    ...VICTIM, dateOfBirth: null, ageAtOffence: 26, phone: '07700 900123', email: '', address: '', vulnerabilities: [], communicationNeeds: '',
    contactMethod: 'phone', mayLeaveMessage: false, safeTimes: 'after 6pm', interviewerSex: 'female', enhancedRights: true,
  });
  const given = londonToday();
  await services.victims.recordConsent(police, caseId, victimId, {
    isvaUserId: ids.isva!, scope: ['key_dates', 'decisions', 'meetings', 'special_measures'], givenOn: `${given.year}-${given.month.padStart(2, '0')}-${given.day.padStart(2, '0')}`, method: 'written',
  });
  await charge(services, caseId);
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

/** A page with the victim-care steps, found by data-qa hooks and accessible names. */
class VictimCarePage extends AppPage {
  qa(name: string): Locator {
    return this.page.locator(`[data-qa="${name}"]`);
  }

  path(): string {
    return new URL(this.page.url()).pathname;
  }

  /** Follows a link or presses a button marked data-qa, waiting for the page that comes back. */
  async go(qa: string | Locator): Promise<void> {
    const target = typeof qa === 'string' ? this.qa(qa).first() : qa;
    await Promise.all([this.page.waitForNavigation(), target.click()]);
  }
}

/** A fresh browser profile, signed in through the real pages (checked for accessibility on the way). */
async function signedIn(username: string, displayName: string): Promise<{ session: Session; app: VictimCarePage }> {
  const session = await newSession(browser, server.baseUrl);
  await new SignInPage(session.page).signInAs(username, { checkAccessibility: true });
  const app = new VictimCarePage(session.page);
  expect(await app.signedInAs().innerText()).toContain(displayName);
  await app.checkAccessibility(`the landing page of ${username}`);
  return { session, app };
}

describe('victim engagement in a browser', () => {
  it('ISVA sends a query → the case’s RASSO unit replies → the ISVA sees the reply', async () => {
    // The ISVA lands on the victims they support: the consented victim, by case reference and label, never by name.
    const isva = await signedIn(PEOPLE.isva.username, PEOPLE.isva.displayName);
    const { page } = isva.session;
    expect(isva.app.path()).toBe('/isva/victims');
    await isva.app.checkAccessibility('the ISVA’s victims list');
    const link = isva.app.qa('isva-victim-link');
    expect(await link.count()).toBe(1);
    expect(await link.innerText()).toContain(caseReference);
    expect(await page.content()).not.toContain(VICTIM.familyName); // identity is outside this consent
    await isva.app.go(link);
    expect(await isva.app.heading().innerText()).toBe('Victim V1');
    expect(await isva.app.qa('isva-scope').innerText()).toContain('Pre-trial meeting');
    expect(await page.content()).not.toContain(VICTIM.familyName);
    await isva.app.checkAccessibility('the ISVA’s victim page');

    // The mailbox: an empty query is refused with the error summary, then the query goes with the case reference.
    await page.goto('/isva/queries');
    expect(await isva.app.qa('no-queries').isVisible()).toBe(true);
    await isva.app.checkAccessibility('the empty ISVA mailbox');
    await isva.app.go('new-query');
    expect(isva.app.path()).toBe('/isva/queries/new');
    await isva.app.checkAccessibility('the send-a-query form');
    await isva.app.go('send-query');
    await expect.poll(() => isva.app.errorSummary().isVisible()).toBe(true);
    expect(await page.title()).toMatch(/^Error: /);
    expect(await isva.app.errorSummary().innerText()).toContain('Enter a subject');
    await isva.app.checkAccessibility('the send-a-query form with errors');
    await page.locator('#caseReference').fill(caseReference);
    await page.locator('#subject').fill(QUESTION.subject);
    await page.locator('#body').fill(QUESTION.body);
    await isva.app.go('send-query');
    expect(isva.app.path()).toMatch(/^\/isva\/queries\/[0-9a-f-]{36}$/);
    expect(await isva.app.successBanner().innerText()).toContain('Query sent');
    expect(await isva.app.qa('query-area').innerText()).toBe('CPS Wessex RASSO unit');
    expect(await isva.app.qa('query-status').innerText()).toBe('Awaiting reply');
    await isva.app.checkAccessibility('the ISVA’s query thread');
    const queryPath = isva.app.path();

    // Another Area's unit does not see it.
    const other = await signedIn(PEOPLE.otherUnit.username, PEOPLE.otherUnit.displayName);
    await other.session.page.goto('/victim-care/inbox');
    expect(await other.app.qa('inbox-row').count()).toBe(0);
    expect(await other.session.page.content()).not.toContain(QUESTION.subject);
    await other.app.checkAccessibility('another unit’s empty inbox');
    await other.session.context.close();

    // The Wessex unit: the query in its inbox with age and target, opened and answered.
    const unit = await signedIn(PEOPLE.prosecutor.username, PEOPLE.prosecutor.displayName);
    await unit.session.page.goto('/victim-care/inbox');
    const row = unit.app.qa('inbox-row').filter({ hasText: QUESTION.subject });
    expect(await row.count()).toBe(1);
    expect(await row.innerText()).toContain(caseReference);
    expect(await row.locator('[data-qa="query-age"]').innerText()).toMatch(/^\d+ working days?$/);
    await unit.app.checkAccessibility('the RASSO unit’s ISVA inbox');
    await unit.app.go(row.locator('[data-qa="inbox-query-link"]'));
    expect(await unit.app.heading().innerText()).toBe(QUESTION.subject);
    expect(await unit.app.qa('message-isva').innerText()).toContain(QUESTION.body);
    await unit.app.checkAccessibility('the unit’s query thread');
    await unit.session.page.locator('#body').fill(ANSWER);
    await unit.app.go('send-reply');
    expect(await unit.app.successBanner().innerText()).toContain('Reply sent');
    expect(await unit.app.qa('message-cps').innerText()).toContain(ANSWER);
    await unit.app.checkAccessibility('the unit’s query thread after replying');

    // Back to the ISVA: the mailbox shows the reply, and the thread holds it.
    await page.goto('/isva/queries');
    expect(await isva.app.qa('query-status').first().innerText()).toBe('Replied');
    await isva.app.checkAccessibility('the ISVA mailbox with a replied query');
    await isva.app.go('query-link');
    expect(isva.app.path()).toBe(queryPath);
    expect(await isva.app.qa('message-cps').innerText()).toContain(ANSWER);
    expect(await isva.app.qa('message-cps').innerText()).toContain(PEOPLE.prosecutor.displayName);
    await isva.app.checkAccessibility('the ISVA’s query thread with the reply');

    for (const s of [isva.session, unit.session]) expect(s.problems).toEqual([]);
    await isva.session.context.close();
    await unit.session.context.close();
  });

  it('prosecutor records a not-guilty plea → the meeting offer is due on the VLO’s worklist → the meeting is recorded → a letter goes through the outbox', async () => {
    const today = londonToday();

    // The prosecutor opens victim care from the case page and records the plea.
    const pros = await signedIn(PEOPLE.prosecutor.username, PEOPLE.prosecutor.displayName);
    const { page } = pros.session;
    await page.goto(`/cases/${caseId}`);
    await pros.app.checkAccessibility('the case page for the prosecutor');
    await pros.app.go('victim-care-link');
    expect(pros.app.path()).toBe(`/cases/${caseId}/victim-care`);
    expect(await pros.app.qa('meetings-V1').count()).toBe(0);
    await pros.app.checkAccessibility('the victim care page before the plea');
    await pros.app.go('record-plea');
    await pros.app.checkAccessibility('the record-a-plea form');
    await pros.app.fillDate('When was the plea entered?', today);
    await pros.app.go('save-plea'); // no plea chosen: refused, nothing written
    await expect.poll(() => pros.app.errorSummary().isVisible()).toBe(true);
    expect(await pros.app.errorSummary().innerText()).toContain('Select the plea');
    await pros.app.checkAccessibility('the record-a-plea form with errors');
    await pros.app.qa('plea-not-guilty').check();
    await pros.app.go('save-plea');
    expect(await pros.app.successBanner().innerText()).toContain('Plea recorded');
    const meetings = pros.app.qa('meetings-V1');
    expect(await meetings.locator('[data-qa="meeting-status"]').innerText()).toBe('Offer due');
    await pros.app.checkAccessibility('the victim care page with the meeting offer due');
    expect(pros.session.problems).toEqual([]);
    await pros.session.context.close();

    // The VLO: nobody assigned yet, so the victim is under "charged cases without a VLO"; the VLO takes her.
    const vlo = await signedIn(PEOPLE.vlo.username, PEOPLE.vlo.displayName);
    expect(vlo.app.path()).toBe('/cases'); // their landing page; the worklist is in the navigation
    await vlo.session.page.goto('/victim-care/worklist');
    expect(await vlo.app.qa('empty-worklist').isVisible()).toBe(true);
    await vlo.app.checkAccessibility('the VLO’s empty worklist');
    await vlo.app.go('worklist-unassigned');
    const unassigned = vlo.app.qa('worklist-row').filter({ hasText: caseReference });
    expect(await unassigned.locator('[data-qa="due-next"]').innerText()).toBe('Offer a pre-trial meeting');
    await vlo.app.checkAccessibility('the worklist of charged cases without a VLO');
    await vlo.app.go(unassigned.locator('[data-qa="assign-to-me"]'));
    expect(await vlo.app.successBanner().innerText()).toContain('Victim Liaison Officer assigned');
    const mine = vlo.app.qa('worklist-row').filter({ hasText: caseReference });
    expect(await mine.count()).toBe(1);
    expect(await mine.locator('[data-qa="due-next-link"]').innerText()).toBe('Offer a pre-trial meeting');
    await vlo.app.checkAccessibility('the VLO’s worklist');

    // The meeting: offered, accepted and held today.
    await vlo.app.go(mine.locator('[data-qa="due-next-link"]'));
    expect(vlo.app.path()).toMatch(new RegExp(`^/cases/${caseId}/victim-care/meetings/[0-9a-f-]{36}$`));
    expect(await vlo.app.qa('meeting-status').innerText()).toBe('Offer due');
    await vlo.app.checkAccessibility('the pre-trial meeting form');
    const p = vlo.session.page;
    await vlo.app.fillDate('When was the meeting offered?', today);
    await vlo.app.choose('How was it offered?', 'Phone call');
    await vlo.app.choose('Did the victim accept?', 'Accepted');
    await vlo.app.fillDate('When did the victim reply?', today);
    await vlo.app.fillDate('When was the meeting held?', today);
    await vlo.app.go('save-meeting'); // held, but nobody attended and nothing discussed: refused
    await expect.poll(() => vlo.app.errorSummary().isVisible()).toBe(true);
    expect(await vlo.app.errorSummary().innerText()).toContain('Enter who attended the meeting');
    await vlo.app.checkAccessibility('the pre-trial meeting form with errors');
    await p.getByLabel('Who attended', { exact: true }).fill(`${PEOPLE.prosecutor.displayName} (prosecutor)\n${PEOPLE.vlo.displayName} (VLO)\nThe victim’s ISVA`);
    const topics = p.getByRole('group', { name: 'What was discussed?' });
    await topics.getByLabel('Special measures', { exact: true }).check();
    await topics.getByLabel('Giving evidence', { exact: true }).check();
    await p.getByLabel('Outcome', { exact: true }).fill('V1 wants to give evidence by live link and to visit the court first.');
    await p.getByLabel('Actions agreed', { exact: true }).fill('Apply for a live link – prosecutor\nArrange a court visit – VLO');
    await vlo.app.go('save-meeting');
    expect(vlo.app.path()).toBe(`/cases/${caseId}/victim-care`);
    expect(await vlo.app.successBanner().innerText()).toContain('Pre-trial meeting saved');
    expect(await vlo.app.qa('meetings-V1').locator('[data-qa="meeting-status"]').innerText()).toBe('Held');
    await vlo.app.checkAccessibility('the victim care page with the meeting held');

    // A letter to the victim goes through the outbox; against her preference (phone) only with a reason.
    await vlo.app.go('send-letter-V1');
    await vlo.app.checkAccessibility('the send-a-letter form');
    await vlo.app.choose('Which letter?', 'Charging decision: the suspect has been charged');
    await vlo.app.choose('Send by', 'Letter');
    await vlo.app.go('send-letter');
    await expect.poll(() => vlo.app.errorSummary().isVisible()).toBe(true);
    expect(await vlo.app.qa('preference-warnings').innerText()).toContain('phone');
    await vlo.app.checkAccessibility('the send-a-letter form warning about the victim’s preferences');
    await p.getByLabel('I have checked the victim’s preferences and have good reason to send it this way').check();
    await p.getByLabel('Why?', { exact: true }).fill('V1 asked at the meeting for the decision in writing.');
    await vlo.app.go('send-letter');
    expect(await vlo.app.successBanner().innerText()).toContain('Letter queued for sending');
    await new JobWorker(server.db, server.services.clock, server.services.jobHandlers).runDue(); // the app's worker, run now
    await vlo.app.go('outbox-link');
    expect(vlo.app.path()).toBe('/victim-care/outbox');
    const sent = vlo.app.qa('outbox-row').filter({ hasText: caseReference });
    expect(await sent.locator('[data-qa="outbox-status"]').innerText()).toBe('Delivered');
    expect(await p.content()).not.toContain(VICTIM.familyName); // the list names no one
    await vlo.app.checkAccessibility('the outbox');
    await vlo.app.go(sent.locator('[data-qa="outbox-letter-link"]'));
    expect(await vlo.app.qa('letter-body').innerText()).toContain(`Dear ${VICTIM.givenName} ${VICTIM.familyName},`);
    await vlo.app.checkAccessibility('a letter in the outbox');

    // Nothing more is due for the meeting on the worklist.
    await p.goto('/victim-care/worklist');
    expect(await vlo.app.qa('worklist-row').filter({ hasText: caseReference }).innerText()).not.toContain('pre-trial meeting');
    await vlo.app.checkAccessibility('the VLO’s worklist after the meeting');
    expect(vlo.session.problems).toEqual([]);
    await vlo.session.context.close();
  });
});
