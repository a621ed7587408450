import { randomUUID } from 'node:crypto';
import type { Db, Queryable } from '../db/database.ts';
import type { CaseService } from '../cases/service.ts';
import type { VictimRow } from '../cases/repository.ts';
import { STAGE_LABELS, type Stage } from '../cases/schemas.ts';
import type { AuditLog } from '../platform/audit.ts';
import { londonDate, WorkingDayCalendar } from '../platform/calendar.ts';
import type { Clock } from '../platform/clock.ts';
import type { FieldCipher } from '../platform/crypto.ts';
import { ConflictError, forbidden, HttpError, notFound } from '../platform/errors.ts';
import { enqueue, type Job, type JobHandler, notify } from '../platform/jobs.ts';
import { type CaseAccessFacts, type CaseAction, can, decide, decideIsva, type GlobalAction, type IsvaScope } from '../platform/policy.ts';
import type { Principal } from '../platform/principal.ts';
import type { FieldError } from '../platform/validation.ts';
import type { ReferenceService } from '../reference/service.ts';
import { embeddedOutbox, type LetterProvider, renderLetter } from './letters.ts';
import { type ConsentRow, type DutyKindRow, type DutyRow, isUuid, VictimRepository } from './repository.ts';
import {
  CONTACT_CHANNEL_LABELS, type ContactInput, type ConsentInput, type DutyEventKind, ENHANCED_WORKING_DAYS, type EventInput, LETTER_TEMPLATE_LABELS, type LetterTemplate,
  type MeetingInput, MEASURE_LABELS, type Measure, type OutboxQuery, PAGE_SIZE, PTM_OFFER_WORKING_DAYS, type PtmStatus, QUERY_TARGET_WORKING_DAYS, type QueryInput, type Side,
  STANDARD_WORKING_DAYS, VULNERABLE_GROUNDS, VULNERABLE_ONLY,
} from './schemas.ts';

/** A form the service refused after checking it against stored data: the route shows it again (400), nothing written. */
export class FormError extends Error {
  constructor(readonly errors: FieldError[], readonly warnings: string[] = []) {
    super(errors.map((e) => e.text).join('; '));
  }
  get byField(): Record<string, string> {
    return Object.fromEntries(this.errors.map((e) => [e.field, e.text]));
  }
}
const fieldError = (field: string, text: string, warnings: string[] = []) => new FormError([{ field, text, href: `#${field}` }], warnings);

export interface DutyEventInput {
  caseId: string;
  kind: DutyEventKind;
  /** When the event happened (the clock starts from its London date). */
  occurredAt: Date;
  actorUserId: string | null;
  /** A date the event is about: the trial date, the bail return date. */
  subjectDate?: string | null;
  /** Only these victims of the case (default: every victim of the case). */
  victimIds?: string[];
}

type DutyStatus = 'met' | 'met_late' | 'overdue' | 'due';
/** Charged and not yet finalised at court: VLOs are assigned and pleas recorded. */
const CHARGED_STAGES: readonly Stage[] = ['charged', 'pre_trial', 'trial'];

const dayFmt = new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'Europe/London' });
const hmFmt = new Intl.DateTimeFormat('en-GB', { hour: '2-digit', minute: '2-digit', hourCycle: 'h23', timeZone: 'Europe/London' });
const pad = (n: number) => String(n).padStart(2, '0');

/** A London wall-clock date and time (default midday) as a UTC instant, across GMT and BST. */
export function londonInstant(date: string, time?: string | null): Date {
  const [h, m] = time ? time.split(':').map(Number) as [number, number] : [12, 0];
  const wall = `${pad(h)}:${pad(m)}`;
  for (const offset of [0, 1]) {
    const d = new Date(`${date}T${wall}:00Z`);
    d.setUTCHours(d.getUTCHours() - offset);
    if (londonDate(d) === date && hmFmt.format(d) === wall) return d;
  }
  return new Date(`${date}T${wall}:00Z`);
}

/** When the user gave no time: midday London, or now if that is still to come today. */
function instantFor(clock: Clock, date: string, time?: string | null): Date {
  const at = londonInstant(date, time);
  return !time && at.getTime() > clock.now().getTime() ? clock.now() : at;
}

export function sideOf(p: Principal): Side | null {
  if (p.organisation.kind === 'force') return 'police';
  if (p.organisation.kind === 'rasso_unit') return 'cps';
  if (p.organisation.kind === 'isva_service' && p.roles.includes('isva')) return 'isva';
  return null;
}

/**
 * What a contact would break of the victim's stated preferences (how to be contacted, whether a message may be left,
 * safe times). The service warns before recording such a contact and records the reason if the user goes ahead.
 */
export function preferenceWarnings(prefs: VictimRow['contact_preferences'], c: { channel: string; voicemailLeft: boolean; time: string | null; side: Side }): { code: string; text: string }[] {
  const out: { code: string; text: string }[] = [];
  const method = prefs.method;
  if (method && c.side !== 'isva') {
    const allowed = new Set(['in_person', 'video', 'via_isva', method === 'phone' ? 'phone' : method]);
    if (method === 'via_isva') allowed.delete('phone');
    if (!allowed.has(c.channel)) {
      const wanted = method === 'via_isva' ? 'through their ISVA' : `by ${method}`;
      out.push({ code: 'method', text: `The victim asked to be contacted ${wanted}, not by ${CONTACT_CHANNEL_LABELS[c.channel as keyof typeof CONTACT_CHANNEL_LABELS]?.toLowerCase() ?? c.channel}.` });
    }
  }
  if (c.voicemailLeft && prefs.mayLeaveMessage === false) out.push({ code: 'voicemail', text: 'The victim asked for no messages to be left.' });
  if (c.time && prefs.safeTimes && ['phone', 'text_message', 'video', 'in_person'].includes(c.channel)) {
    const window = safeWindow(prefs.safeTimes);
    const [h, m] = c.time.split(':').map(Number) as [number, number];
    const t = h * 60 + m;
    if (window && (t < window.from || t > window.to)) out.push({ code: 'safe_times', text: `The victim’s safe times are “${prefs.safeTimes}”.` });
  }
  return out;
}

/** Reads the common forms of a safe-time note ("after 6pm", "before 10am", "9am to 5pm") as minutes past midnight. */
export function safeWindow(text: string): { from: number; to: number } | null {
  const t = '(\\d{1,2})(?:[:.](\\d{2}))?\\s*(am|pm)?';
  const mins = (h: string, m: string | undefined, ap: string | undefined) => {
    let hour = Number(h);
    const suffix = ap?.toLowerCase();
    if (suffix === 'pm' && hour < 12) hour += 12;
    else if (suffix === 'am' && hour === 12) hour = 0;
    else if (!suffix && hour < 8) hour += 12; // "after 6" means the evening
    return Math.min(hour, 24) * 60 + Number(m ?? 0);
  };
  const range = new RegExp(`(?:between\\s+)?${t}\\s*(?:-|–|to|and)\\s*${t}`, 'i').exec(text);
  if (range) return { from: mins(range[1]!, range[2], range[3] ?? range[6]), to: mins(range[4]!, range[5], range[6]) };
  const after = new RegExp(`after\\s+${t}`, 'i').exec(text);
  if (after) return { from: mins(after[1]!, after[2], after[3]), to: 24 * 60 - 1 };
  const before = new RegExp(`before\\s+${t}`, 'i').exec(text);
  if (before) return { from: 0, to: mins(before[1]!, before[2], before[3]) };
  return null;
}

/**
 * Victim care: the Victims' Code clocks and the contact log shared by police, CPS and ISVA, ISVA consent and the
 * ISVA mailbox, Victim Liaison Officers, pre-trial meetings, special measures and letters. Police and CPS act through
 * the case policy; an ISVA only through a victim's consent (decideIsva). Each change is one transaction with its
 * audit row. Victim identity never goes into audit detail, notifications, job payloads or URLs.
 */
export class VictimService {
  readonly jobHandlers: Record<string, JobHandler>;

  constructor(
    private readonly db: Db,
    private readonly cipher: FieldCipher,
    private readonly audit: AuditLog,
    private readonly clock: Clock,
    private readonly cases: CaseService,
    private readonly reference: ReferenceService,
    private readonly calendar: () => Promise<WorkingDayCalendar>,
    private readonly provider: LetterProvider = embeddedOutbox,
  ) {
    this.jobHandlers = {
      'victims.duty-overdue': (job, tx) => this.onDutyOverdue(job, tx),
      'victims.meeting-offer-overdue': (job, tx) => this.onMeetingOfferOverdue(job, tx),
      'victims.query-replied': (job, tx) => this.onQueryReplied(job, tx),
      'victims.send-letter': (job, tx) => this.onSendLetter(job, tx),
    };
  }

  private repo(q: Queryable = this.db) {
    return new VictimRepository(q);
  }

  private loadedCalendar: WorkingDayCalendar | undefined;

  /**
   * The working-day calendar. Inside a transaction it must be read through that transaction (PGlite has one
   * connection, so a read on the pool would wait for the transaction forever).
   */
  private async cal(tx?: Queryable): Promise<WorkingDayCalendar> {
    this.loadedCalendar ??= tx ? await WorkingDayCalendar.load(tx) : await this.calendar();
    return this.loadedCalendar;
  }

  private async kinds(q: Queryable = this.db): Promise<Map<string, DutyKindRow>> {
    return new Map((await this.repo(q).dutyKinds()).map((k) => [k.kind, k]));
  }

  private async record(principal: Principal, action: string, e: { entityType?: string; entityId?: string; caseId?: string | null; detail?: Record<string, unknown>; outcome?: 'allowed' | 'denied' }, requestId: string | undefined, tx?: Queryable) {
    await this.audit.record({
      actorUserId: principal.userId, actorOrganisationId: principal.organisation.id, action, outcome: e.outcome ?? 'allowed',
      entityType: e.entityType ?? null, entityId: e.entityId ?? null, caseId: e.caseId ?? null, detail: e.detail, requestId,
    }, tx);
  }

  private async requireGlobal(principal: Principal, action: GlobalAction, requestId?: string) {
    if (!can(principal, action)) {
      await this.record(principal, action, { outcome: 'denied' }, requestId);
      throw forbidden();
    }
  }

