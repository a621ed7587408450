import { z } from 'zod';
import { londonDate } from '../platform/calendar.ts';
import { checkboxes, dateParts, lines, optionalText, requiredText, version } from '../platform/validation.ts';

/** Form (and future API) schemas for charging, police outcomes and Victims' Right to Review. */

export const DECISIONS = ['charge_full_code', 'charge_threshold', 'nfa_evidential', 'nfa_public_interest', 'action_plan', 'administratively_finalised'] as const;
export type Decision = (typeof DECISIONS)[number];
export const DECISION_LABELS: Record<Decision, string> = {
  charge_full_code: 'Charge under the Full Code Test',
  charge_threshold: 'Charge under the Threshold Test',
  nfa_evidential: 'No further action: evidential stage not met',
  nfa_public_interest: 'No further action: public interest stage not met',
  action_plan: 'Action plan: further evidence needed',
  administratively_finalised: 'Administratively finalised',
};
export const DECISION_HINTS: Record<Decision, string> = {
  charge_full_code: 'The evidential stage (a realistic prospect of conviction) and the public interest stage are both met.',
  charge_threshold: 'Only where the suspect presents a substantial bail risk and the Full Code Test cannot yet be applied.',
  nfa_evidential: 'There is not a realistic prospect of conviction. A face-to-face meeting with the investigator must be recorded first.',
  nfa_public_interest: 'The evidential stage is met but a prosecution is not in the public interest. A face-to-face meeting must be recorded first.',
  action_plan: 'Return the file to the police with the further evidence needed before a decision.',
  administratively_finalised: 'Close the file without a decision, for example when the police have not supplied requested material.',
};
export const NFA_DECISIONS: readonly Decision[] = ['nfa_evidential', 'nfa_public_interest'];
export const CHARGE_DECISIONS: readonly Decision[] = ['charge_full_code', 'charge_threshold'];

/** The Threshold Test's four conditions (Code for Crown Prosecutors, section 5): each must be confirmed. */
export const THRESHOLD_CONDITIONS = ['reasonable_grounds', 'further_evidence', 'seriousness', 'bail_objection'] as const;
export const THRESHOLD_CONDITION_LABELS: Record<(typeof THRESHOLD_CONDITIONS)[number], string> = {
  reasonable_grounds: 'There are reasonable grounds to suspect that the person to be charged has committed the offence',
  further_evidence: 'Further evidence can be obtained to provide a realistic prospect of conviction',
  seriousness: 'The seriousness or the circumstances of the case justify an immediate charging decision',
  bail_objection: 'There are continuing substantial grounds to object to bail, and in all the circumstances it is proper to do so',
};

export const MEETING_FORMATS = ['in_person', 'video'] as const;
export const MEETING_FORMAT_LABELS: Record<(typeof MEETING_FORMATS)[number], string> = { in_person: 'In person', video: 'By video' };

export const COURT_STEPS = ['sent_for_trial', 'trial_listed', 'guilty_plea', 'convicted', 'acquitted', 'discontinued'] as const;
export type CourtStep = (typeof COURT_STEPS)[number];
export const COURT_STEP_LABELS: Record<CourtStep, string> = {
  sent_for_trial: 'Sent to the Crown Court: pre-trial',
  trial_listed: 'Not guilty plea entered: trial listed',
  guilty_plea: 'Guilty plea entered: convicted',
  convicted: 'Trial verdict: convicted',
  acquitted: 'Trial verdict: acquitted',
  discontinued: 'Proceedings discontinued by the CPS',
};

export const VRR_RESULTS = ['upheld', 'overturned'] as const;
export const VRR_RESULT_LABELS: Record<(typeof VRR_RESULTS)[number], string> = {
  upheld: 'Original decision upheld',
  overturned: 'Original decision overturned',
};
export const REVIEW_LEVELS = ['local_resolution', 'independent_review'] as const;
export const REVIEW_LEVEL_LABELS: Record<(typeof REVIEW_LEVELS)[number], string> = {
  local_resolution: 'Local resolution',
  independent_review: 'Independent review (Appeals and Review Unit)',
};
export const TIMELINESS_LABELS = { in_time: 'Within the normal window', late: 'After the normal window, within 3 months', out_of_time: 'Out of time: exceptional' } as const;

const yesNo = (message: string) => z.enum(['yes', 'no'], { message }).transform((v) => v === 'yes');

/** Checkbox groups of item codes (validated against the reference list by the service). */
const codes = z.preprocess((v) => (v === undefined || v === '' ? [] : Array.isArray(v) ? v : [v]), z.array(z.string().max(50)).max(100));

export const fileSchema = z.object({
  provided: codes,
  notApplicable: codes,
  summary: requiredText('Enter a short covering note for the prosecutor', 4000),
  missingNote: optionalText(2000),
});
export type FileInput = z.infer<typeof fileSchema>;
export const fileUpdateSchema = fileSchema.extend({ version });
export type FileUpdateInput = z.infer<typeof fileUpdateSchema>;

export const meetingSchema = (today: () => Date) =>
  z.object({
    heldOn: dateParts('date of the meeting', { required: true, notFuture: today }),
    format: z.enum(MEETING_FORMATS, { message: 'Select whether the meeting was in person or by video' }),
    attendees: lines(20, 200).refine((a) => a.length >= 2, 'Enter at least two attendees, one on each line (the prosecutor and the investigator)'),
    notes: optionalText(4000),
  });
