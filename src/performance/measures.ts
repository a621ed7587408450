/**
 * The performance measures, written once. Each counter is an additive count over the case records, defined by the
 * SQL that finds what it counts; each measure is computed from counters and carries the plain-English definition
 * shown on /performance/definitions. Dashboards, CSVs, the publication and the tests all use these definitions.
 *
 * Sources (read only in the refresh, never per request):
 *  - ev: case_events of the journey, with the London day and quarter, and per case, up to that event: the last
 *    charging-file receipt, the last Early Advice request, and whether Early Advice had been requested at all.
 *    The app and the synthetic generator write the same event kinds, so both are counted the same way.
 *  - sc: the cases in scope (force, Area, report date, adult-rape flag).
 *  - duties: Victims' Code duties (victim_duties) already due; meetings: pre-trial meeting offers already due.
 */

export type CounterId =
  | 'ea_receipts' | 'charge_receipts' | 'charges' | 'charges_timed'
  | 'nfa_police' | 'nfa_police_outcome16' | 'nfa_police_without_ea' | 'nfa_cps_evidential' | 'nfa_cps_public_interest'
  | 'admin_finalised' | 'consultations' | 'consultations_28'
  | 'convictions' | 'acquittals' | 'discontinuances'
  | 'duties_due' | 'duties_on_time' | 'ptm_due' | 'ptm_offered'
  | 'funnel_reported' | 'funnel_referred' | 'funnel_charged' | 'funnel_convicted';

interface CounterDef {
  id: CounterId;
  /** The CTE it reads: ev (events), duties, meetings or funnel (one row per case, by report quarter). */
  from: 'ev' | 'duties' | 'meetings' | 'funnel';
  where: string;
  /** Summed into perf_counts.total (e.g. days, for a mean); 0 when the counter is a plain count. */
  total?: string;
  /** Kept as a histogram in perf_days (for a median). */
  days?: string;
}

const CPS_DECISION = `(kind IN ('charged', 'administratively_finalised', 'action_plan') OR (kind = 'nfa' AND by = 'cps'))`;
const CONSULTATION_START = `CASE WHEN kind = 'early_advice_given' THEN last_ea_day ELSE last_file_day END`;
const CONSULTATION = `((kind = 'early_advice_given' AND last_ea_day IS NOT NULL) OR (${CPS_DECISION} AND last_file_day IS NOT NULL))`;

export const COUNTERS: readonly CounterDef[] = [
  { id: 'ea_receipts', from: 'ev', where: `kind = 'early_advice_requested'` },
  { id: 'charge_receipts', from: 'ev', where: `kind = 'referred_for_charge'` },
  { id: 'charges', from: 'ev', where: `kind = 'charged'` },
  { id: 'charges_timed', from: 'ev', where: `kind = 'charged' AND last_file_day IS NOT NULL`, total: 'day - last_file_day', days: 'day - last_file_day' },
  { id: 'nfa_police', from: 'ev', where: `kind = 'nfa' AND by = 'police'` },
  { id: 'nfa_police_outcome16', from: 'ev', where: `kind = 'nfa' AND by = 'police' AND outcome_code = 16` },
  { id: 'nfa_police_without_ea', from: 'ev', where: `kind = 'nfa' AND by = 'police' AND NOT had_ea` },
  { id: 'nfa_cps_evidential', from: 'ev', where: `kind = 'nfa' AND by = 'cps' AND outcome_code IS DISTINCT FROM 9` },
  { id: 'nfa_cps_public_interest', from: 'ev', where: `kind = 'nfa' AND by = 'cps' AND outcome_code = 9` },
  { id: 'admin_finalised', from: 'ev', where: `kind = 'administratively_finalised'` },
  { id: 'consultations', from: 'ev', where: CONSULTATION, total: `day - ${CONSULTATION_START}` },
  { id: 'consultations_28', from: 'ev', where: `${CONSULTATION} AND day - ${CONSULTATION_START} <= 28` },
  { id: 'convictions', from: 'ev', where: `kind = 'guilty_plea' OR (kind = 'verdict' AND result = 'convicted')` },
  { id: 'acquittals', from: 'ev', where: `kind = 'verdict' AND result = 'acquitted'` },
  { id: 'discontinuances', from: 'ev', where: `kind = 'discontinued'` },
  { id: 'duties_due', from: 'duties', where: 'true' },
  { id: 'duties_on_time', from: 'duties', where: 'met_at IS NOT NULL AND met_at <= due_at' },
  { id: 'ptm_due', from: 'meetings', where: 'true' },
  { id: 'ptm_offered', from: 'meetings', where: 'offered_on IS NOT NULL' },
  { id: 'funnel_reported', from: 'funnel', where: 'true' },
  { id: 'funnel_referred', from: 'funnel', where: 'referred' },
  { id: 'funnel_charged', from: 'funnel', where: 'charged' },
  { id: 'funnel_convicted', from: 'funnel', where: 'convicted' },
];

