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
}
