import { randomUUID } from 'node:crypto';
import type { Db, Queryable } from '../db/database.ts';
import type { AuditLog } from '../platform/audit.ts';
import { londonDate, type WorkingDayCalendar } from '../platform/calendar.ts';
import type { Clock } from '../platform/clock.ts';
import { ConflictError, HttpError, notFound } from '../platform/errors.ts';
import { enqueue, type JobHandler, notify } from '../platform/jobs.ts';
import type { CaseAction } from '../platform/policy.ts';
import type { Principal } from '../platform/principal.ts';
import type { ReferenceService } from '../reference/service.ts';
import type { CaseService } from '../cases/service.ts';
import { assertTransition, canTransition, STAGE_EVENTS, STAGE_LABELS, type Stage } from '../cases/stages.ts';
import type { EarlyAdviceService } from '../early-advice/service.ts';
import { ChargingRepository, type FileItemRow, type ItemStatus, type SubmissionItemRow, type WindowRow } from './repository.ts';
import {
  COURT_STEP_LABELS, type CourtProgressInput, type Decision, DECISION_LABELS, type DecisionInput, type FileInput, type FileUpdateInput,
  MEETING_FORMAT_LABELS, type MeetingInput, NFA_DECISIONS, type PoliceOutcomeInput, REVIEW_LEVEL_LABELS, THRESHOLD_CONDITIONS, VRR_RESULT_LABELS,
  type VrrRequestInput,
} from './schemas.ts';
import { addDays, londonMorning, policeReviewDue, timeliness, vrrWindow } from './windows.ts';

/**
 * A rule of the charging process refused the change: shown to the user on the form (error summary, linked to
 * `field`), and nothing was written.
 */
export class ChargingRefusal extends HttpError {
  constructor(statusCode: 400 | 409, message: string, readonly field = 'form') {
    super(statusCode, statusCode === 409 ? 'Not possible at this stage of the case' : 'There is a problem', message, { field });
  }
}

/** Home Office outcome types the CPS decisions set on the case *(numbers to be confirmed, as the reference table says)*. */
export const CPS_OUTCOME_CODES: Partial<Record<Decision, number>> = { charge_full_code: 1, charge_threshold: 1, nfa_public_interest: 9, nfa_evidential: 15 };
/** Outcome types that only a CPS decision sets: the police record neither a charge nor a CPS public interest decision. */
export const CPS_ONLY_OUTCOME_CODES: readonly number[] = [1, 9];

/** Where each CPS decision takes the case. */
export const DECISION_STAGE: Record<Decision, Stage> = {
  charge_full_code: STAGE_EVENTS.charged, charge_threshold: STAGE_EVENTS.charged,
  nfa_evidential: STAGE_EVENTS.nfa_cps, nfa_public_interest: STAGE_EVENTS.nfa_cps,
  action_plan: STAGE_EVENTS.action_plan, administratively_finalised: STAGE_EVENTS.administratively_finalised,
};

/** Told to subscribers (e.g. the victims capability) inside the transaction that made the change. */
export interface ChargingEvent {
  kind: 'file_submitted' | 'file_updated' | 'meeting_recorded' | 'decision' | 'police_outcome' | 'vrr_window_opened' | 'vrr_requested' | 'vrr_acknowledged' | 'vrr_result' | 'court_progress';
  caseId: string;
  forceId: string;
  at: Date;
  actorUserId: string;
  /** The stage the case moved to, when it moved. */
  stage: Stage | null;
  /** decision / outcomeTypeCode / step / scheme / result …, never victim identity. */
  detail: Record<string, unknown>;
}
export type ChargingListener = (tx: Queryable, event: ChargingEvent) => Promise<void>;

export const JOB_VRR_WINDOW = 'charging.vrr-window-closing';
export const JOB_VRR_DUE = 'charging.vrr-due';

type Side = 'police' | 'cps' | null;
const sideOf = (p: Principal): Side => (p.organisation.kind === 'force' ? 'police' : p.organisation.kind === 'rasso_unit' ? 'cps' : null);
const SCHEME_LABEL = { police: 'police scheme', cps: 'CPS scheme' } as const;

/** Full file submission, CPS charging decisions, police outcomes, NFA and Victims' Right to Review. */
export class ChargingService {
  private readonly listeners: ChargingListener[] = [];

  constructor(
    readonly db: Db,
    readonly audit: AuditLog,
    readonly clock: Clock,
    readonly cases: CaseService,
    readonly earlyAdvice: EarlyAdviceService,
    readonly reference: ReferenceService,
    readonly calendar: () => Promise<WorkingDayCalendar>,
  ) {}

  private repo(q: Queryable = this.db) {
    return new ChargingRepository(q);
  }

  /** Subscribe to charging events (charge, NFA, police outcome, VRR…); listeners run in the same transaction. */
  subscribe(listener: ChargingListener): void {
    this.listeners.push(listener);
  }

  private async emit(tx: Queryable, event: ChargingEvent) {
    for (const l of this.listeners) await l(tx, event);
  }

  private today(): string {
    return londonDate(this.clock.now());
  }

  private async record(tx: Queryable, principal: Principal, action: CaseAction, caseId: string, entityType: string, entityId: string, requestId: string | undefined, detail: Record<string, unknown> = {}) {
    await this.audit.record({ actorUserId: principal.userId, actorOrganisationId: principal.organisation.id, action, outcome: 'allowed', entityType, entityId, caseId, requestId, detail }, tx);
  }

  /** Locks the case for the transaction and returns its current stage. */
  private async lockStage(tx: Queryable, caseId: string): Promise<{ stage: Stage; forceId: string; reference: string }> {
    const row = await this.repo(tx).lockCase(caseId);
    if (!row) throw notFound();
    return { stage: row.stage as Stage, forceId: row.force_id, reference: row.reference };
  }

  // ───────────────────────────── reading ─────────────────────────────

