import type { Queryable } from '../db/database.ts';
import type { Candidate } from './selection.ts';

export interface PanelRow { id: string; name: string; force_id: string; cps_area_id: string; organisation_id: string | null; force_name: string; area_name: string; created_at: Date; version: number }
export interface MemberRow { panel_id: string; user_id: string; side: 'police' | 'cps' | 'external'; display_name: string; organisation_name: string }
export interface SelectionRow { id: string; panel_id: string; period_from: string; period_to: string; rule: import('./selection.ts').SamplingRule; created_by: string; created_at: Date; creator: string; cases: number; packs: number }
export interface SelectedRow { selection_id: string; case_id: string; position: number; reasons: string[]; nfa_by: 'police' | 'cps'; nfa_at: Date; outcome_type_code: number | null; reference: string; pack_id: string | null }
export interface PackRow { id: string; panel_id: string; selection_id: string; case_id: string; force_id: string; number: number; content: import('./packs.ts').PackContent; redactions: number; status: 'awaiting_release' | 'released'; generated_at: Date; released_at: Date | null; released_by_name: string | null; version: number }
export interface FindingRow { id: string; pack_id: string; meeting_id: string | null; themes: string[]; text: string; recorded_by: string; recorder: string; recorded_at: Date; pack_number: number }
export interface RecommendationRow { id: string; panel_id: string; pack_id: string; kind: string; text: string; owner_user_id: string; owner_name: string; due_on: string | null; status: string; status_note: string; ea_request_id: string | null; recorded_at: Date; version: number; pack_number: number; case_id: string }
export interface MeetingRow { id: string; panel_id: string; held_on: string; attendees: string[]; pack_ids: string[]; notes: string; recorded_at: Date }

const dateOnly = (col: string) => `to_char(${col}, 'YYYY-MM-DD') AS ${col.split('.').pop()}`;

/** Scrutiny's own tables, plus read-only queries of NFA decisions on the case timeline (no identity). */
export class ScrutinyRepository {
  constructor(private readonly db: Queryable) {}

  async panels(filter: { userId: string; forceId: string | null; cpsAreaId: string | null; all?: boolean }): Promise<(PanelRow & { members: number; awaiting: number; released: number })[]> {
    return this.db.query(
      `SELECT p.*, f.name AS force_name, a.name AS area_name,
              (SELECT count(*)::int FROM scrutiny_panel_members m WHERE m.panel_id = p.id) AS members,
              (SELECT count(*)::int FROM scrutiny_packs k WHERE k.panel_id = p.id AND k.status = 'awaiting_release') AS awaiting,
              (SELECT count(*)::int FROM scrutiny_packs k WHERE k.panel_id = p.id AND k.status = 'released') AS released
         FROM scrutiny_panels p JOIN forces f ON f.id = p.force_id JOIN cps_areas a ON a.id = p.cps_area_id
        WHERE $4::boolean OR p.force_id = $2 OR p.cps_area_id = $3 OR EXISTS (SELECT 1 FROM scrutiny_panel_members m WHERE m.panel_id = p.id AND m.user_id = $1)
        ORDER BY p.name`,
      [filter.userId, filter.forceId, filter.cpsAreaId, filter.all ?? false],
    );
  }

  async panel(id: string): Promise<PanelRow | undefined> {
    if (!/^[0-9a-f-]{36}$/.test(id)) return undefined;
    const [row] = await this.db.query<PanelRow>(
      `SELECT p.*, f.name AS force_name, a.name AS area_name FROM scrutiny_panels p JOIN forces f ON f.id = p.force_id JOIN cps_areas a ON a.id = p.cps_area_id WHERE p.id = $1`, [id]);
    return row;
  }

  async members(panelId: string): Promise<MemberRow[]> {
    return this.db.query<MemberRow>(
      `SELECT m.panel_id, m.user_id, m.side, u.display_name, o.name AS organisation_name FROM scrutiny_panel_members m
         JOIN users u ON u.id = m.user_id JOIN organisations o ON o.id = u.organisation_id WHERE m.panel_id = $1 ORDER BY m.side, u.display_name`, [panelId]);
  }

