import type { Queryable } from '../db/database.ts';
import type { Channel, ConferenceKind, LoeCategory, LoeStatus, Priority, QueueQuery, RequestStatus } from './schemas.ts';

export interface RequestRow {
  id: string;
  case_id: string;
  force_id: string;
  cps_area_id: string;
  case_reference: string;
  sequence: number;
  case_summary: string;
  questions: string;
  strategy: string;
  priority: Priority;
  status: RequestStatus;
  requested_by: string;
  requested_by_name: string;
  requested_at: Date;
  target_date: string;
  target_working_days: number;
  allocated_to: string | null;
  allocated_to_name: string | null;
  allocated_at: Date | null;
  advice_given_at: Date | null;
  version: number;
}

export interface Participant { userId: string; name: string; organisation: string; side: 'police' | 'cps' }

export interface AdviceRow {
  id: string;
  request_id: string;
  case_id: string;
  force_id: string;
  advice: string;
  plan_number: number | null;
  status: 'awaiting_review' | 'issued';
  drafted_by: string;
  drafted_by_name: string;
  drafted_at: Date;
  reviewed_by: string | null;
  reviewed_by_name: string | null;
  reviewed_at: Date | null;
  review_note: string;
  issued_at: Date | null;
  version: number;
  // the conversation it was given with
  conversation_id: string;
  held_at: Date;
  channel: Channel;
  participants: Participant[];
  other_participants: string[];
}

export interface LoeRow {
  id: string;
  advice_id: string;
  case_id: string;
  force_id: string;
  number: number;
  description: string;
  category: LoeCategory;
  rationale: string;
  owner_user_id: string;
  owner_name: string;
  due_date: string;
  status: LoeStatus;
  status_note: string;
  updated_at: Date;
  completed_at: Date | null;
  version: number;
  advice_status: 'awaiting_review' | 'issued';
  plan_number: number | null;
  case_reference: string;
}

export interface ConferenceRow {
  id: string;
  case_id: string;
  kind: ConferenceKind;
  held_at: Date;
  channel: Channel;
  participants: Participant[];
  external_attendees: string[];
  agreed_strategy: string;
  recorded_by_name: string;
  recorded_at: Date;
}

export interface ConferenceActionRow { id: string; conference_id: string; position: number; description: string; responsible: string; due_date: string }

export interface QueueRow extends RequestRow { force_name: string }

export const QUEUE_PAGE_SIZE = 25;

const REQUEST_SELECT = `
  SELECT r.*, rb.display_name AS requested_by_name, al.display_name AS allocated_to_name
    FROM ea_requests r JOIN users rb ON rb.id = r.requested_by LEFT JOIN users al ON al.id = r.allocated_to`;

const ADVICE_SELECT = `
  SELECT a.id, a.request_id, a.case_id, a.force_id, a.advice, a.plan_number, a.status, a.drafted_by, d.display_name AS drafted_by_name,
         a.drafted_at, a.reviewed_by, rv.display_name AS reviewed_by_name, a.reviewed_at, a.review_note, a.issued_at, a.version,
         c.id AS conversation_id, c.held_at, c.channel, c.participants, c.other_participants
    FROM ea_advice a JOIN ea_conversations c ON c.id = a.conversation_id JOIN users d ON d.id = a.drafted_by
    LEFT JOIN users rv ON rv.id = a.reviewed_by`;

const LOE_SELECT = `
  SELECT l.*, u.display_name AS owner_name, a.status AS advice_status, a.plan_number, r.case_reference
    FROM ea_lines_of_enquiry l JOIN users u ON u.id = l.owner_user_id JOIN ea_advice a ON a.id = l.advice_id
    JOIN ea_requests r ON r.id = a.request_id`;

const SORTS: Record<QueueQuery['sort'], string> = {
  age: 'r.requested_at', priority: "CASE r.priority WHEN 'urgent' THEN 1 WHEN 'high' THEN 2 ELSE 3 END", target: 'r.target_date', reference: 'r.case_reference',
};

/** SQL for Early Advice. Reads only its own tables and the platform's users, organisations and reference data. */
export class EarlyAdviceRepository {
  constructor(private readonly db: Queryable) {}

  /** Serialises Early Advice changes on one case (numbering of requests, plans and lines of enquiry). */
  async lockCase(caseId: string): Promise<void> {
    await this.db.query('SELECT pg_advisory_xact_lock(7406100, hashtext($1))', [caseId]);
  }