  async fileItems(activeOnly = true): Promise<FileItemRow[]> {
    const items = await this.repo().fileItems();
    return activeOnly ? items.filter((i) => i.active) : items;
  }

  /** Everything on the charging page, and what the principal may do there. */
  async page(principal: Principal, caseId: string, requestId?: string) {
    const facts = await this.cases.authorize(principal, caseId, 'case:read', requestId);
    const repo = this.repo();
    const [summary, submissions, meetings, decisions, policeOutcomes, court, windows, requests, offences, outcomeTypes, hasEarlyAdvice] = await Promise.all([
      this.cases.summary(caseId), repo.submissions(caseId), repo.meetings(caseId), repo.decisions(caseId), repo.policeOutcomes(caseId),
      repo.courtProgress(caseId), repo.windows(caseId), repo.vrrRequests(caseId), this.reference.offences(), this.reference.outcomeTypes(),
      this.earlyAdvice.hasEarlyAdvice(caseId),
    ]);
    const items = await repo.items(submissions.map((s) => s.id));
    const stage = summary.stage as Stage;
    const side = sideOf(principal);
    const allowed = (a: CaseAction) => this.cases.allows(principal, a, facts);
    const open = submissions.find((s) => s.status === 'awaiting_decision');
    const itemsOf = (id: string) => items.filter((i) => i.submission_id === id);
    const offenceTitle = new Map(offences.map((o) => [o.code, `${o.title} (s.${o.section})`]));
    const outcomeTitle = new Map(outcomeTypes.map((o) => [o.code, o.title]));
    const openWindows = windows.filter((w) => !requests.some((r) => r.window_id === w.id && r.status !== 'completed'));
    return {
      facts, case: summary, stage, stageLabel: STAGE_LABELS[stage], hasEarlyAdvice, today: this.today(),
      openSubmission: open ? { ...open, items: itemsOf(open.id), missing: itemsOf(open.id).filter((i) => i.status === 'missing') } : null,
      submissions: submissions.map((s) => ({ ...s, items: itemsOf(s.id), missing: itemsOf(s.id).filter((i) => i.status === 'missing') })),
      meetings: meetings.map((m) => ({ ...m, formatLabel: MEETING_FORMAT_LABELS[m.format] })),
      openMeeting: open ? meetings.find((m) => m.submission_id === open.id) ?? null : null,
      decisions: decisions.map((d) => ({
        ...d, label: DECISION_LABELS[d.decision], offenceTitles: d.offences.map((c) => offenceTitle.get(c) ?? c),
        outcomeTitle: d.outcome_type_code ? outcomeTitle.get(d.outcome_type_code) : null,
      })),
      policeOutcomes: policeOutcomes.map((o) => ({ ...o, outcomeTitle: outcomeTitle.get(o.outcome_type_code) ?? String(o.outcome_type_code) })),
      court: court.map((c) => ({ ...c, label: COURT_STEP_LABELS[c.step] })),
      windows: windows.map((w) => ({ ...w, requests: requests.filter((r) => r.window_id === w.id) })),
      requests: requests.map((r) => ({ ...r, resultLabel: r.result ? VRR_RESULT_LABELS[r.result] : null, reviewLevelLabel: r.review_level ? REVIEW_LEVEL_LABELS[r.review_level] : null })),
      can: {
        submitFile: allowed('charging:submit-file') && !open && canTransition(stage, 'charging_decision'),
        updateFile: allowed('charging:submit-file') && !!open,
        recordMeeting: allowed('charging:decide') && !!open,
        decide: allowed('charging:decide') && !!open && stage === 'charging_decision',
        recordPoliceOutcome: allowed('outcome:record-police') && canTransition(stage, 'nfa_police'),
        recordVrr: allowed('vrr:record') && openWindows.some((w) => w.scheme === side),
        updateVrr: allowed('vrr:record'),
        recordCourt: allowed('charging:decide') && COURT_STEP_TARGETS.some(([, to]) => canTransition(stage, to)),
      },
      side,
    };
  }

  /** For other capabilities: the charging decisions and police outcomes on a case (no policy check: callers have asked it). */
  async decisionsFor(caseId: string) {
    const repo = this.repo();
    const [decisions, policeOutcomes, windows, requests] = await Promise.all([repo.decisions(caseId), repo.policeOutcomes(caseId), repo.windows(caseId), repo.vrrRequests(caseId)]);
    return { decisions, policeOutcomes, windows, requests };
  }

  // ───────────────────────────── full file ─────────────────────────────

  /** Works out each checklist item's status; refuses contradictions (an item both provided and not applicable). */
  private classify(items: FileItemRow[], input: { provided: string[]; notApplicable: string[] }): Map<string, ItemStatus> {
    const known = new Set(items.map((i) => i.code));
    const unknown = [...input.provided, ...input.notApplicable].filter((c) => !known.has(c));
    if (unknown.length) throw new ChargingRefusal(400, 'Select items from the checklist only', 'provided');
    const provided = new Set(input.provided);
    const na = new Set(input.notApplicable);
    const statuses = new Map<string, ItemStatus>();
    for (const item of items) {
      if (provided.has(item.code) && na.has(item.code)) throw new ChargingRefusal(400, `“${item.title}” cannot be both included and not applicable`, 'notApplicable');
      if (na.has(item.code) && item.applicability === 'always') throw new ChargingRefusal(400, `“${item.title}” is needed in every file, so it cannot be marked not applicable`, 'notApplicable');
      statuses.set(item.code, provided.has(item.code) ? 'provided' : na.has(item.code) ? 'not_applicable' : 'missing');
    }
    return statuses;
  }

