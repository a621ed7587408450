import { randomUUID } from 'node:crypto';
import type { Db, Queryable } from '../db/database.ts';
import type { AuditEvent, AuditLog } from '../platform/audit.ts';
import { londonDate, WorkingDayCalendar } from '../platform/calendar.ts';
import type { Clock } from '../platform/clock.ts';
import { ConflictError, forbidden, HttpError, notFound } from '../platform/errors.ts';
import { notify } from '../platform/jobs.ts';
import { type CaseAccessFacts, can } from '../platform/policy.ts';
import type { Principal } from '../platform/principal.ts';
import type { CaseService } from '../cases/service.ts';
import { scheduleLoeReminders, scheduleTargetReminders, unitAllocators } from './jobs.ts';
import { EarlyAdviceRepository, type LoeRow, type Participant, type RequestRow } from './repository.ts';
import {
  type Channel, CONFERENCE_KIND_LABELS, type ConferenceActionInput, type ConferenceKind, LOE_CATEGORY_LABELS, LOE_CLOSED, LOE_STATUS_LABELS,
  type LineOfEnquiryInput, type LoeUpdateInput, NEEDS_RATIONALE, OPEN_STATUSES, PRIORITY_LABELS, type QueueQuery, REQUEST_STATUS_LABELS,
  type RequestInput, TARGET_WORKING_DAYS, type TeamMember,
} from './schemas.ts';
import { daysBetween, londonInstant, longDate } from './time.ts';

/** What the service needs to give advice: the conversation is required by the MoU, so it is part of the input. */
export interface AdviceInput {
  conversation?: { heldAt: Date; channel: Channel; participantUserIds: string[]; otherParticipants: string[] } | null;
  advice: string;
  linesOfEnquiry: LineOfEnquiryInput[];
  /** The request's version when the form was opened. */
  version: number;
}

export interface ConferenceInput {
  kind: ConferenceKind;
  heldAt: Date;
  channel: Channel;
  participantUserIds: string[];
  externalAttendees: string[];
  agreedStrategy: string;
  actions: ConferenceActionInput[];
}

const ALLOCATABLE_ROLES = ['prosecutor', 'district_crown_prosecutor'];

/** Early Advice requests, conversations, lines of enquiry, action plans and case conferences. */
export class EarlyAdviceService {
  private calendarLoad: Promise<WorkingDayCalendar> | undefined;

  constructor(
    readonly db: Db,
    readonly audit: AuditLog,
    readonly clock: Clock,
    readonly cases: CaseService,
    /** England and Wales working days; services pass their shared calendar, otherwise it is loaded once here. */
    private readonly calendarSource?: () => Promise<WorkingDayCalendar>,
  ) {}

  private repo(q: Queryable = this.db) {
    return new EarlyAdviceRepository(q);
  }

  calendar(): Promise<WorkingDayCalendar> {
    if (this.calendarSource) return this.calendarSource();
    return (this.calendarLoad ??= WorkingDayCalendar.load(this.db));
  }

  /** The response target for a priority; past the last year of known bank holidays it is refused, not guessed. */
  private targetDate(calendar: WorkingDayCalendar, workingDays: number): string {
    try {
      return calendar.addWorkingDays(this.clock.now(), workingDays);
    } catch (err) {
      throw new HttpError(500, 'Bank holidays not known', `The response target cannot be worked out: ${(err as Error).message}. Ask an administrator to add them. Nothing has been saved.`);
    }
  }

  private today(): string {
    return londonDate(this.clock.now());
  }

  private allowed(principal: Principal, action: string, caseId: string | null, entityType: string, entityId: string, requestId?: string, detail: Record<string, unknown> = {}): AuditEvent {
    return { actorUserId: principal.userId, actorOrganisationId: principal.organisation.id, action, outcome: 'allowed', entityType, entityId, caseId, requestId, detail };
  }

  private async deny(principal: Principal, action: string, caseId: string | null, entityId: string, reason: string, requestId?: string): Promise<void> {
    await this.audit.record({ actorUserId: principal.userId, actorOrganisationId: principal.organisation.id, action, outcome: 'denied', entityType: 'ea_request', entityId: entityId.slice(0, 64), caseId, requestId, detail: { reason } });
  }

  /** Whether any Early Advice has been given (issued) on the case: charging asks this before a police NFA. */
  async hasEarlyAdvice(caseId: string, q: Queryable = this.db): Promise<boolean> {
    return this.repo(q).hasIssuedAdvice(caseId);
  }

