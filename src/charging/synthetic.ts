import type { Db, Queryable } from '../db/database.ts';
import { WorkingDayCalendar } from '../platform/calendar.ts';
import {
  buildEarlyAdvice, caseRng, DAY_MS, dateOf, EA_COLUMNS, event, EVENT_COLUMNS, iso, type Rows, type SeedCase, type SeedEvent, type StaffDirectory,
  staffDirectory, uuidFrom, workingTime,
} from '../early-advice/synthetic.ts';
import { scheduleLoeReminders, scheduleTargetReminders } from '../early-advice/jobs.ts';
import { TARGET_WORKING_DAYS } from '../early-advice/schemas.ts';
import { DEFAULT_UNTIL } from '../synthetic/generator.ts';
import { chance, int, pick, weighted } from '../synthetic/random.ts';
import { THRESHOLD_CONDITIONS } from './schemas.ts';
import { CPS_OUTCOME_CODES } from './service.ts';
import { policeReviewDue, timeliness, vrrWindow } from './windows.ts';

/**
 * Synthetic charging history for the demo, over the national generator's cases: full file submissions (with the
 * checklist, some items missing), CPS decisions (Full Code Test, Threshold Test, NFA after a face-to-face meeting,
 * administrative finalisation), police outcomes with the reason Early Advice was not sought, court progress, and
 * Victims' Right to Review windows and requests. Early Advice comes from src/early-advice/synthetic.ts. Every
 * record follows the case's own timeline (its generator events), so stages, dates and decisions agree.
 */

export const CHARGING_COLUMNS = {
  charging_submissions: ['id', 'case_id', 'force_id', 'sequence', 'status', 'summary', 'missing_note', 'submitted_by', 'submitted_at', 'updated_by', 'updated_at', 'version'],
  charging_submission_items: ['submission_id', 'force_id', 'item_code', 'status'],
  charging_meetings: ['id', 'case_id', 'force_id', 'submission_id', 'held_on', 'format', 'attendees', 'notes', 'recorded_by', 'recorded_at'],
  charging_decisions: ['id', 'case_id', 'force_id', 'submission_id', 'decision', 'evidential_reasons', 'public_interest_reasons', 'threshold_conditions',
    'threshold_reasons', 'further_evidence', 'full_code_review_on', 'action_plan', 'response_due', 'reasons', 'meeting_id', 'outcome_type_code', 'decided_by', 'decided_at'],
  charging_decision_offences: ['decision_id', 'force_id', 'offence_code'],
  police_outcomes: ['id', 'case_id', 'force_id', 'outcome_type_code', 'reasons', 'had_early_advice', 'ea_not_sought_reason', 'suspect_interviewed', 'decided_by', 'decided_at'],
  court_progress: ['id', 'case_id', 'force_id', 'step', 'occurred_on', 'notes', 'recorded_by', 'recorded_at'],
  vrr_windows: ['id', 'case_id', 'force_id', 'scheme', 'source_kind', 'source_id', 'opened_on', 'normal_deadline', 'latest_deadline', 'opened_by', 'created_at'],
  vrr_requests: ['id', 'case_id', 'force_id', 'window_id', 'scheme', 'requested_on', 'timeliness', 'late_reason', 'acknowledge_due', 'complete_due', 'acknowledged_on',
    'review_level', 'result', 'result_on', 'result_notes', 'status', 'recorded_by', 'recorded_at', 'updated_at', 'version'],
} as const;

/** Parents before children, so foreign keys hold at every statement. */
const TABLE_ORDER: [string, readonly string[]][] = [
  ...Object.entries(EA_COLUMNS), ...Object.entries(CHARGING_COLUMNS), ['case_events', EVENT_COLUMNS],
];

export interface CaseworkSeedOptions {
  seed: number;
  /** The generator's cut-off ('YYYY-MM-DD'): nothing in the national history happens after the end of this day. */
  until?: string;
  /** The real time now: the demo's own open requests are dated just before it, so the demo users' queues are live. */
  now: Date;
  /** The demo users, by the force and CPS Area they work in. */
  demo: { forceId: string; areaId: string; investigator: string; prosecutor: string; dcp: string; otherPolice?: Record<string, string> };
}

