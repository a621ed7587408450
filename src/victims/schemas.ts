import { z } from 'zod';
import { ISVA_SCOPES, type IsvaScope } from '../platform/policy.ts';
import { checkboxes, dateParts, lines, optionalText, requiredText, version } from '../platform/validation.ts';

/** Form schemas, labels and fixed lists for victim care. Labels for Code events come from reference data. */

export { ISVA_SCOPES, type IsvaScope };
export const ISVA_SCOPE_LABELS: Record<IsvaScope, string> = {
  identity: 'The victim’s name',
  key_dates: 'Key dates (arrest, interview, release, trial dates)',
  decisions: 'Decisions (charge, no further action, outcome at court)',
  meetings: 'Pre-trial meeting',
  special_measures: 'Special measures',
  contact_log: 'Contact log (who contacted the victim, when and how)',
};

export const CONSENT_METHODS = ['written', 'verbal', 'electronic'] as const;
export const CONSENT_METHOD_LABELS: Record<(typeof CONSENT_METHODS)[number], string> = { written: 'In writing', verbal: 'Verbally', electronic: 'Electronically (for example, by email)' };

/** Code events: must match victim_duty_kinds (whose labels and owners are editable reference data). */
export const DUTY_EVENT_KINDS = [
  'arrest', 'interview_under_caution', 'released_without_charge', 'released_on_bail', 'released_under_investigation',
  'charging_decision', 'nfa_police', 'nfa_cps', 'trial_date_set', 'plea_entered', 'trial_outcome',
] as const;
export type DutyEventKind = (typeof DUTY_EVENT_KINDS)[number];
/** Victims' Code timescales in working days. */
export const ENHANCED_WORKING_DAYS = 1;
export const STANDARD_WORKING_DAYS = 5;

export const SIDE_LABELS = { police: 'Police', cps: 'CPS', isva: 'ISVA' } as const;
export type Side = keyof typeof SIDE_LABELS;

export const CONTACT_CHANNELS = ['phone', 'text_message', 'email', 'letter', 'in_person', 'video', 'via_isva'] as const;
export type ContactChannel = (typeof CONTACT_CHANNELS)[number];
export const CONTACT_CHANNEL_LABELS: Record<ContactChannel, string> = {
  phone: 'Phone call', text_message: 'Text message', email: 'Email', letter: 'Letter', in_person: 'In person', video: 'Video call', via_isva: 'Through their ISVA',
};
export const CONTACT_PURPOSES = ['code_update', 'decision', 'court', 'pre_trial_meeting', 'special_measures', 'support', 'other'] as const;
export const CONTACT_PURPOSE_LABELS: Record<(typeof CONTACT_PURPOSES)[number], string> = {
  code_update: 'Update on the investigation', decision: 'A decision on the case', court: 'Court and trial', pre_trial_meeting: 'Pre-trial meeting',
  special_measures: 'Special measures', support: 'Support and welfare', other: 'Something else',
};

export const PLEAS = ['not_guilty', 'guilty'] as const;
export const PLEA_LABELS: Record<(typeof PLEAS)[number], string> = { not_guilty: 'Not guilty', guilty: 'Guilty' };
/** Working days after a not-guilty plea by which the pre-trial meeting should be offered (local target: check). */
export const PTM_OFFER_WORKING_DAYS = 5;

export const PTM_STATUS_LABELS = { offer_due: 'Offer due', offered: 'Offered, awaiting reply', accepted: 'Accepted, to be held', declined: 'Declined', held: 'Held' } as const;
export type PtmStatus = keyof typeof PTM_STATUS_LABELS;
export const PTM_TOPICS = ['special_measures', 'giving_evidence', 'concerns', 'court_visit', 'other'] as const;
export const PTM_TOPIC_LABELS: Record<(typeof PTM_TOPICS)[number], string> = {
  special_measures: 'Special measures', giving_evidence: 'Giving evidence', concerns: 'The victim’s concerns and questions', court_visit: 'Pre-trial court visit', other: 'Something else',
};
export const PTM_CHANNELS = ['phone', 'email', 'letter', 'in_person', 'video', 'via_isva'] as const;

