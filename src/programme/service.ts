import { randomUUID } from 'node:crypto';
import type { Db, Queryable } from '../db/database.ts';
import type { AuditLog } from '../platform/audit.ts';
import type { Clock } from '../platform/clock.ts';
import { ConflictError, forbidden, notFound } from '../platform/errors.ts';
import { can, type GlobalAction } from '../platform/policy.ts';
import type { Principal } from '../platform/principal.ts';
import type { FieldError } from '../platform/validation.ts';
import type { CasePeopleForRedaction, CaseService } from '../cases/service.ts';
import { FINAL_STAGES, POST_CHARGE_STAGES, STAGE_LABELS, type Stage } from '../cases/stages.ts';
import type { ReferenceService } from '../reference/service.ts';
import type { Redactor } from './redaction.ts';
import { ProgrammeRepository } from './repository.ts';
import {
  type CaseStudyInput, type CommitmentQuery, type CommitmentUpdate, type CompletionInput, type LearningEventInput, PAGE_SIZE, type PilotItemInput, STATUS_LABELS, type WorkforceInput,
} from './schemas.ts';
import { summarisePlan } from './summary.ts';

/** A form error found by the service (e.g. an unknown course); shown in the GOV.UK error summary, nothing written. */
export class FormError extends Error {
  constructor(readonly errors: FieldError[]) {
    super(errors.map((e) => e.text).join('; '));
  }
  get byField(): Record<string, string> {
    return Object.fromEntries(this.errors.map((e) => [e.field, e.text]));
  }
}
const fieldError = (field: string, text: string) => new FormError([{ field, text, href: `#${field}` }]);

/** Finalised at court: the stages after charge where proceedings are over (see cases/stages.ts). */
export const COURT_FINAL_STAGES: readonly Stage[] = FINAL_STAGES.filter((s) => POST_CHARGE_STAGES.includes(s));

const londonDate = (d: Date) => new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/London', year: 'numeric', month: '2-digit', day: '2-digit' }).format(d);

/**
 * The programme: action plans and commitments, their annex, workforce, training, pilots and case studies. Plan data
 * is national and not case data; the exceptions (pilot cases, case studies linked to a case) go through the case
 * file's service and are audited.
 */
export class ProgrammeService {
  constructor(
    private readonly db: Db,
    private readonly audit: AuditLog,
    private readonly clock: Clock,
    private readonly cases: CaseService,
    private readonly reference: ReferenceService,
    private readonly redactor: Redactor,
  ) {}

  private repo(q: Queryable = this.db) {
    return new ProgrammeRepository(q);
  }

  /** Asks the policy; a refusal is audited and shown as 403. */
  async authorize(principal: Principal, action: GlobalAction, requestId?: string) {
    if (can(principal, action)) return;
    await this.audit.record({ actorUserId: principal.userId, actorOrganisationId: principal.organisation.id, action, outcome: 'denied', requestId });
    throw forbidden();
  }

  private record(principal: Principal, action: string, entityType: string, entityId: string, tx: Queryable, requestId?: string, detail: Record<string, unknown> = {}, caseId?: string) {
    return this.audit.record({ actorUserId: principal.userId, actorOrganisationId: principal.organisation.id, action, outcome: 'allowed', entityType, entityId, caseId, requestId, detail }, tx);
  }

  today(): string {
    return londonDate(this.clock.now());
  }

  canManage(principal: Principal) {
    return can(principal, 'programme:manage');
  }

  canRecordTraining(principal: Principal) {
    return can(principal, 'programme:record-training');
  }

  // ---- Plans and commitments --------------------------------------------------------------------------------------

  async plans(principal: Principal, requestId?: string) {
    await this.authorize(principal, 'programme:read', requestId);
    return this.repo().plans();
  }