/** Event kinds any counter reads; the refresh reads no others. */
export const EVENT_KINDS = ['early_advice_requested', 'early_advice_given', 'referred_for_charge', 'charged', 'nfa', 'administratively_finalised', 'action_plan', 'verdict', 'guilty_plea', 'discontinued'] as const;

/** The UNION ALL of every counter's contributions: (case_id, quarter, counter, total, days). */
export function contributionsSql(): string {
  return COUNTERS.map((c) =>
    `SELECT case_id, quarter, '${c.id}'::text AS counter, (${c.total ?? '0'})::numeric AS total, (${c.days ?? 'NULL'})::integer AS days FROM ${c.from} WHERE ${c.where}`,
  ).join('\n  UNION ALL ');
}

// ---- Measures ------------------------------------------------------------------------------------------------------

/** Sums for one cell of a dashboard (a quarter, for a scope and offence group). */
export interface CounterSums {
  n(id: CounterId): number;
  total(id: CounterId): number;
  /** Median of a histogram counter (exact), or null if empty. */
  median(id: CounterId): number | null;
}

export type MeasureFormat = 'count' | 'percent' | 'days';

export interface Measure {
  id: string;
  label: string;
  /** Plain English, shown on the definitions page and in the publication's notes. */
  definition: string;
  format: MeasureFormat;
  /** The measure's group on the dashboard and definitions page. */
  section: 'Referrals' | 'Charging decisions' | 'Timeliness' | 'Police outcomes' | 'Court' | 'Victims' | 'Attrition (by quarter of report)';
  counters: readonly CounterId[];
  compute(s: CounterSums): number | null;
  /** Shown on the dashboard's headline cards. */
  headline?: boolean;
}

const ratio = (num: number, den: number): number | null => (den === 0 ? null : num / den);