  private dutyStatus(d: { met_at: Date | null; due_at: Date }): DutyStatus {
    if (d.met_at) return new Date(d.met_at).getTime() <= new Date(d.due_at).getTime() ? 'met' : 'met_late';
    return this.clock.now().getTime() > new Date(d.due_at).getTime() ? 'overdue' : 'due';
  }

  // ================================================================================================================
  // Victims' Code clocks
  // ================================================================================================================

  /**
   * For other capabilities (charging decisions, NFA, outcomes), inside their own transaction: records an event that
   * obliges an update to the victim and starts a duty per victim of the case, due by the end of the 1st working day
   * (enhanced rights) or 5th working day after the event's London date, owned by the police or the CPS as the
   * reference data says. Schedules the owner's overdue alert in the same transaction. Idempotent: the same kind at the
   * same instant on the same case is recorded once. The caller audits its own action.
   */
  async recordDutyEvent(tx: Queryable, input: DutyEventInput): Promise<{ eventId: string; dutyIds: string[]; created: boolean }> {
    const kind = (await this.kinds(tx)).get(input.kind);
    if (!kind) throw new Error(`unknown Victims' Code event kind "${input.kind}"`);
    const summary = await this.cases.summary(input.caseId, tx);
    const now = this.clock.now();
    const eventId = randomUUID();
    const inserted = await tx.query<{ id: string }>(
      `INSERT INTO victim_code_events (id, case_id, force_id, kind, occurred_at, subject_date, recorded_by, recorded_at)
       VALUES ($1,$2,$3,$4,$5,$6,$7,$8) ON CONFLICT (case_id, kind, occurred_at) DO NOTHING RETURNING id`,
      [eventId, input.caseId, summary.forceId, input.kind, input.occurredAt, input.subjectDate ?? null, input.actorUserId, now],
    );
    if (inserted.length === 0) {
      const [existing] = await tx.query<{ id: string }>('SELECT id FROM victim_code_events WHERE case_id = $1 AND kind = $2 AND occurred_at = $3', [input.caseId, input.kind, input.occurredAt]);
      const duties = await tx.query<{ id: string }>('SELECT id FROM victim_duties WHERE event_id = $1', [existing!.id]);
      return { eventId: existing!.id, dutyIds: duties.map((d) => d.id), created: false };
    }
    const calendar = await this.cal(tx);
    const victims = (await this.repo(tx).victims(input.caseId)).filter((v) => !input.victimIds || input.victimIds.includes(v.id));
    const dutyIds: string[] = [];
    for (const v of victims) {
      const days = v.enhanced_rights ? ENHANCED_WORKING_DAYS : STANDARD_WORKING_DAYS;
      const id = randomUUID();
      const dueAt = calendar.deadline(input.occurredAt, days);
      await tx.query(
        `INSERT INTO victim_duties (id, event_id, case_id, force_id, victim_id, kind, owner_side, enhanced, working_days, due_date, due_at, created_at)
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12)`,
        [id, eventId, input.caseId, summary.forceId, v.id, input.kind, kind.owner_side, v.enhanced_rights, days, calendar.addWorkingDays(input.occurredAt, days), dueAt, now],
      );
      await enqueue(tx, this.clock, 'victims.duty-overdue', { dutyId: id }, { runAt: new Date(dueAt.getTime() + 1), dedupeKey: `victims.duty-overdue:${id}` });
      dutyIds.push(id);
    }
    return { eventId, dutyIds, created: true };
  }

  /** Whoever should act on an overdue update: the VLO (CPS) or the officer in case (police), with fallbacks. */
  private async ownerOf(tx: Queryable, caseId: string, victimId: string, side: 'police' | 'cps'): Promise<string | null> {
    const team = await this.repo(tx).teamMembers(caseId);
    const first = (...roles: string[]) => {
      for (const r of roles) {
        const m = team.find((t) => t.team_role === r);
        if (m) return m.user_id;
      }
      return null;
    };
    if (side === 'police') return first('officer_in_case', 'supervisor', 'investigator');
    const [vlo] = await tx.query<{ vlo_user_id: string }>('SELECT vlo_user_id FROM vlo_assignments WHERE victim_id = $1 AND ended_at IS NULL', [victimId]);
    if (vlo) return vlo.vlo_user_id;
    const onTeam = first('vlo', 'prosecutor', 'district_crown_prosecutor');
    if (onTeam) return onTeam;
    const [dcp] = await tx.query<{ id: string }>(
      `SELECT u.id FROM users u JOIN organisations o ON o.id = u.organisation_id JOIN cases c ON c.cps_area_id = o.cps_area_id
        WHERE c.id = $1 AND o.kind = 'rasso_unit' AND u.active AND EXISTS (SELECT 1 FROM user_roles r WHERE r.user_id = u.id AND r.role = 'district_crown_prosecutor')
        ORDER BY u.display_name, u.id LIMIT 1`,
      [caseId],
    );
    return dcp?.id ?? null;
  }

  private async onDutyOverdue(job: Job, tx: Queryable) {
    const dutyId = String(job.payload.dutyId ?? '');
    if (!isUuid(dutyId)) return;
    const duty = await this.repo(tx).duty(dutyId, true);
    if (!duty || duty.met_at || duty.alerted_at) return;
    if (this.clock.now().getTime() <= new Date(duty.due_at).getTime()) throw new Error('duty not yet overdue');
    const owner = await this.ownerOf(tx, duty.case_id, duty.victim_id, duty.owner_side);
    if (owner) {
      await notify(tx, this.clock, {
        userId: owner, caseId: duty.case_id, kind: 'victim-duty-overdue',
        message: `Victims’ Code update overdue on case ${duty.case_reference}: victim ${duty.victim_label} has not been told “${duty.kind_label}” (due ${dayFmt.format(new Date(duty.due_at))}).`,
        link: `/cases/${duty.case_id}/victim-care#victim-${duty.victim_id}`, dedupeKey: `victims.duty-overdue:${duty.id}`,
      });
    }
    await tx.query('UPDATE victim_duties SET alerted_at = $2, alerted_user_id = $3 WHERE id = $1', [duty.id, this.clock.now(), owner]);
  }

  /** A police or CPS user records a Code event by hand (arrest, interview, release, trial date, outcome…). */
  async recordEvent(principal: Principal, caseId: string, input: EventInput, requestId?: string) {
    const facts = await this.cases.authorize(principal, caseId, 'victim-care:record', requestId);
    const occurredAt = instantFor(this.clock, input.occurredOn!, input.occurredTime || null);
    if (occurredAt.getTime() > this.clock.now().getTime()) throw fieldError('occurredTime', 'The time it happened must be in the past');
    if (!(await this.repo().victims(caseId)).length) throw fieldError('kind', 'Add a victim to the case before recording events they must be told about');
    return this.db.transaction(async (tx) => {
      const result = await this.recordDutyEvent(tx, { caseId, kind: input.kind, occurredAt, actorUserId: principal.userId, subjectDate: input.kind === 'trial_date_set' ? input.subjectDate : null });
      if (!result.created) throw fieldError('kind', 'This event has already been recorded');
      await this.record(principal, 'victim-care:record-event', { entityType: 'victim_code_event', entityId: result.eventId, caseId: facts.caseId, detail: { kind: input.kind, duties: result.dutyIds.length } }, requestId, tx);
      return result;
    });
  }

  // ================================================================================================================
  // The victim care page (police and CPS)
  // ================================================================================================================

  async casePage(principal: Principal, caseId: string, requestId?: string) {
    const facts = await this.cases.authorize(principal, caseId, 'victim-care:read', requestId);
    const repo = this.repo();
    const [summary, victims, kinds, duties, contacts, consents, vlos, meetings, measures, pleas, letters] = await Promise.all([
      this.cases.summary(caseId), repo.victims(caseId), this.kinds(), repo.duties(caseId), repo.contacts(caseId), repo.consents(caseId), repo.currentVlos(caseId),
      repo.meetings(caseId), repo.measures(caseId), repo.pleas(caseId), repo.letters(caseId),
    ]);
    await this.record(principal, 'victim-care:read', { entityType: 'case', entityId: caseId, caseId }, requestId);
    const allows = (a: CaseAction) => this.cases.allows(principal, a, facts);
    const charged = this.isCharged(summary.stage, pleas.length);
    return {
      case: summary, stageLabel: STAGE_LABELS[summary.stage as Stage] ?? summary.stage, charged, pleas,
      victims: victims.map((v) => ({
        id: v.id, label: v.label, enhanced: v.enhanced_rights, preferences: v.contact_preferences,
        duties: duties.filter((d) => d.victim_id === v.id).map((d) => ({ ...d, label: kinds.get(d.kind)?.label ?? d.kind, status: this.dutyStatus(d) })),
        contacts: contacts.filter((c) => c.victim_id === v.id).map((c) => ({ ...c, metLabels: (c.met_kinds ?? []).map((k) => kinds.get(k)?.label ?? k) })),
        consents: consents.filter((c) => c.victim_id === v.id),
        vlo: vlos.find((a) => a.victim_id === v.id) ?? null,
        meetings: meetings.filter((m) => m.victim_id === v.id),
        measures: measures.filter((m) => m.victim_id === v.id),
        letters: letters.filter((l) => l.victim_id === v.id),
      })),
      witnessMeasures: measures.filter((m) => m.witness_id),
      can: {
        record: allows('victim-care:record'), consent: allows('isva-consent:record'), assignVlo: allows('vlo:assign') && charged,
        recordPlea: allows('trial:record-plea') && charged, letters: allows('victim-care:record') && allows('victim:read-identity'),
      },
    };
  }

  /** The case header for a form page, after asking the policy for the action the form leads to. */
  async caseHeader(principal: Principal, caseId: string, action: CaseAction, requestId?: string) {
    await this.cases.authorize(principal, caseId, action, requestId);
    return { case: await this.cases.summary(caseId) };
  }

  async dutyKindList() {
    return this.repo().dutyKinds();
  }

  private isCharged(stage: string, pleas: number) {
    return CHARGED_STAGES.includes(stage as Stage) || pleas > 0;
  }

  private async caseVictim(principal: Principal, caseId: string, victimId: string, action: CaseAction, requestId?: string) {
    const facts = await this.cases.authorize(principal, caseId, action, requestId);
    const victim = await this.repo().victim(caseId, victimId);
    if (!victim) throw notFound();
    return { facts, victim, summary: await this.cases.summary(caseId) };
  }

  // ================================================================================================================
  // The contact log
  // ================================================================================================================

