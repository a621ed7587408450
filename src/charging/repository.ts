import type { Queryable } from '../db/database.ts';
import type { CourtStep, Decision } from './schemas.ts';

export interface FileItemRow { code: string; title: string; description: string; applicability: 'always' | 'if_applicable'; sort_order: number; needs_check: boolean; active: boolean }
export type ItemStatus = 'provided' | 'missing' | 'not_applicable';
export interface SubmissionRow {
  id: string; case_id: string; force_id: string; sequence: number; status: 'awaiting_decision' | 'decided' | 'returned'; summary: string; missing_note: string;
  submitted_by: string; submitted_by_name: string; submitted_at: Date; updated_at: Date; version: number;
}
export interface SubmissionItemRow { submission_id: string; item_code: string; status: ItemStatus; title: string; applicability: 'always' | 'if_applicable'; sort_order: number }
export interface MeetingRow { id: string; submission_id: string; held_on: string; format: 'in_person' | 'video'; attendees: string[]; notes: string; recorded_by_name: string; recorded_at: Date }
export interface DecisionRow {
  id: string; case_id: string; submission_id: string; decision: Decision; evidential_reasons: string; public_interest_reasons: string;
  threshold_conditions: string[]; threshold_reasons: string; further_evidence: string; full_code_review_on: string | null;
  action_plan: string; response_due: string | null; reasons: string; meeting_id: string | null; outcome_type_code: number | null;
  decided_by: string; decided_by_name: string; decided_at: Date; offences: string[];
}
export interface PoliceOutcomeRow {
  id: string; outcome_type_code: number; reasons: string; had_early_advice: boolean; ea_not_sought_reason: string; suspect_interviewed: boolean;
  decided_by: string; decided_by_name: string; decided_at: Date;
}
export interface CourtProgressRow { id: string; step: CourtStep; occurred_on: string; notes: string; recorded_by_name: string; recorded_at: Date }
export interface WindowRow {
  id: string; case_id: string; force_id: string; scheme: 'police' | 'cps'; source_kind: 'police_outcome' | 'charging_decision' | 'discontinuance'; source_id: string;
  opened_on: string; normal_deadline: string; latest_deadline: string; opened_by: string; created_at: Date;
}
export interface VrrRequestRow {
  id: string; case_id: string; force_id: string; window_id: string; scheme: 'police' | 'cps'; requested_on: string; timeliness: 'in_time' | 'late' | 'out_of_time';
  late_reason: string; acknowledge_due: string | null; complete_due: string | null; acknowledged_on: string | null;
  review_level: 'local_resolution' | 'independent_review' | null; result: 'upheld' | 'overturned' | null; result_on: string | null; result_notes: string;
  status: 'received' | 'acknowledged' | 'completed'; recorded_by: string; recorded_by_name: string; recorded_at: Date; updated_at: Date; version: number;
}

/** SQL for the charging tables; the service owns transactions, policy and audit. */
export class ChargingRepository {
  constructor(private readonly db: Queryable) {}

  fileItems() {
    return this.db.query<FileItemRow>('SELECT * FROM charging_file_items ORDER BY sort_order, code');
  }

  /** Locks the case row for the rest of the transaction and returns its stage (callers then check the transition). */
  async lockCase(caseId: string) {
    const [row] = await this.db.query<{ stage: string; force_id: string; reference: string }>('SELECT stage, force_id, reference FROM cases WHERE id = $1 FOR UPDATE', [caseId]);
    return row;
  }

  async submissions(caseId: string) {
    return this.db.query<SubmissionRow>(
      `SELECT s.*, u.display_name AS submitted_by_name FROM charging_submissions s JOIN users u ON u.id = s.submitted_by
        WHERE s.case_id = $1 ORDER BY s.sequence DESC`,
      [caseId],
    );
  }

  async openSubmission(caseId: string, lock = false) {
    const [row] = await this.db.query<SubmissionRow>(
      `SELECT s.*, u.display_name AS submitted_by_name FROM charging_submissions s JOIN users u ON u.id = s.submitted_by
        WHERE s.case_id = $1 AND s.status = 'awaiting_decision'${lock ? ' FOR UPDATE OF s' : ''}`,
      [caseId],
    );
    return row;
  }