  /**
   * The police send the full file for a charging decision. Missing material does not stop the submission: the
   * service records which checklist items are missing, and both sides see them flagged. The case is referred to
   * the CPS (opening it to the Area's RASSO unit) and moves to "Awaiting charging decision".
   */
  async submitFile(principal: Principal, caseId: string, input: FileInput, requestId?: string) {
    await this.cases.authorize(principal, caseId, 'charging:submit-file', requestId);
    const items = await this.fileItems();
    const statuses = this.classify(items, input);
    const missing = items.filter((i) => statuses.get(i.code) === 'missing');
    const now = this.clock.now();
    return this.db.transaction(async (tx) => {
      const repo = this.repo(tx);
      const kase = await this.lockStage(tx, caseId);
      if (await repo.openSubmission(caseId)) throw new ChargingRefusal(409, 'A file is already with the CPS awaiting a charging decision. Update that file instead of submitting another.', 'summary');
      assertTransition(kase.stage, 'charging_decision');
      const id = randomUUID();
      const sequence = await repo.nextSequence(caseId);
      await repo.insertSubmission({ id, caseId, forceId: kase.forceId, sequence, summary: input.summary, missingNote: input.missingNote, userId: principal.userId, at: now });
      await repo.setItems(id, kase.forceId, statuses);
      const missingText = missing.length ? ` ${missing.length} checklist ${missing.length === 1 ? 'item is' : 'items are'} missing: ${missing.map((m) => m.title).join('; ')}.` : ' No checklist item is missing.';
      await this.cases.recordProgress(tx, caseId, {
        referred: true, stage: 'charging_decision', outcomeTypeCode: null,
        event: { kind: 'referred_for_charge', summary: `Full file submitted to the CPS for a charging decision.${missingText}`, actorUserId: principal.userId, data: { submissionId: id, sequence, missing: missing.map((m) => m.code) } },
      });
      await this.record(tx, principal, 'charging:submit-file', caseId, 'charging_submission', id, requestId, { sequence, missing: missing.map((m) => m.code) });
      await this.emit(tx, { kind: 'file_submitted', caseId, forceId: kase.forceId, at: now, actorUserId: principal.userId, stage: 'charging_decision', detail: { submissionId: id, missing: missing.map((m) => m.code) } });
      return { id, missing: missing.map((m) => ({ code: m.code, title: m.title })) };
    });
  }

  /** The file awaiting a decision, for its edit form. */
  async openFile(principal: Principal, caseId: string, action: CaseAction, requestId?: string) {
    await this.cases.authorize(principal, caseId, action, requestId);
    const repo = this.repo();
    const open = await repo.openSubmission(caseId);
    const summary = await this.cases.summary(caseId);
    if (!open) return { case: summary, submission: null, items: [] as SubmissionItemRow[] };
    return { case: summary, submission: open, items: await repo.items([open.id]) };
  }

  /** The police supply missing material (or correct the checklist) while the file awaits a decision. */
  async updateFile(principal: Principal, caseId: string, input: FileUpdateInput, requestId?: string) {
    await this.cases.authorize(principal, caseId, 'charging:submit-file', requestId);
    const items = await this.fileItems();
    const statuses = this.classify(items, input);
    const now = this.clock.now();
    return this.db.transaction(async (tx) => {
      const repo = this.repo(tx);
      const kase = await this.lockStage(tx, caseId);
      const open = await repo.openSubmission(caseId, true);
      if (!open) throw new ChargingRefusal(409, 'There is no file awaiting a charging decision to update: the CPS may have decided already.', 'summary');
      if (!(await repo.updateSubmission(open.id, input.version, { summary: input.summary, missingNote: input.missingNote, userId: principal.userId, at: now }))) {
        const stored = await repo.items([open.id]);
        const missingNow = stored.filter((i) => i.status === 'missing').map((i) => i.title).join('; ') || 'None';
        const missingYours = items.filter((i) => statuses.get(i.code) === 'missing').map((i) => i.title).join('; ') || 'None';
        throw new ConflictError(
          [['Covering note', open.summary, input.summary], ['Missing material', missingNow, missingYours], ['Note on missing material', open.missing_note, input.missingNote]]
            .filter(([, a, b]) => a !== b).map(([label, current, submitted]) => ({ label: label!, current: current!, submitted: submitted! })),
          `/cases/${caseId}/charging/file/edit`,
        );
      }
      const before = new Map((await repo.items([open.id])).map((i) => [i.item_code, i.status]));
      await repo.setItems(open.id, kase.forceId, statuses);
      const supplied = items.filter((i) => before.get(i.code) === 'missing' && statuses.get(i.code) === 'provided');
      const missing = items.filter((i) => statuses.get(i.code) === 'missing');
      await this.cases.recordProgress(tx, caseId, {
        event: {
          kind: 'file_updated', actorUserId: principal.userId, data: { submissionId: open.id, supplied: supplied.map((i) => i.code), missing: missing.map((i) => i.code) },
          summary: `Charging file updated.${supplied.length ? ` Supplied: ${supplied.map((i) => i.title).join('; ')}.` : ''} ${missing.length ? `${missing.length} ${missing.length === 1 ? 'item' : 'items'} still missing.` : 'No checklist item is missing.'}`,
        },
      });
      await this.record(tx, principal, 'charging:submit-file', caseId, 'charging_submission', open.id, requestId, { update: true, supplied: supplied.map((i) => i.code), missing: missing.map((i) => i.code) });
      await this.emit(tx, { kind: 'file_updated', caseId, forceId: kase.forceId, at: now, actorUserId: principal.userId, stage: null, detail: { submissionId: open.id, missing: missing.map((i) => i.code) } });
      return { missing: missing.map((m) => ({ code: m.code, title: m.title })) };
    });
  }

  // ───────────────────────────── CPS decision ─────────────────────────────