  /** What the contact form needs: the victim's preferences and the open duties this contact could meet. */
  async contactForm(principal: Principal, caseId: string, victimId: string, requestId?: string) {
    const { victim, summary } = await this.caseVictim(principal, caseId, victimId, 'victim-care:record', requestId);
    return { case: summary, victim: { id: victim.id, label: victim.label, preferences: victim.contact_preferences }, ...(await this.dutyChoices(caseId, victimId, null)) };
  }

  private async dutyChoices(caseId: string, victimId: string, categories: Set<string> | null) {
    const kinds = await this.kinds();
    const duties = (await this.repo().duties(caseId, victimId))
      .filter((d) => !categories || categories.has(kinds.get(d.kind)?.category === 'decision' ? 'decisions' : 'key_dates'))
      .map((d) => ({ ...d, label: kinds.get(d.kind)?.label ?? d.kind, status: this.dutyStatus(d) }));
    return { openDuties: duties.filter((d) => !d.met_at), metDuties: duties.filter((d) => d.met_at) };
  }

  async recordContact(principal: Principal, caseId: string, victimId: string, input: ContactInput, requestId?: string) {
    const { facts, victim } = await this.caseVictim(principal, caseId, victimId, 'victim-care:record', requestId);
    return this.writeContact(principal, { caseId, forceId: facts.forceId, victim, allowedCategories: null }, input, requestId);
  }

  private async writeContact(principal: Principal, c: { caseId: string; forceId: string; victim: VictimRow; allowedCategories: Set<string> | null }, input: ContactInput, requestId?: string) {
    const side = sideOf(principal);
    if (!side) throw forbidden();
    const contactedAt = instantFor(this.clock, input.contactedOn!, input.contactedTime || null);
    if (contactedAt.getTime() > this.clock.now().getTime()) throw fieldError('contactedTime', 'The time of the contact must be in the past');
    const { openDuties, metDuties } = await this.dutyChoices(c.caseId, c.victim.id, c.allowedCategories);
    for (const id of input.dutyIds) {
      const met = metDuties.find((d) => d.id === id);
      if (met) throw fieldError('dutyIds', `The victim has already been told “${met.label}” (by ${met.met_by_name ?? 'someone else'}). Do not contact them again for the same thing.`);
      const open = openDuties.find((d) => d.id === id);
      if (!open) throw fieldError('dutyIds', 'Select only updates this victim is due');
      if (londonDate(contactedAt) < londonDate(new Date(open.occurred_at))) throw fieldError('dutyIds', `The contact was before “${open.label}” happened, so it cannot have told the victim about it`);
    }
    const warnings = preferenceWarnings(c.victim.contact_preferences, { channel: input.channel, voicemailLeft: input.voicemailLeft, time: input.contactedTime || null, side });
    if (warnings.length && !input.acknowledgePreference) {
      throw new FormError([{ field: 'acknowledgePreference', text: 'This contact goes against the victim’s contact preferences. Check them, and confirm why you contacted the victim this way', href: '#acknowledgePreference' }], warnings.map((w) => w.text));
    }
    const id = randomUUID();
    await this.db.transaction(async (tx) => {
      await tx.query(
        `INSERT INTO victim_contacts (id, case_id, force_id, victim_id, contacted_at, channel, voicemail_left, purpose, note, side, contacted_by, organisation_id, preference_warnings, override_reason, recorded_at)
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15)`,
        [id, c.caseId, c.forceId, c.victim.id, contactedAt, input.channel, input.voicemailLeft, input.purpose, input.note, side, principal.userId, principal.organisation.id,
          JSON.stringify(warnings.map((w) => w.code)), warnings.length ? input.overrideReason : '', this.clock.now()],
      );
      await this.meetDuties(tx, input.dutyIds, id, contactedAt);
      await this.record(principal, 'victim-contact:record', { entityType: 'victim', entityId: c.victim.id, caseId: c.caseId, detail: { contactId: id, side, channel: input.channel, purpose: input.purpose, dutiesMet: input.dutyIds.length, preferenceOverridden: warnings.map((w) => w.code) } }, requestId, tx);
    });
    return id;
  }

  private async meetDuties(tx: Queryable, dutyIds: string[], contactId: string, at: Date) {
    if (!dutyIds.length) return;
    const updated = await tx.query('UPDATE victim_duties SET met_at = $2, met_by_contact_id = $3 WHERE id = ANY($1::uuid[]) AND met_at IS NULL RETURNING id', [dutyIds, at, contactId]);
    if (updated.length !== dutyIds.length) throw new HttpError(409, 'Someone has just recorded this update', 'Another person recorded telling the victim about this while you were filling in the form. Nothing has been saved: check the contact log before contacting the victim again.');
  }

  // ================================================================================================================
  // ISVA consent
  // ================================================================================================================

  async consentForm(principal: Principal, caseId: string, victimId: string, requestId?: string) {
    const { victim, summary } = await this.caseVictim(principal, caseId, victimId, 'isva-consent:record', requestId);
    return { case: summary, victim: { id: victim.id, label: victim.label }, isvas: await this.repo().isvaUsers() };
  }

  async recordConsent(principal: Principal, caseId: string, victimId: string, input: ConsentInput, requestId?: string) {
    const { facts, victim } = await this.caseVictim(principal, caseId, victimId, 'isva-consent:record', requestId);
    const isva = (await this.repo().isvaUsers()).find((u) => u.id === input.isvaUserId);
    if (!isva) throw fieldError('isvaUserId', 'Select the ISVA the victim gave consent to');
    const id = randomUUID();
    await this.db.transaction(async (tx) => {
      const existing = await tx.query('SELECT 1 FROM isva_consents WHERE victim_id = $1 AND isva_user_id = $2 AND revoked_at IS NULL FOR UPDATE', [victim.id, isva.id]);
      if (existing.length) throw fieldError('isvaUserId', 'This ISVA already has the victim’s consent. Withdraw it first to record a new consent');
      await tx.query(
        `INSERT INTO isva_consents (id, case_id, force_id, victim_id, isva_user_id, isva_organisation_id, scope, given_on, method, recorded_by, recorded_at)
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11)`,
        [id, caseId, facts.forceId, victim.id, isva.id, isva.organisation_id, JSON.stringify(input.scope), input.givenOn, input.method, principal.userId, this.clock.now()],
      );
      await this.record(principal, 'isva-consent:record', { entityType: 'isva_consent', entityId: id, caseId, detail: { victimId: victim.id, isvaUserId: isva.id, isvaOrganisationId: isva.organisation_id, scope: input.scope } }, requestId, tx);
    });
    return id;
  }

  /** Police or CPS withdraw consent on the victim's word. Access stops at once: every ISVA read checks the row. */
  async revokeConsent(principal: Principal, caseId: string, consentId: string, input: { version: number; reason: string }, requestId?: string) {
    await this.cases.authorize(principal, caseId, 'isva-consent:record', requestId);
    const consent = await this.repo().consent(consentId);
    if (!consent || consent.case_id !== caseId) throw notFound();
    await this.revoke(principal, consent, input, `/cases/${caseId}/victim-care#victim-${consent.victim_id}`, requestId);
  }

  /** The ISVA records the victim's withdrawal of consent themselves; their access ends with it. */
  async revokeConsentAsIsva(principal: Principal, consentId: string, input: { version: number; reason: string }, requestId?: string) {
    const consent = await this.isvaConsent(principal, consentId, undefined, requestId);
    await this.revoke(principal, consent, input, '/isva/victims', requestId);
  }

  private async revoke(principal: Principal, consent: ConsentRow, input: { version: number; reason: string }, backHref: string, requestId?: string) {
    await this.db.transaction(async (tx) => {
      const updated = await tx.query(
        `UPDATE isva_consents SET revoked_at = $3, revoked_by = $4, revocation_reason = $5, version = version + 1
          WHERE id = $1 AND version = $2 AND revoked_at IS NULL RETURNING id`,
        [consent.id, input.version, this.clock.now(), principal.userId, input.reason],
      );
      if (!updated.length) {
        const now = (await this.repo(tx).consent(consent.id))!;
        throw new ConflictError([{ label: 'Consent', current: now.revoked_at ? 'Withdrawn' : 'Given', submitted: 'Withdrawn' }], backHref);
      }
      await this.record(principal, 'isva-consent:revoke', { entityType: 'isva_consent', entityId: consent.id, caseId: consent.case_id, detail: { victimId: consent.victim_id, isvaUserId: consent.isva_user_id } }, requestId, tx);
    });
  }

  // ================================================================================================================
  // What an ISVA sees: only through consent, only the victim-facing parts, every view audited
  // ================================================================================================================

  private async isvaConsent(principal: Principal, consentId: string, need: IsvaScope | undefined, requestId?: string): Promise<ConsentRow> {
    const consent = await this.repo().consent(consentId);
    const decision = decideIsva(principal, consent ? { isvaUserId: consent.isva_user_id, isvaOrganisationId: consent.isva_organisation_id, scope: consent.scope, revokedAt: consent.revoked_at } : null, need);
    if (!decision.allowed) {
      await this.record(principal, need ? `isva:${need}` : 'isva:view', { outcome: 'denied', entityType: 'isva_consent', entityId: consentId.slice(0, 64), caseId: consent?.case_id ?? null, detail: { reason: decision.reason } }, requestId);
      throw decision.status === 404 ? notFound() : forbidden('The victim’s consent does not cover this.');
    }
    return consent!;
  }

  /** Refuses (and audits) unless the principal is the ISVA this consent names and it stands. */
  async checkIsvaConsent(principal: Principal, consentId: string, requestId?: string): Promise<void> {
    await this.isvaConsent(principal, consentId, undefined, requestId);
  }

  async isvaHome(principal: Principal, q: { sort: 'given' | 'case'; order: 'asc' | 'desc'; page: number }, requestId?: string) {
    if (sideOf(principal) !== 'isva') {
      await this.record(principal, 'isva:list', { outcome: 'denied' }, requestId);
      throw forbidden();
    }
    const { total, rows } = await this.repo().activeConsentsOf(principal.userId, principal.organisation.id, q);
    await this.record(principal, 'isva:list', { detail: { shown: rows.length, identitiesShown: rows.filter((r) => r.scope.includes('identity')).length } }, requestId);
    return {
      total,
      rows: rows.map((r) => ({
        consentId: r.id, caseReference: r.case_reference, victimLabel: r.victim.label, givenOn: r.given_on, scope: r.scope,
        name: r.scope.includes('identity') ? this.victimName(r.victim) : null,
      })),
    };
  }

