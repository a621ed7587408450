import { z } from 'zod';
import { dateParts, lines, optionalText, requiredText, version } from '../platform/validation.ts';
import { londonInstant } from './time.ts';

/** Form schemas and labels for Early Advice, lines of enquiry and case conferences. */

export const PRIORITIES = ['urgent', 'high', 'standard'] as const;
export type Priority = (typeof PRIORITIES)[number];
export const PRIORITY_LABELS: Record<Priority, string> = { urgent: 'Urgent', high: 'High', standard: 'Standard' };
/**
 * Response targets in England and Wales working days. Standard is 20 working days: four working weeks, the
 * published "consultations completed within 28 days" measure. Urgent (e.g. a suspect on bail with conditions about
 * to lapse) and high are shorter. Kept here, beside the labels, so the numbers are in one place.
 */
export const TARGET_WORKING_DAYS: Record<Priority, number> = { urgent: 5, high: 10, standard: 20 };
export const PRIORITY_RANK: Record<Priority, number> = { urgent: 1, high: 2, standard: 3 };

export const REQUEST_STATUSES = ['awaiting_allocation', 'allocated', 'awaiting_review', 'advice_given'] as const;
export type RequestStatus = (typeof REQUEST_STATUSES)[number];
export const REQUEST_STATUS_LABELS: Record<RequestStatus, string> = {
  awaiting_allocation: 'Awaiting allocation',
  allocated: 'Allocated',
  awaiting_review: 'Action plan awaiting DCP review',
  advice_given: 'Advice given',
};
export const OPEN_STATUSES: readonly RequestStatus[] = ['awaiting_allocation', 'allocated', 'awaiting_review'];

export const CHANNELS = ['in_person', 'video', 'phone'] as const;
export type Channel = (typeof CHANNELS)[number];
export const CHANNEL_LABELS: Record<Channel, string> = { in_person: 'In person', video: 'Video call', phone: 'Phone call' };

export const LOE_CATEGORIES = ['general', 'third_party_material', 'digital_device'] as const;
export type LoeCategory = (typeof LOE_CATEGORIES)[number];
export const LOE_CATEGORY_LABELS: Record<LoeCategory, string> = {
  general: 'General line of enquiry',
  third_party_material: 'Third-party material request',
  digital_device: 'Digital device request',
};
/** Requests that intrude on the victim's (or a third party's) privacy: each needs a necessity-and-proportionality rationale. */
export const NEEDS_RATIONALE: readonly LoeCategory[] = ['third_party_material', 'digital_device'];

export const LOE_STATUSES = ['open', 'in_progress', 'done', 'not_pursued'] as const;
export type LoeStatus = (typeof LOE_STATUSES)[number];
export const LOE_STATUS_LABELS: Record<LoeStatus, string> = { open: 'Open', in_progress: 'In progress', done: 'Done', not_pursued: 'Not pursued' };
export const LOE_CLOSED: readonly LoeStatus[] = ['done', 'not_pursued'];

export const CONFERENCE_KINDS = ['early_case_planning', 'forensic_strategy'] as const;
export type ConferenceKind = (typeof CONFERENCE_KINDS)[number];
export const CONFERENCE_KIND_LABELS: Record<ConferenceKind, string> = {
  early_case_planning: 'Early case planning conference',
  forensic_strategy: 'Forensic strategy conference',
};

/** How many lines of enquiry one advice form offers, and actions one conference form offers (blank rows are ignored). */
export const LOE_SLOTS = 5;
export const ACTION_SLOTS = 5;

/** A member of the case team as forms need them: owners of lines of enquiry, participants in conversations. */
export interface TeamMember {
  userId: string;
  name: string;
  organisation: string;
  side: 'police' | 'cps';
}