  /** The face-to-face meeting (in person or by video) with the investigator, which must precede a CPS NFA. */
  async recordMeeting(principal: Principal, caseId: string, input: MeetingInput, requestId?: string) {
    await this.cases.authorize(principal, caseId, 'charging:decide', requestId);
    const now = this.clock.now();
    return this.db.transaction(async (tx) => {
      const repo = this.repo(tx);
      const kase = await this.lockStage(tx, caseId);
      const open = await repo.openSubmission(caseId);
      if (!open) throw new ChargingRefusal(409, 'A face-to-face meeting is recorded against a file awaiting a charging decision, and there is none.', 'heldOn');
      if (input.heldOn! < londonDate(open.submitted_at)) throw new ChargingRefusal(400, `The date of the meeting must be on or after the date the file was submitted (${londonDate(open.submitted_at)})`, 'heldOn');
      const id = randomUUID();
      await repo.insertMeeting({ id, caseId, forceId: kase.forceId, submissionId: open.id, heldOn: input.heldOn!, format: input.format, attendees: input.attendees, notes: input.notes, userId: principal.userId, at: now });
      await this.cases.recordProgress(tx, caseId, {
        event: { kind: 'charging_meeting', occurredAt: atMidday(input.heldOn!), summary: `Face-to-face meeting between the prosecutor and the investigator (${MEETING_FORMAT_LABELS[input.format].toLowerCase()}) about the charging decision.`, actorUserId: principal.userId, data: { meetingId: id, attendees: input.attendees.length } },
      });
      await this.record(tx, principal, 'charging:decide', caseId, 'charging_meeting', id, requestId, { meeting: true, format: input.format });
      await this.emit(tx, { kind: 'meeting_recorded', caseId, forceId: kase.forceId, at: now, actorUserId: principal.userId, stage: null, detail: { meetingId: id, heldOn: input.heldOn } });
      return { id };
    });
  }

  /**
   * The CPS charging decision on the file awaiting one. Charges need charged offences from the offence list and
   * reasons for each stage of the test; a CPS NFA needs a face-to-face meeting recorded first (refused otherwise,
   * nothing written) and opens the CPS Victims' Right to Review window.
   */
  async decide(principal: Principal, caseId: string, input: DecisionInput, requestId?: string) {
    await this.cases.authorize(principal, caseId, 'charging:decide', requestId);
    const charge = input.decision === 'charge_full_code' || input.decision === 'charge_threshold';
    const offences = charge ? [...new Set(input.offences ?? [])] : [];
    if (charge) {
      const known = new Set((await this.reference.offences()).filter((o) => o.active).map((o) => o.code));
      if (offences.length === 0 || offences.some((c) => !known.has(c))) throw new ChargingRefusal(400, 'Select the offences to charge from the offence list', 'offences');
    }
    if (input.decision === 'charge_threshold' && !THRESHOLD_CONDITIONS.every((c) => input.conditions?.includes(c))) {
      throw new ChargingRefusal(400, 'Confirm each of the four conditions of the Threshold Test', 'conditions');
    }
    const offenceTitles = charge ? (await this.reference.offences()).filter((o) => offences.includes(o.code)).map((o) => `${o.title} (s.${o.section})`) : [];
    const target = DECISION_STAGE[input.decision];
    const calendar = NFA_DECISIONS.includes(input.decision) ? await this.calendar() : undefined;
    const now = this.clock.now();
    return this.db.transaction(async (tx) => {
      const repo = this.repo(tx);
      const kase = await this.lockStage(tx, caseId);
      assertTransition(kase.stage, target);
      const open = await repo.openSubmission(caseId, true);
      if (!open) throw new ChargingRefusal(409, 'No full file has been submitted in Tandem for this case, so there is nothing to decide. The police submit the file first.', 'form');
      if (open.version !== input.version) {
        const stored = (await repo.items([open.id])).filter((i) => i.status === 'missing').map((i) => i.title).join('; ') || 'None';
        throw new ConflictError([{ label: 'File awaiting decision', current: `Updated ${open.updated_at.toISOString().slice(0, 16).replace('T', ' ')} (missing: ${stored})`, submitted: 'The version you decided on' }], `/cases/${caseId}/charging`);
      }
      let meetingId: string | null = null;
      if (NFA_DECISIONS.includes(input.decision)) {
        const meeting = await repo.latestMeeting(open.id);
        if (!meeting) {
          throw new ChargingRefusal(409, 'A face-to-face meeting with the investigator must be recorded before a CPS no further action decision is confirmed. Record the meeting, then confirm the decision. Nothing has been saved.', 'form');
        }
        meetingId = meeting.id;
      }
      const id = randomUUID();
      const outcomeTypeCode = CPS_OUTCOME_CODES[input.decision] ?? null;
      await repo.insertDecision({
        id, caseId, forceId: kase.forceId, submissionId: open.id, decision: input.decision,
        evidentialReasons: input.evidentialReasons ?? '', publicInterestReasons: input.publicInterestReasons ?? '',
        conditions: input.decision === 'charge_threshold' ? [...THRESHOLD_CONDITIONS] : [], thresholdReasons: input.thresholdReasons ?? '',
        furtherEvidence: input.furtherEvidence ?? '', fullCodeReviewOn: input.fullCodeReviewOn ?? null, actionPlan: input.actionPlan ?? '',
        responseDue: input.responseDue ?? null, reasons: input.reasons ?? '', meetingId, outcomeTypeCode, userId: principal.userId, at: now, offences,
      });
      await repo.closeSubmission(open.id, input.decision === 'action_plan' ? 'returned' : 'decided', now);
      const event = decisionEvent(input.decision, offenceTitles, outcomeTypeCode, id);
      await this.cases.recordProgress(tx, caseId, { stage: target, outcomeTypeCode, event: { ...event, actorUserId: principal.userId } });
      let windowId: string | null = null;
      if (calendar) windowId = await this.openWindow(tx, calendar, { caseId, forceId: kase.forceId, reference: kase.reference, scheme: 'cps', sourceKind: 'charging_decision', sourceId: id, decidedAt: now, userId: principal.userId });
      await this.record(tx, principal, 'charging:decide', caseId, 'charging_decision', id, requestId, { decision: input.decision, offences, outcomeTypeCode, submissionId: open.id, vrrWindowId: windowId });
      await this.emit(tx, { kind: 'decision', caseId, forceId: kase.forceId, at: now, actorUserId: principal.userId, stage: target, detail: { decisionId: id, decision: input.decision, offences, outcomeTypeCode, vrrWindowId: windowId } });
      return { id, stage: target, vrrWindowId: windowId };
    });
  }

