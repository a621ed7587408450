import { randomUUID } from 'node:crypto';
import type { Queryable } from '../db/database.ts';
import type { CommitmentQuery, CommitmentStatus, Owner } from './schemas.ts';
import { PAGE_SIZE } from './schemas.ts';
import type { Refresh, RefreshItem, StatusEvent } from './summary.ts';

export interface PlanRow { id: string; short_name: string; name: string; description: string; predecessor_id: string | null; started_on: string; reported_on: string | null; version: number }
export interface ThemeRow { id: string; plan_id: string; name: string; position: number; is_placeholder: boolean }
export interface CommitmentRow {
  id: string; plan_id: string; reference: string; title: string; is_placeholder: boolean; owner: Owner; theme_id: string | null; theme_name: string | null;
  start_date: string | null; due_date: string | null; status: CommitmentStatus; transferred_to: string | null; latest_update: string; outcome: string;
  updated_at: Date; version: number; disposition: 'carried_over' | 'added' | 'closed' | null;
}
export interface StatusEventRow { id: string; seq: number; status: CommitmentStatus; effective_on: string; transferred_to: string | null; note: string; recorded_at: Date; recorded_by_name: string | null }
export interface WorkforceRow { measure: string; org_id: string; org_name: string; as_of: string; value: number; is_placeholder: boolean }
export interface CourseRow { id: string; code: string; name: string; organisation: string; target: number | null; target_date: string | null; refreshed_on: string | null; note: string }
export const ATTENDEE_ORGS = ['police', 'cps', 'isva', 'other'] as const;
export interface LearningEventRow { id: string; kind: string; title: string; held_on: string; is_placeholder: boolean; police: number; cps: number; isva: number; other: number; total: number }
export interface PilotRow { id: string; commitment_id: string | null; name: string; description: string; item_label: string; started_on: string; version: number }
export interface CaseStudyRow { id: string; title: string; body: string; learning: string; redactions: number; recorded_at: Date; theme_name: string; plan_short_name: string; recorded_by_name: string | null }
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export interface UpdateRow { id: string; body: string; outcome: string; recorded_at: Date; recorded_by_name: string | null }

const SORTS: Record<CommitmentQuery['sort'], string> = {
  reference: `c.reference_order`, status: 'c.status', owner: 'c.owner', updated: 'c.updated_at',
};

const COMMITMENT_SELECT = `
  SELECT c.*, t.name AS theme_name, ri.disposition,
         -- "JNAP 2" before "JNAP 10": the number in the reference, after its prefix
         (regexp_replace(c.reference, '[0-9]+$', '') || lpad(coalesce(substring(c.reference from '([0-9]+)$'), '0'), 6, '0')) AS reference_order
    FROM programme_commitments c
    LEFT JOIN programme_themes t ON t.id = c.theme_id
    LEFT JOIN LATERAL (SELECT i.disposition FROM programme_refresh_items i JOIN programme_refreshes r ON r.id = i.refresh_id
                        WHERE i.commitment_id = c.id ORDER BY r.refreshed_on DESC LIMIT 1) ri ON true`;

export class ProgrammeRepository {
  constructor(private readonly q: Queryable) {}

  plans() {
    return this.q.query<PlanRow & { commitments: number; themes: number }>(
      `SELECT p.*, (SELECT count(*)::int FROM programme_commitments c WHERE c.plan_id = p.id) AS commitments,
              (SELECT count(*)::int FROM programme_themes t WHERE t.plan_id = p.id) AS themes
         FROM programme_plans p ORDER BY p.started_on, p.id`);
  }

  async plan(id: string): Promise<PlanRow | undefined> {
    return (await this.q.query<PlanRow>('SELECT * FROM programme_plans WHERE id = $1', [id]))[0];
  }

  themes(planId: string) {
    return this.q.query<ThemeRow>('SELECT * FROM programme_themes WHERE plan_id = $1 ORDER BY position', [planId]);
  }

  allThemes() {
    return this.q.query<ThemeRow & { plan_short_name: string }>(
      'SELECT t.*, p.short_name AS plan_short_name FROM programme_themes t JOIN programme_plans p ON p.id = t.plan_id ORDER BY p.started_on, t.position');
  }

  async theme(id: string): Promise<ThemeRow | undefined> {
    return (await this.q.query<ThemeRow>('SELECT * FROM programme_themes WHERE id = $1', [id]))[0];
  }

  refreshes(planId: string) {
    return this.q.query<{ id: string; name: string; refreshed_on: string }>('SELECT * FROM programme_refreshes WHERE plan_id = $1 ORDER BY refreshed_on', [planId]);
  }