  private victimName(v: VictimRow): string {
    const i = this.cases.victimIdentity(v);
    return `${i.givenName} ${i.familyName}`;
  }

  async isvaVictim(principal: Principal, consentId: string, requestId?: string) {
    const consent = await this.isvaConsent(principal, consentId, undefined, requestId);
    const scope = new Set(consent.scope);
    const repo = this.repo();
    const [summary, victim, kinds, vlos] = await Promise.all([this.cases.summary(consent.case_id), repo.victim(consent.case_id, consent.victim_id), this.kinds(), repo.currentVlos(consent.case_id)]);
    if (!victim) throw notFound();
    const categories = new Set([...(scope.has('key_dates') ? ['key_date'] : []), ...(scope.has('decisions') ? ['decision'] : [])]);
    const duties = categories.size
      ? (await repo.duties(consent.case_id, victim.id)).filter((d) => categories.has(kinds.get(d.kind)?.category ?? '')).map((d) => ({
        kind: d.kind, label: kinds.get(d.kind)?.label ?? d.kind, category: kinds.get(d.kind)?.category, occurredAt: d.occurred_at, subjectDate: d.subject_date,
        dueAt: d.due_at, metAt: d.met_at, metBySide: d.met_by_side, status: this.dutyStatus(d),
      }))
      : [];
    const meetings = scope.has('meetings')
      ? (await repo.meetings(consent.case_id, victim.id)).map((m) => ({
        status: m.status, offerDueDate: m.offer_due_date, offeredOn: m.offered_on, response: m.response, respondedOn: m.responded_on, heldOn: m.held_on,
        attendees: m.attendees, topics: m.topics, outcome: m.outcome, actions: m.actions,
      }))
      : [];
    const measures = scope.has('special_measures') ? (await repo.measures(consent.case_id, victim.id)).map((m) => ({ measure: m.measure, status: m.status, wishes: m.wishes, updatedAt: m.updated_at })) : [];
    const contacts = scope.has('contact_log')
      ? (await repo.contacts(consent.case_id, victim.id)).map((c) => ({
        contactedAt: c.contacted_at, channel: c.channel, purpose: c.purpose, side: c.side, by: c.contacted_by_name, organisation: c.organisation_name,
        // police and CPS notes may touch on the investigation: an ISVA sees only notes written by ISVAs
        note: c.side === 'isva' ? c.note : '', metKinds: (c.met_kinds ?? []).map((k) => kinds.get(k)?.label ?? k),
      }))
      : [];
    const vlo = vlos.find((a) => a.victim_id === victim.id);
    await this.record(principal, 'isva:view', { entityType: 'victim', entityId: victim.id, caseId: consent.case_id, detail: { consentId: consent.id, scope: consent.scope, identityShown: scope.has('identity') } }, requestId);
    return {
      consent: { id: consent.id, scope: consent.scope, givenOn: consent.given_on, method: consent.method, version: consent.version },
      case: { reference: summary.reference, forceName: summary.forceName, areaName: summary.areaName, stageLabel: STAGE_LABELS[summary.stage as Stage] ?? summary.stage, reportedAt: summary.reportedAt },
      victim: { label: victim.label, name: scope.has('identity') ? this.victimName(victim) : null, enhanced: victim.enhanced_rights },
      vloName: vlo?.vlo_name ?? null, scope: [...scope], duties, meetings, measures, contacts,
    };
  }

  async isvaContactForm(principal: Principal, consentId: string, requestId?: string) {
    const consent = await this.isvaConsent(principal, consentId, 'contact_log', requestId);
    const victim = (await this.repo().victim(consent.case_id, consent.victim_id))!;
    const summary = await this.cases.summary(consent.case_id);
    await this.record(principal, 'isva:view', { entityType: 'victim', entityId: victim.id, caseId: consent.case_id, detail: { consentId, page: 'contact-form' } }, requestId);
    return {
      case: { reference: summary.reference }, consent: { id: consent.id }, victim: { id: victim.id, label: victim.label, preferences: victim.contact_preferences },
      ...(await this.dutyChoices(consent.case_id, victim.id, new Set(consent.scope))),
    };
  }

  async recordContactAsIsva(principal: Principal, consentId: string, input: ContactInput, requestId?: string) {
    const consent = await this.isvaConsent(principal, consentId, 'contact_log', requestId);
    const victim = (await this.repo().victim(consent.case_id, consent.victim_id))!;
    return this.writeContact(principal, { caseId: consent.case_id, forceId: consent.force_id, victim, allowedCategories: new Set(consent.scope) }, input, requestId);
  }

  // ================================================================================================================
  // Victim Liaison Officers
  // ================================================================================================================

  async vloForm(principal: Principal, caseId: string, victimId: string, requestId?: string) {
    const { facts, victim, summary } = await this.caseVictim(principal, caseId, victimId, 'vlo:assign', requestId);
    await this.requireCharged(caseId, summary.stage);
    const current = (await this.repo().currentVlos(caseId)).find((a) => a.victim_id === victimId) ?? null;
    return { case: summary, victim: { id: victim.id, label: victim.label }, current, candidates: await this.repo().vloCandidates(facts.cpsAreaId) };
  }

  private async requireCharged(caseId: string, stage: string) {
    if (!this.isCharged(stage, (await this.repo().pleas(caseId)).length)) {
      throw new HttpError(409, 'The case has not been charged', 'Victim Liaison Officers are assigned, and pleas recorded, once a case has been charged.');
    }
  }

  async assignVlo(principal: Principal, caseId: string, victimId: string, input: { vloUserId: string; current: string }, requestId?: string) {
    const { facts, victim, summary } = await this.caseVictim(principal, caseId, victimId, 'vlo:assign', requestId);
    await this.requireCharged(caseId, summary.stage);
    const vlo = (await this.repo().vloCandidates(facts.cpsAreaId)).find((c) => c.id === input.vloUserId);
    if (!vlo) throw fieldError('vloUserId', `Select a Victim Liaison Officer of the ${summary.areaName} RASSO unit`);
    const now = this.clock.now();
    await this.db.transaction(async (tx) => {
      const [current] = await tx.query<{ id: string; vlo_user_id: string; version: number; vlo_name: string }>(
        'SELECT a.id, a.vlo_user_id, a.version, u.display_name AS vlo_name FROM vlo_assignments a JOIN users u ON u.id = a.vlo_user_id WHERE a.victim_id = $1 AND a.ended_at IS NULL FOR UPDATE OF a',
        [victim.id],
      );
      if ((current?.id ?? '') !== input.current) {
        throw new ConflictError([{ label: 'Victim Liaison Officer', current: current?.vlo_name ?? 'None', submitted: vlo.display_name }], `/cases/${caseId}/victim-care/victims/${victim.id}/vlo`);
      }
      if (current?.vlo_user_id === vlo.id) return;
      if (current) await tx.query('UPDATE vlo_assignments SET ended_at = $2, ended_by = $3, version = version + 1 WHERE id = $1', [current.id, now, principal.userId]);
      const id = randomUUID();
      await tx.query(
        `INSERT INTO vlo_assignments (id, case_id, force_id, victim_id, cps_area_id, vlo_user_id, assigned_at, assigned_by) VALUES ($1,$2,$3,$4,$5,$6,$7,$8)`,
        [id, caseId, facts.forceId, victim.id, facts.cpsAreaId, vlo.id, now, principal.userId],
      );
      await this.record(principal, 'vlo:assign', { entityType: 'victim', entityId: victim.id, caseId, detail: { vloUserId: vlo.id, replaced: current?.vlo_user_id ?? null } }, requestId, tx);
    });
  }

  /** What each victim is due next, for a VLO (their victims), or the unit (victims of charged cases with no VLO). */
  async worklist(principal: Principal, q: { show: 'mine' | 'unassigned' | 'area'; sort: 'due' | 'case'; order: 'asc' | 'desc'; page: number }, requestId?: string) {
    await this.requireGlobal(principal, 'vlo:worklist', requestId);
    const area = principal.organisation.kind === 'rasso_unit' ? principal.organisation.cpsAreaId : null;
    if (!area) throw forbidden();
    const params: unknown[] = [area];
    let filter: string;
    if (q.show === 'mine') {
      params.push(principal.userId);
      filter = `a.vlo_user_id = $${params.length}`;
    } else if (q.show === 'unassigned') {
      filter = `a.id IS NULL AND (c.stage IN ('charged','pre_trial','trial') OR EXISTS (SELECT 1 FROM trial_pleas p WHERE p.case_id = c.id))`;
    } else filter = 'a.id IS NOT NULL';
    const where = `c.cps_area_id = $1 AND c.referred_at IS NOT NULL AND ${filter}`;
    const dir = q.order === 'asc' ? 'ASC' : 'DESC';
    const order = q.sort === 'case' ? `c.reference ${dir}, v.label` : `nx.due_date ${dir} NULLS LAST, nx.pri, c.reference, v.label`;
    const from = `FROM victims v JOIN cases c ON c.id = v.case_id
      LEFT JOIN vlo_assignments a ON a.victim_id = v.id AND a.ended_at IS NULL LEFT JOIN users u ON u.id = a.vlo_user_id`;
    const [count] = await this.db.query<{ n: number }>(`SELECT count(*)::int AS n ${from} WHERE ${where}`, params);
    const rows = await this.db.query<{
      victim_id: string; label: string; case_id: string; reference: string; stage: string; vlo_name: string | null; assignment_version: number | null;
      what: string | null; due_date: string | null; detail: string | null; pri: number | null; open_items: number;
    }>(
      `SELECT v.id AS victim_id, v.label, c.id AS case_id, c.reference, c.stage, u.display_name AS vlo_name, a.version AS assignment_version,
              nx.what, nx.due_date, nx.detail, nx.pri,
              ((SELECT count(*) FROM victim_duties d WHERE d.victim_id = v.id AND d.met_at IS NULL AND d.owner_side = 'cps')
               + (SELECT count(*) FROM pre_trial_meetings m WHERE m.victim_id = v.id AND m.status IN ('offer_due','offered','accepted'))
               + (SELECT count(*) FROM special_measures s WHERE s.victim_id = v.id AND s.status IN ('discussed','requested','applied')))::int AS open_items
         ${from}
         LEFT JOIN LATERAL (
           SELECT x.what, x.due_date, x.detail, x.pri FROM (
             SELECT 'duty' AS what, d.due_date, d.kind AS detail, 1 AS pri FROM victim_duties d WHERE d.victim_id = v.id AND d.met_at IS NULL AND d.owner_side = 'cps'
             UNION ALL SELECT 'meeting_offer', m.offer_due_date, m.id::text, 2 FROM pre_trial_meetings m WHERE m.victim_id = v.id AND m.status = 'offer_due'
             UNION ALL SELECT 'meeting_reply', NULL::date, m.id::text, 3 FROM pre_trial_meetings m WHERE m.victim_id = v.id AND m.status = 'offered'
             UNION ALL SELECT 'meeting_hold', NULL::date, m.id::text, 3 FROM pre_trial_meetings m WHERE m.victim_id = v.id AND m.status = 'accepted'
             UNION ALL SELECT 'special_measure', NULL::date, s.measure || ':' || s.status, 4 FROM special_measures s WHERE s.victim_id = v.id AND s.status IN ('discussed','requested','applied')
           ) x ORDER BY x.due_date ASC NULLS LAST, x.pri LIMIT 1
         ) nx ON true
        WHERE ${where} ORDER BY ${order} LIMIT ${PAGE_SIZE} OFFSET ${(q.page - 1) * PAGE_SIZE}`,
      params,
    );
    const kinds = await this.kinds();
    const today = londonDate(this.clock.now());
    await this.record(principal, 'vlo:worklist', { detail: { show: q.show, shown: rows.length } }, requestId);
    return {
      total: count?.n ?? 0,
      rows: rows.map((r) => ({
        ...r,
        next: describeNext(r, kinds),
        overdue: r.due_date !== null && r.due_date < today,
        link: r.what?.startsWith('meeting') ? `/cases/${r.case_id}/victim-care/meetings/${r.detail}` : `/cases/${r.case_id}/victim-care#victim-${r.victim_id}`,
      })),
    };
  }

