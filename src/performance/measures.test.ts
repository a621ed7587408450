import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../db/database.ts';
import { FixedClock } from '../platform/clock.ts';
import type { Principal } from '../platform/principal.ts';
import { createServices, type Services } from '../services.ts';
import { createUser, testConfig, testDb } from '../testing/harness.ts';
import { histogramMedian, MEASURE_BY_ID } from './measures.ts';
import { changeText, percentChange, quarterLabel } from './quarters.ts';
import type { DashboardQuery } from './service.ts';
import { addCase } from './test-support.ts';

const KENT = { force: 'kent', area: 'south-east' };
const HANTS = { force: 'hampshire-and-isle-of-wight', area: 'wessex' };

function lead(userId: string): Principal {
  return { userId, username: 'lead', displayName: 'Lead', organisation: { id: 'national', kind: 'national', name: 'National', forceId: null, cpsAreaId: null }, roles: ['national_lead'] };
}

const query = (over: Partial<DashboardQuery> = {}): DashboardQuery => ({ group: 'all_rasso', view: 'national', from: '2024Q1', to: '2024Q2', baseline: '2021Q1', ...over });

describe('quarters and the baseline change', () => {
  it('works out the JNAP-style change against a baseline quarter', () => {
    // 63 referrals against 25 in the baseline: (63 − 25) ÷ 25 = 1.52
    expect(percentChange(63, 25)).toBe(152);
    expect(changeText(152, '2021Q1')).toBe('+152% since Jan–Mar 2021');
    expect(changeText(percentChange(15, 20), '2022Q3')).toBe('−25% since Jul–Sep 2022');
    expect(percentChange(10, 0)).toBeNull();
    expect(quarterLabel('2024Q2')).toBe('Apr–Jun 2024');
  });

  it('takes an exact median from a histogram, whatever order its buckets come in', () => {
    expect(histogramMedian([[70, 1], [10, 1]])).toBe(40);
    expect(histogramMedian([[5, 2], [9, 1]])).toBe(5);
    expect(histogramMedian([])).toBeNull();
  });
});