  async plan(principal: Principal, planId: string, requestId?: string) {
    await this.authorize(principal, 'programme:read', requestId);
    const repo = this.repo();
    const plan = await repo.plan(planId);
    if (!plan) throw notFound();
    const [themes, facts, plans] = await Promise.all([repo.themes(planId), repo.historyFacts(planId), repo.plans()]);
    const summary = summarisePlan({ ...facts, asOf: plan.reported_on ?? this.today() });
    // Current position (now), from each commitment's latest status.
    const current = Object.fromEntries(Object.keys(STATUS_LABELS).map((s) => [s, 0])) as Record<string, number>;
    for (const c of await repo.allCommitments(planId)) current[c.status] = (current[c.status] ?? 0) + 1;
    const titles = new Map((await repo.allCommitments(planId)).map((c) => [c.id, c]));
    return {
      plan, themes, summary, current,
      transferred: summary.final.transferredTo.map((t) => ({ ...t, reference: titles.get(t.commitmentId)?.reference, title: titles.get(t.commitmentId)?.title })),
      predecessor: plans.find((p) => p.id === plan.predecessor_id) ?? null,
      successor: plans.find((p) => p.predecessor_id === plan.id) ?? null,
    };
  }

  async commitments(principal: Principal, planId: string, query: CommitmentQuery, requestId?: string) {
    await this.authorize(principal, 'programme:read', requestId);
    const repo = this.repo();
    const plan = await repo.plan(planId);
    if (!plan) throw notFound();
    const [list, themes] = await Promise.all([repo.commitments(planId, query), repo.themes(planId)]);
    return { plan, themes, ...list, pages: Math.max(1, Math.ceil(list.total / PAGE_SIZE)) };
  }

  async commitment(principal: Principal, id: string, requestId?: string) {
    await this.authorize(principal, 'programme:read', requestId);
    const repo = this.repo();
    const commitment = await repo.commitment(id);
    if (!commitment) throw notFound();
    const [plan, history, updates] = await Promise.all([repo.plan(commitment.plan_id), repo.history(id), repo.updates(id)]);
    return { commitment, plan: plan!, history, updates };
  }

  /**
   * Records an update: a new status (with where it went, if transferred) goes into the status history, effective
   * today; the update text and outcome are kept as a dated update. Refused with both versions if the commitment
   * changed since the form was opened.
   */
  async updateCommitment(principal: Principal, id: string, input: CommitmentUpdate, requestId?: string): Promise<{ statusChanged: boolean }> {
    await this.authorize(principal, 'programme:manage', requestId);
    const now = this.clock.now();
    return this.db.transaction(async (tx) => {
      const repo = this.repo(tx);
      const current = await repo.commitment(id, true);
      if (!current) throw notFound();
      if (current.version !== input.version) {
        throw new ConflictError([
          { label: 'Status', current: STATUS_LABELS[current.status], submitted: STATUS_LABELS[input.status] },
          { label: 'Latest update', current: current.latest_update, submitted: input.update },
          { label: 'Outcome', current: current.outcome, submitted: input.outcome },
        ].filter((d) => d.current !== d.submitted), `/programme/commitments/${id}/update`);
      }
      const transferredTo = input.status === 'transferred' ? input.transferredTo : null;
      const statusChanged = current.status !== input.status || (input.status === 'transferred' && current.transferred_to !== transferredTo);
      if (statusChanged) {
        await repo.addStatusEvent({ commitmentId: id, status: input.status, effectiveOn: londonDate(now), transferredTo, note: input.update.slice(0, 500), recordedBy: principal.userId, recordedAt: now });
      }
      await repo.addUpdate({ commitmentId: id, body: input.update, outcome: input.outcome, recordedBy: principal.userId, recordedAt: now });
      await repo.setCurrent(id, { status: input.status, transferredTo, update: input.update, outcome: input.outcome, at: now });
      await this.record(principal, 'programme:commitment-update', 'programme_commitment', id, tx, requestId, { from: current.status, to: input.status, transferredTo });
      return { statusChanged };
    });
  }

  /** Every commitment of a plan with its status, latest update and outcome, like the report's annex. */
  async annex(principal: Principal, planId: string, requestId?: string) {
    await this.authorize(principal, 'programme:read', requestId);
    const repo = this.repo();
    const plan = await repo.plan(planId);
    if (!plan) throw notFound();
    const rows = await repo.allCommitments(planId);
    await this.audit.record({ actorUserId: principal.userId, actorOrganisationId: principal.organisation.id, action: 'programme:annex-export', outcome: 'allowed', entityType: 'programme_plan', entityId: planId, requestId });
    return { plan, rows };
  }