  // ================================================================================================================
  // Pleas and pre-trial meetings
  // ================================================================================================================

  async pleaForm(principal: Principal, caseId: string, requestId?: string) {
    await this.cases.authorize(principal, caseId, 'trial:record-plea', requestId);
    const summary = await this.cases.summary(caseId);
    await this.requireCharged(caseId, summary.stage);
    return { case: summary };
  }

  /** The prosecutor records a plea; on not guilty, each victim's offer of a pre-trial meeting falls due. */
  async recordPlea(principal: Principal, caseId: string, input: { plea: 'guilty' | 'not_guilty'; enteredOn: string | null }, requestId?: string) {
    await this.cases.authorize(principal, caseId, 'trial:record-plea', requestId);
    const summary = await this.cases.summary(caseId);
    await this.requireCharged(caseId, summary.stage);
    const enteredAt = instantFor(this.clock, input.enteredOn!);
    return this.db.transaction(async (tx) => {
      const { pleaId, meetings } = await this.recordPleaInTx(tx, { caseId, plea: input.plea, enteredOn: input.enteredOn!, enteredAt, actorUserId: principal.userId, timeline: true });
      await this.record(principal, 'trial:record-plea', { entityType: 'trial_plea', entityId: pleaId, caseId, detail: { plea: input.plea, meetingsDue: meetings } }, requestId, tx);
      return pleaId;
    });
  }

  /** Inside the caller's transaction: the plea, the Code duty to tell the victim, and (not guilty) the meeting offers. */
  private async recordPleaInTx(tx: Queryable, p: { caseId: string; plea: 'guilty' | 'not_guilty'; enteredOn: string; enteredAt: Date; actorUserId: string; timeline: boolean }) {
    const summary = await this.cases.summary(p.caseId, tx);
    const calendar = await this.cal(tx);
    const id = randomUUID();
    const now = this.clock.now();
    await tx.query('INSERT INTO trial_pleas (id, case_id, force_id, plea, entered_on, recorded_by, recorded_at) VALUES ($1,$2,$3,$4,$5,$6,$7)', [id, p.caseId, summary.forceId, p.plea, p.enteredOn, p.actorUserId, now]);
    await this.recordDutyEvent(tx, { caseId: p.caseId, kind: 'plea_entered', occurredAt: p.enteredAt, actorUserId: p.actorUserId });
    let meetings = 0;
    if (p.plea === 'not_guilty') {
      const dueDate = calendar.addWorkingDays(p.enteredAt, PTM_OFFER_WORKING_DAYS);
      const runAt = new Date(calendar.deadline(p.enteredAt, PTM_OFFER_WORKING_DAYS).getTime() + 1);
      for (const v of await this.repo(tx).victims(p.caseId)) {
        const open = await tx.query(`SELECT 1 FROM pre_trial_meetings WHERE victim_id = $1 AND status IN ('offer_due','offered','accepted')`, [v.id]);
        if (open.length) continue;
        const meetingId = randomUUID();
        await tx.query(
          `INSERT INTO pre_trial_meetings (id, case_id, force_id, victim_id, plea_id, status, offer_due_date, created_at, updated_at, updated_by)
           VALUES ($1,$2,$3,$4,$5,'offer_due',$6,$7,$7,$8)`,
          [meetingId, p.caseId, summary.forceId, v.id, id, dueDate, now, p.actorUserId],
        );
        await enqueue(tx, this.clock, 'victims.meeting-offer-overdue', { meetingId }, { runAt, dedupeKey: `victims.meeting-offer-overdue:${meetingId}` });
        meetings++;
      }
    }
    if (p.timeline) {
      await this.cases.recordProgress(tx, p.caseId, { event: { kind: 'plea', summary: `Plea recorded: ${p.plea === 'not_guilty' ? 'not guilty' : 'guilty'}`, actorUserId: p.actorUserId, occurredAt: p.enteredAt } });
    }
    return { pleaId: id, meetings };
  }

  /**
   * Listener for charging events (ChargingService.subscribe), in the charging transaction: a charge or a CPS NFA, a
   * police NFA, a plea and a court outcome each start the victims' Code clocks; a not-guilty plea makes the pre-trial
   * meeting offer due. Other events are ignored.
   */
  async onChargingEvent(tx: Queryable, e: { kind: string; caseId: string; at: Date; actorUserId: string; detail: Record<string, unknown> }): Promise<void> {
    const d = e.detail ?? {};
    const base = { caseId: e.caseId, occurredAt: e.at, actorUserId: e.actorUserId };
    if (e.kind === 'decision') {
      const decision = String(d.decision ?? '');
      if (decision.startsWith('charge_')) await this.recordDutyEvent(tx, { ...base, kind: 'charging_decision' });
      else if (decision.startsWith('nfa_')) await this.recordDutyEvent(tx, { ...base, kind: 'nfa_cps' });
    } else if (e.kind === 'police_outcome') {
      await this.recordDutyEvent(tx, { ...base, kind: 'nfa_police' });
    } else if (e.kind === 'court_progress') {
      const step = String(d.step ?? '');
      const on = typeof d.occurredOn === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(d.occurredOn) ? d.occurredOn : londonDate(e.at);
      const at = instantFor(this.clock, on);
      if (step === 'trial_listed' || step === 'guilty_plea') {
        await this.recordPleaInTx(tx, { caseId: e.caseId, plea: step === 'trial_listed' ? 'not_guilty' : 'guilty', enteredOn: on, enteredAt: at, actorUserId: e.actorUserId, timeline: false });
      } else if (step === 'convicted' || step === 'acquitted' || step === 'discontinued') {
        await this.recordDutyEvent(tx, { ...base, kind: 'trial_outcome', occurredAt: at });
      }
    }
  }

  private async onMeetingOfferOverdue(job: Job, tx: Queryable) {
    const meetingId = String(job.payload.meetingId ?? '');
    if (!isUuid(meetingId)) return;
    const [m] = await tx.query<{ id: string; case_id: string; victim_id: string; status: string; offer_due_date: string; reference: string; label: string }>(
      `SELECT m.id, m.case_id, m.victim_id, m.status, m.offer_due_date, c.reference, v.label FROM pre_trial_meetings m JOIN cases c ON c.id = m.case_id JOIN victims v ON v.id = m.victim_id WHERE m.id = $1`,
      [meetingId],
    );
    if (!m || m.status !== 'offer_due') return;
    const owner = await this.ownerOf(tx, m.case_id, m.victim_id, 'cps');
    if (!owner) return;
    await notify(tx, this.clock, {
      userId: owner, caseId: m.case_id, kind: 'meeting-offer-overdue', link: `/cases/${m.case_id}/victim-care/meetings/${m.id}`, dedupeKey: `victims.meeting-offer-overdue:${m.id}`,
      message: `Pre-trial meeting not yet offered on case ${m.reference}: victim ${m.label} (offer was due ${dayFmt.format(new Date(`${m.offer_due_date}T12:00:00Z`))}).`,
    });
  }

  async meetingForm(principal: Principal, caseId: string, meetingId: string, requestId?: string) {
    await this.cases.authorize(principal, caseId, 'victim-care:record', requestId);
    const meeting = await this.repo().meeting(caseId, meetingId);
    if (!meeting) throw notFound();
    return { case: await this.cases.summary(caseId), meeting };
  }

  async updateMeeting(principal: Principal, caseId: string, meetingId: string, input: MeetingInput, requestId?: string) {
    await this.cases.authorize(principal, caseId, 'victim-care:record', requestId);
    const current = await this.repo().meeting(caseId, meetingId);
    if (!current) throw notFound();
    const status: PtmStatus = input.heldOn ? 'held' : input.response === 'declined' ? 'declined' : input.response === 'accepted' ? 'accepted' : input.offeredOn ? 'offered' : 'offer_due';
    await this.db.transaction(async (tx) => {
      const updated = await tx.query(
        `UPDATE pre_trial_meetings SET status = $3, offered_on = $4, offer_channel = $5, response = $6, responded_on = $7, held_on = $8, attendees = $9, topics = $10,
                outcome = $11, actions = $12, updated_at = $13, updated_by = $14, version = version + 1
          WHERE id = $1 AND version = $2 RETURNING id`,
        [meetingId, input.version, status, input.offeredOn, input.offeredOn ? input.offerChannel ?? null : null, input.response ?? null, input.response ? input.respondedOn : null,
          input.heldOn, JSON.stringify(input.attendees), JSON.stringify(input.topics), input.outcome, JSON.stringify(input.actions), this.clock.now(), principal.userId],
      );
      if (!updated.length) {
        const now = (await this.repo(tx).meeting(caseId, meetingId))!;
        throw new ConflictError(diff([
          ['Offered on', now.offered_on ?? '', input.offeredOn ?? ''], ['Response', now.response ?? '', input.response ?? ''], ['Held on', now.held_on ?? '', input.heldOn ?? ''],
          ['Attendees', now.attendees.join(', '), input.attendees.join(', ')], ['Topics', now.topics.join(', '), input.topics.join(', ')], ['Outcome', now.outcome, input.outcome],
          ['Actions agreed', now.actions.join('; '), input.actions.join('; ')],
        ]), `/cases/${caseId}/victim-care/meetings/${meetingId}`);
      }
      await this.record(principal, 'pre-trial-meeting:update', { entityType: 'pre_trial_meeting', entityId: meetingId, caseId, detail: { victimId: current.victim_id, status } }, requestId, tx);
    });
  }