export interface CaseworkSeedSummary {
  eaRequests: number;
  linesOfEnquiry: number;
  conferences: number;
  submissions: number;
  decisions: number;
  policeOutcomes: number;
  vrrRequests: number;
  /** Open requests in the demo CPS Area's queue (national history and the demo's own). */
  demoOpenRequests: number;
}

const MISSING_NOTES = ['The VPS will follow: V1 is still deciding whether to make one.', 'Third-party records requested; the response is awaited.', 'The digital download report is awaited from the hub.', 'The forensic results are expected within four weeks.'];
const COVERING = [
  'Full file for a charging decision after the agreed lines of enquiry were completed.',
  'Full file: the suspect denies the offence; the key issue is consent. A decision on rape is sought.',
  'Full file for a decision on the offences listed; the suspect made no comment in interview.',
];
const FCT_EVIDENTIAL = [
  'V1’s account is consistent and supported by the first account witness, the CCTV and the suspect’s messages. There is a realistic prospect of conviction.',
  'The medical evidence and the messages after the event support V1’s account; the suspect’s account is undermined by the cell-site evidence. Realistic prospect of conviction.',
];
const FCT_PUBLIC_INTEREST = [
  'The offence is serious, V1 was vulnerable, and V1 supports a prosecution. A prosecution is required in the public interest.',
  'Serious sexual offending with a significant impact on V1; no factors tend against prosecution. Prosecution is required.',
];
const NFA_EVIDENTIAL = [
  'The accounts of V1 and the suspect conflict and there is no independent evidence that assists on consent. There is no realistic prospect of conviction.',
  'The identification evidence is weak and could not be strengthened by the further enquiries. No realistic prospect of conviction.',
];
const NFA_PUBLIC_INTEREST = ['The suspect was 13 at the time and the offending arose in a relationship between children of a similar age; a prosecution is not required in the public interest.'];

const TIMELINE_KINDS = ['early_advice_requested', 'early_advice_given', 'referred_for_charge', 'charged', 'nfa', 'administratively_finalised', 'trial_listed', 'guilty_plea', 'verdict', 'discontinued'];

/** The national cases with an Early Advice or charging history and no such records yet, with their generator events (set-based: four queries). */
async function loadCases(db: Queryable): Promise<SeedCase[]> {
  const rows = await db.query<{ id: string; reference: string; force_id: string; cps_area_id: string; area_name: string; stage: string; created_at: Date | string; summary: string }>(
    `SELECT c.id, c.reference, c.force_id, c.cps_area_id, a.name AS area_name, c.stage, c.created_at, c.summary
       FROM cases c JOIN cps_areas a ON a.id = c.cps_area_id
      WHERE c.id IN (SELECT case_id FROM case_events WHERE kind IN ('early_advice_requested', 'referred_for_charge', 'nfa'))
        AND NOT EXISTS (SELECT 1 FROM ea_requests r WHERE r.case_id = c.id)
        AND NOT EXISTS (SELECT 1 FROM charging_submissions s WHERE s.case_id = c.id)
        AND NOT EXISTS (SELECT 1 FROM police_outcomes p WHERE p.case_id = c.id)
      ORDER BY c.reference`,
  );
  const ids = rows.map((r) => r.id);
  const [events, offences, suspects] = await Promise.all([
    db.query<{ case_id: string; kind: string; occurred_at: Date | string; data: Record<string, unknown> | null }>(
      'SELECT case_id, kind, occurred_at, data FROM case_events WHERE case_id = ANY($1::uuid[]) AND kind = ANY($2::text[]) ORDER BY case_id, occurred_at', [ids, TIMELINE_KINDS]),
    db.query<{ case_id: string; offence_code: string }>('SELECT case_id, offence_code FROM case_offences WHERE case_id = ANY($1::uuid[]) ORDER BY case_id, offence_code', [ids]),
    db.query<{ case_id: string; n: number }>('SELECT case_id, count(*)::int AS n FROM suspects WHERE case_id = ANY($1::uuid[]) GROUP BY case_id', [ids]),
  ]);
  const eventsOf = new Map<string, SeedEvent[]>();
  for (const e of events) {
    const list = eventsOf.get(e.case_id) ?? [];
    list.push({ kind: e.kind, at: new Date(e.occurred_at).getTime(), data: e.data ?? {} });
    eventsOf.set(e.case_id, list);
  }
  const offencesOf = new Map<string, string[]>();
  for (const o of offences) offencesOf.set(o.case_id, [...(offencesOf.get(o.case_id) ?? []), o.offence_code]);
  const suspectsOf = new Map(suspects.map((s) => [s.case_id, s.n]));
  return rows.map((r) => ({
    id: r.id, reference: r.reference, forceId: r.force_id, areaId: r.cps_area_id, areaName: r.area_name, stage: r.stage,
    reportedAt: new Date(r.created_at).getTime(), summary: r.summary, offences: offencesOf.get(r.id) ?? [], suspects: suspectsOf.get(r.id) ?? 0,
    events: eventsOf.get(r.id) ?? [],
  }));
}