  // ---- Workforce ----------------------------------------------------------------------------------------------------

  async workforce(principal: Principal, requestId?: string) {
    await this.authorize(principal, 'programme:read', requestId);
    const rows = await this.repo().workforce();
    const measure = (m: string) => {
      const own = rows.filter((r) => r.measure === m);
      const dates = [...new Set(own.map((r) => r.as_of))].sort();
      // The national total at a date adds each organisation's latest figure on or before it, so one unit's new
      // figure moves the total by its own change rather than replacing it.
      const orgIds = [...new Set(own.map((r) => r.org_id))];
      const totals = dates.map((d) => ({
        asOf: d,
        value: round1(orgIds.reduce((sum, id) => sum + (own.filter((r) => r.org_id === id && r.as_of <= d).at(-1)?.value ?? 0), 0)),
      }));
      const baseline = totals[0] ?? null;
      const latest = totals.at(-1) ?? null;
      const orgs = [...new Map(own.map((r) => [r.org_id, r.org_name])).entries()].map(([id, name]) => {
        const mine = own.filter((r) => r.org_id === id);
        const first = mine[0]!;
        const last = mine.at(-1)!;
        return { id, name, baseline: first.value, baselineAsOf: first.as_of, latest: last.value, latestAsOf: last.as_of, change: change(first.value, last.value) };
      });
      return { dates, totals, baseline, latest, change: baseline && latest ? change(baseline.value, latest.value) : null, orgs, placeholder: own.some((r) => r.is_placeholder) };
    };
    return { cps: measure('cps_rasso_fte'), police: measure('police_specialist_investigators') };
  }

  /** Records one figure; a second figure for the same organisation and date is refused (correct it instead). */
  async recordWorkforce(principal: Principal, input: WorkforceInput, requestId?: string): Promise<void> {
    await this.authorize(principal, 'programme:record-training', requestId);
    const cps = input.measure === 'cps_rasso_fte';
    if (cps && !(await this.reference.area(input.cpsAreaId))) throw fieldError('cpsAreaId', 'Select the CPS Area');
    if (!cps && !(await this.reference.force(input.forceId))) throw fieldError('forceId', 'Select the police force');
    const id = randomUUID();
    await this.db.transaction(async (tx) => {
      const repo = this.repo(tx);
      if (await repo.workforceFigureExists(input.measure, cps ? 'cps_area_id' : 'force_id', cps ? input.cpsAreaId : input.forceId, input.asOf!)) {
        throw fieldError('asOf', 'A figure for that organisation on that date is already recorded');
      }
      await repo.addWorkforceFigure({
        id, measure: input.measure, cpsAreaId: cps ? input.cpsAreaId : null, forceId: cps ? null : input.forceId, asOf: input.asOf!, value: input.value,
        recordedBy: principal.userId, recordedAt: this.clock.now(),
      });
      await this.record(principal, 'programme:workforce-figure', 'programme_workforce', id, tx, requestId, { measure: input.measure });
    });
  }

  // ---- Training -----------------------------------------------------------------------------------------------------

  async courses() {
    return this.repo().courses();
  }

  async training(principal: Principal, courseId: string | undefined, requestId?: string) {
    await this.authorize(principal, 'programme:read', requestId);
    const courses = await this.courses();
    const course = courses.find((c) => c.id === courseId) ?? courses.find((c) => c.id === 'risdp') ?? courses[0];
    if (!course) throw notFound();
    const repo = this.repo();
    const [totals, byPeriod, byForce, events] = await Promise.all([repo.completionTotals(), repo.completionsByPeriod(course.id), repo.completionsByForce(course.id), repo.learningEvents()]);
    let running = 0;
    const cumulative = byPeriod.map((p) => ({ periodEnd: p.period_end, completed: p.completed, cumulative: (running += p.completed) }));
    const total = running;
    return {
      courses: courses.map((c) => ({ ...c, completed: totals.find((t) => t.id === c.id)?.completed ?? 0 })),
      course, cumulative, byForce, total, events,
      againstTarget: course.target ? { target: course.target, percent: Math.round((total / course.target) * 100), met: total >= course.target } : null,
    };
  }

