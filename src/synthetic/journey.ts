import { chance, logNormal, weighted, type Rng } from './random.ts';

export type Stage =
  | 'investigation' | 'early_advice' | 'charging_decision' | 'charged' | 'trial' | 'convicted' | 'acquitted'
  | 'discontinued' | 'nfa_police' | 'nfa_cps' | 'administratively_finalised';

export const DAY_MS = 86_400_000;

export interface JourneyEvent {
  kind: string;
  at: number;
  summary: string;
  data: Record<string, unknown>;
}

export interface Journey {
  stage: Stage;
  outcome: number | null;
  referredAt: number | null;
  updatedAt: number;
  /** 2–6 events, oldest first, all on or before the cut-off. */
  events: JourneyEvent[];
}

export interface JourneyInput {
  reportedAt: number;
  reportYear: number;
  /** Empty when no suspect has been identified. */
  suspectLabels: readonly string[];
  areaName: string;
  /** Nothing after this instant has happened yet: later steps are cut off, which sets the current stage. */
  untilEnd: number;
}

// Year of report → probability. Early Advice, referral and charge rates rise from 2021 (the joint action plan).
const EARLY_ADVICE: Readonly<Record<number, number>> = { 2019: 0.15, 2020: 0.2, 2021: 0.3, 2022: 0.4, 2023: 0.48, 2024: 0.55, 2025: 0.58 };
const REFER: Readonly<Record<number, number>> = { 2019: 0.12, 2020: 0.13, 2021: 0.16, 2022: 0.2, 2023: 0.23, 2024: 0.26, 2025: 0.28 };
const CHARGE: Readonly<Record<number, number>> = { 2019: 0.52, 2020: 0.53, 2021: 0.58, 2022: 0.64, 2023: 0.68, 2024: 0.71, 2025: 0.73 };

function rate(table: Readonly<Record<number, number>>, year: number): number {
  return table[Math.min(2025, Math.max(2019, year))] ?? 0;
}

const POLICE_NFA_IDENTIFIED: readonly (readonly [number, number])[] = [
  [16, 45], [15, 35], [21, 5], [20, 4], [10, 3], [13, 3], [5, 1], [12, 1],
];
const POLICE_NFA_UNIDENTIFIED: readonly (readonly [number, number])[] = [[18, 55], [14, 45]];

const OUTCOME_TEXT: Readonly<Record<number, string>> = {
  5: 'suspect has died', 10: 'formal action not in the public interest', 12: 'suspect too ill to prosecute',
  13: 'victim or key witness too ill to continue', 14: 'evidential difficulties, suspect not identified, victim does not support further action',
  15: 'evidential difficulties, victim supports action', 16: 'victim does not support further action',
  18: 'investigation complete, no suspect identified', 20: 'action taken by another agency',
  21: 'further investigation not in the public interest',
};

const NO_EA_REASONS = [
  'Victim withdrew support before a full file could be built',
  'Suspect could not be identified',
  'Supervisor review: evidential threshold clearly not met',
  'Matter taken on by another agency',
] as const;

/** Rest of the day at a plausible working time (08:00–19:00 UTC). */
function workingTime(rng: Rng, ms: number): number {
  const day = Math.floor(ms / DAY_MS) * DAY_MS;
  return day + (8 * 60 + Math.floor(rng.float() * 11 * 60)) * 60_000;
}

function days(n: number): number {
  return n * DAY_MS;
}

function uniform(rng: Rng, a: number, b: number): number {
  return a + rng.float() * (b - a);
}

interface Step extends JourneyEvent {
  priority: number;
  stage?: Stage;
  outcome?: number | null;
  referral?: boolean;
}

/**
 * Plays a case forward from its report (investigation, Early Advice, charging, court) with durations drawn from
 * long-tailed distributions, then cuts it at the cut-off: old cases have mostly finished, recent ones are still open.
 */
