import type { Queryable } from '../db/database.ts';
import type { VictimRow } from '../cases/repository.ts';
import { type OutboxQuery, PAGE_SIZE, type Side } from './schemas.ts';

export interface DutyKindRow { kind: string; label: string; category: 'key_date' | 'decision'; owner_side: 'police' | 'cps'; needs_check: boolean; position: number }
export interface EventRow { id: string; case_id: string; kind: string; occurred_at: Date; subject_date: string | null; recorded_at: Date }
export interface DutyRow {
  id: string; event_id: string; case_id: string; force_id: string; victim_id: string; kind: string; owner_side: 'police' | 'cps'; enhanced: boolean;
  working_days: number; due_date: string; due_at: Date; met_at: Date | null; met_by_contact_id: string | null; alerted_at: Date | null;
  occurred_at: Date; subject_date: string | null; met_by_side: Side | null; met_by_name: string | null;
}
export interface ContactRow {
  id: string; case_id: string; victim_id: string; contacted_at: Date; channel: string; voicemail_left: boolean; purpose: string; note: string;
  side: Side; contacted_by: string; contacted_by_name: string; organisation_name: string; preference_warnings: string[]; override_reason: string; met_kinds: string[] | null;
}
export interface ConsentRow {
  id: string; case_id: string; force_id: string; victim_id: string; isva_user_id: string; isva_organisation_id: string; scope: string[]; given_on: string; method: string;
  recorded_by: string; recorded_at: Date; revoked_at: Date | null; revoked_by: string | null; revocation_reason: string; version: number;
  isva_name: string; isva_organisation_name: string; recorded_by_name: string;
}
export interface VloRow { id: string; victim_id: string; vlo_user_id: string; vlo_name: string; assigned_at: Date; version: number }
export interface MeetingRow {
  id: string; case_id: string; force_id: string; victim_id: string; plea_id: string; status: string; offer_due_date: string; offered_on: string | null; offer_channel: string | null;
  response: string | null; responded_on: string | null; held_on: string | null; attendees: string[]; topics: string[]; outcome: string; actions: string[];
  updated_at: Date; version: number; victim_label: string;
}
export interface MeasureRow {
  id: string; case_id: string; victim_id: string | null; witness_id: string | null; measure: string; status: string; wishes: string; notes: string;
  updated_at: Date; updated_by_name: string; version: number; person_label: string;
}
export interface PleaRow { id: string; plea: string; entered_on: string; recorded_at: Date; recorded_by_name: string }
export interface QueryRow {
  id: string; reference: string; isva_user_id: string; isva_organisation_id: string; isva_name: string; isva_organisation_name: string;
  case_id: string | null; case_reference: string | null; named_force_id: string | null; force_name: string | null; cps_area_id: string; area_name: string;
  routed_by: 'case' | 'force'; subject: string; status: string; created_at: Date; target_working_days: number; target_date: string; target_at: Date;
  first_reply_at: Date | null; last_message_at: Date; closed_at: Date | null; version: number;
}
export interface MessageRow { id: string; query_id: string; author_user_id: string; author_name: string; organisation_name: string; side: 'isva' | 'cps'; body: string; created_at: Date }
export interface LetterRow {
  id: string; case_id: string; victim_id: string; template: string; channel: string; body_enc: string; status: string; provider: string | null; provider_ref: string | null;
  created_at: Date; delivered_at: Date | null; created_by_name: string; victim_label: string;
}

const QUERY_SELECT = `SELECT q.*, u.display_name AS isva_name, o.name AS isva_organisation_name, f.name AS force_name, a.name AS area_name
  FROM isva_queries q JOIN users u ON u.id = q.isva_user_id JOIN organisations o ON o.id = q.isva_organisation_id
  LEFT JOIN forces f ON f.id = q.named_force_id JOIN cps_areas a ON a.id = q.cps_area_id`;

const CONSENT_SELECT = `SELECT k.*, u.display_name AS isva_name, o.name AS isva_organisation_name, r.display_name AS recorded_by_name
  FROM isva_consents k JOIN users u ON u.id = k.isva_user_id JOIN organisations o ON o.id = k.isva_organisation_id JOIN users r ON r.id = k.recorded_by`;

/** SQL for victim care. Victims, witnesses and the case team are read (never written) from the case file's tables. */
export class VictimRepository {
  constructor(private readonly db: Queryable) {}