  async historyFacts(planId: string): Promise<{ commitmentIds: string[]; events: StatusEvent[]; refreshes: Refresh[]; refreshItems: RefreshItem[] }> {
    const [ids, events, refreshes, items] = await Promise.all([
      this.q.query<{ id: string }>('SELECT id FROM programme_commitments WHERE plan_id = $1 ORDER BY id', [planId]),
      this.q.query<{ commitment_id: string; seq: number; status: CommitmentStatus; effective_on: string; transferred_to: string | null }>(
        `SELECT e.commitment_id, e.seq, e.status, e.effective_on, e.transferred_to FROM programme_status_events e
           JOIN programme_commitments c ON c.id = e.commitment_id WHERE c.plan_id = $1`, [planId]),
      this.refreshes(planId),
      this.q.query<{ refresh_id: string; commitment_id: string; disposition: RefreshItem['disposition'] }>(
        `SELECT i.* FROM programme_refresh_items i JOIN programme_refreshes r ON r.id = i.refresh_id WHERE r.plan_id = $1`, [planId]),
    ]);
    return {
      commitmentIds: ids.map((r) => r.id),
      events: events.map((e) => ({ commitmentId: e.commitment_id, seq: e.seq, status: e.status, effectiveOn: e.effective_on, transferredTo: e.transferred_to })),
      refreshes: refreshes.map((r) => ({ id: r.id, name: r.name, refreshedOn: r.refreshed_on })),
      refreshItems: items.map((i) => ({ refreshId: i.refresh_id, commitmentId: i.commitment_id, disposition: i.disposition })),
    };
  }

  async commitments(planId: string, query: CommitmentQuery): Promise<{ rows: CommitmentRow[]; total: number }> {
    const where = ['c.plan_id = $1'];
    const params: unknown[] = [planId];
    if (query.status !== 'all') where.push(`c.status = $${params.push(query.status)}`);
    if (query.owner !== 'all') where.push(`c.owner = $${params.push(query.owner)}`);
    if (query.theme !== 'all') where.push(`c.theme_id = $${params.push(query.theme)}`);
    const base = `SELECT * FROM (${COMMITMENT_SELECT}) c WHERE ${where.join(' AND ')}`;
    const [{ total }] = (await this.q.query<{ total: number }>(`SELECT count(*)::int AS total FROM (${base}) x`, params)) as [{ total: number }];
    const dir = query.order === 'desc' ? 'DESC' : 'ASC';
    const rows = await this.q.query<CommitmentRow>(
      `${base} ORDER BY ${SORTS[query.sort]} ${dir}, c.reference_order ${dir} LIMIT ${PAGE_SIZE} OFFSET ${(query.page - 1) * PAGE_SIZE}`, params);
    return { rows, total };
  }

  allCommitments(planId: string) {
    return this.q.query<CommitmentRow>(`SELECT * FROM (${COMMITMENT_SELECT}) c WHERE c.plan_id = $1 ORDER BY c.reference_order`, [planId]);
  }

  async commitment(id: string, forUpdate = false): Promise<CommitmentRow | undefined> {
    if (forUpdate) await this.q.query('SELECT id FROM programme_commitments WHERE id = $1 FOR UPDATE', [id]);
    return (await this.q.query<CommitmentRow>(`SELECT * FROM (${COMMITMENT_SELECT}) c WHERE c.id = $1`, [id]))[0];
  }

  history(commitmentId: string) {
    return this.q.query<StatusEventRow>(
      `SELECT e.*, u.display_name AS recorded_by_name FROM programme_status_events e LEFT JOIN users u ON u.id = e.recorded_by
        WHERE e.commitment_id = $1 ORDER BY e.effective_on DESC, e.seq DESC`, [commitmentId]);
  }

  updates(commitmentId: string) {
    return this.q.query<UpdateRow>(
      `SELECT p.*, u.display_name AS recorded_by_name FROM programme_updates p LEFT JOIN users u ON u.id = p.recorded_by
        WHERE p.commitment_id = $1 ORDER BY p.recorded_at DESC`, [commitmentId]);
  }

  async nextSeq(commitmentId: string): Promise<number> {
    const [r] = await this.q.query<{ n: number }>('SELECT coalesce(max(seq), 0)::int + 1 AS n FROM programme_status_events WHERE commitment_id = $1', [commitmentId]);
    return r!.n;
  }

  // ---- Commitment changes ----