  /** Counts for other capabilities (charging's file checklist, performance): no text, no identity. */
  async caseStatus(caseId: string, q: Queryable = this.db) {
    const repo = this.repo(q);
    const [requests, loes] = await Promise.all([repo.requestsForCase(caseId), repo.loesForCase(caseId)]);
    const issued = loes.filter((l) => l.advice_status === 'issued');
    return {
      requests: requests.length,
      openRequest: requests.find((r) => OPEN_STATUSES.includes(r.status))?.status ?? null,
      adviceGivenAt: requests.filter((r) => r.advice_given_at).map((r) => r.advice_given_at!),
      linesOfEnquiry: { issued: issued.length, outstanding: issued.filter((l) => !LOE_CLOSED.includes(l.status)).length },
    };
  }

  /** The case team as owners and participants: police of the force and CPS staff. */
  async team(caseId: string, q: Queryable = this.db): Promise<TeamMember[]> {
    const rows = await this.cases.teamDirectory(caseId, q);
    return rows
      .filter((r) => r.organisation_kind === 'force' || r.organisation_kind === 'rasso_unit')
      .map((r) => ({ userId: r.user_id, name: r.display_name, organisation: r.organisation_name, side: r.organisation_kind === 'force' ? 'police' as const : 'cps' as const }));
  }

  // ---------------------------------------------------------------------------------------------- case page

  /** Everything on the case's Early Advice page. Action plans awaiting DCP review are not shown to the police. */
  async overview(principal: Principal, caseId: string, requestId?: string) {
    const facts = await this.cases.authorize(principal, caseId, 'case:read', requestId);
    const repo = this.repo();
    const [kase, requests, advice, loes, conferences, actions] = await Promise.all([
      this.cases.summary(caseId), repo.requestsForCase(caseId), repo.adviceForCase(caseId), repo.loesForCase(caseId),
      repo.conferencesForCase(caseId), repo.conferenceActionsForCase(caseId),
    ]);
    const police = principal.organisation.kind !== 'rasso_unit';
    const visibleAdvice = advice.filter((a) => a.status === 'issued' || !police);
    const visibleAdviceIds = new Set(visibleAdvice.map((a) => a.id));
    const today = this.today();
    const may = (action: Parameters<CaseService['allows']>[1]) => this.cases.allows(principal, action, facts);
    const open = requests.find((r) => OPEN_STATUSES.includes(r.status));
    const adviceView = visibleAdvice.map((a) => ({
      ...a,
      linesOfEnquiry: loes.filter((l) => l.advice_id === a.id),
      canApprove: a.status === 'awaiting_review' && may('ea:approve-action-plan') && a.drafted_by !== principal.userId,
      selfDrafted: a.drafted_by === principal.userId,
    }));
    return {
      case: kase,
      today,
      requests: requests.map((r) => ({
        ...r,
        overdue: OPEN_STATUSES.includes(r.status) && r.target_date < today,
        advice: adviceView.find((a) => a.request_id === r.id) ?? null,
        awaitingReviewHidden: police && r.status === 'awaiting_review',
        canAdvise: r.status === 'allocated' && may('ea:advise') && (r.allocated_to === principal.userId || principal.roles.includes('district_crown_prosecutor')),
      })),
      advice: adviceView,
      linesOfEnquiry: loes.filter((l) => visibleAdviceIds.has(l.advice_id)).map((l) => ({ ...l, overdue: isOverdue(l, today) })),
      conferences: conferences.map((c) => ({ ...c, actions: actions.filter((x) => x.conference_id === c.id) })),
      can: {
        request: may('ea:request') && !open,
        updateLoe: may('loe:update'),
        conference: may('conference:record'),
      },
      openRequest: open ?? null,
    };
  }

  // ---------------------------------------------------------------------------------------------- request

  async requestContext(principal: Principal, caseId: string, requestId?: string) {
    await this.cases.authorize(principal, caseId, 'ea:request', requestId);
    const [kase, open, sequence] = await Promise.all([this.cases.summary(caseId), this.repo().openRequest(caseId), this.repo().nextSequence(caseId)]);
    const calendar = await this.calendar();
    const targets = Object.fromEntries(Object.entries(TARGET_WORKING_DAYS).map(([p, n]) => [p, longDate(this.targetDate(calendar, n))]));
    return { case: kase, open: open ?? null, sequence, targets };
  }