  async recordCompletion(principal: Principal, input: CompletionInput, requestId?: string): Promise<string> {
    await this.authorize(principal, 'programme:record-training', requestId);
    const courses = await this.courses();
    if (!courses.some((c) => c.id === input.courseId)) throw fieldError('courseId', 'Select the course');
    if (!(await this.reference.force(input.forceId))) throw fieldError('forceId', 'Select the police force');
    const id = randomUUID();
    await this.db.transaction(async (tx) => {
      await this.repo(tx).addCompletions({ id, courseId: input.courseId, forceId: input.forceId, periodEnd: input.periodEnd!, completed: input.completed, recordedBy: principal.userId, recordedAt: this.clock.now() });
      await this.record(principal, 'programme:training-completions', 'programme_training_completion', id, tx, requestId, { courseId: input.courseId, forceId: input.forceId, completed: input.completed });
    });
    return input.courseId;
  }

  async recordLearningEvent(principal: Principal, input: LearningEventInput, requestId?: string): Promise<string> {
    await this.authorize(principal, 'programme:record-training', requestId);
    const id = randomUUID();
    await this.db.transaction(async (tx) => {
      await this.repo(tx).addLearningEvent({ id, kind: input.kind, title: input.title, heldOn: input.heldOn!, attendance: { police: input.police, cps: input.cps, isva: input.isva, other: input.other } });
      await this.record(principal, 'programme:learning-event', 'programme_learning_event', id, tx, requestId, { kind: input.kind });
    });
    return id;
  }

  // ---- Pilots -------------------------------------------------------------------------------------------------------

  async pilots(principal: Principal, requestId?: string) {
    await this.authorize(principal, 'programme:read', requestId);
    const pilots = await this.repo().pilots();
    return Promise.all(pilots.map(async (p) => ({ ...p, ...(await this.readiness(p.id)) })));
  }

  /**
   * Evaluation readiness, derived from the enrolled cases' current stages (never stored): ready when there is at least
   * one enrolled case and every one of them is finalised at court.
   */
  async readiness(pilotId: string, q: Queryable = this.db) {
    const repo = this.repo(q);
    const enrolled = await repo.pilotCases(pilotId);
    const cases = await Promise.all(enrolled.map(async (e) => {
      const c = await this.cases.summary(e.case_id, q);
      const stage = c.stage as Stage;
      return { id: c.id, reference: c.reference, forceName: c.forceName, stage, stageLabel: STAGE_LABELS[stage] ?? stage, finalised: COURT_FINAL_STAGES.includes(stage), enrolledAt: e.enrolled_at };
    }));
    const items = await repo.itemCount(pilotId);
    const finalised = cases.filter((c) => c.finalised).length;
    return { cases, items, enrolled: cases.length, finalised, ready: cases.length > 0 && finalised === cases.length };
  }

  async pilot(principal: Principal, pilotId: string, requestId?: string) {
    await this.authorize(principal, 'programme:read', requestId);
    const repo = this.repo();
    const pilot = await repo.pilotById(pilotId);
    if (!pilot) throw notFound();
    const state = await this.readiness(pilotId);
    const itemsByMonth = await repo.itemsByMonth(pilotId);
    const commitment = pilot.commitment_id ? await repo.commitment(pilot.commitment_id) : undefined;
    // The dashboard shows case references and stages: an audited view of case data (ids only in the detail).
    await this.audit.record({ actorUserId: principal.userId, actorOrganisationId: principal.organisation.id, action: 'programme:pilot-view', outcome: 'allowed', entityType: 'programme_pilot', entityId: pilotId, requestId, detail: { caseIds: state.cases.map((c) => c.id) } });
    return { pilot, ...state, itemsByMonth, commitment: commitment ?? null };
  }