export const MEASURES = [
  's23_screens', 's24_live_link', 's25_evidence_in_private', 's26_wigs_and_gowns', 's27_video_evidence_in_chief',
  's28_pre_recorded_cross_examination', 's29_intermediary', 's30_communication_aids',
] as const;
export type Measure = (typeof MEASURES)[number];
export const MEASURE_LABELS: Record<Measure, string> = {
  s23_screens: 's.23 Screens',
  s24_live_link: 's.24 Live link',
  s25_evidence_in_private: 's.25 Evidence in private (clearing the public gallery)',
  s26_wigs_and_gowns: 's.26 Removal of wigs and gowns',
  s27_video_evidence_in_chief: 's.27 Video-recorded evidence in chief (ABE interview)',
  s28_pre_recorded_cross_examination: 's.28 Pre-recorded cross-examination',
  s29_intermediary: 's.29 Intermediary',
  s30_communication_aids: 's.30 Aids to communication',
};
/** ss.29–30 are for vulnerable witnesses only (YJCEA s.16), not for those eligible only as intimidated (s.17). */
export const VULNERABLE_ONLY: readonly Measure[] = ['s29_intermediary', 's30_communication_aids'];
export const VULNERABLE_GROUNDS = ['under_18', 'mental_health', 'learning_disability', 'physical_disability', 'communication'];
export const MEASURE_STATUSES = ['discussed', 'requested', 'applied', 'granted', 'refused'] as const;
export const MEASURE_STATUS_LABELS: Record<(typeof MEASURE_STATUSES)[number], string> = {
  discussed: 'Discussed with the victim', requested: 'Requested', applied: 'Applied for', granted: 'Granted', refused: 'Refused',
};

export const QUERY_STATUS_LABELS = { awaiting_reply: 'Awaiting reply', replied: 'Replied', closed: 'Closed' } as const;
export type QueryStatus = keyof typeof QUERY_STATUS_LABELS;
/** Working days a RASSO unit has to give a first reply to an ISVA query (local target: check). */
export const QUERY_TARGET_WORKING_DAYS = 3;

export const LETTER_TEMPLATES = ['case_decision', 'nfa_review_rights', 'pre_trial_meeting_offer'] as const;
export type LetterTemplate = (typeof LETTER_TEMPLATES)[number];
export const LETTER_TEMPLATE_LABELS: Record<LetterTemplate, string> = {
  case_decision: 'Charging decision: the suspect has been charged',
  nfa_review_rights: 'No further action, with the right to ask for a review',
  pre_trial_meeting_offer: 'Offer of a pre-trial meeting',
};
export const LETTER_CHANNELS = ['letter', 'email'] as const;

const TIME = /^([01]?\d|2[0-3]):([0-5]\d)$/;
const timeField = optionalText(5).refine((v) => !v || TIME.test(v), 'Enter a time in 24-hour format, like 14:30');
const uuid = (message: string) => z.preprocess((v) => (typeof v === 'string' ? v.trim() : v ?? ''), z.string().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i, message));

export const consentSchema = (today: () => Date) =>
  z.object({
    isvaUserId: uuid('Select the ISVA the victim gave consent to'),
    scope: checkboxes([...ISVA_SCOPES]).refine((s) => s.length > 0, 'Select what the victim agreed to share with the ISVA'),
    givenOn: dateParts('date consent was given', { required: true, notFuture: today }),
    method: z.enum(CONSENT_METHODS, { message: 'Select how the victim gave consent' }),
  });
export type ConsentInput = z.infer<ReturnType<typeof consentSchema>>;

export const revokeSchema = z.object({
  version,
  reason: optionalText(500),
});