  /**
   * Police ask the RASSO unit of the case's CPS Area for Early Advice. The case becomes referred (so the unit can see
   * it), moves to "Early Advice requested", the requester joins the case team, and the response target (working
   * days by priority) is set with its reminders, all in one transaction.
   */
  async request(principal: Principal, caseId: string, input: RequestInput, requestId?: string): Promise<{ id: string; targetDate: string }> {
    const facts = await this.cases.authorize(principal, caseId, 'ea:request', requestId);
    const calendar = await this.calendar();
    const now = this.clock.now();
    const workingDays = TARGET_WORKING_DAYS[input.priority];
    const targetDate = this.targetDate(calendar, workingDays);
    const id = randomUUID();
    await this.db.transaction(async (tx) => {
      const repo = this.repo(tx);
      await repo.lockCase(caseId);
      const open = await repo.openRequest(caseId);
      if (open) {
        throw new HttpError(409, 'Early Advice already requested', `Early Advice request ${open.sequence} on this case is still open (${REQUEST_STATUS_LABELS[open.status].toLowerCase()}). Wait for that advice before asking again.`);
      }
      const kase = await this.cases.summary(caseId, tx);
      const sequence = await repo.nextSequence(caseId);
      // the state machine refuses Early Advice where it makes no sense (a file already with the CPS, after charge)
      await this.cases.recordProgress(tx, caseId, {
        referred: true, stage: 'early_advice',
        event: {
          kind: 'early_advice_requested', actorUserId: principal.userId, data: { eaRequestId: id, sequence, priority: input.priority },
          summary: `Early Advice requested from the CPS ${kase.areaName} RASSO unit (${PRIORITY_LABELS[input.priority].toLowerCase()} priority, response due by ${longDate(targetDate)})`,
        },
      });
      await repo.insertRequest({
        id, caseId, forceId: facts.forceId, cpsAreaId: kase.cpsAreaId, caseReference: kase.reference, sequence, caseSummary: input.caseSummary,
        questions: input.questions, strategy: input.strategy, priority: input.priority, requestedBy: principal.userId, requestedAt: now, targetDate, targetWorkingDays: workingDays,
      });
      if (principal.organisation.kind === 'force') {
        await this.cases.addTeamMemberTx(tx, caseId, { userId: principal.userId, teamRole: principal.roles.includes('investigator') ? 'investigator' : 'supervisor', addedBy: principal, requestId });
      }
      await scheduleTargetReminders(tx, this.clock, calendar, { id, targetDate });
      for (const userId of await unitAllocators(tx, kase.cpsAreaId)) {
        await notify(tx, this.clock, { userId, caseId, kind: 'ea-requested', message: `New Early Advice request on case ${kase.reference} (${PRIORITY_LABELS[input.priority].toLowerCase()} priority), due by ${longDate(targetDate)}.`, link: '/early-advice', dedupeKey: `ea-requested:${id}:${userId}` });
      }
      await this.audit.record(this.allowed(principal, 'ea:request', caseId, 'ea_request', id, requestId, { sequence, priority: input.priority, targetDate, cpsAreaId: kase.cpsAreaId }), tx);
    });
    return { id, targetDate };
  }

  // ---------------------------------------------------------------------------------------------- triage

  /** The unit's queue: requests routed to the principal's own Area only. */
  async queue(principal: Principal, query: QueueQuery, requestId?: string) {
    const areaId = principal.organisation.kind === 'rasso_unit' ? principal.organisation.cpsAreaId : null;
    if (!can(principal, 'ea:triage') || !areaId) {
      await this.audit.record({ actorUserId: principal.userId, actorOrganisationId: principal.organisation.id, action: 'ea:triage', outcome: 'denied', requestId });
      throw forbidden('Only staff of a CPS RASSO unit can see the Early Advice queue.');
    }
    const { total, rows } = await this.repo().queue(areaId, principal.userId, query);
    const today = this.today();
    return {
      total,
      rows: rows.map((r) => ({ ...r, ageDays: daysBetween(londonDate(r.requested_at), today), overdue: OPEN_STATUSES.includes(r.status) && r.target_date < today })),
      canAllocate: can(principal, 'ea:allocate'),
    };
  }