export type MeetingInput = z.infer<ReturnType<typeof meetingSchema>>;

export const decisionChoiceSchema = z.object({
  decision: z.enum(DECISIONS, { message: 'Select the charging decision' }),
});

const offencesField = z.preprocess(
  (v) => (v === undefined || v === '' ? [] : Array.isArray(v) ? v : [v]),
  z.array(z.string().max(50)).min(1, 'Select at least one offence to charge'),
);
const submissionVersion = version;

/** One schema per decision: each asks only for what that decision needs. */
export const decisionSchemas = (today: () => Date) => ({
  charge_full_code: z.object({
    evidentialReasons: requiredText('Enter the reasons the evidential stage is met', 8000),
    publicInterestReasons: requiredText('Enter the reasons the public interest stage is met', 8000),
    offences: offencesField,
    version: submissionVersion,
  }),
  charge_threshold: z.object({
    conditions: checkboxes([...THRESHOLD_CONDITIONS]).refine((c) => THRESHOLD_CONDITIONS.every((x) => c.includes(x)), 'Confirm each of the four conditions of the Threshold Test'),
    thresholdReasons: requiredText('Enter why the Threshold Test applies, including the bail risk', 8000),
    furtherEvidence: requiredText('Enter the further evidence expected and when', 4000),
    fullCodeReviewOn: dateParts('date for the Full Code Test review'),
    publicInterestReasons: requiredText('Enter the reasons the public interest stage is met', 8000),
    offences: offencesField,
    version: submissionVersion,
  }).superRefine((v, ctx) => {
    if (v.fullCodeReviewOn && v.fullCodeReviewOn < londonDate(today())) ctx.addIssue({ code: 'custom', path: ['fullCodeReviewOn'], message: 'The date for the Full Code Test review must be today or in the future' });
  }),
  nfa_evidential: z.object({
    evidentialReasons: requiredText('Enter the reasons the evidential stage is not met', 8000),
    version: submissionVersion,
  }),
  nfa_public_interest: z.object({
    evidentialReasons: optionalText(8000),
    publicInterestReasons: requiredText('Enter the reasons the public interest stage is not met', 8000),
    version: submissionVersion,
  }),
  action_plan: z.object({
    actionPlan: requiredText('Enter the further evidence or actions needed', 8000),
    responseDue: dateParts('date the police should respond by'),
    version: submissionVersion,
  }).superRefine((v, ctx) => {
    if (v.responseDue && v.responseDue < londonDate(today())) ctx.addIssue({ code: 'custom', path: ['responseDue'], message: 'The date the police should respond by must be today or in the future' });
  }),
  administratively_finalised: z.object({
    reasons: requiredText('Enter why the file is administratively finalised', 4000),
    version: submissionVersion,
  }),
});

/** What a decision carries once validated (the union of the per-decision forms). */
export interface DecisionInput {
  decision: Decision;
  version: number;
  evidentialReasons?: string;
  publicInterestReasons?: string;
  offences?: string[];
  conditions?: string[];
  thresholdReasons?: string;
  furtherEvidence?: string;
  fullCodeReviewOn?: string | null;
  actionPlan?: string;
  responseDue?: string | null;
  reasons?: string;
}

export const policeOutcomeSchema = z.object({
  outcomeTypeCode: z.coerce.number({ message: 'Select the Home Office outcome type' }).int({ message: 'Select the Home Office outcome type' }).positive({ message: 'Select the Home Office outcome type' }),
  reasons: requiredText('Enter the reasons for the decision', 8000),
  suspectInterviewed: yesNo('Select whether the suspect was interviewed under caution'),
  eaNotSoughtReason: optionalText(4000),
});
export type PoliceOutcomeInput = z.infer<typeof policeOutcomeSchema>;

export const vrrRequestSchema = (today: () => Date) =>
  z.object({
    windowId: z.uuid({ message: 'Select the decision the victim asked to be reviewed' }),
    requestedOn: dateParts('date the request was received', { required: true, notFuture: today }),
    lateReason: optionalText(4000),
  });
export type VrrRequestInput = z.infer<ReturnType<typeof vrrRequestSchema>>;

export const vrrAcknowledgeSchema = (today: () => Date) =>
  z.object({
    acknowledgedOn: dateParts('date the request was acknowledged', { required: true, notFuture: today }),
    version,
  });

export const vrrResultSchema = (today: () => Date) =>
  z.object({
    result: z.enum(VRR_RESULTS, { message: 'Select the result of the review' }),
    resultOn: dateParts('date of the result', { required: true, notFuture: today }),
    reviewLevel: z.preprocess((v) => (v === '' ? undefined : v), z.enum(REVIEW_LEVELS).optional()),
    notes: requiredText('Enter a summary of the review’s reasons', 8000),
    version,
  });

export const courtProgressSchema = (today: () => Date) =>
  z.object({
    step: z.enum(COURT_STEPS, { message: 'Select what happened' }),
    occurredOn: dateParts('date it happened', { required: true, notFuture: today }),
    notes: optionalText(2000),
  });
export type CourtProgressInput = z.infer<ReturnType<typeof courtProgressSchema>>;