  async request(id: string, forUpdate = false): Promise<RequestRow | undefined> {
    if (!/^[0-9a-f-]{36}$/i.test(id)) return undefined;
    const [row] = await this.db.query<RequestRow>(`${REQUEST_SELECT} WHERE r.id = $1${forUpdate ? ' FOR UPDATE OF r' : ''}`, [id]);
    return row;
  }

  async requestsForCase(caseId: string): Promise<RequestRow[]> {
    return this.db.query<RequestRow>(`${REQUEST_SELECT} WHERE r.case_id = $1 ORDER BY r.sequence`, [caseId]);
  }

  async openRequest(caseId: string): Promise<RequestRow | undefined> {
    const [row] = await this.db.query<RequestRow>(`${REQUEST_SELECT} WHERE r.case_id = $1 AND r.status <> 'advice_given'`, [caseId]);
    return row;
  }

  async nextSequence(caseId: string): Promise<number> {
    const [r] = await this.db.query<{ n: number }>('SELECT coalesce(max(sequence), 0)::int AS n FROM ea_requests WHERE case_id = $1', [caseId]);
    return (r?.n ?? 0) + 1;
  }

  async insertRequest(r: {
    id: string; caseId: string; forceId: string; cpsAreaId: string; caseReference: string; sequence: number; caseSummary: string; questions: string;
    strategy: string; priority: Priority; requestedBy: string; requestedAt: Date; targetDate: string; targetWorkingDays: number;
  }): Promise<void> {
    await this.db.query(
      `INSERT INTO ea_requests (id, case_id, force_id, cps_area_id, case_reference, sequence, case_summary, questions, strategy, priority, status,
         requested_by, requested_at, target_date, target_working_days)
       VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,'awaiting_allocation',$11,$12,$13,$14)`,
      [r.id, r.caseId, r.forceId, r.cpsAreaId, r.caseReference, r.sequence, r.caseSummary, r.questions, r.strategy, r.priority, r.requestedBy, r.requestedAt, r.targetDate, r.targetWorkingDays],
    );
  }