  /** A request in the principal's own Area, for triage; anything else is hidden (404) and the refusal audited. */
  private async triageRequest(principal: Principal, eaId: string, action: 'ea:triage' | 'ea:allocate', requestId?: string): Promise<RequestRow> {
    const r = await this.repo().request(eaId);
    const areaId = principal.organisation.kind === 'rasso_unit' ? principal.organisation.cpsAreaId : null;
    if (!r || !areaId || r.cps_area_id !== areaId) {
      await this.deny(principal, action, r?.case_id ?? null, eaId, r ? 'request routed to another Area' : 'no such request', requestId);
      throw notFound();
    }
    await this.cases.authorize(principal, r.case_id, 'case:read', requestId);
    if (!can(principal, action)) {
      await this.deny(principal, action, r.case_id, eaId, `role does not permit ${action}`, requestId);
      throw forbidden(action === 'ea:allocate' ? 'Only a District Crown Prosecutor or a paralegal can allocate Early Advice.' : undefined);
    }
    return r;
  }

  async allocationContext(principal: Principal, eaId: string, requestId?: string) {
    const r = await this.triageRequest(principal, eaId, 'ea:allocate', requestId);
    const prosecutors = await this.repo().unitUsers(r.cps_area_id, ALLOCATABLE_ROLES);
    return { request: { ...r, ageDays: daysBetween(londonDate(r.requested_at), this.today()) }, prosecutors };
  }

  /** Allocates (or reallocates) a request to a prosecutor of the unit, who joins the case team. */
  async allocate(principal: Principal, eaId: string, input: { prosecutorId: string; version: number }, requestId?: string): Promise<void> {
    const r = await this.triageRequest(principal, eaId, 'ea:allocate', requestId);
    if (!OPEN_STATUSES.includes(r.status) || r.status === 'awaiting_review') {
      throw new HttpError(409, 'Advice already given', 'Advice has already been drafted on this request, so it cannot be reallocated. Nothing has been changed.');
    }
    const prosecutors = await this.repo().unitUsers(r.cps_area_id, ALLOCATABLE_ROLES);
    const prosecutor = prosecutors.find((p) => p.id === input.prosecutorId);
    if (!prosecutor) throw new HttpError(400, 'Cannot allocate to this person', 'Early Advice can only be allocated to a prosecutor of this RASSO unit.');
    const now = this.clock.now();
    await this.db.transaction(async (tx) => {
      const repo = this.repo(tx);
      if (!(await repo.allocate(eaId, input.version, prosecutor.id, principal.userId, now))) {
        const current = (await repo.request(eaId))!;
        throw new ConflictError([{ label: 'Allocated to', current: current.allocated_to_name ?? 'Nobody', submitted: prosecutor.display_name }], `/early-advice/requests/${eaId}/allocate`);
      }
      await this.cases.addTeamMemberTx(tx, r.case_id, { userId: prosecutor.id, teamRole: prosecutor.roles.includes('prosecutor') ? 'prosecutor' : 'district_crown_prosecutor', addedBy: principal, requestId });
      await this.cases.recordProgress(tx, r.case_id, { event: { kind: 'early_advice_allocated', actorUserId: principal.userId, summary: `Early Advice request ${r.sequence} allocated to ${prosecutor.display_name}`, data: { eaRequestId: eaId } } });
      await notify(tx, this.clock, { userId: prosecutor.id, caseId: r.case_id, kind: 'ea-allocated', message: `Early Advice on case ${r.case_reference} has been allocated to you. It is due by ${longDate(r.target_date)}.`, link: `/cases/${r.case_id}/early-advice`, dedupeKey: `ea-allocated:${eaId}:${prosecutor.id}:${input.version}` });
      await this.audit.record(this.allowed(principal, 'ea:allocate', r.case_id, 'ea_request', eaId, requestId, { prosecutorId: prosecutor.id, previous: r.allocated_to }), tx);
    });
  }

  // ---------------------------------------------------------------------------------------------- advice

  /** The request being answered, checked for the advising prosecutor. */
  private async adviceRequest(principal: Principal, caseId: string, eaId: string, requestId?: string) {
    const facts = await this.cases.authorize(principal, caseId, 'ea:advise', requestId);
    const r = await this.repo().request(eaId);
    if (!r || r.case_id !== caseId) throw notFound();
    this.checkAdvisable(principal, r);
    return { facts, request: r };
  }

  private checkAdvisable(principal: Principal, r: RequestRow) {
    if (r.status === 'awaiting_allocation') throw new HttpError(409, 'Not allocated yet', 'This request has not been allocated to a prosecutor yet. The unit must allocate it before advice can be given.');
    if (r.status !== 'allocated') throw new HttpError(409, 'Advice already given', 'Advice has already been given on this request. If the police need more advice, they can make a new request.');
    if (r.allocated_to !== principal.userId && !principal.roles.includes('district_crown_prosecutor')) {
      throw forbidden('Only the prosecutor this request is allocated to, or a District Crown Prosecutor, can give this advice.');
    }
  }