export const contactSchema = (today: () => Date) =>
  z
    .object({
      contactedOn: dateParts('date of the contact', { required: true, notFuture: today }),
      contactedTime: timeField,
      channel: z.enum(CONTACT_CHANNELS, { message: 'Select how the victim was contacted' }),
      voicemailLeft: z.enum(['yes', 'no']).optional().catch(undefined).transform((v) => v === 'yes'),
      purpose: z.enum(CONTACT_PURPOSES, { message: 'Select what the contact was about' }),
      note: optionalText(1000),
      dutyIds: z.preprocess((v) => (v === undefined || v === '' ? [] : Array.isArray(v) ? v : [v]), z.array(z.string().regex(/^[0-9a-f-]{36}$/i)).max(50)),
      acknowledgePreference: z.enum(['yes']).optional().catch(undefined),
      overrideReason: optionalText(500),
    })
    .superRefine((v, ctx) => {
      if (v.acknowledgePreference && !v.overrideReason) ctx.addIssue({ code: 'custom', path: ['overrideReason'], message: 'Enter why the victim was contacted this way' });
    });
export type ContactInput = z.infer<ReturnType<typeof contactSchema>>;

export const eventSchema = (today: () => Date) =>
  z
    .object({
      kind: z.enum(DUTY_EVENT_KINDS, { message: 'Select what happened' }),
      occurredOn: dateParts('date it happened', { required: true, notFuture: today }),
      occurredTime: timeField,
      subjectDate: dateParts('trial date'),
    })
    .superRefine((v, ctx) => {
      if (v.kind === 'trial_date_set' && !v.subjectDate) ctx.addIssue({ code: 'custom', path: ['subjectDate'], message: 'Enter the trial date' });
    });
export type EventInput = z.infer<ReturnType<typeof eventSchema>>;

export const pleaSchema = (today: () => Date) =>
  z.object({
    plea: z.enum(PLEAS, { message: 'Select the plea' }),
    enteredOn: dateParts('date of the plea', { required: true, notFuture: today }),
  });

export const vloSchema = z.object({
  vloUserId: uuid('Select a Victim Liaison Officer'),
  /** The assignment the form was built from ('' for none): a stale form is refused rather than overwriting. */
  current: z.preprocess((v) => (typeof v === 'string' ? v.trim() : ''), z.string().regex(/^([0-9a-f-]{36})?$/i, 'The form is out of date; reload the page')),
});

export const meetingSchema = (today: () => Date) =>
  z
    .object({
      version,
      offeredOn: dateParts('date the meeting was offered', { notFuture: today }),
      offerChannel: z.preprocess((v) => (v === '' ? undefined : v), z.enum(PTM_CHANNELS, { message: 'Select how the meeting was offered' }).optional()),
      response: z.preprocess((v) => (v === '' || v === 'none' ? undefined : v), z.enum(['accepted', 'declined'], { message: 'Select the victim’s response' }).optional()),
      respondedOn: dateParts('date the victim replied', { notFuture: today }),
      heldOn: dateParts('date the meeting was held', { notFuture: today }),
      attendees: lines(20, 200),
      topics: checkboxes([...PTM_TOPICS]),
      outcome: optionalText(4000),
      actions: lines(20, 300),
    })
    .superRefine((v, ctx) => {
      if (v.offeredOn && !v.offerChannel) ctx.addIssue({ code: 'custom', path: ['offerChannel'], message: 'Select how the meeting was offered' });
      if (v.response && !v.offeredOn) ctx.addIssue({ code: 'custom', path: ['offeredOn'], message: 'Enter the date the meeting was offered before recording a response' });
      if (v.response && !v.respondedOn) ctx.addIssue({ code: 'custom', path: ['respondedOn'], message: 'Enter the date the victim replied' });
      if (v.respondedOn && v.offeredOn && v.respondedOn < v.offeredOn) ctx.addIssue({ code: 'custom', path: ['respondedOn'], message: 'The date the victim replied must be on or after the date the meeting was offered' });
      if (v.heldOn) {
        if (v.response !== 'accepted') ctx.addIssue({ code: 'custom', path: ['response'], message: 'A meeting can only be recorded as held if the victim accepted the offer' });
        if (v.offeredOn && v.heldOn < v.offeredOn) ctx.addIssue({ code: 'custom', path: ['heldOn'], message: 'The date the meeting was held must be on or after the date it was offered' });
        if (v.attendees.length === 0) ctx.addIssue({ code: 'custom', path: ['attendees'], message: 'Enter who attended the meeting' });
        if (v.topics.length === 0) ctx.addIssue({ code: 'custom', path: ['topics'], message: 'Select what was discussed' });
        if (!v.outcome) ctx.addIssue({ code: 'custom', path: ['outcome'], message: 'Enter the outcome of the meeting' });
      }
    });