  async queue(areaId: string, userId: string, q: QueueQuery): Promise<{ total: number; rows: QueueRow[] }> {
    const params: unknown[] = [areaId];
    const p = (v: unknown) => {
      params.push(v);
      return `$${params.length}`;
    };
    const where = ['r.cps_area_id = $1'];
    if (q.status === 'open') where.push(`r.status <> 'advice_given'`);
    else if (q.status !== 'all') where.push(`r.status = ${p(q.status)}`);
    if (q.priority) where.push(`r.priority = ${p(q.priority)}`);
    if (q.allocated === 'me') where.push(`r.allocated_to = ${p(userId)}`);
    if (q.allocated === 'none') where.push('r.allocated_to IS NULL');
    const whereSql = where.join(' AND ');
    const [count] = await this.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ea_requests r WHERE ${whereSql}`, params);
    // "age" sorts by how long the request has waited: oldest first when descending
    const dir = q.order === 'asc' ? 'ASC' : 'DESC';
    const sortDir = q.sort === 'age' ? (q.order === 'asc' ? 'DESC' : 'ASC') : dir;
    const rows = await this.db.query<QueueRow>(
      `SELECT r.*, rb.display_name AS requested_by_name, al.display_name AS allocated_to_name, f.name AS force_name
         FROM ea_requests r JOIN users rb ON rb.id = r.requested_by LEFT JOIN users al ON al.id = r.allocated_to JOIN forces f ON f.id = r.force_id
        WHERE ${whereSql}
        ORDER BY ${SORTS[q.sort]} ${sortDir}, r.requested_at ASC, r.id
        LIMIT ${QUEUE_PAGE_SIZE} OFFSET ${(q.page - 1) * QUEUE_PAGE_SIZE}`,
      params,
    );
    return { total: count?.n ?? 0, rows };
  }

  /** Active users of the Area's RASSO unit who hold any of the roles. */
  async unitUsers(areaId: string, roles: string[]): Promise<{ id: string; display_name: string; roles: string[] }[]> {
    return this.db.query(
      `SELECT u.id, u.display_name, array_agg(r.role ORDER BY r.role) AS roles
         FROM users u JOIN organisations o ON o.id = u.organisation_id JOIN user_roles r ON r.user_id = u.id
        WHERE u.active AND o.kind = 'rasso_unit' AND o.cps_area_id = $1 AND r.role = ANY($2::text[])
        GROUP BY u.id, u.display_name ORDER BY u.display_name`,
      [areaId, roles],
    );
  }

  async allocate(id: string, version: number, prosecutorId: string, by: string, at: Date): Promise<boolean> {
    const rows = await this.db.query(
      `UPDATE ea_requests SET allocated_to = $3, allocated_by = $4, allocated_at = $5, status = 'allocated', version = version + 1
        WHERE id = $1 AND version = $2 AND status IN ('awaiting_allocation', 'allocated') RETURNING id`,
      [id, version, prosecutorId, by, at],
    );
    return rows.length > 0;
  }

  async insertConversation(c: { id: string; requestId: string; caseId: string; forceId: string; heldAt: Date; channel: Channel; participants: Participant[]; otherParticipants: string[]; recordedBy: string; recordedAt: Date }) {
    await this.db.query(
      `INSERT INTO ea_conversations (id, request_id, case_id, force_id, held_at, channel, participants, other_participants, recorded_by, recorded_at)
       VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10)`,
      [c.id, c.requestId, c.caseId, c.forceId, c.heldAt, c.channel, JSON.stringify(c.participants), JSON.stringify(c.otherParticipants), c.recordedBy, c.recordedAt],
    );
  }

  async plansOnCase(caseId: string): Promise<number> {
    const [r] = await this.db.query<{ n: number }>('SELECT count(*)::int AS n FROM ea_advice WHERE case_id = $1 AND plan_number IS NOT NULL', [caseId]);
    return r?.n ?? 0;
  }

  async insertAdvice(a: { id: string; requestId: string; conversationId: string; caseId: string; forceId: string; advice: string; planNumber: number | null; status: 'awaiting_review' | 'issued'; draftedBy: string; at: Date }) {
    await this.db.query(
      `INSERT INTO ea_advice (id, request_id, conversation_id, case_id, force_id, advice, plan_number, status, drafted_by, drafted_at, issued_at)
       VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11)`,
      [a.id, a.requestId, a.conversationId, a.caseId, a.forceId, a.advice, a.planNumber, a.status, a.draftedBy, a.at, a.status === 'issued' ? a.at : null],
    );
  }

  async nextLoeNumber(caseId: string): Promise<number> {
    const [r] = await this.db.query<{ n: number }>('SELECT coalesce(max(number), 0)::int AS n FROM ea_lines_of_enquiry WHERE case_id = $1', [caseId]);
    return (r?.n ?? 0) + 1;
  }

  async insertLoe(l: { id: string; adviceId: string; caseId: string; forceId: string; number: number; description: string; category: LoeCategory; rationale: string; ownerUserId: string; dueDate: string; at: Date; by: string }) {
    await this.db.query(
      `INSERT INTO ea_lines_of_enquiry (id, advice_id, case_id, force_id, number, description, category, rationale, owner_user_id, due_date, created_at, updated_at, updated_by)
       VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$11,$12)`,
      [l.id, l.adviceId, l.caseId, l.forceId, l.number, l.description, l.category, l.rationale, l.ownerUserId, l.dueDate, l.at, l.by],
    );
  }

  async markRequest(id: string, status: RequestStatus, at: Date | null): Promise<void> {
    await this.db.query('UPDATE ea_requests SET status = $2, advice_given_at = $3, version = version + 1 WHERE id = $1', [id, status, at]);
  }

  async advice(id: string, forUpdate = false): Promise<AdviceRow | undefined> {
    if (!/^[0-9a-f-]{36}$/i.test(id)) return undefined;
    const [row] = await this.db.query<AdviceRow>(`${ADVICE_SELECT} WHERE a.id = $1${forUpdate ? ' FOR UPDATE OF a' : ''}`, [id]);
    return row;
  }

  async adviceForCase(caseId: string): Promise<AdviceRow[]> {
    return this.db.query<AdviceRow>(`${ADVICE_SELECT} WHERE a.case_id = $1 ORDER BY a.drafted_at`, [caseId]);
  }

  async issue(id: string, version: number, reviewer: string, note: string, at: Date): Promise<boolean> {
    const rows = await this.db.query(
      `UPDATE ea_advice SET status = 'issued', reviewed_by = $3, reviewed_at = $5, review_note = $4, issued_at = $5, version = version + 1
        WHERE id = $1 AND version = $2 AND status = 'awaiting_review' RETURNING id`,
      [id, version, reviewer, note, at],
    );
    return rows.length > 0;
  }

  async loe(id: string): Promise<LoeRow | undefined> {
    if (!/^[0-9a-f-]{36}$/i.test(id)) return undefined;
    const [row] = await this.db.query<LoeRow>(`${LOE_SELECT} WHERE l.id = $1`, [id]);
    return row;
  }

  async loesForCase(caseId: string): Promise<LoeRow[]> {
    return this.db.query<LoeRow>(`${LOE_SELECT} WHERE l.case_id = $1 ORDER BY l.number`, [caseId]);
  }

  async loesForAdvice(adviceId: string): Promise<LoeRow[]> {
    return this.db.query<LoeRow>(`${LOE_SELECT} WHERE l.advice_id = $1 ORDER BY l.number`, [adviceId]);
  }

  /** Issued lines of enquiry a user owns, still to do first, then by due date. */
  async loesOwnedBy(userId: string, includeClosed: boolean): Promise<LoeRow[]> {
    return this.db.query<LoeRow>(
      `${LOE_SELECT} WHERE l.owner_user_id = $1 AND a.status = 'issued' ${includeClosed ? '' : `AND l.status IN ('open', 'in_progress')`}
        ORDER BY (l.status IN ('done', 'not_pursued')), l.due_date, r.case_reference, l.number LIMIT 500`,
      [userId],
    );
  }

  async updateLoe(id: string, version: number, status: LoeStatus, note: string, by: string, at: Date): Promise<boolean> {
    const rows = await this.db.query(
      `UPDATE ea_lines_of_enquiry SET status = $3, status_note = $4, updated_by = $5, updated_at = $6,
              completed_at = CASE WHEN $3 IN ('done', 'not_pursued') THEN coalesce(completed_at, $6) ELSE NULL END, version = version + 1
        WHERE id = $1 AND version = $2 RETURNING id`,
      [id, version, status, note, by, at],
    );
    return rows.length > 0;
  }

  async insertConference(c: { id: string; caseId: string; forceId: string; kind: ConferenceKind; heldAt: Date; channel: Channel; participants: Participant[]; externalAttendees: string[]; agreedStrategy: string; recordedBy: string; recordedAt: Date }) {
    await this.db.query(
      `INSERT INTO ea_conferences (id, case_id, force_id, kind, held_at, channel, participants, external_attendees, agreed_strategy, recorded_by, recorded_at)
       VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11)`,
      [c.id, c.caseId, c.forceId, c.kind, c.heldAt, c.channel, JSON.stringify(c.participants), JSON.stringify(c.externalAttendees), c.agreedStrategy, c.recordedBy, c.recordedAt],
    );
  }

  async insertConferenceAction(a: { id: string; conferenceId: string; caseId: string; forceId: string; position: number; description: string; responsible: string; dueDate: string }) {
    await this.db.query(
      `INSERT INTO ea_conference_actions (id, conference_id, case_id, force_id, position, description, responsible, due_date) VALUES ($1,$2,$3,$4,$5,$6,$7,$8)`,
      [a.id, a.conferenceId, a.caseId, a.forceId, a.position, a.description, a.responsible, a.dueDate],
    );
  }

  async conferencesForCase(caseId: string): Promise<ConferenceRow[]> {
    return this.db.query<ConferenceRow>(
      `SELECT c.id, c.case_id, c.kind, c.held_at, c.channel, c.participants, c.external_attendees, c.agreed_strategy, u.display_name AS recorded_by_name, c.recorded_at
         FROM ea_conferences c JOIN users u ON u.id = c.recorded_by WHERE c.case_id = $1 ORDER BY c.held_at DESC`,
      [caseId],
    );
  }

  async conferenceActionsForCase(caseId: string): Promise<ConferenceActionRow[]> {
    return this.db.query<ConferenceActionRow>(
      'SELECT id, conference_id, position, description, responsible, due_date FROM ea_conference_actions WHERE case_id = $1 ORDER BY conference_id, position',
      [caseId],
    );
  }

  async hasIssuedAdvice(caseId: string): Promise<boolean> {
    const rows = await this.db.query(`SELECT 1 FROM ea_advice WHERE case_id = $1 AND status = 'issued' LIMIT 1`, [caseId]);
    return rows.length > 0;
  }
}