  // ================================================================================================================
  // Special measures
  // ================================================================================================================

  async measureForm(principal: Principal, caseId: string, requestId?: string) {
    await this.cases.authorize(principal, caseId, 'victim-care:record', requestId);
    const [summary, victims, witnesses] = await Promise.all([this.cases.summary(caseId), this.repo().victims(caseId), this.repo().witnesses(caseId)]);
    return {
      case: summary,
      people: [...victims.map((v) => ({ value: `victim:${v.id}`, text: `Victim ${v.label}` })), ...witnesses.map((w) => ({ value: `witness:${w.id}`, text: `Witness ${w.label}` }))],
    };
  }

  async addMeasure(principal: Principal, caseId: string, input: { person: string; measure: Measure; status: string; wishes: string; notes: string }, requestId?: string) {
    const facts = await this.cases.authorize(principal, caseId, 'victim-care:record', requestId);
    const [kind, personId] = input.person.split(':') as ['victim' | 'witness', string];
    const repo = this.repo();
    if (kind === 'victim') {
      const v = await repo.victim(caseId, personId);
      if (!v) throw fieldError('person', 'Select who the special measure is for');
      if (VULNERABLE_ONLY.includes(input.measure) && !v.vulnerabilities.some((x) => VULNERABLE_GROUNDS.includes(x))) {
        throw fieldError('measure', `${MEASURE_LABELS[input.measure]} is only for vulnerable witnesses (for example, under 18, or with a mental disorder, learning or physical disability or communication needs). Record the victim’s vulnerability first.`);
      }
    } else if (!(await repo.witnesses(caseId)).some((w) => w.id === personId)) throw fieldError('person', 'Select who the special measure is for');
    const id = randomUUID();
    const now = this.clock.now();
    await this.db.transaction(async (tx) => {
      const existing = await tx.query(`SELECT 1 FROM special_measures WHERE ${kind}_id = $1 AND measure = $2`, [personId, input.measure]);
      if (existing.length) throw fieldError('measure', 'This special measure is already recorded for this person. Change it instead');
      await tx.query(
        `INSERT INTO special_measures (id, case_id, force_id, victim_id, witness_id, measure, status, wishes, notes, created_by, created_at, updated_by, updated_at)
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$10,$11)`,
        [id, caseId, facts.forceId, kind === 'victim' ? personId : null, kind === 'witness' ? personId : null, input.measure, input.status, input.wishes, input.notes, principal.userId, now],
      );
      await this.record(principal, 'special-measure:add', { entityType: 'special_measure', entityId: id, caseId, detail: { person: kind, measure: input.measure, status: input.status } }, requestId, tx);
    });
    return id;
  }

  async measureForEdit(principal: Principal, caseId: string, measureId: string, requestId?: string) {
    await this.cases.authorize(principal, caseId, 'victim-care:record', requestId);
    const measure = await this.repo().measure(caseId, measureId);
    if (!measure) throw notFound();
    return { case: await this.cases.summary(caseId), measure };
  }

  async updateMeasure(principal: Principal, caseId: string, measureId: string, input: { version: number; status: string; wishes: string; notes: string }, requestId?: string) {
    await this.cases.authorize(principal, caseId, 'victim-care:record', requestId);
    const current = await this.repo().measure(caseId, measureId);
    if (!current) throw notFound();
    await this.db.transaction(async (tx) => {
      const updated = await tx.query(
        'UPDATE special_measures SET status = $3, wishes = $4, notes = $5, updated_by = $6, updated_at = $7, version = version + 1 WHERE id = $1 AND version = $2 RETURNING id',
        [measureId, input.version, input.status, input.wishes, input.notes, principal.userId, this.clock.now()],
      );
      if (!updated.length) {
        const now = (await this.repo(tx).measure(caseId, measureId))!;
        throw new ConflictError(diff([['Status', now.status, input.status], ['Wishes', now.wishes, input.wishes], ['Notes', now.notes, input.notes]]), `/cases/${caseId}/victim-care/special-measures/${measureId}`);
      }
      await this.record(principal, 'special-measure:update', { entityType: 'special_measure', entityId: measureId, caseId, detail: { measure: current.measure, status: input.status } }, requestId, tx);
    });
  }

  // ================================================================================================================
  // ISVA mailbox
  // ================================================================================================================

  /** Which RASSO unit a query goes to: the case's Area (a case the ISVA holds consent on), else the force's Area. */
  async route(principal: Principal, input: Pick<QueryInput, 'caseReference' | 'forceId' | 'cpsAreaId'>): Promise<{ cpsAreaId: string; routedBy: 'case' | 'force'; caseId: string | null; caseReference: string | null; forceId: string | null }> {
    if (input.caseReference) {
      const kase = await this.repo().consentedCase(principal.userId, principal.organisation.id, input.caseReference);
      // the same answer for a reference that does not exist and one the ISVA has no consent for: nothing leaks
      if (!kase) throw fieldError('caseReference', 'Enter the reference of a case where a victim has consented to you seeing it, or leave it blank and choose the police force');
      return { cpsAreaId: kase.cps_area_id, routedBy: 'case', caseId: kase.id, caseReference: kase.reference, forceId: null };
    }
    const force = await this.reference.force(input.forceId);
    if (!force || !force.active) throw fieldError('forceId', 'Select the police force, or enter a case reference');
    if (input.cpsAreaId) {
      const areas = await this.reference.areasFor(force.id);
      if (!areas.some((a) => a.id === input.cpsAreaId)) throw fieldError('cpsAreaId', `That CPS Area does not take ${force.name} cases`);
      return { cpsAreaId: input.cpsAreaId, routedBy: 'force', caseId: null, caseReference: null, forceId: force.id };
    }
    return { cpsAreaId: await this.reference.primaryAreaFor(force.id), routedBy: 'force', caseId: null, caseReference: null, forceId: force.id };
  }

  async queryFormData() {
    const forces = (await this.reference.forces()).filter((f) => f.active);
    const multi = (await this.reference.mappings()).filter((m) => !m.is_primary).map((m) => m.force_id);
    const splitForces = forces.filter((f) => multi.includes(f.id));
    const areas = (await this.reference.areas()).filter((a) => !a.is_cps_direct && a.active);
    const splitAreas = [];
    for (const f of splitForces) for (const a of await this.reference.areasFor(f.id)) splitAreas.push({ forceName: f.name, id: a.id, name: a.name });
    return { forces, areas, splitAreas };
  }

  async sendQuery(principal: Principal, input: QueryInput, requestId?: string) {
    await this.requireGlobal(principal, 'isva:mailbox', requestId);
    if (sideOf(principal) !== 'isva') throw forbidden();
    const routing = await this.route(principal, input);
    const calendar = await this.cal();
    const now = this.clock.now();
    const id = randomUUID();
    await this.db.transaction(async (tx) => {
      const [seq] = await tx.query<{ n: number }>("SELECT nextval('isva_query_seq')::int AS n");
      await tx.query(
        `INSERT INTO isva_queries (id, reference, isva_user_id, isva_organisation_id, case_id, case_reference, named_force_id, cps_area_id, routed_by, subject, status,
           created_at, target_working_days, target_date, target_at, last_message_at)
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,'awaiting_reply',$11,$12,$13,$14,$11)`,
        [id, `ISVA-${String(seq!.n).padStart(6, '0')}`, principal.userId, principal.organisation.id, routing.caseId, routing.caseReference, routing.forceId, routing.cpsAreaId,
          routing.routedBy, input.subject, now, QUERY_TARGET_WORKING_DAYS, calendar.addWorkingDays(now, QUERY_TARGET_WORKING_DAYS), calendar.deadline(now, QUERY_TARGET_WORKING_DAYS)],
      );
      await tx.query('INSERT INTO isva_query_messages (id, query_id, author_user_id, side, body, created_at) VALUES ($1,$2,$3,$4,$5,$6)', [randomUUID(), id, principal.userId, 'isva', input.body, now]);
      await this.record(principal, 'isva-query:send', { entityType: 'isva_query', entityId: id, caseId: routing.caseId, detail: { cpsAreaId: routing.cpsAreaId, routedBy: routing.routedBy, forceId: routing.forceId } }, requestId, tx);
    });
    return id;
  }

  async isvaQueries(principal: Principal, q: { sort: 'updated' | 'reference' | 'status'; order: 'asc' | 'desc'; page: number }, requestId?: string) {
    await this.requireGlobal(principal, 'isva:mailbox', requestId);
    return this.repo().queriesOf(principal.userId, q);
  }

  /** The ISVA's own thread. A thread about a case stays readable only while the ISVA holds consent on that case. */
  private async ownQuery(principal: Principal, queryId: string, requestId?: string) {
    const query = await this.repo().query(queryId);
    const ok = query && sideOf(principal) === 'isva' && query.isva_user_id === principal.userId && query.isva_organisation_id === principal.organisation.id
      && (!query.case_id || await this.repo().hasActiveConsentOnCase(principal.userId, principal.organisation.id, query.case_id));
    if (!ok) {
      await this.record(principal, 'isva-query:read', { outcome: 'denied', entityType: 'isva_query', entityId: queryId.slice(0, 64) }, requestId);
      throw notFound();
    }
    return query;
  }

  async isvaQuery(principal: Principal, queryId: string, requestId?: string) {
    const query = await this.ownQuery(principal, queryId, requestId);
    await this.record(principal, 'isva-query:read', { entityType: 'isva_query', entityId: query.id, caseId: query.case_id }, requestId);
    return { query, messages: await this.repo().messages(query.id) };
  }