  async adviceContext(principal: Principal, caseId: string, eaId: string, requestId?: string) {
    const { request } = await this.adviceRequest(principal, caseId, eaId, requestId);
    const [team, plans] = await Promise.all([this.team(caseId), this.repo().plansOnCase(caseId)]);
    return { request, team, nextPlanNumber: plans + 1, needsReviewIfPlan: plans >= 1 };
  }

  /**
   * Records the conversation and the advice it gave, with the lines of enquiry agreed, in one transaction. Refused
   * (nothing written) without a conversation with the police, or with a third-party material or digital device
   * request that does not say why it is necessary and proportionate. The first action plan on a case is issued at
   * once; a later one waits for a District Crown Prosecutor who did not draft it to approve it.
   */
  async giveAdvice(principal: Principal, caseId: string, eaId: string, input: AdviceInput, requestId?: string): Promise<{ adviceId: string; status: 'issued' | 'awaiting_review'; planNumber: number | null }> {
    const { facts } = await this.adviceRequest(principal, caseId, eaId, requestId);
    const team = await this.team(caseId);
    const byId = new Map(team.map((t) => [t.userId, t]));
    const c = input.conversation;
    if (!c || !c.heldAt || Number.isNaN(c.heldAt.getTime()) || !c.channel) {
      throw new HttpError(400, 'Record the conversation', 'Advice can only be given together with a record of the conversation with the investigator: when it was held, who took part and how. Nothing has been saved.');
    }
    if (c.heldAt.getTime() > this.clock.now().getTime()) throw new HttpError(400, 'Conversation in the future', 'The conversation must already have taken place. Nothing has been saved.');
    if (!c.participantUserIds.some((id) => byId.get(id)?.side === 'police')) {
      throw new HttpError(400, 'Record the conversation', 'The conversation must include a police officer on the case team: advice is given in a conversation with the investigator. Nothing has been saved.');
    }
    if (c.participantUserIds.some((id) => !byId.has(id))) throw new HttpError(400, 'Unknown participant', 'Participants must be on the case team. Nothing has been saved.');
    if (!input.advice.trim()) throw new HttpError(400, 'Enter the advice', 'Enter the advice given. Nothing has been saved.');
    input.linesOfEnquiry.forEach((l, i) => {
      if (!l.description?.trim()) throw new HttpError(400, 'Describe the line of enquiry', `Enter what line of enquiry ${i + 1} is. Nothing has been saved.`);
      if (!/^\d{4}-\d{2}-\d{2}$/.test(l.dueDate ?? '') || Number.isNaN(new Date(`${l.dueDate}T12:00:00Z`).getTime())) {
        throw new HttpError(400, 'Due date needed', `Enter a due date for line of enquiry ${i + 1}. Nothing has been saved.`);
      }
      if (!(['general', ...NEEDS_RATIONALE] as string[]).includes(l.category)) throw new HttpError(400, 'Type needed', `Select the type of line of enquiry ${i + 1}. Nothing has been saved.`);
      if (NEEDS_RATIONALE.includes(l.category) && !l.rationale?.trim()) {
        throw new HttpError(400, 'Rationale needed', `Line of enquiry ${i + 1} is a ${LOE_CATEGORY_LABELS[l.category].toLowerCase()}: record why it is necessary and proportionate. Nothing has been saved.`);
      }
      if (!byId.has(l.ownerUserId)) throw new HttpError(400, 'Owner not on the case', `The owner of line of enquiry ${i + 1} must be a police officer or prosecutor on the case team. Nothing has been saved.`);
    });
    const calendar = await this.calendar();
    const now = this.clock.now();
    const adviceId = randomUUID();
    const conversationId = randomUUID();
    const me = byId.get(principal.userId) ?? { userId: principal.userId, name: principal.displayName, organisation: principal.organisation.name, side: 'cps' as const };
    const participants: Participant[] = [me, ...c.participantUserIds.filter((id) => id !== principal.userId).map((id) => byId.get(id)!)];
    return this.db.transaction(async (tx) => {
      const repo = this.repo(tx);
      await repo.lockCase(caseId);
      const r = await repo.request(eaId, true);
      if (!r || r.case_id !== caseId) throw notFound();
      this.checkAdvisable(principal, r);
      if (r.version !== input.version) {
        throw new ConflictError([{ label: 'Allocated to', current: r.allocated_to_name ?? 'Nobody', submitted: 'As when you opened the form' }], `/cases/${caseId}/early-advice/${eaId}/advice`);
      }
      const hasPlan = input.linesOfEnquiry.length > 0;
      const planNumber = hasPlan ? (await repo.plansOnCase(caseId)) + 1 : null;
      const status = planNumber !== null && planNumber >= 2 ? 'awaiting_review' : 'issued';
      await repo.insertConversation({ id: conversationId, requestId: eaId, caseId, forceId: facts.forceId, heldAt: c.heldAt, channel: c.channel, participants, otherParticipants: c.otherParticipants, recordedBy: principal.userId, recordedAt: now });
      await repo.insertAdvice({ id: adviceId, requestId: eaId, conversationId, caseId, forceId: facts.forceId, advice: input.advice, planNumber, status, draftedBy: principal.userId, at: now });
      let number = await repo.nextLoeNumber(caseId);
      const loeIds: { id: string; dueDate: string }[] = [];
      for (const l of input.linesOfEnquiry) {
        const id = randomUUID();
        await repo.insertLoe({ id, adviceId, caseId, forceId: facts.forceId, number: number++, description: l.description, category: l.category, rationale: l.rationale.trim(), ownerUserId: l.ownerUserId, dueDate: l.dueDate, at: now, by: principal.userId });
        loeIds.push({ id, dueDate: l.dueDate });
      }
      const conversationEvent = {
        kind: 'early_advice_conversation', actorUserId: principal.userId, occurredAt: c.heldAt, data: { eaRequestId: eaId, conversationId },
        summary: `Early Advice conversation (${channelText(c.channel)}) between ${participants.map((p) => p.name).join(', ')}`,
      };
      await this.cases.recordProgress(tx, caseId, { event: conversationEvent });
      if (status === 'issued') {
        await repo.markRequest(eaId, 'advice_given', now);
        await this.issued(tx, principal, r, adviceId, planNumber, loeIds, calendar);
      } else {
        await repo.markRequest(eaId, 'awaiting_review', null);
        await this.cases.recordProgress(tx, caseId, { event: { kind: 'action_plan_drafted', actorUserId: principal.userId, summary: `Action plan ${planNumber} drafted: awaiting District Crown Prosecutor review before it is issued`, data: { eaRequestId: eaId, adviceId } } });
        for (const dcp of await repo.unitUsers(r.cps_area_id, ['district_crown_prosecutor'])) {
          if (dcp.id === principal.userId) continue;
          await notify(tx, this.clock, { userId: dcp.id, caseId, kind: 'action-plan-review', message: `Action plan ${planNumber} on case ${r.case_reference} needs District Crown Prosecutor review before it is issued.`, link: `/cases/${caseId}/early-advice#advice-${adviceId}`, dedupeKey: `action-plan-review:${adviceId}:${dcp.id}` });
        }
      }
      await this.audit.record(this.allowed(principal, 'ea:advise', caseId, 'ea_advice', adviceId, requestId, { eaRequestId: eaId, conversationId, channel: c.channel, linesOfEnquiry: loeIds.length, planNumber, status }), tx);
      return { adviceId, status, planNumber };
    });
  }