export const MEASURES: readonly Measure[] = [
  {
    id: 'referrals_ea', section: 'Referrals', label: 'Referrals for Early Advice', format: 'count', counters: ['ea_receipts'],
    definition: 'Requests for Early Advice received by the CPS from the police in the quarter. Each request counts, so a case referred for Early Advice twice counts twice.',
    compute: (s) => s.n('ea_receipts'),
  },
  {
    id: 'referrals_charge', section: 'Referrals', label: 'Referrals for a charging decision', format: 'count', counters: ['charge_receipts'],
    definition: 'Full files received by the CPS from the police for a charging decision in the quarter. A file resubmitted after an action plan counts again.',
    compute: (s) => s.n('charge_receipts'),
  },
  {
    id: 'referrals', section: 'Referrals', label: 'Referrals (Early Advice and charging)', format: 'count', counters: ['ea_receipts', 'charge_receipts'], headline: true,
    definition: 'All receipts from the police in the quarter: referrals for Early Advice plus referrals for a charging decision.',
    compute: (s) => s.n('ea_receipts') + s.n('charge_receipts'),
  },
  {
    id: 'charges', section: 'Charging decisions', label: 'Charges', format: 'count', counters: ['charges'], headline: true,
    definition: 'CPS decisions to charge (Full Code Test or Threshold Test) made in the quarter.',
    compute: (s) => s.n('charges'),
  },
  {
    id: 'charge_rate', section: 'Charging decisions', label: 'Charge rate', format: 'percent', counters: ['charges', 'nfa_cps_evidential', 'nfa_cps_public_interest'], headline: true,
    definition: 'Charges as a share of charges plus CPS no-further-action decisions in the quarter. Administrative finalisations and action plans are not decisions on the evidence and are left out.',
    compute: (s) => ratio(s.n('charges'), s.n('charges') + s.n('nfa_cps_evidential') + s.n('nfa_cps_public_interest')),
  },
  {
    id: 'nfa_cps_evidential', section: 'Charging decisions', label: 'CPS no further action: evidential', format: 'count', counters: ['nfa_cps_evidential'],
    definition: 'CPS decisions of no further action because the evidential stage of the Full Code Test was not met, in the quarter.',
    compute: (s) => s.n('nfa_cps_evidential'),
  },
  {
    id: 'nfa_cps_public_interest', section: 'Charging decisions', label: 'CPS no further action: public interest', format: 'count', counters: ['nfa_cps_public_interest'],
    definition: 'CPS decisions of no further action because a prosecution was not in the public interest (outcome 9), in the quarter.',
    compute: (s) => s.n('nfa_cps_public_interest'),
  },
  {
    id: 'admin_finalised', section: 'Charging decisions', label: 'Administratively finalised', format: 'count', counters: ['admin_finalised'],
    definition: 'Files the CPS administratively finalised in the quarter (closed without a decision on the evidence, usually while further material is awaited).',
    compute: (s) => s.n('admin_finalised'),
  },
  {
    id: 'days_to_charge_mean', section: 'Timeliness', label: 'Days from referral to charge (mean)', format: 'days', counters: ['charges_timed'], headline: true,
    definition: 'For charges in the quarter, the average number of calendar days from the CPS receiving the full file that was decided to the decision to charge.',
    compute: (s) => ratio(s.total('charges_timed'), s.n('charges_timed')),
  },
  {
    id: 'days_to_charge_median', section: 'Timeliness', label: 'Days from referral to charge (median)', format: 'days', counters: ['charges_timed'],
    definition: 'For charges in the quarter, the middle value of the calendar days from the CPS receiving the full file to the decision to charge (half took fewer days, half more).',
    compute: (s) => s.median('charges_timed'),
  },
  {
    id: 'consultations_28', section: 'Timeliness', label: 'Consultations completed within 28 days', format: 'percent', counters: ['consultations', 'consultations_28'],
    definition: 'Of the consultations the CPS completed in the quarter (Early Advice given, and charging decisions including action plans and administrative finalisations), the share completed within 28 calendar days of the request or file being received.',
    compute: (s) => ratio(s.n('consultations_28'), s.n('consultations')),
  },
  {
    id: 'nfa_police', section: 'Police outcomes', label: 'Police no further action', format: 'count', counters: ['nfa_police'],
    definition: 'Cases the police closed with no further action (a Home Office outcome other than charge) in the quarter.',
    compute: (s) => s.n('nfa_police'),
  },
  {
    id: 'victim_withdrawal_rate', section: 'Police outcomes', label: 'Victim withdrawal rate (outcome 16)', format: 'percent', counters: ['nfa_police', 'nfa_police_outcome16'],
    definition: 'Of police no-further-action outcomes in the quarter, the share recorded as outcome 16: named suspect identified, but the victim does not support (or withdraws support from) police action.',
    compute: (s) => ratio(s.n('nfa_police_outcome16'), s.n('nfa_police')),
  },
  {
    id: 'nfa_without_ea_rate', section: 'Police outcomes', label: 'Police no further action without Early Advice', format: 'percent', counters: ['nfa_police', 'nfa_police_without_ea'],
    definition: 'Of police no-further-action outcomes in the quarter, the share where Early Advice had not been requested on the case beforehand (the police must record why).',
    compute: (s) => ratio(s.n('nfa_police_without_ea'), s.n('nfa_police')),
  },
  {
    id: 'completed_prosecutions', section: 'Court', label: 'Completed prosecutions', format: 'count', counters: ['convictions', 'acquittals', 'discontinuances'],
    definition: 'Prosecutions finalised in the quarter: convictions (guilty plea or verdict), acquittals and discontinuances.',
    compute: (s) => s.n('convictions') + s.n('acquittals') + s.n('discontinuances'),
  },
  {
    id: 'conviction_rate', section: 'Court', label: 'Conviction rate', format: 'percent', counters: ['convictions', 'acquittals', 'discontinuances'],
    definition: 'Convictions as a share of completed prosecutions in the quarter.',
    compute: (s) => ratio(s.n('convictions'), s.n('convictions') + s.n('acquittals') + s.n('discontinuances')),
  },
  {
    id: 'victim_code_on_time', section: 'Victims', label: 'Victims’ Code updates given on time', format: 'percent', counters: ['duties_due', 'duties_on_time'],
    definition: 'Of the updates victims were owed under the Victims’ Code (right 6) that fell due in the quarter, the share given within the time limit: 1 working day for victims with enhanced rights, 5 otherwise.',
    compute: (s) => ratio(s.n('duties_on_time'), s.n('duties_due')),
  },
  {
    id: 'ptm_offer_rate', section: 'Victims', label: 'Pre-trial meeting offer rate', format: 'percent', counters: ['ptm_due', 'ptm_offered'],
    definition: 'Of the pre-trial meetings that were due to be offered to victims in the quarter (after a not-guilty plea), the share that have been offered.',
    compute: (s) => ratio(s.n('ptm_offered'), s.n('ptm_due')),
  },
  {
    id: 'funnel_reported', section: 'Attrition (by quarter of report)', label: 'Reported', format: 'count', counters: ['funnel_reported'],
    definition: 'Cases reported to the police in the quarter. The attrition funnel follows these cases to today: how many have been referred to the CPS, charged and convicted so far.',
    compute: (s) => s.n('funnel_reported'),
  },
  {
    id: 'funnel_referred', section: 'Attrition (by quarter of report)', label: 'Referred to the CPS', format: 'count', counters: ['funnel_referred'],
    definition: 'Of the cases reported in the quarter, those referred to the CPS (for Early Advice or a charging decision) at any time since.',
    compute: (s) => s.n('funnel_referred'),
  },
  {
    id: 'funnel_charged', section: 'Attrition (by quarter of report)', label: 'Charged', format: 'count', counters: ['funnel_charged'],
    definition: 'Of the cases reported in the quarter, those charged at any time since.',
    compute: (s) => s.n('funnel_charged'),
  },
  {
    id: 'funnel_convicted', section: 'Attrition (by quarter of report)', label: 'Convicted', format: 'count', counters: ['funnel_convicted'],
    definition: 'Of the cases reported in the quarter, those that have ended in a conviction so far.',
    compute: (s) => s.n('funnel_convicted'),
  },
];