const TIME = /^(\d{1,2})[:.](\d{2})$/;
const timeField = (label: string) =>
  optionalText(5).transform((v, ctx): string | null => {
    const m = TIME.exec(v);
    if (!v) {
      ctx.addIssue({ code: 'custom', message: `Enter the time of the ${label}, like 14:30` });
      return null;
    }
    if (!m || Number(m[1]) > 23 || Number(m[2]) > 59) {
      ctx.addIssue({ code: 'custom', message: `The time of the ${label} must be a real time on the 24-hour clock, like 14:30` });
      return null;
    }
    return `${m[1]!.padStart(2, '0')}:${m[2]}`;
  });

const idList = z.preprocess((v) => (v === undefined || v === '' ? [] : Array.isArray(v) ? v : [v]), z.array(z.string().max(40)).max(50));

export const requestSchema = z.object({
  caseSummary: requiredText('Enter a summary of the case for the prosecutor', 8000),
  questions: requiredText('Enter the questions you want the prosecutor to advise on', 8000),
  strategy: requiredText('Enter the suspect-focused investigation strategy so far', 8000),
  priority: z.enum(PRIORITIES, { message: 'Select the priority of the request' }),
});
export type RequestInput = z.infer<typeof requestSchema>;

export const allocateSchema = z.object({
  prosecutorId: z.uuid({ message: 'Select the prosecutor to allocate the request to' }),
  version,
});

/** The London date and time of a meeting that has happened, from the date input, a time field and the clock. */
function meeting(label: string, today: () => Date) {
  return {
    date: dateParts(`date of the ${label}`, { required: true, notFuture: today }),
    time: timeField(label),
    channel: z.enum(CHANNELS, { message: `Select how the ${label} was held` }),
  };
}

export interface LineOfEnquiryInput {
  description: string;
  category: LoeCategory;
  rationale: string;
  ownerUserId: string;
  dueDate: string;
}

/** Copies a sub-parse's issues into the outer context, so every error on the page is reported at once. */
function collect<T>(ctx: z.RefinementCtx, result: z.ZodSafeParseResult<T>): T | null {
  if (result.success) return result.data;
  for (const i of result.error.issues) ctx.addIssue({ code: 'custom', path: i.path as (string | number)[], message: i.message });
  return null;
}

type RowIssue = (field: string, message: string) => void;

/** Reads numbered rows of a form (prefix1-field, prefix2-field, ...), skipping rows left wholly blank. */
function rows(raw: Record<string, unknown>, prefix: string, count: number, fields: string[]) {
  const out: { i: number; get: (name: string) => string; due: { day: string; month: string; year: string } }[] = [];
  for (let i = 1; i <= count; i++) {
    const get = (name: string) => (typeof raw[`${prefix}${i}-${name}`] === 'string' ? (raw[`${prefix}${i}-${name}`] as string).trim() : '');
    const due = { day: get('due-day'), month: get('due-month'), year: get('due-year') };
    if (fields.every((f) => !get(f)) && !due.day && !due.month && !due.year) continue;
    out.push({ i, get, due });
  }
  return out;
}

function dueDate(label: string, parts: { day: string; month: string; year: string }, notBefore: string | null, issue: RowIssue, beforeMessage: string): string | null {
  const due = dateParts(label, { required: true }).safeParse(parts);
  if (!due.success) {
    issue('due', due.error.issues[0]!.message);
    return null;
  }
  if (due.data && notBefore && due.data < notBefore) {
    issue('due', beforeMessage);
    return null;
  }
  return due.data;
}

const participantsField = (team: TeamMember[], needs: 'police' | 'both') => {
  const byId = new Map(team.map((t) => [t.userId, t]));
  return idList.superRefine((ids, ctx) => {
    if (ids.some((id) => !byId.has(id))) {
      ctx.addIssue({ code: 'custom', message: 'Select participants from the case team' });
      return;
    }
    const sides = new Set(ids.map((id) => byId.get(id)!.side));
    if (needs === 'police' && !sides.has('police')) {
      ctx.addIssue({ code: 'custom', message: 'Select the investigator you held the conversation with: advice can only be given after a conversation with the police' });
    } else if (needs === 'both' && (!sides.has('police') || !sides.has('cps'))) {
      ctx.addIssue({ code: 'custom', message: 'Select the investigator and the prosecutor who took part: a conference needs both police and CPS' });
    }
  });
};

