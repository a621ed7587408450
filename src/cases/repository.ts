import type { Queryable } from '../db/database.ts';
import type { CaseAccessFacts } from '../platform/policy.ts';
import type { ListQuery, Stage } from './schemas.ts';

export interface CaseRow {
  id: string;
  reference: string;
  force_id: string;
  cps_area_id: string;
  stage: Stage;
  offence_date: string | null;
  offence_date_to: string | null;
  reported_at: string;
  summary: string;
  referred_at: Date | null;
  outcome_type_code: number | null;
  created_at: Date;
  updated_at: Date;
  version: number;
}

export interface VictimRow {
  id: string; case_id: string; force_id: string; label: string; name_enc: string; date_of_birth_enc: string | null; contact_enc: string | null;
  age_at_offence: number | null; vulnerabilities: string[]; communication_needs: string;
  contact_preferences: { method?: string; mayLeaveMessage?: boolean; safeTimes?: string; interviewerSex?: string };
  enhanced_rights: boolean; version: number;
}

export interface SuspectRow {
  id: string; case_id: string; force_id: string; label: string; given_name: string; family_name: string;
  aliases: { given: string; family: string }[]; date_of_birth: string | null; addresses: string[]; phones: string[];
  emails: string[]; online_identifiers: string[]; vehicles: string[]; version: number;
}

export interface WitnessRow {
  id: string; case_id: string; force_id: string; label: string; name_enc: string; contact_enc: string | null; relationship: string; version: number;
}

export interface TeamRow { user_id: string; display_name: string; organisation_name: string; team_role: string; added_at: Date }
export interface EventRow { id: string; occurred_at: Date; kind: string; summary: string; actor_name: string | null }

/** Where a principal may list cases from: their force, their Area's referred cases, and cases they are on the team of. */
export interface ListScope {
  userId: string;
  forceId?: string | null;
  cpsAreaId?: string | null;
}

export const PAGE_SIZE = 25;

const SORT_COLUMNS: Record<ListQuery['sort'], string> = {
  reported: 'c.reported_at', reference: 'c.reference', stage: 'c.stage', updated: 'c.updated_at',
};

export class CaseRepository {
  constructor(private readonly db: Queryable) {}

  async accessFacts(caseId: string): Promise<CaseAccessFacts | undefined> {
    if (!/^[0-9a-f-]{36}$/i.test(caseId)) return undefined;
    const rows = await this.db.query<{ id: string; force_id: string; cps_area_id: string; referred_at: Date | null; team: string[] | null }>(
      `SELECT c.id, c.force_id, c.cps_area_id, c.referred_at,
              (SELECT array_agg(t.user_id::text) FROM case_team t WHERE t.case_id = c.id) AS team
         FROM cases c WHERE c.id = $1`,
      [caseId],
    );
    const r = rows[0];
    if (!r) return undefined;
    return { caseId: r.id, forceId: r.force_id, cpsAreaId: r.cps_area_id, referred: r.referred_at !== null, teamUserIds: r.team ?? [] };
  }