  async submission(id: string) {
    const [row] = await this.db.query<SubmissionRow>(
      `SELECT s.*, u.display_name AS submitted_by_name FROM charging_submissions s JOIN users u ON u.id = s.submitted_by WHERE s.id = $1`,
      [id],
    );
    return row;
  }

  async nextSequence(caseId: string): Promise<number> {
    const [r] = await this.db.query<{ n: number }>('SELECT coalesce(max(sequence), 0)::int + 1 AS n FROM charging_submissions WHERE case_id = $1', [caseId]);
    return r!.n;
  }

  async insertSubmission(s: { id: string; caseId: string; forceId: string; sequence: number; summary: string; missingNote: string; userId: string; at: Date }) {
    await this.db.query(
      `INSERT INTO charging_submissions (id, case_id, force_id, sequence, status, summary, missing_note, submitted_by, submitted_at, updated_by, updated_at)
       VALUES ($1,$2,$3,$4,'awaiting_decision',$5,$6,$7,$8,$7,$8)`,
      [s.id, s.caseId, s.forceId, s.sequence, s.summary, s.missingNote, s.userId, s.at],
    );
  }

  async setItems(submissionId: string, forceId: string, statuses: Map<string, ItemStatus>) {
    await this.db.query('DELETE FROM charging_submission_items WHERE submission_id = $1', [submissionId]);
    for (const [code, status] of statuses) {
      await this.db.query('INSERT INTO charging_submission_items (submission_id, force_id, item_code, status) VALUES ($1,$2,$3,$4)', [submissionId, forceId, code, status]);
    }
  }

  async items(submissionIds: string[]) {
    if (submissionIds.length === 0) return [];
    return this.db.query<SubmissionItemRow>(
      `SELECT i.submission_id, i.item_code, i.status, f.title, f.applicability, f.sort_order
         FROM charging_submission_items i JOIN charging_file_items f ON f.code = i.item_code
        WHERE i.submission_id = ANY($1::uuid[]) ORDER BY f.sort_order, f.code`,
      [submissionIds],
    );
  }

  async updateSubmission(id: string, version: number, s: { summary: string; missingNote: string; userId: string; at: Date }): Promise<boolean> {
    const rows = await this.db.query(
      `UPDATE charging_submissions SET summary = $3, missing_note = $4, updated_by = $5, updated_at = $6, version = version + 1
        WHERE id = $1 AND version = $2 AND status = 'awaiting_decision' RETURNING id`,
      [id, version, s.summary, s.missingNote, s.userId, s.at],
    );
    return rows.length > 0;
  }

  async closeSubmission(id: string, status: 'decided' | 'returned', at: Date) {
    await this.db.query('UPDATE charging_submissions SET status = $2, updated_at = $3, version = version + 1 WHERE id = $1', [id, status, at]);
  }

  async insertMeeting(m: { id: string; caseId: string; forceId: string; submissionId: string; heldOn: string; format: string; attendees: string[]; notes: string; userId: string; at: Date }) {
    await this.db.query(
      `INSERT INTO charging_meetings (id, case_id, force_id, submission_id, held_on, format, attendees, notes, recorded_by, recorded_at)
       VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10)`,
      [m.id, m.caseId, m.forceId, m.submissionId, m.heldOn, m.format, JSON.stringify(m.attendees), m.notes, m.userId, m.at],
    );
  }

  async meetings(caseId: string) {
    return this.db.query<MeetingRow>(
      `SELECT m.*, u.display_name AS recorded_by_name FROM charging_meetings m JOIN users u ON u.id = m.recorded_by
        WHERE m.case_id = $1 ORDER BY m.held_on DESC, m.recorded_at DESC`,
      [caseId],
    );
  }

  async latestMeeting(submissionId: string) {
    const [row] = await this.db.query<{ id: string; held_on: string }>(
      'SELECT id, held_on FROM charging_meetings WHERE submission_id = $1 ORDER BY held_on DESC, recorded_at DESC LIMIT 1',
      [submissionId],
    );
    return row;
  }