export interface AdviceForm {
  conversation: { date: string; time: string; channel: Channel; participantUserIds: string[]; otherParticipants: string[] };
  advice: string;
  linesOfEnquiry: LineOfEnquiryInput[];
  version: number;
}

/**
 * The advice form: the conversation (required by the MoU), the advice, and up to LOE_SLOTS lines of enquiry. Rows
 * left wholly blank are ignored; a partly filled row must be completed. Owners and participants must be on the team.
 */
export function adviceSchema(today: () => Date, team: TeamMember[]): z.ZodType<AdviceForm> {
  const onTeam = new Set(team.map((t) => t.userId));
  const m = meeting('conversation', today);
  const base = z.object({
    conversationDate: m.date,
    conversationTime: m.time,
    channel: m.channel,
    participants: participantsField(team, 'police'),
    otherParticipants: lines(20, 200),
    advice: requiredText('Enter the advice given', 20000),
    version,
  });
  return z.custom<Record<string, unknown>>((v) => typeof v === 'object' && v !== null).transform((raw, ctx): AdviceForm => {
    const v = collect(ctx, base.safeParse(raw));
    if (v && v.conversationDate && v.conversationTime && londonInstant(v.conversationDate, v.conversationTime) > today()) {
      ctx.addIssue({ code: 'custom', path: ['conversationTime'], message: 'The time of the conversation must be in the past' });
    }
    const loes: LineOfEnquiryInput[] = [];
    for (const row of rows(raw, 'loe', LOE_SLOTS, ['description', 'rationale', 'owner'])) {
      const { i, get } = row;
      let ok = true;
      const issue: RowIssue = (field, message) => {
        ok = false;
        ctx.addIssue({ code: 'custom', path: [`loe${i}-${field}`], message });
      };
      const description = get('description');
      if (!description) issue('description', `Enter what line of enquiry ${i} is`);
      else if (description.length > 2000) issue('description', `Line of enquiry ${i} must be 2000 characters or fewer`);
      const category = (LOE_CATEGORIES as readonly string[]).includes(get('category')) ? (get('category') as LoeCategory) : null;
      if (!category) issue('category', `Select the type of line of enquiry ${i}`);
      const rationale = get('rationale');
      if (category && NEEDS_RATIONALE.includes(category) && !rationale) {
        issue('rationale', `Explain why line of enquiry ${i} (${LOE_CATEGORY_LABELS[category].toLowerCase()}) is necessary and proportionate`);
      } else if (rationale.length > 4000) issue('rationale', `The rationale for line of enquiry ${i} must be 4000 characters or fewer`);
      const owner = get('owner');
      if (!onTeam.has(owner)) issue('owner', `Select who owns line of enquiry ${i} (a police officer or prosecutor on the case team)`);
      const due = dueDate(`due date of line of enquiry ${i}`, row.due, v?.conversationDate ?? null, issue, `The due date of line of enquiry ${i} must be on or after the date of the conversation`);
      if (ok && category && due) loes.push({ description, category, rationale, ownerUserId: owner, dueDate: due });
    }
    if (!v) return z.NEVER;
    return {
      conversation: { date: v.conversationDate!, time: v.conversationTime!, channel: v.channel, participantUserIds: v.participants, otherParticipants: v.otherParticipants },
      advice: v.advice,
      linesOfEnquiry: loes,
      version: v.version,
    };
  });
}

export const approveSchema = z.object({ reviewNote: optionalText(2000), version });