/**
 * Bulk insert as one array per column, expanded by unnest() in the database: about twice as fast as multi-row VALUES
 * (src/synthetic/bulk.ts) for the tens of thousands of narrow rows here, because there are four to twenty bind
 * parameters per statement instead of one per value. Column types come from the catalogue.
 */
async function insertColumns(tx: Queryable, table: string, columns: readonly string[], rows: readonly unknown[][]): Promise<void> {
  if (rows.length === 0) return;
  const types = new Map((await tx.query<{ name: string; type: string }>(
    'SELECT attname AS name, format_type(atttypid, atttypmod) AS type FROM pg_attribute WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped', [table],
  )).map((c) => [c.name, c.type]));
  const arrays = columns.map((_, i) => rows.map((r) => r[i] ?? null));
  const casts = columns.map((c, i) => `$${i + 1}::${types.get(c)}[]`).join(', ');
  await tx.query(`INSERT INTO ${table} (${columns.join(', ')}) SELECT * FROM unnest(${casts})`, arrays);
}

function emptyRows(): Rows {
  return Object.fromEntries(TABLE_ORDER.map(([t]) => [t, []]));
}

/** Submissions, decisions, police outcomes, court progress and review requests of one case. */
function buildCharging(seed: number, c: SeedCase, staff: StaffDirectory, calendar: WorkingDayCalendar, items: { code: string; applicability: string }[], hadAdvice: boolean, asAt: number, rows: Rows) {
  const rng = caseRng(seed, `charging:${c.reference}`);
  const police = staff.police(c.forceId);
  const prosecutor = staff.prosecutor(c.areaId);
  const referred = c.events.find((e) => e.kind === 'referred_for_charge');
  const decided = c.events.find((e) => ['charged', 'administratively_finalised'].includes(e.kind) || (e.kind === 'nfa' && e.data.by === 'cps'));
  const policeNfa = c.events.find((e) => e.kind === 'nfa' && e.data.by === 'police');

  if (referred) {
    const submissionId = uuidFrom(rng);
    const statuses = items.map((i) => [i.code, i.applicability === 'always'
      ? (chance(rng, 0.93) ? 'provided' : 'missing')
      : weighted(rng, [['provided', 60], ['not_applicable', 30], ['missing', 10]] as const)] as const);
    const missing = statuses.filter(([, s]) => s === 'missing').length;
    rows.charging_submissions!.push([
      submissionId, c.id, c.forceId, 1, decided ? 'decided' : 'awaiting_decision', pick(rng, COVERING), missing ? pick(rng, MISSING_NOTES) : '',
      police.id, iso(referred.at), police.id, iso(referred.at), 1,
    ]);
    for (const [code, status] of statuses) rows.charging_submission_items!.push([submissionId, c.forceId, code, status]);
    if (decided) {
      const decisionId = uuidFrom(rng);
      let decision: string;
      let meetingId: string | null = null;
      if (decided.kind === 'charged') decision = decided.data.test === 'Threshold Test' ? 'charge_threshold' : 'charge_full_code';
      else if (decided.kind === 'administratively_finalised') decision = 'administratively_finalised';
      else decision = decided.data.outcomeCode === 9 ? 'nfa_public_interest' : 'nfa_evidential';
      if (decision.startsWith('nfa')) {
        // the face-to-face meeting always comes before a CPS NFA is confirmed
        meetingId = uuidFrom(rng);
        const heldOn = dateOf(Math.max(referred.at, decided.at - int(rng, 1, 10) * DAY_MS));
        rows.charging_meetings!.push([meetingId, c.id, c.forceId, submissionId, heldOn, weighted(rng, [['video', 60], ['in_person', 40]] as const),
          JSON.stringify([`${prosecutor.name}, prosecutor`, `${police.name}, officer in case`]), 'Discussed the evidential position and whether any further reasonable lines of enquiry remained.', prosecutor.id, iso(decided.at - 3_600_000)]);
        rows.case_events!.push(event(rng, c, Date.parse(`${heldOn}T12:00:00Z`), 'charging_meeting', 'Face-to-face meeting between the prosecutor and the investigator about the charging decision.', prosecutor.id, { meetingId }));
      }
      rows.charging_decisions!.push([
        decisionId, c.id, c.forceId, submissionId, decision,
        decision === 'charge_full_code' ? pick(rng, FCT_EVIDENTIAL) : decision === 'nfa_evidential' ? pick(rng, NFA_EVIDENTIAL) : '',
        decision === 'charge_full_code' || decision === 'charge_threshold' ? pick(rng, FCT_PUBLIC_INTEREST) : decision === 'nfa_public_interest' ? pick(rng, NFA_PUBLIC_INTEREST) : '',
        JSON.stringify(decision === 'charge_threshold' ? [...THRESHOLD_CONDITIONS] : []),
        decision === 'charge_threshold' ? 'The suspect is remanded and the forensic results are awaited; there is a substantial bail risk to V1.' : '',
        decision === 'charge_threshold' ? 'DNA results from the swabs, expected within six weeks.' : '',
        decision === 'charge_threshold' ? dateOf(decided.at + 42 * DAY_MS) : null,
        '', null, decision === 'administratively_finalised' ? 'The suspect could not be traced for charge; the file is finalised until he is found.' : '',
        meetingId, (CPS_OUTCOME_CODES as Record<string, number | undefined>)[decision] ?? null, prosecutor.id, iso(decided.at),
      ]);
      if (decision.startsWith('charge')) for (const code of c.offences) rows.charging_decision_offences!.push([decisionId, c.forceId, code]);
      if (decision.startsWith('nfa')) reviewWindow(rng, c, calendar, 'cps', 'charging_decision', decisionId, decided.at, prosecutor.id, asAt, rows);
    }
  }

  if (policeNfa) {
    const id = uuidFrom(rng);
    const code = Number(policeNfa.data.outcomeCode ?? 16);
    const eaNotSought = hadAdvice ? '' : String(policeNfa.data.reasonNoEarlyAdvice ?? 'Supervisor review: evidential threshold clearly not met');
    rows.police_outcomes!.push([id, c.id, c.forceId, code, `Outcome ${code} after supervisor review of the investigation.`, hadAdvice, eaNotSought, c.suspects > 0, police.id, iso(policeNfa.at)]);
    reviewWindow(rng, c, calendar, 'police', 'police_outcome', id, policeNfa.at, police.id, asAt, rows);
  }

  // Court progress after charge, from the case's own events.
  const STEPS: Record<string, (e: SeedEvent) => string> = {
    trial_listed: () => 'trial_listed', guilty_plea: () => 'guilty_plea', discontinued: () => 'discontinued',
    verdict: (e) => (e.data.result === 'acquitted' ? 'acquitted' : 'convicted'),
  };
  for (const e of c.events) {
    const step = STEPS[e.kind]?.(e);
    if (step) rows.court_progress!.push([uuidFrom(rng), c.id, c.forceId, step, dateOf(e.at), '', prosecutor.id, iso(e.at)]);
  }
}