  async list(scope: ListScope, q: ListQuery) {
    const params: unknown[] = [scope.userId];
    const p = (v: unknown) => {
      params.push(v);
      return `$${params.length}`;
    };
    const visible = ['c.id IN (SELECT case_id FROM case_team WHERE user_id = $1)'];
    if (scope.forceId) visible.push(`c.force_id = ${p(scope.forceId)}`);
    if (scope.cpsAreaId) visible.push(`(c.cps_area_id = ${p(scope.cpsAreaId)} AND c.referred_at IS NOT NULL)`);
    const where = [`(${visible.join(' OR ')})`];
    if (q.q) {
      const term = q.q.toLowerCase();
      where.push(`(lower(c.reference) LIKE ${p(`${term}%`)} OR EXISTS (SELECT 1 FROM suspects s WHERE s.case_id = c.id
        AND lower(s.given_name || ' ' || s.family_name) LIKE ${p(`%${term.replace(/[%_\\]/g, '\\$&')}%`)}))`);
    }
    if (q.force) where.push(`c.force_id = ${p(q.force)}`);
    if (q.stage) where.push(`c.stage = ${p(q.stage)}`);
    if (q.offence) where.push(`EXISTS (SELECT 1 FROM case_offences o WHERE o.case_id = c.id AND o.offence_code = ${p(q.offence)})`);
    if (q.from) where.push(`c.reported_at >= ${p(q.from)}`);
    if (q.to) where.push(`c.reported_at <= ${p(q.to)}`);
    const whereSql = where.join(' AND ');
    const [count] = await this.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM cases c WHERE ${whereSql}`, params);
    const order = `${SORT_COLUMNS[q.sort]} ${q.order === 'asc' ? 'ASC' : 'DESC'}, c.reference ${q.order === 'asc' ? 'ASC' : 'DESC'}`;
    const rows = await this.db.query<CaseRow & { force_name: string; offence_titles: string[] | null }>(
      `SELECT c.*, f.name AS force_name,
              (SELECT array_agg(x.title ORDER BY x.code) FROM case_offences o JOIN offences x ON x.code = o.offence_code WHERE o.case_id = c.id) AS offence_titles
         FROM cases c JOIN forces f ON f.id = c.force_id
        WHERE ${whereSql} ORDER BY ${order} LIMIT ${PAGE_SIZE} OFFSET ${(q.page - 1) * PAGE_SIZE}`,
      params,
    );
    return { total: count?.n ?? 0, rows };
  }

  async get(caseId: string) {
    const [row] = await this.db.query<CaseRow & { force_name: string; area_name: string }>(
      `SELECT c.*, f.name AS force_name, a.name AS area_name FROM cases c
         JOIN forces f ON f.id = c.force_id JOIN cps_areas a ON a.id = c.cps_area_id WHERE c.id = $1`,
      [caseId],
    );
    return row;
  }

  async offenceCodes(caseId: string): Promise<string[]> {
    return (await this.db.query<{ offence_code: string }>('SELECT offence_code FROM case_offences WHERE case_id = $1 ORDER BY offence_code', [caseId])).map((r) => r.offence_code);
  }

  async victims(caseId: string) {
    return this.db.query<VictimRow>('SELECT * FROM victims WHERE case_id = $1 ORDER BY label', [caseId]);
  }

  async suspects(caseId: string) {
    return this.db.query<SuspectRow>('SELECT * FROM suspects WHERE case_id = $1 ORDER BY label', [caseId]);
  }

  async witnesses(caseId: string) {
    return this.db.query<WitnessRow>('SELECT * FROM witnesses WHERE case_id = $1 ORDER BY label', [caseId]);
  }

  async team(caseId: string) {
    return this.db.query<TeamRow>(
      `SELECT t.user_id, u.display_name, o.name AS organisation_name, t.team_role, t.added_at
         FROM case_team t JOIN users u ON u.id = t.user_id JOIN organisations o ON o.id = u.organisation_id
        WHERE t.case_id = $1 ORDER BY t.added_at`,
      [caseId],
    );
  }

  async events(caseId: string) {
    return this.db.query<EventRow>(
      `SELECT e.id, e.occurred_at, e.kind, e.summary, u.display_name AS actor_name
         FROM case_events e LEFT JOIN users u ON u.id = e.actor_user_id
        WHERE e.case_id = $1 ORDER BY e.occurred_at DESC, e.recorded_at DESC`,
      [caseId],
    );
  }

  async nextLabel(table: 'victims' | 'suspects' | 'witnesses', caseId: string, prefix: string): Promise<string> {
    // Lock the case row so two people adding a victim at once cannot both get "V2".
    await this.db.query('SELECT id FROM cases WHERE id = $1 FOR UPDATE', [caseId]);
    const [r] = await this.db.query<{ n: number }>(
      `SELECT coalesce(max(substring(label from 2)::int), 0)::int AS n FROM ${table} WHERE case_id = $1`,
      [caseId],
    );
    return `${prefix}${(r?.n ?? 0) + 1}`;
  }

  async addEvent(e: { id: string; caseId: string; forceId: string; occurredAt: Date; recordedAt: Date; kind: string; summary: string; actorUserId: string | null; data?: unknown }) {
    await this.db.query(
      `INSERT INTO case_events (id, case_id, force_id, occurred_at, recorded_at, kind, summary, actor_user_id, data)
       VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9)`,
      [e.id, e.caseId, e.forceId, e.occurredAt, e.recordedAt, e.kind, e.summary, e.actorUserId, JSON.stringify(e.data ?? {})],
    );
  }
}