export const loeUpdateSchema = z
  .object({
    status: z.enum(LOE_STATUSES, { message: 'Select the status of the line of enquiry' }),
    note: optionalText(2000),
    version,
  })
  .superRefine((v, ctx) => {
    if (v.status === 'not_pursued' && !v.note) ctx.addIssue({ code: 'custom', path: ['note'], message: 'Explain why this line of enquiry is not being pursued' });
  });
export type LoeUpdateInput = z.infer<typeof loeUpdateSchema>;

export interface ConferenceActionInput {
  description: string;
  responsible: string;
  dueDate: string;
}

export interface ConferenceForm {
  kind: ConferenceKind;
  date: string;
  time: string;
  channel: Channel;
  participantUserIds: string[];
  externalAttendees: string[];
  agreedStrategy: string;
  actions: ConferenceActionInput[];
}

export function conferenceSchema(today: () => Date, team: TeamMember[]): z.ZodType<ConferenceForm> {
  const m = meeting('conference', today);
  const base = z.object({
    kind: z.enum(CONFERENCE_KINDS, { message: 'Select the type of conference' }),
    heldDate: m.date,
    heldTime: m.time,
    channel: m.channel,
    participants: participantsField(team, 'both'),
    externalAttendees: lines(20, 200),
    agreedStrategy: requiredText('Enter the strategy agreed at the conference', 20000),
  });
  return z.custom<Record<string, unknown>>((v) => typeof v === 'object' && v !== null).transform((raw, ctx): ConferenceForm => {
    const v = collect(ctx, base.safeParse(raw));
    if (v && v.heldDate && v.heldTime && londonInstant(v.heldDate, v.heldTime) > today()) {
      ctx.addIssue({ code: 'custom', path: ['heldTime'], message: 'The time of the conference must be in the past' });
    }
    if (v && v.kind === 'forensic_strategy' && v.externalAttendees.length === 0) {
      ctx.addIssue({ code: 'custom', path: ['externalAttendees'], message: 'Enter the forensic scientists who attended the forensic strategy conference' });
    }
    const actions: ConferenceActionInput[] = [];
    for (const row of rows(raw, 'action', ACTION_SLOTS, ['description', 'responsible'])) {
      const { i, get } = row;
      let ok = true;
      const issue: RowIssue = (field, message) => {
        ok = false;
        ctx.addIssue({ code: 'custom', path: [`action${i}-${field}`], message });
      };
      const description = get('description');
      const responsible = get('responsible');
      if (!description) issue('description', `Enter what action ${i} is`);
      else if (description.length > 2000) issue('description', `Action ${i} must be 2000 characters or fewer`);
      if (!responsible) issue('responsible', `Enter who is responsible for action ${i}`);
      else if (responsible.length > 200) issue('responsible', `Who is responsible for action ${i} must be 200 characters or fewer`);
      const due = dueDate(`timescale for action ${i}`, row.due, v?.heldDate ?? null, issue, `The timescale for action ${i} must be on or after the date of the conference`);
      if (ok && due) actions.push({ description, responsible, dueDate: due });
    }
    if (!v) return z.NEVER;
    return {
      kind: v.kind, date: v.heldDate!, time: v.heldTime!, channel: v.channel, participantUserIds: v.participants,
      externalAttendees: v.externalAttendees, agreedStrategy: v.agreedStrategy, actions,
    };
  });
}

export const queueQuerySchema = z.object({
  status: z.enum(['open', 'all', ...REQUEST_STATUSES]).catch('open'),
  priority: z.enum(PRIORITIES).optional().catch(undefined),
  allocated: z.enum(['me', 'none']).optional().catch(undefined),
  sort: z.enum(['age', 'priority', 'target', 'reference']).catch('age'),
  order: z.enum(['asc', 'desc']).catch('desc'),
  page: z.coerce.number().int().min(1).max(100000).catch(1),
});
export type QueueQuery = z.infer<typeof queueQuerySchema>;
