import { HttpError } from '../platform/errors.ts';

/**
 * The case journey as one state machine. Every change of a case's stage goes through `assertTransition`
 * (CaseService.recordProgress calls it), so an impossible move (charging a case the CPS has closed, a police NFA
 * after charge) is refused with a message that says why, and nothing is written.
 *
 *   investigation → early_advice (EA requested) → early_advice_given → charging_decision (full file submitted)
 *     → charged → pre_trial → trial → convicted | acquitted | discontinued
 *   charging_decision → nfa_cps | administratively_finalised | investigation (action plan: further evidence needed)
 *   investigation / early advice → nfa_police (police outcome)
 *   nfa_police, nfa_cps, administratively_finalised → reopened (investigation, Early Advice or a new file)
 */
export const STAGES = [
  'investigation', 'early_advice', 'early_advice_given', 'charging_decision', 'charged', 'pre_trial', 'trial',
  'convicted', 'acquitted', 'discontinued', 'nfa_police', 'nfa_cps', 'administratively_finalised',
] as const;
export type Stage = (typeof STAGES)[number];

export const STAGE_LABELS: Record<Stage, string> = {
  investigation: 'Investigation',
  early_advice: 'Early Advice requested',
  early_advice_given: 'Early Advice given',
  charging_decision: 'Awaiting charging decision',
  charged: 'Charged',
  pre_trial: 'Pre-trial',
  trial: 'Trial',
  convicted: 'Convicted',
  acquitted: 'Acquitted',
  discontinued: 'Discontinued',
  nfa_police: 'No further action (police)',
  nfa_cps: 'No further action (CPS)',
  administratively_finalised: 'Administratively finalised',
};

/** Where each stage may go next. A stage listed in its own row may be "entered again" (repeat Early Advice, a resubmitted file). */
export const TRANSITIONS: Record<Stage, readonly Stage[]> = {
  investigation: ['investigation', 'early_advice', 'charging_decision', 'nfa_police'],
  early_advice: ['early_advice', 'early_advice_given', 'investigation', 'charging_decision', 'nfa_police'],
  early_advice_given: ['early_advice_given', 'early_advice', 'investigation', 'charging_decision', 'nfa_police'],
  charging_decision: ['charging_decision', 'charged', 'nfa_cps', 'administratively_finalised', 'investigation'],
  charged: ['pre_trial', 'trial', 'convicted', 'discontinued'],
  pre_trial: ['trial', 'convicted', 'discontinued'],
  trial: ['convicted', 'acquitted', 'discontinued'],
  convicted: [],
  acquitted: [],
  // Proceedings may be reinstituted when a Victims' Right to Review overturns a discontinuance.
  discontinued: ['charged'],
  // Reopened: after a Victims' Right to Review, new evidence, or a scrutiny panel's recommendation to seek Early Advice.
  nfa_police: ['investigation', 'early_advice'],
  nfa_cps: ['investigation', 'early_advice', 'charging_decision'],
  administratively_finalised: ['investigation', 'early_advice', 'charging_decision'],
};

/** Stages where the case is closed: no further action or finalised at court. */
export const FINAL_STAGES: readonly Stage[] = ['convicted', 'acquitted', 'discontinued', 'nfa_police', 'nfa_cps', 'administratively_finalised'];
/** Stages after charge (the decision is the CPS's and proceedings are under way or over). */
export const POST_CHARGE_STAGES: readonly Stage[] = ['charged', 'pre_trial', 'trial', 'convicted', 'acquitted', 'discontinued'];

export function isStage(v: unknown): v is Stage {
  return typeof v === 'string' && (STAGES as readonly string[]).includes(v);
}

export function canTransition(from: Stage, to: Stage): boolean {
  return TRANSITIONS[from]?.includes(to) ?? false;
}

/** Refusal of an impossible move; 409 because the request conflicts with the case's current state. */
export class StageTransitionError extends HttpError {
  constructor(readonly from: Stage, readonly to: Stage, message: string) {
    super(409, 'Not possible at this stage of the case', message, { from, to });
  }
}

/** Throws a StageTransitionError with a message a caseworker can act on, unless `from → to` is allowed. */
export function assertTransition(from: Stage, to: Stage): void {
  if (!isStage(from) || !isStage(to)) throw new Error(`unknown stage: ${String(from)} → ${String(to)}`);
  if (canTransition(from, to)) return;
  throw new StageTransitionError(from, to, explain(from, to));
}