export type MeetingInput = z.infer<ReturnType<typeof meetingSchema>>;

export const specialMeasureSchema = z.object({
  person: z.preprocess((v) => v ?? '', z.string().regex(/^(victim|witness):[0-9a-f-]{36}$/i, 'Select who the special measure is for')),
  measure: z.enum(MEASURES, { message: 'Select the special measure' }),
  status: z.enum(MEASURE_STATUSES, { message: 'Select the status' }),
  wishes: optionalText(2000),
  notes: optionalText(2000),
});
export const specialMeasureUpdateSchema = z.object({
  version,
  status: z.enum(MEASURE_STATUSES, { message: 'Select the status' }),
  wishes: optionalText(2000),
  notes: optionalText(2000),
});

export const querySchema = z
  .object({
    caseReference: optionalText(40).transform((v) => v.toUpperCase()),
    forceId: optionalText(100),
    cpsAreaId: optionalText(100),
    subject: requiredText('Enter a subject', 150),
    body: requiredText('Enter your question', 5000),
  })
  .superRefine((v, ctx) => {
    if (!v.caseReference && !v.forceId) ctx.addIssue({ code: 'custom', path: ['forceId'], message: 'Select the police force, or enter a case reference' });
  });
export type QueryInput = z.infer<typeof querySchema>;

export const replySchema = z.object({ body: requiredText('Enter your reply', 5000) });
export const closeSchema = z.object({ version });

export const letterSchema = z.object({
  template: z.enum(LETTER_TEMPLATES, { message: 'Select the letter to send' }),
  channel: z.enum(LETTER_CHANNELS, { message: 'Select how to send it' }),
  dutyIds: z.preprocess((v) => (v === undefined || v === '' ? [] : Array.isArray(v) ? v : [v]), z.array(z.string().regex(/^[0-9a-f-]{36}$/i)).max(50)),
});

const page = z.coerce.number().int().min(1).max(100000).catch(1);
const order = z.enum(['asc', 'desc']);

export const inboxQuerySchema = z.object({
  status: z.enum(['open', 'awaiting_reply', 'replied', 'closed', 'all']).catch('open'),
  sort: z.enum(['received', 'target', 'reference']).catch('received'),
  order: order.catch('asc'),
  page,
});
export const isvaQueriesQuerySchema = z.object({
  sort: z.enum(['updated', 'reference', 'status']).catch('updated'),
  order: order.catch('desc'),
  page,
});
export const worklistQuerySchema = z.object({
  show: z.enum(['mine', 'unassigned', 'area']).catch('mine'),
  sort: z.enum(['due', 'case']).catch('due'),
  order: order.catch('asc'),
  page,
});
export const dashboardQuerySchema = z.object({
  owner: z.enum(['police', 'cps', 'all']).catch('all'),
  sort: z.enum(['due', 'case']).catch('due'),
  order: order.catch('asc'),
  page,
});
/** The outbox viewer: letters and messages to victims, newest first, filtered by status and letter. */
export const outboxQuerySchema = z.object({
  status: z.enum(['all', 'queued', 'delivered', 'failed']).catch('all'),
  template: z.enum(['all', ...LETTER_TEMPLATES]).catch('all'),
  sort: z.enum(['sent', 'case', 'status']).catch('sent'),
  order: order.catch('desc'),
  page,
});
export type OutboxQuery = z.infer<typeof outboxQuerySchema>;
export const isvaHomeQuerySchema = z.object({ page, sort: z.enum(['given', 'case']).catch('given'), order: order.catch('desc') });

export const PAGE_SIZE = 25;