  // ───────────────────────────── police outcome ─────────────────────────────

  /**
   * The police close the case with a Home Office outcome type. Without Early Advice on the case, the reason EA was
   * not sought must be recorded (refused otherwise). If the suspect was interviewed under caution, the police VRR
   * window opens.
   */
  async recordPoliceOutcome(principal: Principal, caseId: string, input: PoliceOutcomeInput, requestId?: string) {
    await this.cases.authorize(principal, caseId, 'outcome:record-police', requestId);
    const type = (await this.reference.outcomeTypes()).find((o) => o.code === input.outcomeTypeCode && o.active);
    if (!type) throw new ChargingRefusal(400, 'Select the Home Office outcome type', 'outcomeTypeCode');
    if (CPS_ONLY_OUTCOME_CODES.includes(type.code)) {
      throw new ChargingRefusal(400, `Outcome ${type.code} (${type.title}) follows a CPS decision, not a police one: submit the file for a charging decision instead`, 'outcomeTypeCode');
    }
    const calendar = input.suspectInterviewed ? await this.calendar() : undefined;
    // Asked before the transaction: on PGlite a query outside the open transaction would wait for it to end.
    const hadEarlyAdvice = await this.earlyAdvice.hasEarlyAdvice(caseId);
    const now = this.clock.now();
    return this.db.transaction(async (tx) => {
      const repo = this.repo(tx);
      const kase = await this.lockStage(tx, caseId);
      assertTransition(kase.stage, 'nfa_police');
      const reason = input.eaNotSoughtReason.trim();
      if (!hadEarlyAdvice && !reason) {
        throw new ChargingRefusal(400, 'Early Advice was not sought on this case: enter why before closing it with no further action', 'eaNotSoughtReason');
      }
      const id = randomUUID();
      await repo.insertPoliceOutcome({ id, caseId, forceId: kase.forceId, code: type.code, reasons: input.reasons, hadEarlyAdvice, eaNotSoughtReason: hadEarlyAdvice ? '' : reason, suspectInterviewed: input.suspectInterviewed, userId: principal.userId, at: now });
      const data: Record<string, unknown> = { by: 'police', outcomeCode: type.code, earlyAdvice: hadEarlyAdvice, policeOutcomeId: id };
      if (!hadEarlyAdvice) data.reasonNoEarlyAdvice = reason;
      await this.cases.recordProgress(tx, caseId, {
        stage: 'nfa_police', outcomeTypeCode: type.code,
        event: { kind: 'nfa', summary: `Police decided no further action (outcome ${type.code}: ${type.title}).`, actorUserId: principal.userId, data },
      });
      let windowId: string | null = null;
      if (calendar) windowId = await this.openWindow(tx, calendar, { caseId, forceId: kase.forceId, reference: kase.reference, scheme: 'police', sourceKind: 'police_outcome', sourceId: id, decidedAt: now, userId: principal.userId });
      await this.record(tx, principal, 'outcome:record-police', caseId, 'police_outcome', id, requestId, { outcomeTypeCode: type.code, earlyAdvice: hadEarlyAdvice, vrrWindowId: windowId });
      await this.emit(tx, { kind: 'police_outcome', caseId, forceId: kase.forceId, at: now, actorUserId: principal.userId, stage: 'nfa_police', detail: { policeOutcomeId: id, outcomeTypeCode: type.code, earlyAdvice: hadEarlyAdvice, vrrWindowId: windowId } });
      return { id, vrrWindowId: windowId };
    });
  }

  // ───────────────────────────── court progress ─────────────────────────────

  /** After charge: sent for trial, plea, trial, verdict, discontinuance (which opens a CPS VRR window). */
  async recordCourtProgress(principal: Principal, caseId: string, input: CourtProgressInput, requestId?: string) {
    await this.cases.authorize(principal, caseId, 'charging:decide', requestId);
    const target = STAGE_EVENTS[input.step];
    const calendar = input.step === 'discontinued' ? await this.calendar() : undefined;
    const now = this.clock.now();
    return this.db.transaction(async (tx) => {
      const repo = this.repo(tx);
      const kase = await this.lockStage(tx, caseId);
      assertTransition(kase.stage, target);
      const id = randomUUID();
      await repo.insertCourtProgress({ id, caseId, forceId: kase.forceId, step: input.step, occurredOn: input.occurredOn!, notes: input.notes, userId: principal.userId, at: now });
      const kind = input.step === 'convicted' || input.step === 'acquitted' ? 'verdict' : input.step;
      await this.cases.recordProgress(tx, caseId, {
        stage: target,
        event: { kind, occurredAt: atMidday(input.occurredOn!), summary: `${COURT_STEP_LABELS[input.step]}.`, actorUserId: principal.userId, data: { courtProgressId: id, step: input.step, ...(kind === 'verdict' ? { result: input.step } : {}) } },
      });
      let windowId: string | null = null;
      if (calendar) windowId = await this.openWindow(tx, calendar, { caseId, forceId: kase.forceId, reference: kase.reference, scheme: 'cps', sourceKind: 'discontinuance', sourceId: id, decidedAt: now, userId: principal.userId });
      await this.record(tx, principal, 'charging:decide', caseId, 'court_progress', id, requestId, { step: input.step, vrrWindowId: windowId });
      await this.emit(tx, { kind: 'court_progress', caseId, forceId: kase.forceId, at: now, actorUserId: principal.userId, stage: target, detail: { step: input.step, occurredOn: input.occurredOn, vrrWindowId: windowId } });
      return { id, stage: target };
    });
  }

  // ───────────────────────────── Victims' Right to Review ─────────────────────────────