/** An NFA opens a Victims' Right to Review window; some victims ask, a few late; older requests have a result. */
function reviewWindow(rng: ReturnType<typeof caseRng>, c: SeedCase, calendar: WorkingDayCalendar, scheme: 'police' | 'cps', sourceKind: string, sourceId: string, decidedAt: number, by: string, asAt: number, rows: Rows) {
  const w = vrrWindow(calendar, scheme, new Date(decidedAt));
  const windowId = uuidFrom(rng);
  rows.vrr_windows!.push([windowId, c.id, c.forceId, scheme, sourceKind, sourceId, w.openedOn, w.normalDeadline, w.latestDeadline, by, iso(decidedAt)]);
  if (!chance(rng, scheme === 'cps' ? 0.14 : 0.08)) return;
  const requestedAt = decidedAt + weighted(rng, [[int(rng, 2, 13), 75], [int(rng, 15, 80), 22], [int(rng, 95, 120), 3]] as const) * DAY_MS;
  if (requestedAt > asAt) return;
  const requestedOn = dateOf(requestedAt);
  const t = timeliness(w, requestedOn);
  const due = scheme === 'police' ? policeReviewDue(calendar, requestedOn) : null;
  const resultAt = requestedAt + int(rng, 20, 60) * DAY_MS;
  const completed = resultAt <= asAt;
  const acknowledged = due && (completed || requestedAt + 7 * DAY_MS <= asAt) ? dateOf(requestedAt + int(rng, 2, 12) * DAY_MS) : null;
  // an overturned decision would reopen the case, which the generated timeline does not show: completed reviews uphold it
  rows.vrr_requests!.push([
    uuidFrom(rng), c.id, c.forceId, windowId, scheme, requestedOn, t, t === 'in_time' ? '' : 'V1 was not told of the right to review until the ISVA raised it.',
    due?.acknowledgeDue ?? null, due?.completeDue ?? null, acknowledged, completed && scheme === 'cps' ? weighted(rng, [['local_resolution', 70], ['independent_review', 30]] as const) : null,
    completed ? 'upheld' : null, completed ? dateOf(resultAt) : null, completed ? 'The original decision was reviewed and found to be right.' : '',
    completed ? 'completed' : acknowledged ? 'acknowledged' : 'received', by, iso(requestedAt), iso(completed ? resultAt : requestedAt), completed ? 3 : acknowledged ? 2 : 1,
  ]);
  rows.case_events!.push(event(rng, c, requestedAt, 'vrr_requested', `Victim asked for a review of the decision under the Victims’ Right to Review (${scheme === 'cps' ? 'CPS scheme' : 'police scheme'}).`, by, { scheme, timeliness: t }));
}