  async isvaReply(principal: Principal, queryId: string, body: string, requestId?: string) {
    const query = await this.ownQuery(principal, queryId, requestId);
    if (query.status === 'closed') throw new HttpError(409, 'This query is closed', 'The unit closed this query. Send a new query if you need more help.');
    const now = this.clock.now();
    await this.db.transaction(async (tx) => {
      await tx.query('INSERT INTO isva_query_messages (id, query_id, author_user_id, side, body, created_at) VALUES ($1,$2,$3,$4,$5,$6)', [randomUUID(), query.id, principal.userId, 'isva', body, now]);
      await tx.query(`UPDATE isva_queries SET status = 'awaiting_reply', last_message_at = $2, version = version + 1 WHERE id = $1`, [query.id, now]);
      await this.record(principal, 'isva-query:reply', { entityType: 'isva_query', entityId: query.id, caseId: query.case_id }, requestId, tx);
    });
  }

  private unitArea(principal: Principal): string {
    if (principal.organisation.kind !== 'rasso_unit' || !principal.organisation.cpsAreaId) throw forbidden();
    return principal.organisation.cpsAreaId;
  }

  async inbox(principal: Principal, q: { status: string; sort: 'received' | 'target' | 'reference'; order: 'asc' | 'desc'; page: number }, requestId?: string) {
    await this.requireGlobal(principal, 'isva:inbox', requestId);
    const area = this.unitArea(principal);
    const { total, rows } = await this.repo().inbox(area, q);
    const calendar = await this.cal();
    const now = this.clock.now();
    return {
      total, area: await this.reference.area(area),
      rows: rows.map((r) => ({
        ...r, ageWorkingDays: calendar.workingDaysBetween(new Date(r.created_at), now),
        overdue: !r.first_reply_at && r.status !== 'closed' && now.getTime() > new Date(r.target_at).getTime(),
      })),
    };
  }

  private async unitQuery(principal: Principal, queryId: string, requestId?: string) {
    await this.requireGlobal(principal, 'isva:inbox', requestId);
    const area = this.unitArea(principal);
    const query = await this.repo().query(queryId);
    if (!query || query.cps_area_id !== area) {
      await this.record(principal, 'isva-query:read', { outcome: 'denied', entityType: 'isva_query', entityId: queryId.slice(0, 64) }, requestId);
      throw notFound();
    }
    return query;
  }

  /** Refuses (and audits) unless the query was routed to the principal's RASSO unit. */
  async checkUnitQuery(principal: Principal, queryId: string, requestId?: string): Promise<void> {
    await this.unitQuery(principal, queryId, requestId);
  }

  async inboxQuery(principal: Principal, queryId: string, requestId?: string) {
    const query = await this.unitQuery(principal, queryId, requestId);
    await this.record(principal, 'isva-query:read', { entityType: 'isva_query', entityId: query.id, caseId: query.case_id }, requestId);
    const calendar = await this.cal();
    return { query, messages: await this.repo().messages(query.id), ageWorkingDays: calendar.workingDaysBetween(new Date(query.created_at), this.clock.now()) };
  }

  async unitReply(principal: Principal, queryId: string, body: string, requestId?: string) {
    const query = await this.unitQuery(principal, queryId, requestId);
    if (query.status === 'closed') throw new HttpError(409, 'This query is closed', 'Reopen is not possible: the ISVA can send a new query.');
    const now = this.clock.now();
    const messageId = randomUUID();
    await this.db.transaction(async (tx) => {
      await tx.query('INSERT INTO isva_query_messages (id, query_id, author_user_id, side, body, created_at) VALUES ($1,$2,$3,$4,$5,$6)', [messageId, query.id, principal.userId, 'cps', body, now]);
      await tx.query(
        `UPDATE isva_queries SET status = 'replied', last_message_at = $2, first_reply_at = coalesce(first_reply_at, $2), first_reply_by = coalesce(first_reply_by, $3), version = version + 1 WHERE id = $1`,
        [query.id, now, principal.userId],
      );
      await enqueue(tx, this.clock, 'victims.query-replied', { queryId: query.id, messageId }, { dedupeKey: `victims.query-replied:${messageId}` });
      await this.record(principal, 'isva-query:reply', { entityType: 'isva_query', entityId: query.id, caseId: query.case_id, detail: { first: !query.first_reply_at } }, requestId, tx);
    });
  }

  async closeQuery(principal: Principal, queryId: string, input: { version: number }, requestId?: string) {
    const query = await this.unitQuery(principal, queryId, requestId);
    await this.db.transaction(async (tx) => {
      const updated = await tx.query(`UPDATE isva_queries SET status = 'closed', closed_at = $3, closed_by = $4, version = version + 1 WHERE id = $1 AND version = $2 AND status <> 'closed' RETURNING id`, [query.id, input.version, this.clock.now(), principal.userId]);
      if (!updated.length) {
        const now = (await this.repo(tx).query(query.id))!;
        throw new ConflictError([{ label: 'Status', current: now.status, submitted: 'closed' }, { label: 'Last message', current: new Date(now.last_message_at).toISOString(), submitted: new Date(query.last_message_at).toISOString() }], `/victim-care/inbox/${query.id}`);
      }
      await this.record(principal, 'isva-query:close', { entityType: 'isva_query', entityId: query.id, caseId: query.case_id }, requestId, tx);
    });
  }

  private async onQueryReplied(job: Job, tx: Queryable) {
    const [q] = await tx.query<{ id: string; reference: string; isva_user_id: string }>('SELECT id, reference, isva_user_id FROM isva_queries WHERE id = $1', [String(job.payload.queryId)]);
    if (!q) return;
    await notify(tx, this.clock, {
      userId: q.isva_user_id, kind: 'isva-query-reply', message: `The RASSO unit replied to your query ${q.reference}.`, link: `/isva/queries/${q.id}`,
      dedupeKey: `victims.query-replied:${String(job.payload.messageId)}`,
    });
  }

  /** Response-time statistics for every RASSO unit (aggregates only). */
  async inboxStats(principal: Principal, requestId?: string) {
    if (!can(principal, 'isva:inbox') && !can(principal, 'victims:dashboard')) {
      await this.record(principal, 'isva:inbox', { outcome: 'denied' }, requestId);
      throw forbidden();
    }
    return (await this.repo().inboxStats(this.clock.now())).map((r) => ({
      ...r, withinTargetRate: r.replied ? r.within_target / r.replied : null,
      medianHours: r.median_hours === null ? null : Number(r.median_hours), meanHours: r.mean_hours === null ? null : Number(r.mean_hours),
    }));
  }

  // ================================================================================================================
  // Supervisor dashboard
  // ================================================================================================================