  /** Opens a VRR window for an NFA decision (or discontinuance) and schedules the reminder for its normal deadline. */
  private async openWindow(tx: Queryable, calendar: WorkingDayCalendar, w: { caseId: string; forceId: string; reference: string; scheme: 'police' | 'cps'; sourceKind: WindowRow['source_kind']; sourceId: string; decidedAt: Date; userId: string }): Promise<string> {
    const dates = vrrWindow(calendar, w.scheme, w.decidedAt);
    const id = randomUUID();
    await this.repo(tx).insertWindow({ id, caseId: w.caseId, forceId: w.forceId, scheme: w.scheme, sourceKind: w.sourceKind, sourceId: w.sourceId, ...dates, userId: w.userId, at: this.clock.now() });
    await enqueue(tx, this.clock, JOB_VRR_WINDOW, { windowId: id }, { runAt: londonMorning(w.scheme === 'cps' ? dates.normalDeadline : addDays(dates.normalDeadline, -7)), dedupeKey: `${JOB_VRR_WINDOW}:${id}` });
    await this.cases.recordProgress(tx, w.caseId, {
      event: {
        kind: 'vrr_window_opened', actorUserId: null,
        summary: w.scheme === 'cps'
          ? `Victims’ Right to Review (CPS scheme): the victim may ask for a review, normally by ${fmt(dates.normalDeadline)} and at the latest by ${fmt(dates.latestDeadline)}.`
          : `Victims’ Right to Review (police scheme): the victim may ask for a review by ${fmt(dates.latestDeadline)}.`,
        data: { windowId: id, scheme: w.scheme, ...dates },
      },
    });
    await this.emit(tx, { kind: 'vrr_window_opened', caseId: w.caseId, forceId: w.forceId, at: this.clock.now(), actorUserId: w.userId, stage: null, detail: { windowId: id, scheme: w.scheme, ...dates } });
    return id;
  }

  private checkSide(principal: Principal, scheme: 'police' | 'cps', field: string) {
    const side = sideOf(principal);
    if (side !== scheme) {
      throw new ChargingRefusal(400, scheme === 'police' ? 'Requests under the police scheme are recorded by the police' : 'Requests under the CPS scheme are recorded by the CPS', field);
    }
  }

  async vrrWindows(principal: Principal, caseId: string, requestId?: string) {
    await this.cases.authorize(principal, caseId, 'vrr:record', requestId);
    const repo = this.repo();
    const [summary, windows, requests] = await Promise.all([this.cases.summary(caseId), repo.windows(caseId), repo.vrrRequests(caseId)]);
    const side = sideOf(principal);
    return {
      case: summary,
      windows: windows.filter((w) => w.scheme === side && !requests.some((r) => r.window_id === w.id && r.status !== 'completed')),
      today: this.today(),
    };
  }

  /** A victim asked for a review: record when, by which scheme, and whether in time (a late request needs a reason). */
  async recordVrrRequest(principal: Principal, caseId: string, input: VrrRequestInput, requestId?: string) {
    await this.cases.authorize(principal, caseId, 'vrr:record', requestId);
    const calendar = await this.calendar();
    const now = this.clock.now();
    return this.db.transaction(async (tx) => {
      const repo = this.repo(tx);
      const kase = await this.lockStage(tx, caseId);
      const w = await repo.window(input.windowId);
      if (!w || w.case_id !== caseId) throw new ChargingRefusal(400, 'Select the decision the victim asked to be reviewed', 'windowId');
      this.checkSide(principal, w.scheme, 'windowId');
      if (await repo.openRequestFor(w.id)) throw new ChargingRefusal(409, 'A review of this decision has already been requested and is not yet complete.', 'windowId');
      const requestedOn = input.requestedOn!;
      if (requestedOn < w.opened_on) throw new ChargingRefusal(400, `The date the request was received must be on or after the date of the decision (${fmt(w.opened_on)})`, 'requestedOn');
      const t = timeliness({ openedOn: w.opened_on, normalDeadline: w.normal_deadline, latestDeadline: w.latest_deadline }, requestedOn);
      if (t !== 'in_time' && !input.lateReason.trim()) {
        throw new ChargingRefusal(400, t === 'late'
          ? `The request was received after the normal window closed (${fmt(w.normal_deadline)}): enter why it is being considered`
          : `The request was received after the latest date (${fmt(w.latest_deadline)}): enter the exceptional reasons for considering it`, 'lateReason');
      }
      const due = w.scheme === 'police' ? policeReviewDue(calendar, requestedOn) : null;
      const id = randomUUID();
      await repo.insertVrrRequest({ id, caseId, forceId: kase.forceId, windowId: w.id, scheme: w.scheme, requestedOn, timeliness: t, lateReason: t === 'in_time' ? '' : input.lateReason.trim(), acknowledgeDue: due?.acknowledgeDue ?? null, completeDue: due?.completeDue ?? null, userId: principal.userId, at: now });
      if (due) {
        await enqueue(tx, this.clock, JOB_VRR_DUE, { vrrId: id, duty: 'acknowledge' }, { runAt: londonMorning(due.acknowledgeDue), dedupeKey: `${JOB_VRR_DUE}:${id}:acknowledge` });
        await enqueue(tx, this.clock, JOB_VRR_DUE, { vrrId: id, duty: 'complete' }, { runAt: londonMorning(due.completeDue), dedupeKey: `${JOB_VRR_DUE}:${id}:complete` });
      }
      const when = t === 'in_time' ? 'within the window' : t === 'late' ? 'after the normal window' : 'out of time';
      await this.cases.recordProgress(tx, caseId, {
        event: { kind: 'vrr_requested', occurredAt: atMidday(requestedOn), summary: `Victim asked for a review of the decision under the Victims’ Right to Review (${SCHEME_LABEL[w.scheme]}), ${when}.${due ? ` Acknowledge by ${fmt(due.acknowledgeDue)}; complete by ${fmt(due.completeDue)}.` : ''}`, actorUserId: principal.userId, data: { vrrId: id, scheme: w.scheme, timeliness: t } },
      });
      await this.record(tx, principal, 'vrr:record', caseId, 'vrr_request', id, requestId, { scheme: w.scheme, timeliness: t, windowId: w.id });
      await this.emit(tx, { kind: 'vrr_requested', caseId, forceId: kase.forceId, at: now, actorUserId: principal.userId, stage: null, detail: { vrrId: id, scheme: w.scheme, timeliness: t, requestedOn, ...due } });
      return { id, timeliness: t, acknowledgeDue: due?.acknowledgeDue ?? null, completeDue: due?.completeDue ?? null };
    });
  }