interface DemoQueue {
  cases: string[];
  given: string[];
  /** Open requests and lines of enquiry, whose reminders are scheduled as the service would. */
  openRequests: { id: string; targetDate: string }[];
  openLoes: { id: string; dueDate: string }[];
}

/**
 * Open Early Advice for the demo users, dated just before `now`: a request awaiting allocation, two allocated to the
 * demo prosecutor (one overdue), and advice given ten days ago whose lines of enquiry the demo investigator owns
 * (one overdue, one in progress, one done). Taken from the demo Area's most recent cases still under investigation,
 * the demo force's first.
 */
async function demoQueue(db: Queryable, seed: number, opts: CaseworkSeedOptions, staff: StaffDirectory, calendar: WorkingDayCalendar, rows: Rows): Promise<DemoQueue> {
  const candidates = await db.query<{ id: string; reference: string; force_id: string; cps_area_id: string; area_name: string; summary: string; reported_at: Date }>(
    `SELECT c.id, c.reference, c.force_id, c.cps_area_id, a.name AS area_name, c.summary, c.created_at AS reported_at
       FROM cases c JOIN cps_areas a ON a.id = c.cps_area_id
      WHERE c.cps_area_id = $2 AND c.stage = 'investigation' AND EXISTS (SELECT 1 FROM suspects s WHERE s.case_id = c.id)
        AND NOT EXISTS (SELECT 1 FROM ea_requests r WHERE r.case_id = c.id)
      ORDER BY (c.force_id = $1) DESC, c.created_at DESC, c.reference LIMIT 4`,
    [opts.demo.forceId, opts.demo.areaId],
  );
  const now = opts.now.getTime();
  const prosecutor = staff.prosecutor(opts.demo.areaId);
  const dcp = staff.dcp(opts.demo.areaId);
  // the demo force's own cases first: the advice given goes to the demo investigator's most recent case
  const plan = [
    { daysAgo: 24, priority: 'standard', allocated: true, given: true },
    { daysAgo: 1, priority: 'high', allocated: false, given: false },
    { daysAgo: 6, priority: 'standard', allocated: true, given: false },
    { daysAgo: 12, priority: 'urgent', allocated: true, given: false },
  ] as const;
  const given: string[] = [];
  const openRequests: DemoQueue['openRequests'] = [];
  const openLoes: DemoQueue['openLoes'] = [];
  candidates.forEach((k, i) => {
    const p = plan[i]!;
    const police = staff.police(k.force_id);
    const rng = caseRng(seed, `demo-ea:${k.reference}`);
    const c: SeedCase = { id: k.id, reference: k.reference, forceId: k.force_id, areaId: k.cps_area_id, areaName: k.area_name, stage: 'investigation', reportedAt: new Date(k.reported_at).getTime(), summary: k.summary, offences: [], suspects: 1, events: [] };
    const at = Math.max(c.reportedAt + DAY_MS, Math.min(workingTime(rng, now - p.daysAgo * DAY_MS), now - 3_600_000));
    const requestId = uuidFrom(rng);
    // advice ten days ago, or (for a case reported only days ago) two days after the request
    const givenAt = p.given ? Math.min(now - 3_600_000, Math.max(at + 2 * DAY_MS, now - 10 * DAY_MS)) : null;
    const targetDate = calendar.addWorkingDays(new Date(at), TARGET_WORKING_DAYS[p.priority]);
    const allocatedAt = p.allocated ? at + 20 * 3_600_000 : null;
    rows.ea_requests!.push([
      requestId, c.id, c.forceId, c.areaId, c.reference, 1, c.summary, pick(rng, ['Is a download of V1’s phone proportionate, and which third-party records are reasonable lines of enquiry?', 'What further evidence would strengthen the case on consent?']),
      'S1 arrested and interviewed; denies the offence. Previous reports about S1 checked; CCTV requested.', p.priority, givenAt ? 'advice_given' : p.allocated ? 'allocated' : 'awaiting_allocation',
      police.id, iso(at), targetDate, TARGET_WORKING_DAYS[p.priority],
      p.allocated ? prosecutor.id : null, p.allocated ? dcp.id : null, allocatedAt === null ? null : iso(allocatedAt), givenAt === null ? null : iso(givenAt), givenAt ? 3 : p.allocated ? 2 : 1,
    ]);
    if (givenAt === null) openRequests.push({ id: requestId, targetDate });
    rows.case_events!.push(event(rng, c, at, 'early_advice_requested', `Early Advice requested from the CPS ${c.areaName} RASSO unit.`, police.id, { eaRequestId: requestId }));
    if (givenAt !== null) {
      const conversationId = uuidFrom(rng);
      const adviceId = uuidFrom(rng);
      const people = [{ userId: prosecutor.id, name: prosecutor.name, organisation: prosecutor.organisation, side: 'cps' }, { userId: police.id, name: police.name, organisation: police.organisation, side: 'police' }];
      rows.ea_conversations!.push([conversationId, requestId, c.id, c.forceId, iso(givenAt - 3 * 3_600_000), 'video', JSON.stringify(people), '[]', prosecutor.id, iso(givenAt)]);
      rows.ea_advice!.push([adviceId, requestId, conversationId, c.id, c.forceId, 'The key issue is consent. Complete the three lines of enquiry below, then submit a full file.', 1, 'issued', prosecutor.id, iso(givenAt), null, null, '', iso(givenAt), 1]);
      const loes = [
        ['Take a statement from the friend V1 told the next day (first account).', 'general', '', 'done', 'Statement taken and on the file.', -8, Math.min(now - 3_600_000, givenAt + 4 * DAY_MS)],
        ['Download V1’s phone: messages with S1 from the evening to the next morning only.', 'digital_device', 'S1’s messages the next morning may acknowledge what happened; limited to those hours, so no wider intrusion into V1’s private life.', 'in_progress', 'Phone with the digital hub; download booked.', 9, null],
        ['Obtain CCTV from the venue and the route home and have it viewed in full.', 'general', '', 'open', '', -2, null],
      ] as const;
      loes.forEach(([description, category, rationale, status, note, dueInDays, completedAt], n) => {
        const loeId = uuidFrom(rng);
        if (status !== 'done') openLoes.push({ id: loeId, dueDate: dateOf(now + dueInDays * DAY_MS) });
        rows.ea_lines_of_enquiry!.push([loeId, adviceId, c.id, c.forceId, n + 1, description, category, rationale, police.id, dateOf(now + dueInDays * DAY_MS), status, note,
          iso(givenAt), iso(completedAt ?? givenAt + DAY_MS), police.id, completedAt === null ? null : iso(completedAt), status === 'open' ? 1 : 2]);
      });
      rows.case_events!.push(event(rng, c, givenAt - 3 * 3_600_000, 'early_advice_conversation', `Early Advice conversation (by video) between ${prosecutor.name}, ${police.name}`, prosecutor.id, { eaRequestId: requestId, conversationId }));
      rows.case_events!.push(event(rng, c, givenAt, 'early_advice_given', 'Early Advice given (action plan 1 with 3 lines of enquiry)', prosecutor.id, { eaRequestId: requestId, adviceId, planNumber: 1 }));
      given.push(c.id);
    }
  });
  return { cases: candidates.map((c) => c.id), given, openRequests, openLoes };
}