  async dashboard(principal: Principal, q: { owner: 'police' | 'cps' | 'all'; sort: 'due' | 'case'; order: 'asc' | 'desc'; page: number }, requestId?: string) {
    await this.requireGlobal(principal, 'victims:dashboard', requestId);
    const org = principal.organisation;
    const params: unknown[] = [this.clock.now()];
    let scope: string;
    let scopeName: string;
    let listCases = true;
    if (org.kind === 'force' && org.forceId) {
      params.push(org.forceId);
      scope = `d.force_id = $${params.length}`;
      scopeName = org.name;
    } else if (org.kind === 'rasso_unit' && org.cpsAreaId) {
      params.push(org.cpsAreaId);
      scope = `c.cps_area_id = $${params.length} AND c.referred_at IS NOT NULL`;
      scopeName = org.name;
    } else {
      scope = 'true';
      scopeName = 'England and Wales';
      listCases = false;
    }
    const byGroup = await this.db.query<{ owner_side: string; kind: string; area: string; due: number; on_time: number; late: number; overdue: number; pending: number }>(
      `SELECT d.owner_side, d.kind, a.name AS area,
              count(*) FILTER (WHERE d.met_at IS NOT NULL OR d.due_at < $1)::int AS due,
              count(*) FILTER (WHERE d.met_at IS NOT NULL AND d.met_at <= d.due_at)::int AS on_time,
              count(*) FILTER (WHERE d.met_at > d.due_at)::int AS late,
              count(*) FILTER (WHERE d.met_at IS NULL AND d.due_at < $1)::int AS overdue,
              count(*) FILTER (WHERE d.met_at IS NULL AND d.due_at >= $1)::int AS pending
         FROM victim_duties d JOIN cases c ON c.id = d.case_id JOIN cps_areas a ON a.id = c.cps_area_id
        WHERE ${scope} GROUP BY d.owner_side, d.kind, a.name`,
      params,
    );
    const kinds = await this.kinds();
    const sum = (rows: typeof byGroup) => {
      const t = rows.reduce((acc, r) => ({ due: acc.due + r.due, onTime: acc.onTime + r.on_time, late: acc.late + r.late, overdue: acc.overdue + r.overdue, pending: acc.pending + r.pending }), { due: 0, onTime: 0, late: 0, overdue: 0, pending: 0 });
      return { ...t, rate: t.due ? t.onTime / t.due : null };
    };
    const group = (key: (r: (typeof byGroup)[number]) => string) => {
      const m = new Map<string, typeof byGroup>();
      for (const r of byGroup) m.set(key(r), [...(m.get(key(r)) ?? []), r]);
      return [...m].map(([name, rows]) => ({ name, ...sum(rows) })).sort((a, b) => a.name.localeCompare(b.name));
    };
    let overdueList = { total: 0, rows: [] as { id: string; case_id: string; reference: string; victim_id: string; victim_label: string; kind: string; label: string; owner_side: string; due_at: Date; alerted_at: Date | null; alerted_name: string | null; workingDaysOverdue: number }[] };
    if (listCases) {
      const where = `${scope} AND d.met_at IS NULL AND d.due_at < $1${q.owner === 'all' ? '' : ` AND d.owner_side = '${q.owner === 'cps' ? 'cps' : 'police'}'`}`;
      const [count] = await this.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM victim_duties d JOIN cases c ON c.id = d.case_id WHERE ${where}`, params);
      const dir = q.order === 'asc' ? 'ASC' : 'DESC';
      const rows = await this.db.query<{ id: string; case_id: string; reference: string; victim_id: string; victim_label: string; kind: string; owner_side: string; due_at: Date; alerted_at: Date | null; alerted_name: string | null }>(
        `SELECT d.id, d.case_id, c.reference, d.victim_id, v.label AS victim_label, d.kind, d.owner_side, d.due_at, d.alerted_at, u.display_name AS alerted_name
           FROM victim_duties d JOIN cases c ON c.id = d.case_id JOIN victims v ON v.id = d.victim_id LEFT JOIN users u ON u.id = d.alerted_user_id
          WHERE ${where} ORDER BY ${q.sort === 'case' ? `c.reference ${dir}, d.due_at` : `d.due_at ${dir}, c.reference`}, v.label LIMIT ${PAGE_SIZE} OFFSET ${(q.page - 1) * PAGE_SIZE}`,
        params,
      );
      const calendar = await this.cal();
      overdueList = { total: count?.n ?? 0, rows: rows.map((r) => ({ ...r, label: kinds.get(r.kind)?.label ?? r.kind, workingDaysOverdue: calendar.workingDaysBetween(new Date(r.due_at), this.clock.now()) })) };
    }
    await this.record(principal, 'victims:dashboard', { detail: { scope: scopeName } }, requestId);
    return {
      scopeName, listCases, total: sum(byGroup),
      byOwner: group((r) => (r.owner_side === 'cps' ? 'CPS' : 'Police')),
      byKind: group((r) => kinds.get(r.kind)?.label ?? r.kind),
      byArea: listCases ? [] : group((r) => r.area),
      overdue: overdueList,
    };
  }

  // ================================================================================================================
  // Letters to the victim
  // ================================================================================================================

  private async letterAccess(principal: Principal, caseId: string, victimId: string, requestId?: string) {
    const { facts, victim, summary } = await this.caseVictim(principal, caseId, victimId, 'victim-care:record', requestId);
    if (!this.cases.allows(principal, 'victim:read-identity', facts)) {
      await this.record(principal, 'victim:read-identity', { outcome: 'denied', entityType: 'victim', entityId: victimId, caseId }, requestId);
      throw forbidden('Only people who may see the victim’s identity can send letters to them.');
    }
    return { facts, victim, summary };
  }

  async letterForm(principal: Principal, caseId: string, victimId: string, requestId?: string) {
    const { victim, summary } = await this.letterAccess(principal, caseId, victimId, requestId);
    return { case: summary, victim: { id: victim.id, label: victim.label, preferences: victim.contact_preferences }, ...(await this.dutyChoices(caseId, victimId, null)) };
  }

  /**
   * Renders a standard letter for the victim, records it as a contact (meeting any duties it tells them about) and
   * sends it through the durable outbox: a job carries only the letter id to the provider adapter.
   */
  async sendLetter(principal: Principal, caseId: string, victimId: string, input: { template: LetterTemplate; channel: 'letter' | 'email'; dutyIds: string[]; acknowledgePreference?: 'yes'; overrideReason?: string }, requestId?: string) {
    const { facts, victim, summary } = await this.letterAccess(principal, caseId, victimId, requestId);
    const side = sideOf(principal);
    if (side !== 'police' && side !== 'cps') throw forbidden();
    const now = this.clock.now();
    const { openDuties, metDuties } = await this.dutyChoices(caseId, victimId, null);
    for (const id of input.dutyIds) {
      const met = metDuties.find((d) => d.id === id);
      if (met) throw fieldError('dutyIds', `The victim has already been told “${met.label}”. Do not send another letter for the same thing.`);
      if (!openDuties.some((d) => d.id === id)) throw fieldError('dutyIds', 'Select only updates this victim is due');
    }
    const warnings = preferenceWarnings(victim.contact_preferences, { channel: input.channel, voicemailLeft: false, time: null, side });
    if (warnings.length && !input.acknowledgePreference) {
      throw new FormError([{ field: 'acknowledgePreference', text: 'Sending this goes against the victim’s contact preferences. Check them, and confirm why you are sending it this way', href: '#acknowledgePreference' }], warnings.map((w) => w.text));
    }
    if (warnings.length && !input.overrideReason) throw fieldError('overrideReason', 'Enter why the victim is being contacted this way');
    const vlo = (await this.repo().currentVlos(caseId)).find((a) => a.victim_id === victimId);
    const rendered = renderLetter(input.template, {
      recipientName: this.victimName(victim), caseReference: summary.reference, senderName: principal.displayName, senderOrganisation: principal.organisation.name,
      date: dayFmt.format(now), vloName: vlo?.vlo_name ?? null,
    });
    const letterId = randomUUID();
    const contactId = randomUUID();
    await this.db.transaction(async (tx) => {
      const purpose = input.template === 'pre_trial_meeting_offer' ? 'pre_trial_meeting' : 'decision';
      await tx.query(
        `INSERT INTO victim_contacts (id, case_id, force_id, victim_id, contacted_at, channel, purpose, note, side, contacted_by, organisation_id, preference_warnings, override_reason, recorded_at)
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$5)`,
        [contactId, caseId, facts.forceId, victimId, now, input.channel, purpose, `Sent: ${LETTER_TEMPLATE_LABELS[input.template]}`, side, principal.userId, principal.organisation.id,
          JSON.stringify(warnings.map((w) => w.code)), warnings.length ? input.overrideReason ?? '' : ''],
      );
      await this.meetDuties(tx, input.dutyIds, contactId, now);
      await tx.query(
        `INSERT INTO victim_letters (id, case_id, force_id, victim_id, template, channel, body_enc, status, contact_id, created_by, created_at)
         VALUES ($1,$2,$3,$4,$5,$6,$7,'queued',$8,$9,$10)`,
        [letterId, caseId, facts.forceId, victimId, input.template, input.channel, this.cipher.encryptJson(rendered, { table: 'victim_letters', column: 'body', rowId: letterId }), contactId, principal.userId, now],
      );
      if (input.template === 'pre_trial_meeting_offer') {
        await tx.query(
          `UPDATE pre_trial_meetings SET status = 'offered', offered_on = $2, offer_channel = $3, updated_at = $4, updated_by = $5, version = version + 1
            WHERE victim_id = $1 AND status = 'offer_due'`,
          [victimId, londonDate(now), input.channel, now, principal.userId],
        );
      }
      await enqueue(tx, this.clock, 'victims.send-letter', { letterId }, { dedupeKey: `victims.send-letter:${letterId}` });
      await this.record(principal, 'victim-letter:send', { entityType: 'victim_letter', entityId: letterId, caseId, detail: { victimId, template: input.template, channel: input.channel, dutiesMet: input.dutyIds.length } }, requestId, tx);
    });
    return letterId;
  }

  private async onSendLetter(job: Job, tx: Queryable) {
    const [letter] = await tx.query<{ id: string; channel: string; status: string }>('SELECT id, channel, status FROM victim_letters WHERE id = $1 FOR UPDATE', [String(job.payload.letterId)]);
    if (!letter || letter.status !== 'queued') return;
    const { providerRef } = await this.provider.deliver(tx, letter);
    await tx.query(`UPDATE victim_letters SET status = 'delivered', provider = $2, provider_ref = $3, delivered_at = $4 WHERE id = $1`, [letter.id, this.provider.name, providerRef, this.clock.now()]);
  }

  /**
   * The outbox viewer: every letter and message to victims of the principal's own force, or of their CPS Area's
   * referred cases, with its delivery status and provider. With the embedded default provider this is where "sent"
   * letters can be read. Only roles that may see victims' identity (and so open each letter) get it; the rows
   * themselves carry no identity. Audited like any list of case data.
   */
  async outbox(principal: Principal, q: OutboxQuery, requestId?: string) {
    const org = principal.organisation;
    // The policy decides on a case of the principal's own force or Area: the role must allow identity and victim care.
    const own: CaseAccessFacts | null = org.kind === 'force' && org.forceId ? { caseId: '', forceId: org.forceId, cpsAreaId: '', referred: false, teamUserIds: [] }
      : org.kind === 'rasso_unit' && org.cpsAreaId ? { caseId: '', forceId: '', cpsAreaId: org.cpsAreaId, referred: true, teamUserIds: [] } : null;
    if (!own || !decide(principal, 'victim:read-identity', own).allowed || !decide(principal, 'victim-care:read', own).allowed) {
      await this.record(principal, 'victim-letter:outbox', { outcome: 'denied' }, requestId);
      throw forbidden('Only police and CPS staff who may see victims’ identity can see the outbox.');
    }
    const scope = own.forceId ? { forceId: own.forceId } : { cpsAreaId: own.cpsAreaId };
    const { total, rows } = await this.repo().outbox(scope, q);
    await this.record(principal, 'victim-letter:outbox', { detail: { ...scope, status: q.status, template: q.template, page: q.page, shown: rows.length } }, requestId);
    return { total, rows, provider: this.provider.name, scopeName: org.name };
  }

  async letterView(principal: Principal, caseId: string, letterId: string, requestId?: string) {
    const facts = await this.cases.authorize(principal, caseId, 'victim:read-identity', requestId);
    await this.cases.authorize(principal, caseId, 'victim-care:read', requestId);
    const letter = await this.repo().letter(caseId, letterId);
    if (!letter) throw notFound();
    const content = this.cipher.decryptJson<{ subject: string; body: string }>(letter.body_enc, { table: 'victim_letters', column: 'body', rowId: letter.id });
    await this.record(principal, 'victim-letter:read', { entityType: 'victim_letter', entityId: letter.id, caseId: facts.caseId, detail: { victimId: letter.victim_id, identityShown: true } }, requestId);
    return { case: await this.cases.summary(caseId), letter: { ...letter, body_enc: undefined }, content };
  }
}

function describeNext(r: { what: string | null; detail: string | null }, kinds: Map<string, DutyKindRow>): string {
  switch (r.what) {
    case 'duty': return `Tell the victim: ${kinds.get(r.detail ?? '')?.label ?? r.detail}`;
    case 'meeting_offer': return 'Offer a pre-trial meeting';
    case 'meeting_reply': return 'Pre-trial meeting offered: record the victim’s reply';
    case 'meeting_hold': return 'Hold the pre-trial meeting';
    case 'special_measure': {
      const [measure, status] = (r.detail ?? '').split(':');
      return `Special measures: ${MEASURE_LABELS[measure as Measure] ?? measure} (${status})`;
    }
    default: return 'Nothing due';
  }
}

function diff(rows: [string, string, string][]) {
  return rows.filter(([, a, b]) => a !== b).map(([label, current, submitted]) => ({ label, current, submitted }));
}