export function planJourney(rng: Rng, input: JourneyInput): Journey {
  const { reportedAt, reportYear, suspectLabels, areaName, untilEnd } = input;
  const steps: Step[] = [];
  const add = (s: Omit<Step, 'data'> & { data?: Record<string, unknown> }) => steps.push({ data: {}, ...s });
  const identified = suspectLabels.length > 0;
  const who = suspectLabels.length > 1 ? suspectLabels.join(' and ') : (suspectLabels[0] ?? 'Suspect');

  add({ kind: 'reported', at: reportedAt, priority: 0, stage: 'investigation', summary: 'Offence reported to police and crime recorded.' });
  add({
    kind: 'isva_referral_offered', at: Math.min(untilEnd, reportedAt + Math.floor(uniform(rng, 1, 72) * 3_600_000)), priority: 20,
    summary: 'Referral to an independent sexual violence adviser (ISVA) offered.',
  });

  const invDays = Math.max(21, logNormal(rng, identified ? 190 : 90, 0.65));
  const invEnd = workingTime(rng, reportedAt + days(invDays));
  let hadEarlyAdvice = false;

  if (identified) {
    let interviewAt: number;
    if (chance(rng, 0.7)) {
      const arrestAt = Math.max(reportedAt + 3_600_000, workingTime(rng, reportedAt + days(Math.min(-Math.log(1 - rng.float()) * 10, invDays * 0.3))));
      add({ kind: 'suspect_arrested', at: arrestAt, priority: 6, summary: `${who} arrested.` });
      interviewAt = arrestAt + Math.floor(uniform(rng, 2, 8) * 3_600_000);
    } else {
      interviewAt = Math.max(reportedAt + 3_600_000, workingTime(rng, reportedAt + days(Math.min(-Math.log(1 - rng.float()) * 25, invDays * 0.5))));
    }
    add({ kind: 'interview_under_caution', at: interviewAt, priority: 7, summary: `${who} interviewed under caution.` });
    const release = weighted(rng, [['rui', 55], ['bail', 30], ['none', 15]] as const);
    const releaseAt = interviewAt + Math.floor(uniform(rng, 1, 4) * 3_600_000);
    if (release === 'rui') add({ kind: 'released_under_investigation', at: releaseAt, priority: 9, summary: `${who} released under investigation.` });
    if (release === 'bail') add({ kind: 'bailed', at: releaseAt, priority: 9, summary: `${who} released on pre-charge bail with conditions.` });

    if (chance(rng, rate(EARLY_ADVICE, reportYear))) {
      hadEarlyAdvice = true;
      const requestAt = workingTime(rng, reportedAt + days(invDays * uniform(rng, 0.3, 0.75)));
      add({
        kind: 'early_advice_requested', at: requestAt, priority: 4, stage: 'early_advice', referral: true,
        summary: `Early Advice requested from the CPS ${areaName} RASSO unit.`,
      });
      const givenAt = workingTime(rng, requestAt + Math.min(days(uniform(rng, 10, 60)), (invEnd - requestAt) * 0.9));
      add({
        kind: 'early_advice_given', at: Math.max(givenAt, requestAt + 3_600_000), priority: 8,
        summary: 'Early Advice given after a conversation with the investigator; reasonable lines of enquiry agreed.',
      });
    }

    if (chance(rng, rate(REFER, reportYear) + (hadEarlyAdvice ? 0.1 : 0))) {
      add({
        kind: 'referred_for_charge', at: invEnd, priority: 3, stage: 'charging_decision', referral: true,
        summary: 'Full file referred to the CPS for a charging decision.',
      });
      const decisionAt = workingTime(rng, invEnd + days(Math.max(2, logNormal(rng, 55, 0.7))));
      const decision = chance(rng, rate(CHARGE, reportYear)) ? 'charge' : chance(rng, 0.1) ? 'admin' : 'nfa';
      if (decision === 'charge') {
        const test = chance(rng, 0.08) ? 'Threshold Test' : 'Full Code Test';
        add({ kind: 'charged', at: decisionAt, priority: 2, stage: 'charged', outcome: 1, summary: `${who} charged under the ${test}.`, data: { test } });
        planCourt(rng, add, decisionAt);
      } else if (decision === 'admin') {
        add({
          kind: 'administratively_finalised', at: decisionAt, priority: 1, stage: 'administratively_finalised', outcome: null,
          summary: 'CPS administratively finalised the file: further material needed before a decision.',
        });
      } else {
        const code = weighted(rng, [[15, 85], [9, 15]] as const);
        add({
          kind: 'nfa', at: decisionAt, priority: 1, stage: 'nfa_cps', outcome: code, data: { by: 'cps', outcomeCode: code },
          summary: code === 9 ? 'CPS decided no further action: public interest stage not met.' : 'CPS decided no further action: evidential stage of the Full Code Test not met.',
        });
      }
      return finish(steps, untilEnd);
    }
  }

  const code = weighted(rng, identified ? POLICE_NFA_IDENTIFIED : POLICE_NFA_UNIDENTIFIED);
  const data: Record<string, unknown> = { by: 'police', outcomeCode: code, earlyAdvice: hadEarlyAdvice };
  if (!hadEarlyAdvice) data.reasonNoEarlyAdvice = identified ? (code === 16 ? NO_EA_REASONS[0] : code === 20 ? NO_EA_REASONS[3] : NO_EA_REASONS[2]) : NO_EA_REASONS[1];
  add({
    kind: 'nfa', at: invEnd, priority: 1, stage: 'nfa_police', outcome: code, data,
    summary: `Police decided no further action (outcome ${code}: ${OUTCOME_TEXT[code] ?? 'other'}).`,
  });
  return finish(steps, untilEnd);
}