function explain(from: Stage, to: Stage): string {
  const now = `The case is at “${STAGE_LABELS[from]}”.`;
  if ((from === 'convicted' || from === 'acquitted') || (from === 'discontinued' && to !== 'charged')) {
    return `${now} Proceedings are finalised, so the case cannot move to “${STAGE_LABELS[to]}”.`;
  }
  if (to === 'charged') {
    if (from === 'nfa_cps' || from === 'nfa_police' || from === 'administratively_finalised') {
      return `${now} A case closed with no further action cannot be charged. It must first be reopened (for example after a Victims’ Right to Review) and the file resubmitted for a charging decision.`;
    }
    if (POST_CHARGE_STAGES.includes(from)) return `${now} It has already been charged.`;
    return `${now} A charge can only be recorded once the police have submitted the full file for a charging decision.`;
  }
  if (to === 'nfa_police') {
    if (POST_CHARGE_STAGES.includes(from)) return `${now} The police cannot close a case with no further action after charge: only the CPS can stop proceedings (discontinuance).`;
    if (from === 'charging_decision') return `${now} The file is with the CPS for a charging decision. The CPS must decide, return it with an action plan, or finalise it administratively before the police can close the case.`;
    return `${now} It is already closed.`;
  }
  if (to === 'nfa_cps' || to === 'administratively_finalised') {
    if (POST_CHARGE_STAGES.includes(from)) return `${now} It has been charged: stopping proceedings is a discontinuance, not a no further action decision.`;
    return `${now} The CPS can only make this decision on a full file submitted for a charging decision.`;
  }
  if (to === 'charging_decision') {
    if (POST_CHARGE_STAGES.includes(from)) return `${now} It has already been charged, so a file cannot be submitted for a charging decision.`;
    if (from === 'nfa_police') return `${now} Reopen the investigation before submitting a file for a charging decision.`;
  }
  if (to === 'early_advice' || to === 'early_advice_given') {
    if (from === 'charging_decision') {
      return to === 'early_advice'
        ? `${now} The full file is already with the CPS for a charging decision, so Early Advice cannot be requested.`
        : `${now} The full file is now with the CPS for a charging decision: advise through the charging decision instead.`;
    }
    if (POST_CHARGE_STAGES.includes(from)) return `${now} Early Advice is for investigations before charge.`;
    if (to === 'early_advice_given') return `${now} The case is closed: it must be reopened before Early Advice can be given.`;
  }
  if (to === 'pre_trial' || to === 'trial' || to === 'convicted' || to === 'acquitted' || to === 'discontinued') {
    if (!POST_CHARGE_STAGES.includes(from)) return `${now} Court stages follow a charge.`;
    if (to === 'acquitted') return `${now} An acquittal follows a trial.`;
    return `${now} It cannot go back to “${STAGE_LABELS[to]}”.`;
  }
  if (to === 'investigation' && POST_CHARGE_STAGES.includes(from)) return `${now} A charged case cannot return to investigation.`;
  return `${now} It cannot move to “${STAGE_LABELS[to]}”.`;
}

/**
 * What happens on a case, and the stage it leads to. Capabilities record one of these with their own records;
 * `deriveStage` replays them, so the stage can always be recomputed (and checked) from the records.
 */
export const STAGE_EVENTS = {
  ea_requested: 'early_advice',
  ea_given: 'early_advice_given',
  file_submitted: 'charging_decision',
  charged: 'charged',
  nfa_cps: 'nfa_cps',
  action_plan: 'investigation',
  administratively_finalised: 'administratively_finalised',
  police_outcome: 'nfa_police',
  reopened: 'investigation',
  vrr_overturned_police: 'investigation',
  vrr_overturned_cps: 'charging_decision',
  proceedings_reinstituted: 'charged',
  sent_for_trial: 'pre_trial',
  trial_listed: 'trial',
  guilty_plea: 'convicted',
  convicted: 'convicted',
  acquitted: 'acquitted',
  discontinued: 'discontinued',
} as const satisfies Record<string, Stage>;
export type StageEvent = keyof typeof STAGE_EVENTS;

/** The stage `event` leads to from `from`; throws StageTransitionError if it cannot happen there. */
export function nextStage(from: Stage, event: StageEvent): Stage {
  const to: Stage = STAGE_EVENTS[event];
  assertTransition(from, to);
  return to;
}

/** Replays events in order from the start of an investigation; throws at the first impossible one. */
export function deriveStage(events: readonly StageEvent[], start: Stage = 'investigation'): Stage {
  return events.reduce<Stage>((stage, e) => nextStage(stage, e), start);
}