  async insertDecision(d: {
    id: string; caseId: string; forceId: string; submissionId: string; decision: Decision; evidentialReasons: string; publicInterestReasons: string;
    conditions: string[]; thresholdReasons: string; furtherEvidence: string; fullCodeReviewOn: string | null; actionPlan: string; responseDue: string | null;
    reasons: string; meetingId: string | null; outcomeTypeCode: number | null; userId: string; at: Date; offences: string[];
  }) {
    await this.db.query(
      `INSERT INTO charging_decisions (id, case_id, force_id, submission_id, decision, evidential_reasons, public_interest_reasons, threshold_conditions,
         threshold_reasons, further_evidence, full_code_review_on, action_plan, response_due, reasons, meeting_id, outcome_type_code, decided_by, decided_at)
       VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18)`,
      [d.id, d.caseId, d.forceId, d.submissionId, d.decision, d.evidentialReasons, d.publicInterestReasons, JSON.stringify(d.conditions), d.thresholdReasons,
        d.furtherEvidence, d.fullCodeReviewOn, d.actionPlan, d.responseDue, d.reasons, d.meetingId, d.outcomeTypeCode, d.userId, d.at],
    );
    for (const code of d.offences) {
      await this.db.query('INSERT INTO charging_decision_offences (decision_id, force_id, offence_code) VALUES ($1,$2,$3)', [d.id, d.forceId, code]);
    }
  }

  async decisions(caseId: string) {
    return this.db.query<DecisionRow>(
      `SELECT d.*, u.display_name AS decided_by_name,
              coalesce((SELECT array_agg(o.offence_code ORDER BY o.offence_code) FROM charging_decision_offences o WHERE o.decision_id = d.id), '{}') AS offences
         FROM charging_decisions d JOIN users u ON u.id = d.decided_by
        WHERE d.case_id = $1 ORDER BY d.decided_at DESC`,
      [caseId],
    );
  }

  async decision(id: string) {
    const [row] = await this.db.query<{ id: string; submission_id: string; decided_by: string }>('SELECT id, submission_id, decided_by FROM charging_decisions WHERE id = $1', [id]);
    return row;
  }

  async insertPoliceOutcome(o: { id: string; caseId: string; forceId: string; code: number; reasons: string; hadEarlyAdvice: boolean; eaNotSoughtReason: string; suspectInterviewed: boolean; userId: string; at: Date }) {
    await this.db.query(
      `INSERT INTO police_outcomes (id, case_id, force_id, outcome_type_code, reasons, had_early_advice, ea_not_sought_reason, suspect_interviewed, decided_by, decided_at)
       VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10)`,
      [o.id, o.caseId, o.forceId, o.code, o.reasons, o.hadEarlyAdvice, o.eaNotSoughtReason, o.suspectInterviewed, o.userId, o.at],
    );
  }

  async policeOutcomes(caseId: string) {
    return this.db.query<PoliceOutcomeRow>(
      `SELECT p.*, u.display_name AS decided_by_name FROM police_outcomes p JOIN users u ON u.id = p.decided_by
        WHERE p.case_id = $1 ORDER BY p.decided_at DESC`,
      [caseId],
    );
  }

  async insertCourtProgress(c: { id: string; caseId: string; forceId: string; step: CourtStep; occurredOn: string; notes: string; userId: string; at: Date }) {
    await this.db.query(
      `INSERT INTO court_progress (id, case_id, force_id, step, occurred_on, notes, recorded_by, recorded_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8)`,
      [c.id, c.caseId, c.forceId, c.step, c.occurredOn, c.notes, c.userId, c.at],
    );
  }

  async courtProgress(caseId: string) {
    return this.db.query<CourtProgressRow>(
      `SELECT c.*, u.display_name AS recorded_by_name FROM court_progress c JOIN users u ON u.id = c.recorded_by
        WHERE c.case_id = $1 ORDER BY c.occurred_on DESC, c.recorded_at DESC`,
      [caseId],
    );
  }