  // ---- the case file, read-only ----
  async victims(caseId: string) {
    return this.db.query<VictimRow>('SELECT * FROM victims WHERE case_id = $1 ORDER BY length(label), label', [caseId]);
  }

  async victim(caseId: string, victimId: string): Promise<VictimRow | undefined> {
    if (!isUuid(victimId)) return undefined;
    return (await this.db.query<VictimRow>('SELECT * FROM victims WHERE case_id = $1 AND id = $2', [caseId, victimId]))[0];
  }

  async witnesses(caseId: string) {
    return this.db.query<{ id: string; label: string }>('SELECT id, label FROM witnesses WHERE case_id = $1 ORDER BY length(label), label', [caseId]);
  }

  /** The first team member in each role, to own alerts. */
  async teamMembers(caseId: string) {
    return this.db.query<{ user_id: string; team_role: string }>(
      `SELECT t.user_id, t.team_role FROM case_team t JOIN users u ON u.id = t.user_id WHERE t.case_id = $1 AND u.active ORDER BY t.added_at`,
      [caseId],
    );
  }

  async caseByReference(reference: string) {
    return (await this.db.query<{ id: string; reference: string; cps_area_id: string; force_id: string }>('SELECT id, reference, cps_area_id, force_id FROM cases WHERE reference = $1', [reference]))[0];
  }

  // ---- Code events and duties ----
  async dutyKinds() {
    return this.db.query<DutyKindRow>('SELECT * FROM victim_duty_kinds ORDER BY position');
  }

  async events(caseId: string) {
    return this.db.query<EventRow>('SELECT * FROM victim_code_events WHERE case_id = $1 ORDER BY occurred_at DESC', [caseId]);
  }

  async duties(caseId: string, victimId?: string) {
    return this.db.query<DutyRow>(
      `SELECT d.*, e.occurred_at, e.subject_date, c.side AS met_by_side, u.display_name AS met_by_name
         FROM victim_duties d JOIN victim_code_events e ON e.id = d.event_id
         LEFT JOIN victim_contacts c ON c.id = d.met_by_contact_id LEFT JOIN users u ON u.id = c.contacted_by
        WHERE d.case_id = $1 ${victimId ? 'AND d.victim_id = $2' : ''} ORDER BY (d.met_at IS NULL) DESC, d.due_at, e.occurred_at`,
      victimId ? [caseId, victimId] : [caseId],
    );
  }

  async duty(dutyId: string, lock = false) {
    return (await this.db.query<DutyRow & { case_reference: string; victim_label: string; kind_label: string }>(
      `SELECT d.*, e.occurred_at, e.subject_date, NULL AS met_by_side, NULL AS met_by_name, cs.reference AS case_reference, v.label AS victim_label, k.label AS kind_label
         FROM victim_duties d JOIN victim_code_events e ON e.id = d.event_id JOIN cases cs ON cs.id = d.case_id
         JOIN victims v ON v.id = d.victim_id JOIN victim_duty_kinds k ON k.kind = d.kind
        WHERE d.id = $1 ${lock ? 'FOR UPDATE OF d' : ''}`,
      [dutyId],
    ))[0];
  }

  // ---- contacts ----
  async contacts(caseId: string, victimId?: string) {
    return this.db.query<ContactRow>(
      `SELECT c.*, u.display_name AS contacted_by_name, o.name AS organisation_name,
              (SELECT array_agg(d.kind ORDER BY d.due_at) FROM victim_duties d WHERE d.met_by_contact_id = c.id) AS met_kinds
         FROM victim_contacts c JOIN users u ON u.id = c.contacted_by JOIN organisations o ON o.id = c.organisation_id
        WHERE c.case_id = $1 ${victimId ? 'AND c.victim_id = $2' : ''} ORDER BY c.contacted_at DESC`,
      victimId ? [caseId, victimId] : [caseId],
    );
  }

  // ---- consents ----
  async consents(caseId: string) {
    return this.db.query<ConsentRow>(`${CONSENT_SELECT} WHERE k.case_id = $1 ORDER BY k.revoked_at IS NOT NULL, k.recorded_at DESC`, [caseId]);
  }

  async consent(consentId: string, lock = false) {
    if (!isUuid(consentId)) return undefined;
    return (await this.db.query<ConsentRow>(`${CONSENT_SELECT} WHERE k.id = $1 ${lock ? 'FOR UPDATE OF k' : ''}`, [consentId]))[0];
  }

