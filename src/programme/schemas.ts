import { z } from 'zod';
import { dateParts, optionalText, requiredText, version } from '../platform/validation.ts';

export const STATUSES = ['not_started', 'in_progress', 'complete', 'expanded_in_scope', 'transferred'] as const;
export type CommitmentStatus = (typeof STATUSES)[number];
export const STATUS_LABELS: Record<CommitmentStatus, string> = {
  not_started: 'Not started',
  in_progress: 'In progress',
  complete: 'Complete',
  expanded_in_scope: 'Expanded in scope',
  transferred: 'Transferred to other governance',
};

export const OWNERS = ['police', 'cps', 'joint'] as const;
export type Owner = (typeof OWNERS)[number];
export const OWNER_LABELS: Record<Owner, string> = { police: 'Police', cps: 'CPS', joint: 'Joint (police and CPS)' };

export const DISPOSITION_LABELS = { carried_over: 'Carried over', added: 'Added', closed: 'Complete at refresh' } as const;
export const EVENT_KIND_LABELS = { conference: 'Conference', webinar: 'Webinar', podcast: 'Podcast', workshop: 'Workshop' } as const;
export const ATTENDEE_LABELS = { police: 'Police', cps: 'CPS', isva: 'ISVA services', other: 'Other' } as const;
export const MEASURE_LABELS = { cps_rasso_fte: 'CPS RASSO unit staff (FTE)', police_specialist_investigators: 'Police specialist investigators' } as const;

export const PAGE_SIZE = 25;

const statusField = z.enum(STATUSES, { message: 'Select the commitment’s status' });

/** A national lead's update to a commitment: status (with where it went if transferred), what happened, the outcome. */
export const commitmentUpdateSchema = z
  .object({
    status: statusField,
    transferredTo: optionalText(200),
    update: requiredText('Enter an update on progress', 2000),
    outcome: optionalText(2000),
    version,
  })
  .superRefine((v, ctx) => {
    if (v.status === 'transferred' && !v.transferredTo) {
      ctx.addIssue({ code: 'custom', path: ['transferredTo'], message: 'Enter where the commitment was transferred to' });
    }
  });
export type CommitmentUpdate = z.infer<typeof commitmentUpdateSchema>;

const page = z.coerce.number().int().min(1).max(10_000).catch(1);
export const commitmentQuerySchema = z.object({
  status: z.enum(['all', ...STATUSES]).catch('all'),
  owner: z.enum(['all', ...OWNERS]).catch('all'),
  theme: z.string().max(100).catch('all').default('all'),
  sort: z.enum(['reference', 'status', 'owner', 'updated']).catch('reference'),
  order: z.enum(['asc', 'desc']).catch('asc'),
  page,
});
export type CommitmentQuery = z.infer<typeof commitmentQuerySchema>;

/** Training completions as an analyst records them: a course, a force, the month they finished in, how many. */
export const completionSchema = (today: () => Date) =>
  z.object({
    courseId: requiredText('Select the course', 100),
    forceId: requiredText('Select the police force', 100),
    periodEnd: dateParts('date the period ended', { required: true, notFuture: today }),
    completed: z.preprocess(
      (v) => (typeof v === 'string' ? v.trim().replace(/,/g, '') : v),
      z.string().min(1, 'Enter how many officers completed the course')
        .regex(/^\d+$/, 'Number completed must be a whole number, like 25')
        .transform(Number)
        .pipe(z.number().int().min(1, 'Number completed must be 1 or more').max(10_000, 'Number completed must be 10,000 or fewer')),
    ),
  });
export type CompletionInput = z.infer<ReturnType<typeof completionSchema>>;

export const enrolSchema = z.object({ reference: requiredText('Enter the case reference', 40) });

export const caseStudySchema = z.object({
  themeId: requiredText('Select the theme', 100),
  title: requiredText('Enter a title', 200),
  body: requiredText('Enter the case study', 10_000),
  learning: optionalText(4000),
  caseReference: optionalText(40),
});
export type CaseStudyInput = z.infer<typeof caseStudySchema>;

export const caseStudyQuerySchema = z.object({ theme: z.string().max(100).catch('all').default('all'), page });

const attendees = (who: string) =>
  z.preprocess(
    (v) => (typeof v === 'string' ? v.trim().replace(/,/g, '') || '0' : v ?? '0'),
    z.string().regex(/^\d+$/, `${who} attendance must be a whole number, like 40`).transform(Number)
      .pipe(z.number().int().max(100_000, `${who} attendance must be 100,000 or fewer`)),
  );

/** A joint learning event (conference, webinar, podcast, workshop) and how many came from each organisation. */
export const learningEventSchema = (today: () => Date) =>
  z
    .object({
      kind: z.enum(['conference', 'webinar', 'podcast', 'workshop'], { message: 'Select the kind of event' }),
      title: requiredText('Enter the event’s title', 200),
      heldOn: dateParts('date of the event', { required: true, notFuture: today }),
      police: attendees('Police'),
      cps: attendees('CPS'),
      isva: attendees('ISVA services'),
      other: attendees('Other'),
    })
    .superRefine((v, ctx) => {
      if (v.police + v.cps + v.isva + v.other === 0) ctx.addIssue({ code: 'custom', path: ['police'], message: 'Enter how many attended from at least one organisation' });
    });
export type LearningEventInput = z.infer<ReturnType<typeof learningEventSchema>>;

/** One workforce figure: CPS RASSO FTE for a CPS Area's unit, or specialist investigators for a force, at a date. */
export const workforceSchema = (today: () => Date) =>
  z
    .object({
      measure: z.enum(['cps_rasso_fte', 'police_specialist_investigators'], { message: 'Select what the figure counts' }),
      cpsAreaId: optionalText(100),
      forceId: optionalText(100),
      asOf: dateParts('date of the figure', { required: true, notFuture: today }),
      value: z.preprocess(
        (v) => (typeof v === 'string' ? v.trim().replace(/,/g, '') : v),
        z.string().min(1, 'Enter the figure')
          .regex(/^\d+(\.\d)?$/, 'The figure must be a number with at most one decimal place, like 43.5')
          .transform(Number)
          .pipe(z.number().max(100_000, 'The figure must be 100,000 or fewer')),
      ),
    })
    .superRefine((v, ctx) => {
      if (v.measure === 'cps_rasso_fte' && !v.cpsAreaId) ctx.addIssue({ code: 'custom', path: ['cpsAreaId'], message: 'Select the CPS Area' });
      if (v.measure === 'police_specialist_investigators' && !v.forceId) ctx.addIssue({ code: 'custom', path: ['forceId'], message: 'Select the police force' });
    });
export type WorkforceInput = z.infer<ReturnType<typeof workforceSchema>>;

/** An item a pilot received (e.g. a psychological injury report), optionally for one of its cases. */
export const pilotItemSchema = (today: () => Date) =>
  z.object({
    label: requiredText('Enter what was received', 200),
    receivedOn: dateParts('date it was received', { required: true, notFuture: today }),
    caseReference: optionalText(40),
  });
export type PilotItemInput = z.infer<ReturnType<typeof pilotItemSchema>>;