  /** Police of the force, CPS staff of the Area, and external members (panel-member role only). */
  async memberCandidates(panel: PanelRow) {
    return this.db.query<{ id: string; display_name: string; organisation_name: string; kind: string; roles: string[] }>(
      `SELECT u.id, u.display_name, o.name AS organisation_name, o.kind, array_agg(r.role ORDER BY r.role) AS roles
         FROM users u JOIN organisations o ON o.id = u.organisation_id JOIN user_roles r ON r.user_id = u.id
        WHERE u.active AND NOT EXISTS (SELECT 1 FROM scrutiny_panel_members m WHERE m.panel_id = $1 AND m.user_id = u.id)
          AND ((o.kind = 'force' AND o.force_id = $2) OR (o.kind = 'rasso_unit' AND o.cps_area_id = $3) OR o.kind = 'panel')
        GROUP BY u.id, u.display_name, o.name, o.kind ORDER BY o.kind, u.display_name`,
      [panel.id, panel.force_id, panel.cps_area_id],
    );
  }

  /**
   * NFA decisions (police or CPS) on the pair's cases in a period, one per case (its latest in the period), read from
   * the case timeline that both the charging capability and the synthetic generator write. Facts only.
   */
  async candidates(forceId: string, cpsAreaId: string, from: string, to: string): Promise<Candidate[]> {
    const rows = await this.db.query<{ case_id: string; nfa_by: string; nfa_at: Date; reported_at: string; outcome_code: number | null; had_ea: boolean; vulnerable: boolean }>(
      `SELECT DISTINCT ON (c.id) c.id AS case_id, coalesce(e.data->>'by', CASE WHEN c.stage = 'nfa_cps' THEN 'cps' ELSE 'police' END) AS nfa_by,
              e.occurred_at AS nfa_at, to_char(c.reported_at, 'YYYY-MM-DD') AS reported_at,
              coalesce((e.data->>'outcomeCode')::int, c.outcome_type_code) AS outcome_code,
              CASE WHEN e.data ? 'earlyAdvice' THEN (e.data->>'earlyAdvice')::boolean
                   ELSE EXISTS (SELECT 1 FROM case_events x WHERE x.case_id = c.id AND x.kind IN ('early_advice_requested', 'early_advice_given') AND x.occurred_at <= e.occurred_at) END AS had_ea,
              EXISTS (SELECT 1 FROM victims v WHERE v.case_id = c.id AND (jsonb_array_length(v.vulnerabilities) > 0 OR v.age_at_offence < 18)) AS vulnerable
         FROM case_events e JOIN cases c ON c.id = e.case_id
        WHERE e.kind = 'nfa' AND c.force_id = $1 AND c.cps_area_id = $2 AND e.occurred_at >= $3::date AND e.occurred_at < ($4::date + 1)
        ORDER BY c.id, e.occurred_at DESC`,
      [forceId, cpsAreaId, from, to],
    );
    return rows.map((r) => ({ caseId: r.case_id, nfaBy: r.nfa_by === 'cps' ? 'cps' : 'police', nfaAt: new Date(r.nfa_at), reportedAt: r.reported_at, outcomeTypeCode: r.outcome_code, hadEarlyAdvice: r.had_ea, vulnerableVictim: r.vulnerable }));
  }

  async selections(panelId: string): Promise<SelectionRow[]> {
    return this.db.query<SelectionRow>(
      `SELECT s.id, s.panel_id, ${dateOnly('s.period_from')}, ${dateOnly('s.period_to')}, s.rule, s.created_by, s.created_at, u.display_name AS creator,
              (SELECT count(*)::int FROM scrutiny_selected_cases x WHERE x.selection_id = s.id) AS cases,
              (SELECT count(*)::int FROM scrutiny_packs k WHERE k.selection_id = s.id) AS packs
         FROM scrutiny_selections s JOIN users u ON u.id = s.created_by WHERE s.panel_id = $1 ORDER BY s.created_at DESC`, [panelId]);
  }