  /** Issuing advice to the police: the case moves to "Early Advice given", owners get their reminders. */
  private async issued(tx: Queryable, principal: Principal, r: RequestRow, adviceId: string, planNumber: number | null, loes: { id: string; dueDate: string }[], calendar: WorkingDayCalendar) {
    const plan = planNumber === null ? 'no lines of enquiry' : `action plan ${planNumber} with ${loes.length} ${loes.length === 1 ? 'line' : 'lines'} of enquiry`;
    await this.cases.recordProgress(tx, r.case_id, {
      stage: 'early_advice_given',
      event: { kind: 'early_advice_given', actorUserId: principal.userId, summary: `Early Advice given (${plan})`, data: { eaRequestId: r.id, adviceId, planNumber } },
    });
    for (const loe of loes) await scheduleLoeReminders(tx, this.clock, calendar, loe);
    await notify(tx, this.clock, { userId: r.requested_by, caseId: r.case_id, kind: 'ea-given', message: `Early Advice has been given on case ${r.case_reference}.`, link: `/cases/${r.case_id}/early-advice`, dedupeKey: `ea-given:${adviceId}:${r.requested_by}` });
    const owners = new Set((await this.repo(tx).loesForAdvice(adviceId)).map((l) => l.owner_user_id));
    for (const owner of owners) {
      if (owner === principal.userId) continue;
      await notify(tx, this.clock, { userId: owner, caseId: r.case_id, kind: 'loe-assigned', message: `You own lines of enquiry agreed in Early Advice on case ${r.case_reference}.`, link: `/cases/${r.case_id}/early-advice#lines-of-enquiry`, dedupeKey: `loe-assigned:${adviceId}:${owner}` });
    }
  }