  async vrrRequest(principal: Principal, caseId: string, vrrId: string, requestId?: string) {
    await this.cases.authorize(principal, caseId, 'vrr:record', requestId);
    if (!/^[0-9a-f-]{36}$/i.test(vrrId)) throw notFound();
    const r = await this.repo().vrrRequest(vrrId);
    if (!r || r.case_id !== caseId) throw notFound();
    const w = (await this.repo().window(r.window_id))!;
    return { case: await this.cases.summary(caseId), request: r, window: w, side: sideOf(principal), today: this.today() };
  }

  private async lockedRequest(tx: Queryable, principal: Principal, caseId: string, vrrId: string, version: number, backHref: string) {
    if (!/^[0-9a-f-]{36}$/i.test(vrrId)) throw notFound();
    const r = await this.repo(tx).vrrRequest(vrrId, true);
    if (!r || r.case_id !== caseId) throw notFound();
    this.checkSide(principal, r.scheme, 'form');
    if (r.version !== version) {
      throw new ConflictError([
        { label: 'Status', current: r.status, submitted: 'The version you opened' },
        { label: 'Result', current: r.result ? VRR_RESULT_LABELS[r.result] : 'Not recorded', submitted: '' },
      ], backHref);
    }
    return r;
  }

  async acknowledgeVrr(principal: Principal, caseId: string, vrrId: string, input: { acknowledgedOn: string | null; version: number }, requestId?: string) {
    await this.cases.authorize(principal, caseId, 'vrr:record', requestId);
    const now = this.clock.now();
    return this.db.transaction(async (tx) => {
      const kase = await this.lockStage(tx, caseId);
      const r = await this.lockedRequest(tx, principal, caseId, vrrId, input.version, `/cases/${caseId}/charging/vrr/${vrrId}`);
      if (r.status !== 'received') throw new ChargingRefusal(409, 'This request has already been acknowledged.', 'acknowledgedOn');
      if (input.acknowledgedOn! < r.requested_on) throw new ChargingRefusal(400, `The date of acknowledgement must be on or after the date the request was received (${fmt(r.requested_on)})`, 'acknowledgedOn');
      await this.repo(tx).acknowledge(r.id, input.version, input.acknowledgedOn!, now);
      const late = r.acknowledge_due && input.acknowledgedOn! > r.acknowledge_due;
      await this.cases.recordProgress(tx, caseId, { event: { kind: 'vrr_acknowledged', occurredAt: atMidday(input.acknowledgedOn!), summary: `Victims’ Right to Review request acknowledged${late ? ` (after the due date, ${fmt(r.acknowledge_due!)})` : ''}.`, actorUserId: principal.userId, data: { vrrId: r.id } } });
      await this.record(tx, principal, 'vrr:record', caseId, 'vrr_request', r.id, requestId, { acknowledged: true, late: !!late });
      await this.emit(tx, { kind: 'vrr_acknowledged', caseId, forceId: kase.forceId, at: now, actorUserId: principal.userId, stage: null, detail: { vrrId: r.id, acknowledgedOn: input.acknowledgedOn } });
    });
  }

  /**
   * The review's result. Overturned reopens the case: police scheme back to investigation; CPS scheme back to
   * "awaiting charging decision" with the file reopened for a fresh decision (or, for a discontinuance, proceedings
   * reinstituted: back to charged).
   */
  async recordVrrResult(principal: Principal, caseId: string, vrrId: string, input: { result: 'upheld' | 'overturned'; resultOn: string | null; reviewLevel?: 'local_resolution' | 'independent_review'; notes: string; version: number }, requestId?: string) {
    await this.cases.authorize(principal, caseId, 'vrr:record', requestId);
    const now = this.clock.now();
    return this.db.transaction(async (tx) => {
      const repo = this.repo(tx);
      const kase = await this.lockStage(tx, caseId);
      const r = await this.lockedRequest(tx, principal, caseId, vrrId, input.version, `/cases/${caseId}/charging/vrr/${vrrId}`);
      if (r.status === 'completed') throw new ChargingRefusal(409, 'The result of this review has already been recorded.', 'result');
      if (input.resultOn! < r.requested_on) throw new ChargingRefusal(400, `The date of the result must be on or after the date the request was received (${fmt(r.requested_on)})`, 'resultOn');
      const w = (await repo.window(r.window_id))!;
      let stage: Stage | null = null;
      if (input.result === 'overturned') {
        stage = r.scheme === 'police' ? STAGE_EVENTS.vrr_overturned_police
          : w.source_kind === 'discontinuance' ? STAGE_EVENTS.proceedings_reinstituted : STAGE_EVENTS.vrr_overturned_cps;
        assertTransition(kase.stage, stage);
      }
      await repo.complete(r.id, input.version, { result: input.result, resultOn: input.resultOn!, reviewLevel: r.scheme === 'cps' ? input.reviewLevel ?? null : null, notes: input.notes, at: now });
      if (stage === 'charging_decision') {
        // The CPS decision is to be taken again: reopen the file that was decided, as a new submission with the same checklist.
        const decided = w.source_kind === 'charging_decision' ? await repo.decision(w.source_id) : undefined;
        const old = decided ? await repo.submission(decided.submission_id) : undefined;
        const newId = randomUUID();
        await repo.insertSubmission({ id: newId, caseId, forceId: kase.forceId, sequence: await repo.nextSequence(caseId), summary: `Reopened after a Victims’ Right to Review overturned the decision.${old ? `\n\n${old.summary}` : ''}`, missingNote: old?.missing_note ?? '', userId: principal.userId, at: now });
        const items = old ? await repo.items([old.id]) : [];
        await repo.setItems(newId, kase.forceId, new Map(items.map((i) => [i.item_code, i.status])));
      }
      const summary = `Victims’ Right to Review (${SCHEME_LABEL[r.scheme]}) completed: ${VRR_RESULT_LABELS[input.result].toLowerCase()}.${stage ? ` The case is reopened (${STAGE_LABELS[stage]}).` : ''}`;
      await this.cases.recordProgress(tx, caseId, {
        ...(stage ? { stage, outcomeTypeCode: null } : {}),
        event: { kind: 'vrr_result', occurredAt: atMidday(input.resultOn!), summary, actorUserId: principal.userId, data: { vrrId: r.id, result: input.result, scheme: r.scheme } },
      });
      await this.record(tx, principal, 'vrr:record', caseId, 'vrr_request', r.id, requestId, { result: input.result, scheme: r.scheme });
      await this.emit(tx, { kind: 'vrr_result', caseId, forceId: kase.forceId, at: now, actorUserId: principal.userId, stage, detail: { vrrId: r.id, result: input.result, scheme: r.scheme, resultOn: input.resultOn } });
    });
  }