  async insertWindow(w: { id: string; caseId: string; forceId: string; scheme: 'police' | 'cps'; sourceKind: WindowRow['source_kind']; sourceId: string; openedOn: string; normalDeadline: string; latestDeadline: string; userId: string; at: Date }) {
    await this.db.query(
      `INSERT INTO vrr_windows (id, case_id, force_id, scheme, source_kind, source_id, opened_on, normal_deadline, latest_deadline, opened_by, created_at)
       VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11)`,
      [w.id, w.caseId, w.forceId, w.scheme, w.sourceKind, w.sourceId, w.openedOn, w.normalDeadline, w.latestDeadline, w.userId, w.at],
    );
  }

  async windows(caseId: string) {
    return this.db.query<WindowRow>('SELECT * FROM vrr_windows WHERE case_id = $1 ORDER BY opened_on DESC, created_at DESC', [caseId]);
  }

  async window(id: string) {
    const [row] = await this.db.query<WindowRow>('SELECT * FROM vrr_windows WHERE id = $1', [id]);
    return row;
  }

  async insertVrrRequest(r: {
    id: string; caseId: string; forceId: string; windowId: string; scheme: 'police' | 'cps'; requestedOn: string; timeliness: VrrRequestRow['timeliness'];
    lateReason: string; acknowledgeDue: string | null; completeDue: string | null; userId: string; at: Date;
  }) {
    await this.db.query(
      `INSERT INTO vrr_requests (id, case_id, force_id, window_id, scheme, requested_on, timeliness, late_reason, acknowledge_due, complete_due, status,
         recorded_by, recorded_at, updated_at)
       VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,'received',$11,$12,$12)`,
      [r.id, r.caseId, r.forceId, r.windowId, r.scheme, r.requestedOn, r.timeliness, r.lateReason, r.acknowledgeDue, r.completeDue, r.userId, r.at],
    );
  }

  async vrrRequests(caseId: string) {
    return this.db.query<VrrRequestRow>(
      `SELECT r.*, u.display_name AS recorded_by_name FROM vrr_requests r JOIN users u ON u.id = r.recorded_by
        WHERE r.case_id = $1 ORDER BY r.requested_on DESC, r.recorded_at DESC`,
      [caseId],
    );
  }

  async vrrRequest(id: string, lock = false) {
    const [row] = await this.db.query<VrrRequestRow>(
      `SELECT r.*, u.display_name AS recorded_by_name FROM vrr_requests r JOIN users u ON u.id = r.recorded_by WHERE r.id = $1${lock ? ' FOR UPDATE OF r' : ''}`,
      [id],
    );
    return row;
  }

  async openRequestFor(windowId: string) {
    const [row] = await this.db.query<{ id: string }>(`SELECT id FROM vrr_requests WHERE window_id = $1 AND status <> 'completed'`, [windowId]);
    return row;
  }

  async requestCount(windowId: string): Promise<number> {
    const [r] = await this.db.query<{ n: number }>('SELECT count(*)::int AS n FROM vrr_requests WHERE window_id = $1', [windowId]);
    return r?.n ?? 0;
  }

  async acknowledge(id: string, version: number, on: string, at: Date): Promise<boolean> {
    const rows = await this.db.query(
      `UPDATE vrr_requests SET acknowledged_on = $3, status = 'acknowledged', updated_at = $4, version = version + 1
        WHERE id = $1 AND version = $2 AND status = 'received' RETURNING id`,
      [id, version, on, at],
    );
    return rows.length > 0;
  }

  async complete(id: string, version: number, r: { result: string; resultOn: string; reviewLevel: string | null; notes: string; at: Date }): Promise<boolean> {
    const rows = await this.db.query(
      `UPDATE vrr_requests SET result = $3, result_on = $4, review_level = $5, result_notes = $6, status = 'completed', updated_at = $7, version = version + 1
        WHERE id = $1 AND version = $2 AND status <> 'completed' RETURNING id`,
      [id, version, r.result, r.resultOn, r.reviewLevel, r.notes, r.at],
    );
    return rows.length > 0;
  }
}