  /**
   * A District Crown Prosecutor approves a second (or later) action plan, which issues it to the police. The drafter
   * can never approve their own plan (also a database constraint).
   */
  async approveActionPlan(principal: Principal, caseId: string, adviceId: string, input: { reviewNote: string; version: number }, requestId?: string): Promise<void> {
    await this.cases.authorize(principal, caseId, 'ea:approve-action-plan', requestId);
    const a = await this.repo().advice(adviceId);
    if (!a || a.case_id !== caseId) throw notFound();
    if (a.drafted_by === principal.userId) {
      await this.audit.record({ actorUserId: principal.userId, actorOrganisationId: principal.organisation.id, action: 'ea:approve-action-plan', outcome: 'denied', entityType: 'ea_advice', entityId: adviceId, caseId, requestId, detail: { reason: 'drafter cannot approve their own action plan' } });
      throw new HttpError(403, 'You cannot approve your own action plan', 'You drafted this action plan, so another District Crown Prosecutor must review it before it is issued. Nothing has been changed.');
    }
    if (a.status !== 'awaiting_review') throw new HttpError(409, 'Already issued', 'This action plan has already been issued to the police. Nothing has been changed.');
    const calendar = await this.calendar();
    const now = this.clock.now();
    await this.db.transaction(async (tx) => {
      const repo = this.repo(tx);
      await repo.lockCase(caseId);
      if (!(await repo.issue(adviceId, input.version, principal.userId, input.reviewNote, now))) {
        const current = (await repo.advice(adviceId))!;
        throw new ConflictError([{ label: 'Status', current: current.status === 'issued' ? `Issued (approved by ${current.reviewed_by_name})` : 'Awaiting review (changed since you opened the page)', submitted: 'Approve and issue' }], `/cases/${caseId}/early-advice#advice-${adviceId}`);
      }
      const r = (await repo.request(a.request_id, true))!;
      await repo.markRequest(r.id, 'advice_given', now);
      const loes = await repo.loesForAdvice(adviceId);
      await this.cases.recordProgress(tx, caseId, { event: { kind: 'action_plan_approved', actorUserId: principal.userId, summary: `Action plan ${a.plan_number} approved by a District Crown Prosecutor and issued`, data: { adviceId } } });
      await this.issued(tx, principal, r, adviceId, a.plan_number, loes.map((l) => ({ id: l.id, dueDate: l.due_date })), calendar);
      await notify(tx, this.clock, { userId: a.drafted_by, caseId, kind: 'action-plan-approved', message: `Action plan ${a.plan_number} on case ${r.case_reference} was approved and issued.`, link: `/cases/${caseId}/early-advice#advice-${adviceId}`, dedupeKey: `action-plan-approved:${adviceId}` });
      await this.audit.record(this.allowed(principal, 'ea:approve-action-plan', caseId, 'ea_advice', adviceId, requestId, { planNumber: a.plan_number, draftedBy: a.drafted_by }), tx);
    });
  }

  // ---------------------------------------------------------------------------------------------- lines of enquiry

  /** A line of enquiry the principal may update: issued, on this case. Police never learn of unissued ones. */
  async loeForEdit(principal: Principal, caseId: string, loeId: string, requestId?: string): Promise<LoeRow & { overdue: boolean }> {
    await this.cases.authorize(principal, caseId, 'loe:update', requestId);
    const l = await this.repo().loe(loeId);
    if (!l || l.case_id !== caseId) throw notFound();
    if (l.advice_status !== 'issued') {
      if (principal.organisation.kind !== 'rasso_unit') throw notFound();
      throw new HttpError(409, 'Not issued yet', 'This line of enquiry is in an action plan awaiting District Crown Prosecutor review. It can be updated once the plan is issued.');
    }
    return { ...l, overdue: isOverdue(l, this.today()) };
  }