  async activeConsentsOf(isvaUserId: string, organisationId: string, q: { sort: 'given' | 'case'; order: 'asc' | 'desc'; page: number }) {
    const where = 'k.isva_user_id = $1 AND k.isva_organisation_id = $2 AND k.revoked_at IS NULL';
    const [count] = await this.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM isva_consents k WHERE ${where}`, [isvaUserId, organisationId]);
    const dir = q.order === 'asc' ? 'ASC' : 'DESC';
    const order = q.sort === 'case' ? `c.reference ${dir}, v.label` : `k.given_on ${dir}, c.reference`;
    const rows = await this.db.query<ConsentRow & { case_reference: string; victim: VictimRow }>(
      `SELECT k.*, c.reference AS case_reference, to_jsonb(v.*) AS victim
         FROM isva_consents k JOIN cases c ON c.id = k.case_id JOIN victims v ON v.id = k.victim_id
        WHERE ${where} ORDER BY ${order} LIMIT ${PAGE_SIZE} OFFSET ${(q.page - 1) * PAGE_SIZE}`,
      [isvaUserId, organisationId],
    );
    return { total: count?.n ?? 0, rows };
  }

  /** Cases the ISVA may name in a query: those where a victim's consent names them and is not revoked. */
  async consentedCase(isvaUserId: string, organisationId: string, reference: string) {
    return (await this.db.query<{ id: string; reference: string; cps_area_id: string }>(
      `SELECT DISTINCT c.id, c.reference, c.cps_area_id FROM cases c JOIN isva_consents k ON k.case_id = c.id
        WHERE c.reference = $3 AND k.isva_user_id = $1 AND k.isva_organisation_id = $2 AND k.revoked_at IS NULL`,
      [isvaUserId, organisationId, reference],
    ))[0];
  }

  async hasActiveConsentOnCase(isvaUserId: string, organisationId: string, caseId: string) {
    const rows = await this.db.query('SELECT 1 FROM isva_consents WHERE case_id = $1 AND isva_user_id = $2 AND isva_organisation_id = $3 AND revoked_at IS NULL LIMIT 1', [caseId, isvaUserId, organisationId]);
    return rows.length > 0;
  }

  async isvaUsers() {
    return this.db.query<{ id: string; display_name: string; organisation_id: string; organisation_name: string }>(
      `SELECT u.id, u.display_name, o.id AS organisation_id, o.name AS organisation_name FROM users u JOIN organisations o ON o.id = u.organisation_id
        WHERE u.active AND o.active AND o.kind = 'isva_service' AND EXISTS (SELECT 1 FROM user_roles r WHERE r.user_id = u.id AND r.role = 'isva')
        ORDER BY o.name, u.display_name`,
    );
  }

  // ---- VLOs ----
  async currentVlos(caseId: string) {
    return this.db.query<VloRow>(
      `SELECT a.id, a.victim_id, a.vlo_user_id, u.display_name AS vlo_name, a.assigned_at, a.version FROM vlo_assignments a JOIN users u ON u.id = a.vlo_user_id
        WHERE a.case_id = $1 AND a.ended_at IS NULL`,
      [caseId],
    );
  }

  async vloCandidates(cpsAreaId: string) {
    return this.db.query<{ id: string; display_name: string }>(
      `SELECT u.id, u.display_name FROM users u JOIN organisations o ON o.id = u.organisation_id
        WHERE u.active AND o.kind = 'rasso_unit' AND o.cps_area_id = $1 AND EXISTS (SELECT 1 FROM user_roles r WHERE r.user_id = u.id AND r.role = 'vlo')
        ORDER BY u.display_name`,
      [cpsAreaId],
    );
  }

  // ---- pleas, meetings, special measures ----
  async pleas(caseId: string) {
    return this.db.query<PleaRow>(
      `SELECT p.id, p.plea, p.entered_on, p.recorded_at, u.display_name AS recorded_by_name FROM trial_pleas p JOIN users u ON u.id = p.recorded_by
        WHERE p.case_id = $1 ORDER BY p.entered_on DESC, p.recorded_at DESC`,
      [caseId],
    );
  }

  async meetings(caseId: string, victimId?: string) {
    return this.db.query<MeetingRow>(
      `SELECT m.*, v.label AS victim_label FROM pre_trial_meetings m JOIN victims v ON v.id = m.victim_id
        WHERE m.case_id = $1 ${victimId ? 'AND m.victim_id = $2' : ''} ORDER BY m.created_at DESC`,
      victimId ? [caseId, victimId] : [caseId],
    );
  }

  async meeting(caseId: string, meetingId: string) {
    if (!isUuid(meetingId)) return undefined;
    return (await this.db.query<MeetingRow>(
      'SELECT m.*, v.label AS victim_label FROM pre_trial_meetings m JOIN victims v ON v.id = m.victim_id WHERE m.case_id = $1 AND m.id = $2',
      [caseId, meetingId],
    ))[0];
  }

  async measures(caseId: string, victimId?: string) {
    return this.db.query<MeasureRow>(
      `SELECT s.*, u.display_name AS updated_by_name, coalesce(v.label, w.label) AS person_label
         FROM special_measures s JOIN users u ON u.id = s.updated_by LEFT JOIN victims v ON v.id = s.victim_id LEFT JOIN witnesses w ON w.id = s.witness_id
        WHERE s.case_id = $1 ${victimId ? 'AND s.victim_id = $2' : ''} ORDER BY coalesce(v.label, w.label), s.measure`,
      victimId ? [caseId, victimId] : [caseId],
    );
  }

  async measure(caseId: string, measureId: string) {
    if (!isUuid(measureId)) return undefined;
    return (await this.db.query<MeasureRow>(
      `SELECT s.*, u.display_name AS updated_by_name, coalesce(v.label, w.label) AS person_label
         FROM special_measures s JOIN users u ON u.id = s.updated_by LEFT JOIN victims v ON v.id = s.victim_id LEFT JOIN witnesses w ON w.id = s.witness_id
        WHERE s.case_id = $1 AND s.id = $2`,
      [caseId, measureId],
    ))[0];
  }

  // ---- mailbox ----
  async query(queryId: string) {
    if (!isUuid(queryId)) return undefined;
    return (await this.db.query<QueryRow>(`${QUERY_SELECT} WHERE q.id = $1`, [queryId]))[0];
  }

  async messages(queryId: string) {
    return this.db.query<MessageRow>(
      `SELECT m.*, u.display_name AS author_name, o.name AS organisation_name FROM isva_query_messages m
         JOIN users u ON u.id = m.author_user_id JOIN organisations o ON o.id = u.organisation_id
        WHERE m.query_id = $1 ORDER BY m.created_at, m.id`,
      [queryId],
    );
  }

  async queriesOf(isvaUserId: string, q: { sort: 'updated' | 'reference' | 'status'; order: 'asc' | 'desc'; page: number }) {
    const [count] = await this.db.query<{ n: number }>('SELECT count(*)::int AS n FROM isva_queries WHERE isva_user_id = $1', [isvaUserId]);
    const dir = q.order === 'asc' ? 'ASC' : 'DESC';
    const order = { updated: `q.last_message_at ${dir}`, reference: `q.reference ${dir}`, status: `q.status ${dir}, q.last_message_at DESC` }[q.sort];
    const rows = await this.db.query<QueryRow>(`${QUERY_SELECT} WHERE q.isva_user_id = $1 ORDER BY ${order}, q.reference LIMIT ${PAGE_SIZE} OFFSET ${(q.page - 1) * PAGE_SIZE}`, [isvaUserId]);
    return { total: count?.n ?? 0, rows };
  }

  async inbox(cpsAreaId: string, q: { status: string; sort: 'received' | 'target' | 'reference'; order: 'asc' | 'desc'; page: number }) {
    const params: unknown[] = [cpsAreaId];
    let where = 'q.cps_area_id = $1';
    if (q.status === 'open') where += " AND q.status <> 'closed'";
    else if (q.status !== 'all') {
      params.push(q.status);
      where += ` AND q.status = $${params.length}`;
    }
    const [count] = await this.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM isva_queries q WHERE ${where}`, params);
    const dir = q.order === 'asc' ? 'ASC' : 'DESC';
    const order = { received: `q.created_at ${dir}`, target: `q.target_at ${dir}`, reference: `q.reference ${dir}` }[q.sort];
    const rows = await this.db.query<QueryRow>(`${QUERY_SELECT} WHERE ${where} ORDER BY ${order}, q.reference LIMIT ${PAGE_SIZE} OFFSET ${(q.page - 1) * PAGE_SIZE}`, params);
    return { total: count?.n ?? 0, rows };
  }

  async inboxStats(now: Date) {
    return this.db.query<{
      cps_area_id: string; area_name: string; received: number; replied: number; open: number; within_target: number; overdue: number;
      median_hours: number | null; mean_hours: number | null;
    }>(
      `SELECT a.id AS cps_area_id, a.name AS area_name,
              count(q.id)::int AS received,
              count(q.first_reply_at)::int AS replied,
              count(q.id) FILTER (WHERE q.status <> 'closed')::int AS open,
              count(q.id) FILTER (WHERE q.first_reply_at IS NOT NULL AND q.first_reply_at <= q.target_at)::int AS within_target,
              count(q.id) FILTER (WHERE q.first_reply_at IS NULL AND q.status <> 'closed' AND q.target_at < $1)::int AS overdue,
              percentile_cont(0.5) WITHIN GROUP (ORDER BY (extract(epoch FROM q.first_reply_at - q.created_at) / 3600)::float8) AS median_hours,
              avg((extract(epoch FROM q.first_reply_at - q.created_at) / 3600)::float8) AS mean_hours
         FROM cps_areas a LEFT JOIN isva_queries q ON q.cps_area_id = a.id
        WHERE NOT a.is_cps_direct AND a.active
        GROUP BY a.id, a.name ORDER BY a.name`,
      [now],
    );
  }

  // ---- letters ----
  async letters(caseId: string) {
    return this.db.query<LetterRow>(
      `SELECT l.*, u.display_name AS created_by_name, v.label AS victim_label FROM victim_letters l JOIN users u ON u.id = l.created_by JOIN victims v ON v.id = l.victim_id
        WHERE l.case_id = $1 ORDER BY l.created_at DESC`,
      [caseId],
    );
  }

  /** Letters of one force's cases, or of one CPS Area's referred cases: the outbox viewer (no identity in the rows). */
  async outbox(scope: { forceId: string } | { cpsAreaId: string }, q: OutboxQuery) {
    const params: unknown[] = ['forceId' in scope ? scope.forceId : scope.cpsAreaId];
    let where = 'forceId' in scope ? 'l.force_id = $1' : 'c.cps_area_id = $1 AND c.referred_at IS NOT NULL';
    if (q.status !== 'all') {
      params.push(q.status);
      where += ` AND l.status = $${params.length}`;
    }
    if (q.template !== 'all') {
      params.push(q.template);
      where += ` AND l.template = $${params.length}`;
    }
    const from = 'FROM victim_letters l JOIN cases c ON c.id = l.case_id JOIN victims v ON v.id = l.victim_id JOIN users u ON u.id = l.created_by';
    const [count] = await this.db.query<{ n: number }>(`SELECT count(*)::int AS n ${from} WHERE ${where}`, params);
    const dir = q.order === 'asc' ? 'ASC' : 'DESC';
    const order = { sent: `l.created_at ${dir}`, case: `c.reference ${dir}, v.label, l.created_at DESC`, status: `l.status ${dir}, l.created_at DESC` }[q.sort];
    const rows = await this.db.query<Omit<LetterRow, 'body_enc'> & { reference: string }>(
      `SELECT l.id, l.case_id, l.victim_id, l.template, l.channel, l.status, l.provider, l.provider_ref, l.created_at, l.delivered_at,
              u.display_name AS created_by_name, v.label AS victim_label, c.reference
         ${from} WHERE ${where} ORDER BY ${order}, l.id LIMIT ${PAGE_SIZE} OFFSET ${(q.page - 1) * PAGE_SIZE}`,
      params,
    );
    return { total: count?.n ?? 0, rows };
  }

  async letter(caseId: string, letterId: string) {
    if (!isUuid(letterId)) return undefined;
    return (await this.db.query<LetterRow>(
      `SELECT l.*, u.display_name AS created_by_name, v.label AS victim_label FROM victim_letters l JOIN users u ON u.id = l.created_by JOIN victims v ON v.id = l.victim_id
        WHERE l.case_id = $1 AND l.id = $2`,
      [caseId, letterId],
    ))[0];
  }
}

export function isUuid(v: string): boolean {
  return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(v);
}