function planCourt(rng: Rng, add: (s: Omit<Step, 'data'> & { data?: Record<string, unknown> }) => void, chargedAt: number): void {
  const ptph = workingTime(rng, chargedAt + days(uniform(rng, 28, 60)));
  if (chance(rng, 0.1)) {
    const at = workingTime(rng, chargedAt + days(uniform(rng, 40, 540)));
    if (at > ptph) add({ kind: 'trial_listed', at: ptph, priority: 5, stage: 'trial', summary: 'Not guilty plea entered; trial listed at the Crown Court.' });
    add({ kind: 'discontinued', at, priority: 1, stage: 'discontinued', summary: 'Proceedings discontinued by the CPS.' });
    return;
  }
  if (chance(rng, 0.25)) {
    add({ kind: 'guilty_plea', at: ptph, priority: 1, stage: 'convicted', summary: 'Guilty plea entered at the plea and trial preparation hearing.' });
    return;
  }
  add({ kind: 'trial_listed', at: ptph, priority: 5, stage: 'trial', summary: 'Not guilty plea entered; trial listed at the Crown Court.' });
  const verdictAt = workingTime(rng, chargedAt + days(uniform(rng, 270, 760)));
  const convicted = chance(rng, 0.58);
  add({
    kind: 'verdict', at: verdictAt, priority: 1, stage: convicted ? 'convicted' : 'acquitted', data: { result: convicted ? 'convicted' : 'acquitted' },
    summary: convicted ? 'Trial concluded: convicted.' : 'Trial concluded: acquitted.',
  });
}

const MAX_EVENTS = 6;

function finish(steps: Step[], untilEnd: number): Journey {
  const happened = steps.filter((s) => s.at <= untilEnd).sort((a, b) => a.at - b.at || a.priority - b.priority);
  let stage: Stage = 'investigation';
  let outcome: number | null = null;
  let referredAt: number | null = null;
  let updatedAt = 0;
  for (const s of happened) {
    if (s.stage) stage = s.stage;
    if (s.outcome !== undefined) outcome = s.outcome;
    if (s.referral && referredAt === null) referredAt = s.at;
    updatedAt = Math.max(updatedAt, s.at);
  }
  // Keep the most telling steps (report, decision, charge, referral…) and drop routine ones beyond six.
  const kept = happened.length <= MAX_EVENTS ? happened : [...happened].sort((a, b) => a.priority - b.priority).slice(0, MAX_EVENTS).sort((a, b) => a.at - b.at || a.priority - b.priority);
  return { stage, outcome, referredAt, updatedAt, events: kept.map(({ kind, at, summary, data }) => ({ kind, at, summary, data })) };
}