  // ───────────────────────────── reminders ─────────────────────────────

  /** Who is reminded about a case's review: the person who made the decision and the case team on that side. */
  private async recipients(tx: Queryable, caseId: string, side: 'police' | 'cps', also: string[]): Promise<string[]> {
    const team = await this.cases.teamMembers(caseId, tx);
    return [...new Set([...also, ...team.filter((t) => t.side === side).map((t) => t.userId)])];
  }

  /** Job handlers for services.jobHandlers. Each notification has a dedupe key, so a re-run job never notifies twice. */
  jobHandlers(): Record<string, JobHandler> {
    return {
      [JOB_VRR_WINDOW]: async (job, tx) => {
        const repo = this.repo(tx);
        const w = await repo.window(String(job.payload.windowId));
        if (!w || (await repo.requestCount(w.id)) > 0) return; // reopened, or the victim has asked: nothing to remind
        const { reference } = await this.cases.summary(w.case_id, tx);
        const message = w.scheme === 'cps'
          ? `Case ${reference}: the normal window for a Victims’ Right to Review of the CPS decision closes at the end of ${fmt(w.normal_deadline)} (latest ${fmt(w.latest_deadline)}). No request is recorded: check the victim was told of their right.`
          : `Case ${reference}: the window for a Victims’ Right to Review of the police decision closes at the end of ${fmt(w.latest_deadline)}. No request is recorded: check the victim was told of their right.`;
        for (const userId of await this.recipients(tx, w.case_id, w.scheme, [w.opened_by])) {
          await notify(tx, this.clock, { userId, caseId: w.case_id, kind: 'vrr_window', message, link: `/cases/${w.case_id}/charging#vrr`, dedupeKey: `${JOB_VRR_WINDOW}:${w.id}:${userId}` });
        }
      },
      [JOB_VRR_DUE]: async (job, tx) => {
        const duty = job.payload.duty === 'complete' ? 'complete' : 'acknowledge';
        const r = await this.repo(tx).vrrRequest(String(job.payload.vrrId));
        if (!r || r.status === 'completed' || (duty === 'acknowledge' && r.status !== 'received')) return; // done in time
        const { reference } = await this.cases.summary(r.case_id, tx);
        const message = duty === 'acknowledge'
          ? `Case ${reference}: the Victims’ Right to Review request must be acknowledged by the end of ${fmt(r.acknowledge_due!)}.`
          : `Case ${reference}: the Victims’ Right to Review must be completed by the end of ${fmt(r.complete_due!)}.`;
        for (const userId of await this.recipients(tx, r.case_id, r.scheme, [r.recorded_by])) {
          await notify(tx, this.clock, { userId, caseId: r.case_id, kind: 'vrr_due', message, link: `/cases/${r.case_id}/charging/vrr/${r.id}`, dedupeKey: `${JOB_VRR_DUE}:${r.id}:${duty}:${userId}` });
        }
      },
    };
  }
}

/** Court steps and the stage each leads to (for showing the form only where one is possible). */
export const COURT_STEP_TARGETS = (['sent_for_trial', 'trial_listed', 'guilty_plea', 'convicted', 'acquitted', 'discontinued'] as const).map((s) => [s, STAGE_EVENTS[s]] as const);

function decisionEvent(decision: Decision, offenceTitles: string[], outcomeCode: number | null, decisionId: string) {
  const data = { decisionId, decision, outcomeCode };
  switch (decision) {
    case 'charge_full_code':
    case 'charge_threshold': {
      const test = decision === 'charge_full_code' ? 'Full Code Test' : 'Threshold Test';
      return { kind: 'charged', summary: `CPS decided to charge under the ${test}: ${offenceTitles.join('; ')}.`, data: { ...data, test, offences: offenceTitles } };
    }
    case 'nfa_evidential':
      return { kind: 'nfa', summary: 'CPS decided no further action: evidential stage of the Full Code Test not met.', data: { ...data, by: 'cps', outcomeCode } };
    case 'nfa_public_interest':
      return { kind: 'nfa', summary: 'CPS decided no further action: public interest stage not met.', data: { ...data, by: 'cps', outcomeCode } };
    case 'action_plan':
      return { kind: 'action_plan', summary: 'CPS returned the file with an action plan: further evidence needed before a charging decision.', data };
    case 'administratively_finalised':
      return { kind: 'administratively_finalised', summary: 'CPS administratively finalised the file.', data };
  }
}

function atMidday(iso: string): Date {
  return new Date(`${iso}T12:00:00Z`);
}

const dateFmt = new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC' });
function fmt(iso: string): string {
  return dateFmt.format(new Date(`${iso}T12:00:00Z`));
}