  async selection(id: string): Promise<SelectionRow | undefined> {
    if (!/^[0-9a-f-]{36}$/.test(id)) return undefined;
    const [row] = await this.db.query<SelectionRow>(
      `SELECT s.id, s.panel_id, ${dateOnly('s.period_from')}, ${dateOnly('s.period_to')}, s.rule, s.created_by, s.created_at, u.display_name AS creator, 0 AS cases, 0 AS packs
         FROM scrutiny_selections s JOIN users u ON u.id = s.created_by WHERE s.id = $1`, [id]);
    return row;
  }

  async selected(selectionId: string): Promise<SelectedRow[]> {
    return this.db.query<SelectedRow>(
      `SELECT x.selection_id, x.case_id, x.position, x.reasons, x.nfa_by, x.nfa_at, x.outcome_type_code, c.reference, k.id AS pack_id
         FROM scrutiny_selected_cases x JOIN cases c ON c.id = x.case_id
         LEFT JOIN scrutiny_packs k ON k.selection_id = x.selection_id AND k.case_id = x.case_id
        WHERE x.selection_id = $1 ORDER BY x.position`, [selectionId]);
  }

  async packs(panelId: string, opts: { releasedOnly?: boolean } = {}): Promise<PackRow[]> {
    return this.db.query<PackRow>(
      `SELECT k.id, k.panel_id, k.selection_id, k.case_id, k.force_id, k.number, k.content, k.redactions, k.status, k.generated_at, k.released_at, u.display_name AS released_by_name, k.version
         FROM scrutiny_packs k LEFT JOIN users u ON u.id = k.released_by WHERE k.panel_id = $1 AND (NOT $2::boolean OR k.status = 'released') ORDER BY k.number`,
      [panelId, opts.releasedOnly ?? false]);
  }

  async pack(id: string): Promise<PackRow | undefined> {
    if (!/^[0-9a-f-]{36}$/.test(id)) return undefined;
    const [row] = await this.db.query<PackRow>(
      `SELECT k.id, k.panel_id, k.selection_id, k.case_id, k.force_id, k.number, k.content, k.redactions, k.status, k.generated_at, k.released_at, u.display_name AS released_by_name, k.version
         FROM scrutiny_packs k LEFT JOIN users u ON u.id = k.released_by WHERE k.id = $1`, [id]);
    return row;
  }

  async nextPackNumber(panelId: string): Promise<number> {
    const [row] = await this.db.query<{ n: number }>('SELECT coalesce(max(number), 0)::int + 1 AS n FROM scrutiny_packs WHERE panel_id = $1', [panelId]);
    return row!.n;
  }

  async findings(panelId: string, packId?: string): Promise<FindingRow[]> {
    return this.db.query<FindingRow>(
      `SELECT f.id, f.pack_id, f.meeting_id, f.themes, f.text, f.recorded_by, u.display_name AS recorder, f.recorded_at, k.number AS pack_number
         FROM scrutiny_findings f JOIN users u ON u.id = f.recorded_by JOIN scrutiny_packs k ON k.id = f.pack_id
        WHERE f.panel_id = $1 AND ($2::uuid IS NULL OR f.pack_id = $2) ORDER BY f.recorded_at`, [panelId, packId ?? null]);
  }

  async recommendations(panelId: string, packId?: string): Promise<RecommendationRow[]> {
    return this.db.query<RecommendationRow>(
      `SELECT r.id, r.panel_id, r.pack_id, r.kind, r.text, r.owner_user_id, u.display_name AS owner_name, to_char(r.due_on, 'YYYY-MM-DD') AS due_on, r.status, r.status_note,
              r.ea_request_id, r.recorded_at, r.version, k.number AS pack_number, k.case_id
         FROM scrutiny_recommendations r JOIN users u ON u.id = r.owner_user_id JOIN scrutiny_packs k ON k.id = r.pack_id
        WHERE r.panel_id = $1 AND ($2::uuid IS NULL OR r.pack_id = $2) ORDER BY r.recorded_at`, [panelId, packId ?? null]);
  }

