import { z } from 'zod';
import { checkboxes, dateParts, optionalText, requiredText, version } from '../platform/validation.ts';

export const THEMES = ['forensics', 'isva_support', 'case_notes', 'ea_not_sought', 'credibility_bias', 'victim_communication', 'digital_material'] as const;
export type Theme = (typeof THEMES)[number];
export const THEME_LABELS: Record<Theme, string> = {
  forensics: 'Forensic opportunities',
  isva_support: 'ISVA and support',
  case_notes: 'Case notes',
  ea_not_sought: 'Early Advice not sought',
  credibility_bias: 'Credibility and bias',
  victim_communication: 'Victim communication',
  digital_material: 'Digital material',
};

/** Themed selections: which NFA decisions a panel may ask to see on purpose, beside the random sample. */
export const SELECTION_THEMES = ['vulnerable', 'no_ea', 'outcome_16', 'long_investigation'] as const;
export type SelectionTheme = (typeof SELECTION_THEMES)[number];
export const SELECTION_THEME_LABELS: Record<SelectionTheme | 'random', string> = {
  random: 'Random sample',
  vulnerable: 'Vulnerable victim',
  no_ea: 'No further action without Early Advice',
  outcome_16: 'Victim withdrew support (outcome 16)',
  long_investigation: 'Long investigation',
};

export const RECOMMENDATION_KINDS = ['reopen_ea', 'reflective_practice', 'policy_change'] as const;
export type RecommendationKind = (typeof RECOMMENDATION_KINDS)[number];
export const RECOMMENDATION_KIND_LABELS: Record<RecommendationKind, string> = {
  reopen_ea: 'Re-open and refer for Early Advice',
  reflective_practice: 'Reflective practice',
  policy_change: 'Policy change',
};
export const RECOMMENDATION_STATUSES = ['open', 'in_progress', 'done', 'not_accepted'] as const;
export type RecommendationStatus = (typeof RECOMMENDATION_STATUSES)[number];
export const RECOMMENDATION_STATUS_LABELS: Record<RecommendationStatus, string> = { open: 'Open', in_progress: 'In progress', done: 'Done', not_accepted: 'Not accepted' };

const count = (label: string) => z.preprocess((v) => (v === undefined || v === '' ? 0 : v), z.coerce.number({ message: `Enter how many ${label} as a number` }).int(`Enter how many ${label} as a whole number`).min(0, `The number of ${label} cannot be negative`).max(50, `Choose no more than 50 ${label}`));

export const panelSchema = z.object({
  name: requiredText('Enter a name for the panel', 200),
  forceId: requiredText('Select the police force'),
  cpsAreaId: requiredText('Select the CPS Area'),
});

export const memberSchema = z.object({ userId: z.uuid({ message: 'Select the person to add to the panel' }) });

export const selectionSchema = z
  .object({
    periodFrom: dateParts('start of the period', { required: true }),
    periodTo: dateParts('end of the period', { required: true }),
    randomSize: count('random cases'),
    seed: z.preprocess((v) => (v === undefined || v === '' ? undefined : v), z.coerce.number({ message: 'The seed must be a whole number' }).int('The seed must be a whole number').min(0).max(2 ** 31 - 1).optional()),
    vulnerable: count('cases with a vulnerable victim'),
    no_ea: count('cases closed without Early Advice'),
    outcome_16: count('outcome 16 cases'),
    long_investigation: count('long investigations'),
    longDays: z.preprocess((v) => (v === undefined || v === '' ? 365 : v), z.coerce.number({ message: 'Enter the length of a long investigation in days' }).int().min(30, 'A long investigation is at least 30 days').max(3650)),
  })
  .superRefine((v, ctx) => {
    if (v.periodFrom && v.periodTo && v.periodFrom > v.periodTo) ctx.addIssue({ code: 'custom', path: ['periodTo'], message: 'The end of the period must be on or after the start' });
    if (v.randomSize + v.vulnerable + v.no_ea + v.outcome_16 + v.long_investigation === 0) ctx.addIssue({ code: 'custom', path: ['randomSize'], message: 'Ask for at least one case: a random sample or a themed selection' });
  });
export type SelectionInput = z.infer<typeof selectionSchema>;

export const findingSchema = z.object({
  themes: checkboxes([...THEMES] as [Theme, ...Theme[]]).pipe(z.array(z.enum(THEMES)).min(1, 'Select at least one theme for the finding')),
  text: requiredText('Enter the finding', 4000),
  meetingId: optionalText(40),
});

export const recommendationSchema = z.object({
  kind: z.enum(RECOMMENDATION_KINDS, { message: 'Select the kind of recommendation' }),
  text: requiredText('Enter the recommendation', 4000),
  ownerUserId: z.uuid({ message: 'Select who owns the recommendation' }),
  dueOn: dateParts('due date'),
});

export const recommendationStatusSchema = z.object({
  status: z.enum(RECOMMENDATION_STATUSES, { message: 'Select the status' }),
  statusNote: optionalText(2000),
  version,
});

export const meetingSchema = z.object({
  heldOn: dateParts('date of the meeting', { required: true }),
  attendees: z.preprocess((v) => (v === undefined || v === '' ? [] : Array.isArray(v) ? v : [v]), z.array(z.uuid()).min(1, 'Select who attended')),
  packIds: z.preprocess((v) => (v === undefined || v === '' ? [] : Array.isArray(v) ? v : [v]), z.array(z.uuid())),
  notes: optionalText(8000),
});

export const joimSchema = z.object({
  pairAreaOrForce: requiredText('Select who the meeting was with'),
  heldOn: dateParts('date of the meeting', { required: true }),
  attendees: requiredText('Enter who attended', 2000),
  notes: optionalText(8000),
  priorities: optionalText(4000),
});

export const joimActionSchema = z.object({
  text: requiredText('Enter the action', 2000),
  ownerUserId: z.uuid({ message: 'Select who owns the action' }),
  dueOn: dateParts('due date', { required: true }),
  priorityId: optionalText(40),
});