export const MEASURE_BY_ID = new Map(MEASURES.map((m) => [m.id, m]));
export const SECTIONS = [...new Set(MEASURES.map((m) => m.section))];

export const OFFENCE_GROUPS = { adult_rape: 'Adult rape', all_rasso: 'All rape and serious sexual offences' } as const;
export type OffenceGroup = keyof typeof OFFENCE_GROUPS;

export const OFFENCE_GROUP_DEFINITION = 'Adult rape: cases with a rape offence (Sexual Offences Act 2003 s.1) and a victim aged 18 or over at the time of the offence, the group the JNAP headline figures describe. All RASSO: every rape and serious sexual offence case.';

/** Formats a measure's value for tables and CSV ("" when there is no figure). */
export function formatValue(format: MeasureFormat, v: number | null): string {
  if (v === null || Number.isNaN(v)) return '';
  if (format === 'percent') return `${(v * 100).toFixed(1)}%`;
  if (format === 'days') return v.toFixed(1);
  return String(Math.round(v));
}

/** Median of a day histogram, exact whatever the cells summed (the mean of the two middle values for an even count). */
export function histogramMedian(buckets: ReadonlyMap<number, number> | readonly [number, number][]): number | null {
  const entries = [...(buckets instanceof Map ? buckets.entries() : buckets)].filter(([, n]) => n > 0).sort((a, b) => a[0] - b[0]);
  const count = entries.reduce((a, [, n]) => a + n, 0);
  if (count === 0) return null;
  const valueAt = (index: number): number => {
    let seen = 0;
    for (const [days, n] of entries) {
      seen += n;
      if (index < seen) return days;
    }
    return entries[entries.length - 1]![0];
  };
  return (valueAt((count - 1) >> 1) + valueAt(count >> 1)) / 2;
}