  async addStatusEvent(e: { commitmentId: string; status: CommitmentStatus; effectiveOn: string; transferredTo: string | null; note: string; recordedBy: string; recordedAt: Date }) {
    await this.q.query(
      `INSERT INTO programme_status_events (id, commitment_id, seq, status, effective_on, transferred_to, note, recorded_by, recorded_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
      [randomUUID(), e.commitmentId, await this.nextSeq(e.commitmentId), e.status, e.effectiveOn, e.transferredTo, e.note, e.recordedBy, e.recordedAt]);
  }

  async addUpdate(u: { commitmentId: string; body: string; outcome: string; recordedBy: string; recordedAt: Date }) {
    await this.q.query('INSERT INTO programme_updates (id, commitment_id, body, outcome, recorded_by, recorded_at) VALUES ($1, $2, $3, $4, $5, $6)',
      [randomUUID(), u.commitmentId, u.body, u.outcome, u.recordedBy, u.recordedAt]);
  }

  /** Sets the current status and latest update; an empty outcome keeps the one already recorded. */
  async setCurrent(id: string, c: { status: CommitmentStatus; transferredTo: string | null; update: string; outcome: string; at: Date }) {
    await this.q.query(
      `UPDATE programme_commitments SET status = $2, transferred_to = $3, latest_update = $4, outcome = CASE WHEN $5 = '' THEN outcome ELSE $5 END,
              updated_at = $6, version = version + 1 WHERE id = $1`,
      [id, c.status, c.transferredTo, c.update, c.outcome, c.at]);
  }

  // ---- Workforce ----

  workforce() {
    return this.q.query<WorkforceRow>(
      `SELECT w.measure, coalesce(w.cps_area_id, w.force_id) AS org_id, coalesce(a.name, f.name) AS org_name, w.as_of, w.value::float8 AS value, w.is_placeholder
         FROM programme_workforce w LEFT JOIN cps_areas a ON a.id = w.cps_area_id LEFT JOIN forces f ON f.id = w.force_id
        ORDER BY w.measure, org_name, w.as_of`);
  }

  async workforceFigureExists(measure: string, column: 'cps_area_id' | 'force_id', orgId: string, asOf: string): Promise<boolean> {
    return (await this.q.query(`SELECT 1 FROM programme_workforce WHERE measure = $1 AND as_of = $2 AND ${column} = $3`, [measure, asOf, orgId])).length > 0;
  }

  async addWorkforceFigure(f: { id: string; measure: string; cpsAreaId: string | null; forceId: string | null; asOf: string; value: number; recordedBy: string; recordedAt: Date }) {
    await this.q.query(
      'INSERT INTO programme_workforce (id, measure, cps_area_id, force_id, as_of, value, recorded_by, recorded_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)',
      [f.id, f.measure, f.cpsAreaId, f.forceId, f.asOf, f.value, f.recordedBy, f.recordedAt]);
  }

  // ---- Training ----

  courses() {
    return this.q.query<CourseRow>('SELECT * FROM programme_courses ORDER BY code');
  }

  completionTotals() {
    return this.q.query<{ id: string; completed: number }>('SELECT course_id AS id, sum(completed)::int AS completed FROM programme_training_completions GROUP BY course_id');
  }

  completionsByPeriod(courseId: string) {
    return this.q.query<{ period_end: string; completed: number }>(
      'SELECT period_end, sum(completed)::int AS completed FROM programme_training_completions WHERE course_id = $1 GROUP BY period_end ORDER BY period_end', [courseId]);
  }

  completionsByForce(courseId: string) {
    return this.q.query<{ force_id: string; force_name: string; completed: number; latest: string }>(
      `SELECT f.id AS force_id, f.name AS force_name, sum(t.completed)::int AS completed, max(t.period_end) AS latest
         FROM programme_training_completions t JOIN forces f ON f.id = t.force_id WHERE t.course_id = $1 GROUP BY f.id, f.name ORDER BY f.name`, [courseId]);
  }

  async addCompletions(c: { id: string; courseId: string; forceId: string; periodEnd: string; completed: number; recordedBy: string; recordedAt: Date }) {
    await this.q.query(
      'INSERT INTO programme_training_completions (id, course_id, force_id, period_end, completed, recorded_by, recorded_at) VALUES ($1, $2, $3, $4, $5, $6, $7)',
      [c.id, c.courseId, c.forceId, c.periodEnd, c.completed, c.recordedBy, c.recordedAt]);
  }

  learningEvents() {
    return this.q.query<LearningEventRow>(
      `SELECT e.*, ${ATTENDEE_ORGS.map((o) => `coalesce(sum(a.attendees) FILTER (WHERE a.organisation = '${o}'), 0)::int AS ${o}`).join(', ')},
              coalesce(sum(a.attendees), 0)::int AS total
         FROM programme_learning_events e LEFT JOIN programme_learning_attendance a ON a.event_id = e.id GROUP BY e.id ORDER BY e.held_on DESC`);
  }

  async addLearningEvent(e: { id: string; kind: string; title: string; heldOn: string; attendance: Record<(typeof ATTENDEE_ORGS)[number], number> }) {
    await this.q.query('INSERT INTO programme_learning_events (id, kind, title, held_on) VALUES ($1, $2, $3, $4)', [e.id, e.kind, e.title, e.heldOn]);
    for (const org of ATTENDEE_ORGS) {
      if (e.attendance[org] > 0) await this.q.query('INSERT INTO programme_learning_attendance (event_id, organisation, attendees) VALUES ($1, $2, $3)', [e.id, org, e.attendance[org]]);
    }
  }

  // ---- Pilots ----

  pilots() {
    return this.q.query<PilotRow>('SELECT * FROM programme_pilots ORDER BY started_on, name');
  }

  async pilotById(id: string): Promise<PilotRow | undefined> {
    return (await this.q.query<PilotRow>('SELECT * FROM programme_pilots WHERE id = $1', [id]))[0];
  }

  pilotCases(pilotId: string) {
    return this.q.query<{ case_id: string; enrolled_at: Date }>('SELECT case_id, enrolled_at FROM programme_pilot_cases WHERE pilot_id = $1 ORDER BY enrolled_at', [pilotId]);
  }

  async isEnrolled(pilotId: string, caseId: string): Promise<boolean> {
    return (await this.q.query('SELECT 1 FROM programme_pilot_cases WHERE pilot_id = $1 AND case_id = $2', [pilotId, caseId])).length > 0;
  }

  /** False when the case was already enrolled. */
  async enrol(pilotId: string, caseId: string, by: string, at: Date): Promise<boolean> {
    const added = await this.q.query('INSERT INTO programme_pilot_cases (pilot_id, case_id, enrolled_at, enrolled_by) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING RETURNING case_id',
      [pilotId, caseId, at, by]);
    return added.length > 0;
  }

  async itemCount(pilotId: string): Promise<number> {
    return (await this.q.query<{ n: number }>('SELECT count(*)::int AS n FROM programme_pilot_items WHERE pilot_id = $1', [pilotId]))[0]!.n;
  }

  itemsByMonth(pilotId: string) {
    return this.q.query<{ month: string; n: number }>(
      `SELECT to_char(received_on, 'YYYY-MM') AS month, count(*)::int AS n FROM programme_pilot_items WHERE pilot_id = $1 GROUP BY 1 ORDER BY 1`, [pilotId]);
  }

  async addItem(i: { id: string; pilotId: string; caseId: string | null; label: string; receivedOn: string; recordedBy: string; recordedAt: Date }) {
    await this.q.query('INSERT INTO programme_pilot_items (id, pilot_id, case_id, label, received_on, recorded_by, recorded_at) VALUES ($1, $2, $3, $4, $5, $6, $7)',
      [i.id, i.pilotId, i.caseId, i.label, i.receivedOn, i.recordedBy, i.recordedAt]);
  }

  // ---- Case studies ----

  async caseStudies(query: { theme: string; page: number }) {
    const params: unknown[] = [];
    const where = query.theme !== 'all' ? `WHERE s.theme_id = $${params.push(query.theme)}` : '';
    const [{ total }] = (await this.q.query<{ total: number }>(`SELECT count(*)::int AS total FROM programme_case_studies s ${where}`, params)) as [{ total: number }];
    const rows = await this.q.query<{ id: string; title: string; theme_name: string; plan_short_name: string; recorded_at: Date; redactions: number }>(
      `SELECT s.id, s.title, t.name AS theme_name, p.short_name AS plan_short_name, s.recorded_at, s.redactions
         FROM programme_case_studies s JOIN programme_themes t ON t.id = s.theme_id JOIN programme_plans p ON p.id = t.plan_id
         ${where} ORDER BY s.recorded_at DESC, s.id LIMIT ${PAGE_SIZE} OFFSET ${(query.page - 1) * PAGE_SIZE}`, params);
    return { rows, total };
  }

  async caseStudy(id: string): Promise<CaseStudyRow | undefined> {
    if (!UUID.test(id)) return undefined;
    return (await this.q.query<CaseStudyRow>(
      `SELECT s.id, s.title, s.body, s.learning, s.redactions, s.recorded_at, t.name AS theme_name, p.short_name AS plan_short_name, u.display_name AS recorded_by_name
         FROM programme_case_studies s JOIN programme_themes t ON t.id = s.theme_id JOIN programme_plans p ON p.id = t.plan_id
         LEFT JOIN users u ON u.id = s.recorded_by WHERE s.id = $1`, [id]))[0];
  }

  async addCaseStudy(s: { id: string; themeId: string; title: string; body: string; learning: string; redactions: number; linkedCaseId: string | null; recordedBy: string; recordedAt: Date }) {
    await this.q.query(
      `INSERT INTO programme_case_studies (id, theme_id, title, body, learning, redactions, linked_case_id, recorded_by, recorded_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
      [s.id, s.themeId, s.title, s.body, s.learning, s.redactions, s.linkedCaseId, s.recordedBy, s.recordedAt]);
  }
}