describe('measures over hand-built case records', () => {
  let db: Db;
  let services: Services;
  let principal: Principal;
  const clock = new FixedClock(new Date('2024-07-15T09:00:00Z'));

  beforeAll(async () => {
    db = await testDb();
    services = createServices(db, testConfig(), clock);
    const userId = await createUser(db, { username: 'perf.lead', organisationId: 'national', roles: ['national_lead'] });
    const officer = await createUser(db, { username: 'perf.officer', organisationId: 'force-kent', roles: ['investigator'] });
    principal = lead(userId);

    // Baseline, Jan–Mar 2021. A: adult rape, EA then file then charge (19 days), convicted on a guilty plea in Q2.
    await addCase(db, { ...KENT, reported: '2020-12-01', victimAge: 25, events: [
      ['early_advice_requested', '2021-01-10'], ['referred_for_charge', '2021-02-01'], ['charged', '2021-02-20'], ['guilty_plea', '2021-06-01'],
    ] });
    // B: sexual assault (not rape): file, then CPS NFA on the evidence after 30 days.
    await addCase(db, { ...KENT, reported: '2021-01-05', offences: ['SOA2003-s3'], events: [
      ['referred_for_charge', '2021-03-01'], ['nfa', '2021-03-31', { by: 'cps', outcomeCode: 15 }],
    ] });

    // Apr–Jun 2024. All reported 1 March 2024.
    const c = await addCase(db, { ...KENT, reported: '2024-03-01', victimAge: 19, events: [
      ['early_advice_requested', '2024-04-02'], ['early_advice_given', '2024-04-20'], ['referred_for_charge', '2024-05-01'], ['charged', '2024-05-11'],
    ] });
    const d = await addCase(db, { ...HANTS, reported: '2024-03-01', victimAge: 40, events: [['referred_for_charge', '2024-04-10'], ['charged', '2024-06-19']] });
    await addCase(db, { ...HANTS, reported: '2024-03-01', victimAge: 22, events: [['referred_for_charge', '2024-05-05'], ['nfa', '2024-06-04', { by: 'cps', outcomeCode: 9 }]] });
    // F: rape of a 15-year-old (not adult rape): EA, then police NFA outcome 16.
    await addCase(db, { ...HANTS, reported: '2024-03-01', victimAge: 15, events: [['early_advice_requested', '2024-04-15'], ['nfa', '2024-06-10', { by: 'police', outcomeCode: 16, earlyAdvice: true }]] });
    // G: sexual assault, police NFA outcome 14 without Early Advice.
    await addCase(db, { ...KENT, reported: '2024-03-01', offences: ['SOA2003-s3'], events: [['nfa', '2024-05-20', { by: 'police', outcomeCode: 14, earlyAdvice: false }]] });
    await addCase(db, { ...KENT, reported: '2024-03-01', victimAge: 30, events: [['early_advice_requested', '2024-06-28']] });

    // Victims' Code: on case C one update told on time, one told late, one not due until after today (not counted).
    const eventId = randomUUID();
    await db.query(`INSERT INTO victim_code_events (id, case_id, force_id, kind, occurred_at, recorded_at) VALUES ($1,$2,'kent','charging_decision','2024-05-11T12:00Z','2024-05-11T12:00Z')`, [eventId, c.id]);
    const contact = randomUUID();
    await db.query(`INSERT INTO victim_contacts (id, case_id, force_id, victim_id, contacted_at, channel, purpose, side, contacted_by, organisation_id, recorded_at)
                    VALUES ($1,$2,'kent',$3,'2024-05-12T10:00Z','phone','decision','police',$4,'force-kent','2024-05-12T10:00Z')`, [contact, c.id, c.victimId, officer]);
    const duty = (due: string, met: string | null) => db.query(
      `INSERT INTO victim_duties (id, event_id, case_id, force_id, victim_id, kind, owner_side, enhanced, working_days, due_date, due_at, met_at, met_by_contact_id, created_at)
       VALUES ($1,$2,$3,'kent',$4,'charging_decision','police',true,1,$5::date,$5::timestamptz,$6,$7,now())`,
      [randomUUID(), eventId, c.id, c.victimId, due, met, met ? contact : null],
    );
    await duty('2024-05-13T23:59:00Z', '2024-05-12T10:00:00Z');
    // A second duty needs a second event (one duty per event and victim).
    const event2 = randomUUID();
    await db.query(`INSERT INTO victim_code_events (id, case_id, force_id, kind, occurred_at, recorded_at) VALUES ($1,$2,'kent','trial_date_set','2024-05-20T12:00Z','2024-05-20T12:00Z')`, [event2, c.id]);
    await db.query(
      `INSERT INTO victim_duties (id, event_id, case_id, force_id, victim_id, kind, owner_side, enhanced, working_days, due_date, due_at, met_at, met_by_contact_id, created_at)
       VALUES ($1,$2,$3,'kent',$4,'trial_date_set','police',true,1,'2024-05-21','2024-05-21T23:59Z','2024-05-24T10:00Z',$5,now())`,
      [randomUUID(), event2, c.id, c.victimId, contact],
    );
    const event3 = randomUUID();
    await db.query(`INSERT INTO victim_code_events (id, case_id, force_id, kind, occurred_at, recorded_at) VALUES ($1,$2,'kent','plea_entered','2024-07-14T12:00Z','2024-07-14T12:00Z')`, [event3, c.id]);
    await db.query(
      `INSERT INTO victim_duties (id, event_id, case_id, force_id, victim_id, kind, owner_side, enhanced, working_days, due_date, due_at, created_at)
       VALUES ($1,$2,$3,'kent',$4,'plea_entered','police',true,1,'2024-07-16','2024-07-16T23:59Z',now())`,
      [randomUUID(), event3, c.id, c.victimId],
    );
    // Pre-trial meeting on case D: offer due 25 June 2024, offered 20 June.
    const plea = randomUUID();
    await db.query(`INSERT INTO trial_pleas (id, case_id, force_id, plea, entered_on, recorded_by, recorded_at) VALUES ($1,$2,$3,'not_guilty','2024-06-18',$4,now())`, [plea, d.id, HANTS.force, officer]);
    await db.query(`INSERT INTO pre_trial_meetings (id, case_id, force_id, victim_id, plea_id, status, offer_due_date, offered_on, created_at, updated_at)
                    VALUES ($1,$2,$3,$4,$5,'offered','2024-06-25','2024-06-20',now(),now())`, [randomUUID(), d.id, HANTS.force, d.victimId, plea]);

    await services.performance.refreshNow();
  }, 300_000);
  afterAll(async () => db?.close());

  const value = (rows: { measure: { id: string }; values: (number | null)[] }[], id: string, index = 1) => rows.find((r) => r.measure.id === id)!.values[index];

  it('counts referrals, charges and CPS decisions by the quarter they happened in', async () => {
    const { rows } = await services.performance.dashboard(principal, query());
    expect(value(rows, 'referrals_ea')).toBe(3); // C, F, H
    expect(value(rows, 'referrals_charge')).toBe(3); // C, D, E
    expect(value(rows, 'referrals')).toBe(6);
    expect(value(rows, 'charges')).toBe(2); // C, D
    expect(value(rows, 'nfa_cps_public_interest')).toBe(1); // E
    expect(value(rows, 'nfa_cps_evidential')).toBe(0);
    expect(value(rows, 'charge_rate')).toBeCloseTo(2 / 3); // 2 charges ÷ (2 charges + 1 CPS NFA)
  });

  it('times referral to charge from the full file that was decided (mean and exact median)', async () => {
    const { rows } = await services.performance.dashboard(principal, query());
    // C: 1 May → 11 May = 10 days; D: 10 April → 19 June = 70 days
    expect(value(rows, 'days_to_charge_mean')).toBe(40);
    expect(value(rows, 'days_to_charge_median')).toBe(40);
    // Completed: C's advice (18 days), C's charge (10), D's charge (70), E's NFA (30): 2 of 4 within 28 days
    expect(value(rows, 'consultations_28')).toBe(0.5);
  });

  it('gives police outcome rates: outcome 16 and no-further-action without Early Advice', async () => {
    const { rows } = await services.performance.dashboard(principal, query());
    expect(value(rows, 'nfa_police')).toBe(2);
    expect(value(rows, 'victim_withdrawal_rate')).toBe(0.5); // F of F, G
    expect(value(rows, 'nfa_without_ea_rate')).toBe(0.5); // G had no EA; F had
  });

  it("gives Victims' Code timeliness and the pre-trial meeting offer rate, counting only what is already due", async () => {
    const { rows } = await services.performance.dashboard(principal, query());
    expect(value(rows, 'victim_code_on_time')).toBe(0.5); // 1 of 2 due by 15 July told on time; the third is due 16 July
    expect(value(rows, 'ptm_offer_rate')).toBe(1);
  });

  it('follows cases reported in a quarter down the attrition funnel', async () => {
    const { rows } = await services.performance.dashboard(principal, query());
    expect(value(rows, 'funnel_reported', 0)).toBe(6);
    expect(value(rows, 'funnel_referred', 0)).toBe(5); // all but G
    expect(value(rows, 'funnel_charged', 0)).toBe(2);
    expect(value(rows, 'funnel_convicted', 0)).toBe(0);
  });

  it('separates adult rape (rape, victim 18 or over) from all RASSO, with the change against the baseline', async () => {
    const all = await services.performance.dashboard(principal, query());
    const adult = await services.performance.dashboard(principal, query({ group: 'adult_rape' }));
    // Adult rape referrals: baseline A's two (EA + file) → Q2 2024 C (2), D, E, H = 5: +150%
    const referrals = adult.rows.find((r) => r.measure.id === 'referrals')!;
    expect(referrals.baseline).toBe(2);
    expect(referrals.latest).toBe(5);
    expect(referrals.changeText).toBe('+150% since Jan–Mar 2021');
    // All RASSO: 3 in the baseline (A's two and B's file) → 6: +100%
    expect(all.rows.find((r) => r.measure.id === 'referrals')!.changeText).toBe('+100% since Jan–Mar 2021');
    // Police NFAs in Q2 2024 were a child victim (F) and a sexual assault (G): none is adult rape, so no rate at all
    expect(value(adult.rows, 'victim_withdrawal_rate')).toBeNull();
  });

  it('breaks a quarter down by CPS Area and each Area by force, and keeps totals consistent', async () => {
    const national = await services.performance.dashboard(principal, query());
    const byArea = Object.fromEntries(national.breakdown.rows.map((r) => [r.key, r.values]));
    const referrals = national.breakdown.measures.findIndex((m) => m.id === 'referrals');
    expect(byArea['south-east']![referrals]).toBe(3); // C (2), H
    expect(byArea.wessex![referrals]).toBe(3); // D, E, F
    const area = await services.performance.dashboard(principal, query({ view: 'area', area: 'wessex' }));
    expect(area.breakdown.rows.map((r) => r.name)).toEqual(['Hampshire and Isle of Wight']);
    expect(value(area.rows, 'charges')).toBe(1);
  });

  it('reports a +152% rise computed from case records, JNAP style', async () => {
    const fresh = await testDb();
    try {
      const s = createServices(fresh, testConfig(), clock);
      const userId = await createUser(fresh, { username: 'perf.lead2', organisationId: 'national', roles: ['analyst'] });
      for (let i = 0; i < 25; i++) await addCase(fresh, { ...KENT, reported: '2021-01-04', events: [['referred_for_charge', '2021-02-15']] });
      for (let i = 0; i < 63; i++) await addCase(fresh, { ...HANTS, reported: '2024-04-01', events: [['early_advice_requested', '2024-05-15']] });
      await s.performance.refreshNow();
      const { rows } = await s.performance.dashboard(lead(userId), query({ group: 'adult_rape' }));
      expect(rows.find((r) => r.measure.id === 'referrals')!.changeText).toBe('+152% since Jan–Mar 2021');
    } finally {
      await fresh.close();
    }
  }, 180_000);

  it('every measure has a plain-English definition', () => {
    for (const id of ['referrals', 'charge_rate', 'days_to_charge_median', 'victim_withdrawal_rate', 'nfa_without_ea_rate', 'victim_code_on_time', 'ptm_offer_rate', 'funnel_convicted']) {
      expect(MEASURE_BY_ID.get(id)!.definition.length).toBeGreaterThan(40);
    }
  });
});