  async recommendation(id: string): Promise<RecommendationRow | undefined> {
    if (!/^[0-9a-f-]{36}$/.test(id)) return undefined;
    const [row] = await this.db.query<RecommendationRow>(
      `SELECT r.id, r.panel_id, r.pack_id, r.kind, r.text, r.owner_user_id, u.display_name AS owner_name, to_char(r.due_on, 'YYYY-MM-DD') AS due_on, r.status, r.status_note,
              r.ea_request_id, r.recorded_at, r.version, k.number AS pack_number, k.case_id
         FROM scrutiny_recommendations r JOIN users u ON u.id = r.owner_user_id JOIN scrutiny_packs k ON k.id = r.pack_id WHERE r.id = $1`, [id]);
    return row;
  }

  async meetings(panelId: string): Promise<MeetingRow[]> {
    return this.db.query<MeetingRow>(
      `SELECT id, panel_id, to_char(held_on, 'YYYY-MM-DD') AS held_on, attendees, pack_ids, notes, recorded_at FROM scrutiny_meetings WHERE panel_id = $1 ORDER BY held_on DESC`, [panelId]);
  }

  /** Theme counts by panel and quarter (Europe/London), for learning across panels. Counts only, never text. */
  async themeCounts(panelIds: string[] | null) {
    return this.db.query<{ panel_id: string; panel_name: string; quarter: string; theme: string; n: number }>(
      `SELECT p.id AS panel_id, p.name AS panel_name,
              to_char(f.recorded_at AT TIME ZONE 'Europe/London', 'YYYY') || ' Q' || to_char(f.recorded_at AT TIME ZONE 'Europe/London', 'Q') AS quarter,
              t.theme, count(*)::int AS n
         FROM scrutiny_findings f JOIN scrutiny_panels p ON p.id = f.panel_id
         CROSS JOIN LATERAL jsonb_array_elements_text(f.themes) AS t(theme)
        WHERE $1::uuid[] IS NULL OR p.id = ANY($1::uuid[])
        GROUP BY p.id, p.name, quarter, t.theme ORDER BY quarter, p.name, t.theme`, [panelIds]);
  }

  /** Free text the police and CPS recorded with the NFA decision (reasons), for redaction into the pack. */
  async decisionTexts(caseId: string): Promise<{ heading: string; text: string }[]> {
    const police = await this.db.query<{ reasons: string; ea_not_sought_reason: string; outcome_type_code: number }>(
      'SELECT reasons, ea_not_sought_reason, outcome_type_code FROM police_outcomes WHERE case_id = $1 ORDER BY decided_at', [caseId]);
    const cps = await this.db.query<{ decision: string; evidential_reasons: string; public_interest_reasons: string; reasons: string }>(
      `SELECT decision, evidential_reasons, public_interest_reasons, reasons FROM charging_decisions WHERE case_id = $1 AND decision IN ('nfa_evidential', 'nfa_public_interest') ORDER BY decided_at`, [caseId]);
    const out: { heading: string; text: string }[] = [];
    for (const p of police) {
      out.push({ heading: `Police reasons for no further action (outcome ${p.outcome_type_code})`, text: p.reasons });
      if (p.ea_not_sought_reason) out.push({ heading: 'Why Early Advice was not sought', text: p.ea_not_sought_reason });
    }
    for (const c of cps) {
      for (const [heading, text] of [['CPS evidential stage reasons', c.evidential_reasons], ['CPS public interest stage reasons', c.public_interest_reasons], ['CPS reasons', c.reasons]] as const) {
        if (text.trim()) out.push({ heading, text });
      }
    }
    return out;
  }
}