  async updateLoe(principal: Principal, caseId: string, loeId: string, input: LoeUpdateInput, requestId?: string): Promise<void> {
    const l = await this.loeForEdit(principal, caseId, loeId, requestId);
    const now = this.clock.now();
    await this.db.transaction(async (tx) => {
      const repo = this.repo(tx);
      if (!(await repo.updateLoe(loeId, input.version, input.status, input.note, principal.userId, now))) {
        const current = (await repo.loe(loeId))!;
        throw new ConflictError(
          [['Status', LOE_STATUS_LABELS[current.status], LOE_STATUS_LABELS[input.status]], ['Progress note', current.status_note, input.note]]
            .filter(([, a, b]) => a !== b).map(([label, current, submitted]) => ({ label: label!, current: current!, submitted: submitted! })),
          `/cases/${caseId}/lines-of-enquiry/${loeId}`,
        );
      }
      if (input.status !== l.status) {
        await this.cases.recordProgress(tx, caseId, { event: { kind: 'line_of_enquiry_updated', actorUserId: principal.userId, summary: `Line of enquiry ${l.number}: ${LOE_STATUS_LABELS[input.status].toLowerCase()}`, data: { loeId, status: input.status } } });
      }
      await this.audit.record(this.allowed(principal, 'loe:update', caseId, 'line_of_enquiry', loeId, requestId, { from: l.status, to: input.status }), tx);
    });
  }

  /** The principal's own lines of enquiry across cases (issued only), for their tracker. */
  async myLinesOfEnquiry(principal: Principal, includeClosed = false) {
    const today = this.today();
    return (await this.repo().loesOwnedBy(principal.userId, includeClosed)).map((l) => ({ ...l, overdue: isOverdue(l, today) }));
  }

  // ---------------------------------------------------------------------------------------------- conferences

  async conferenceContext(principal: Principal, caseId: string, requestId?: string) {
    await this.cases.authorize(principal, caseId, 'conference:record', requestId);
    const [kase, team] = await Promise.all([this.cases.summary(caseId), this.team(caseId)]);
    return { case: kase, team };
  }

  /** An early case planning or forensic strategy conference, with its agreed strategy and actions, onto the timeline. */
  async recordConference(principal: Principal, caseId: string, input: ConferenceInput, requestId?: string): Promise<string> {
    const facts: CaseAccessFacts = await this.cases.authorize(principal, caseId, 'conference:record', requestId);
    const team = await this.team(caseId);
    const byId = new Map(team.map((t) => [t.userId, t]));
    if (input.participantUserIds.some((id) => !byId.has(id))) throw new HttpError(400, 'Unknown participant', 'Participants must be on the case team. Nothing has been saved.');
    if (input.heldAt.getTime() > this.clock.now().getTime()) throw new HttpError(400, 'Conference in the future', 'Record a conference once it has taken place. Nothing has been saved.');
    if (input.kind === 'forensic_strategy' && input.externalAttendees.length === 0) {
      throw new HttpError(400, 'Forensic scientists missing', 'A forensic strategy conference needs the forensic scientists who attended. Nothing has been saved.');
    }
    const id = randomUUID();
    const now = this.clock.now();
    await this.db.transaction(async (tx) => {
      const repo = this.repo(tx);
      await repo.insertConference({
        id, caseId, forceId: facts.forceId, kind: input.kind, heldAt: input.heldAt, channel: input.channel, participants: input.participantUserIds.map((u) => byId.get(u)!),
        externalAttendees: input.externalAttendees, agreedStrategy: input.agreedStrategy, recordedBy: principal.userId, recordedAt: now,
      });
      let position = 1;
      for (const a of input.actions) await repo.insertConferenceAction({ id: randomUUID(), conferenceId: id, caseId, forceId: facts.forceId, position: position++, ...a });
      const actions = input.actions.length ? `${input.actions.length} ${input.actions.length === 1 ? 'action' : 'actions'} agreed` : 'no actions';
      await this.cases.recordProgress(tx, caseId, {
        event: { kind: 'conference', actorUserId: principal.userId, occurredAt: input.heldAt, summary: `${CONFERENCE_KIND_LABELS[input.kind]} held (${channelText(input.channel)}; ${actions})`, data: { conferenceId: id, kind: input.kind } },
      });
      await this.audit.record(this.allowed(principal, 'conference:record', caseId, 'conference', id, requestId, { kind: input.kind, actions: input.actions.length, externalAttendees: input.externalAttendees.length }), tx);
    });
    return id;
  }
}

function isOverdue(l: { status: string; due_date: string }, today: string): boolean {
  return (l.status === 'open' || l.status === 'in_progress') && l.due_date < today;
}

function channelText(c: Channel): string {
  return c === 'in_person' ? 'in person' : c === 'video' ? 'by video' : 'by phone';
}

/** The instant of a conversation or conference from the form's London date and time. */
export function heldAt(date: string, time: string): Date {
  return londonInstant(date, time);
}