  async enrolCase(principal: Principal, pilotId: string, reference: string, requestId?: string) {
    await this.authorize(principal, 'programme:manage', requestId);
    if (!(await this.repo().pilotById(pilotId))) throw notFound();
    const caseId = await this.cases.idByReference(reference);
    if (!caseId) throw fieldError('reference', 'No case has that reference. Check it and try again');
    await this.db.transaction(async (tx) => {
      if (!(await this.repo(tx).enrol(pilotId, caseId, principal.userId, this.clock.now()))) throw fieldError('reference', 'That case is already enrolled in this pilot');
      await this.record(principal, 'programme:pilot-enrol', 'programme_pilot', pilotId, tx, requestId, {}, caseId);
    });
    return caseId;
  }

  /** Records an item the pilot received; if it names a case, that case must be enrolled in the pilot. */
  async recordPilotItem(principal: Principal, pilotId: string, input: PilotItemInput, requestId?: string): Promise<void> {
    await this.authorize(principal, 'programme:manage', requestId);
    const repo = this.repo();
    if (!(await repo.pilotById(pilotId))) throw notFound();
    let caseId: string | null = null;
    if (input.caseReference) {
      caseId = await this.cases.idByReference(input.caseReference);
      if (!caseId || !(await repo.isEnrolled(pilotId, caseId))) throw fieldError('caseReference', 'Enter the reference of a case enrolled in this pilot, or leave it blank');
    }
    const id = randomUUID();
    await this.db.transaction(async (tx) => {
      await this.repo(tx).addItem({ id, pilotId, caseId, label: input.label, receivedOn: input.receivedOn!, recordedBy: principal.userId, recordedAt: this.clock.now() });
      await this.record(principal, 'programme:pilot-item', 'programme_pilot_item', id, tx, requestId, { pilotId }, caseId ?? undefined);
    });
  }

  // ---- Case studies -------------------------------------------------------------------------------------------------

  async themes() {
    return this.repo().allThemes();
  }

  async caseStudies(principal: Principal, query: { theme: string; page: number }, requestId?: string) {
    await this.authorize(principal, 'programme:read', requestId);
    const { rows, total } = await this.repo().caseStudies(query);
    return { rows, total, pages: Math.max(1, Math.ceil(total / PAGE_SIZE)), themes: await this.themes() };
  }

  async caseStudy(principal: Principal, id: string, requestId?: string) {
    await this.authorize(principal, 'programme:read', requestId);
    const row = await this.repo().caseStudy(id);
    if (!row) throw notFound();
    return row;
  }

  /**
   * Stores a case study only after redaction: identifiers from the linked case (if any) and common identifying
   * patterns are replaced before anything is written. The linked case's id is kept for provenance, never shown.
   */
  async addCaseStudy(principal: Principal, input: CaseStudyInput, requestId?: string): Promise<string> {
    await this.authorize(principal, 'programme:manage', requestId);
    if (!(await this.repo().theme(input.themeId))) throw fieldError('themeId', 'Select the theme');
    let caseId: string | null = null;
    let known: CasePeopleForRedaction | null = null;
    if (input.caseReference) {
      caseId = await this.cases.idByReference(input.caseReference);
      if (!caseId) throw fieldError('caseReference', 'No case has that reference. Check it, or leave it blank');
      known = await this.cases.peopleForRedaction(caseId);
    }
    const title = this.redactor.redact(input.title, known);
    const body = this.redactor.redact(input.body, known);
    const learning = this.redactor.redact(input.learning, known);
    const redactions = title.redactions + body.redactions + learning.redactions;
    const id = randomUUID();
    await this.db.transaction(async (tx) => {
      await this.repo(tx).addCaseStudy({
        id, themeId: input.themeId, title: title.text, body: body.text, learning: learning.text, redactions, linkedCaseId: caseId, recordedBy: principal.userId, recordedAt: this.clock.now(),
      });
      await this.record(principal, 'programme:case-study-create', 'programme_case_study', id, tx, requestId, { redactions }, caseId ?? undefined);
    });
    return id;
  }
}

const round1 = (n: number) => Math.round(n * 10) / 10;
function change(from: number, to: number) {
  return { absolute: round1(to - from), percent: from > 0 ? Math.round(((to - from) / from) * 100) : null };
}