/**
 * Lays the synthetic Early Advice and charging history over the generated cases, in one transaction with one
 * insert per table, then moves cases whose advice has been given (and nothing since) to "Early Advice given".
 * Runs once: cases that already have such records are left alone.
 */
export async function seedEarlyAdviceAndCharging(db: Db, opts: CaseworkSeedOptions): Promise<CaseworkSeedSummary> {
  const until = opts.until ?? DEFAULT_UNTIL;
  const asAt = Date.parse(`${until}T23:59:59Z`);
  const calendar = await WorkingDayCalendar.load(db);
  return db.transaction(async (tx) => {
    const staff = await staffDirectory(tx, opts.seed, {
      byForce: { [opts.demo.forceId]: opts.demo.investigator, ...opts.demo.otherPolice },
      prosecutorByArea: { [opts.demo.areaId]: opts.demo.prosecutor },
      dcpByArea: { [opts.demo.areaId]: opts.demo.dcp },
    });
    const cases = await loadCases(tx);
    const items = await tx.query<{ code: string; applicability: string }>('SELECT code, applicability FROM charging_file_items WHERE active ORDER BY sort_order');
    const rows = emptyRows();
    const givenNow: string[] = [];
    for (const c of cases) {
      const ea = buildEarlyAdvice(opts.seed, c, staff, calendar, asAt, rows);
      buildCharging(opts.seed, c, staff, calendar, items, ea.hadAdvice, asAt, rows);
      if (ea.hadAdvice && c.stage === 'early_advice') givenNow.push(c.id);
    }
    const demo = await demoQueue(tx, opts.seed, opts, staff, calendar, rows);
    for (const [table, columns] of TABLE_ORDER) await insertColumns(tx, table, columns, rows[table]!);
    // The stage follows the records (src/cases/stages.ts): advice given and nothing since is "Early Advice given".
    if (givenNow.length) await tx.query(`UPDATE cases SET stage = 'early_advice_given' WHERE id = ANY($1::uuid[]) AND stage = 'early_advice'`, [givenNow]);
    if (demo.cases.length) {
      const nowIso = opts.now.toISOString();
      await tx.query(`UPDATE cases SET stage = CASE WHEN id = ANY($2::uuid[]) THEN 'early_advice_given' ELSE 'early_advice' END, referred_at = coalesce(referred_at, $3), updated_at = $3 WHERE id = ANY($1::uuid[])`, [demo.cases, demo.given, nowIso]);
      // their reminders, as the service schedules them (the job worker delivers the ones already due at start-up)
      const clock = { now: () => opts.now };
      for (const r of demo.openRequests) await scheduleTargetReminders(tx, clock, calendar, r);
      for (const l of demo.openLoes) await scheduleLoeReminders(tx, clock, calendar, l);
      // referred to the CPS: the demo prosecutor joins the case team, as allocation does
      await tx.query(
        `INSERT INTO case_team (case_id, user_id, force_id, team_role, added_at)
         SELECT c.id, $2, c.force_id, 'prosecutor', $3 FROM cases c WHERE c.id = ANY($1::uuid[]) ON CONFLICT DO NOTHING`,
        [demo.cases, opts.demo.prosecutor, nowIso],
      );
    }
    const [open] = await tx.query<{ n: number }>(`SELECT count(*)::int AS n FROM ea_requests WHERE cps_area_id = $1 AND status <> 'advice_given'`, [opts.demo.areaId]);
    return {
      eaRequests: rows.ea_requests!.length, linesOfEnquiry: rows.ea_lines_of_enquiry!.length, conferences: rows.ea_conferences!.length,
      submissions: rows.charging_submissions!.length, decisions: rows.charging_decisions!.length, policeOutcomes: rows.police_outcomes!.length,
      vrrRequests: rows.vrr_requests!.length, demoOpenRequests: open?.n ?? 0,
    };
  });
}
