import type { Queryable } from '../db/database.ts';
import { contributionsSql, EVENT_KINDS } from './measures.ts';

/** Problems the data-quality page lists: each would distort a figure if left. */
export const DATA_QUALITY_PROBLEMS = {
  offence_date_missing: 'Offence date missing',
  offence_after_report: 'Offence date is after the date it was reported',
  event_before_report: 'A decision or referral is dated before the report',
  event_in_future: 'A decision or referral is dated in the future',
  charge_without_file: 'Charged with no full file received before the charge (days to charge cannot be measured)',
  cps_decision_without_file: 'CPS decision with no full file received before it',
  conviction_without_charge: 'Conviction recorded with no charge before it',
  victim_age_missing: 'Rape case with a victim whose age at the offence is not recorded (adult rape cannot be counted)',
} as const;
export type DataQualityProblem = keyof typeof DATA_QUALITY_PROBLEMS;

const KINDS = EVENT_KINDS.map((k) => `'${k}'`).join(', ');
const LONDON_DAY = (expr: string) => `((${expr}) AT TIME ZONE 'Europe/London')::date`;
const QUARTER = (expr: string) => `to_char((${expr}) AT TIME ZONE 'Europe/London', 'YYYY"Q"Q')`;

export interface CounterRow { quarter: string; counter: string; n: number; total: number }
export interface ScopedCounterRow extends CounterRow { key: string }
export interface DaysRow { quarter: string; days: number; n: number; key?: string }

export interface ScopeFilter { areaId?: string | null; forceId?: string | null }

/** SQL for the perf_* tables. The rebuild is set-based and scoped by force, so a refresh can redo any set of forces. */
export class PerformanceRepository {
  constructor(private readonly q: Queryable) {}

  /**
   * Recomputes the summary cells and data-quality rows of the given forces (null: every force) from the case
   * records. Must run inside a transaction (temp tables are dropped at commit); readers see the old or the new cells.
   */
  async rebuild(forces: string[] | null, now: Date): Promise<void> {
    await this.q.query('DELETE FROM perf_counts WHERE $1::text[] IS NULL OR force_id = ANY($1::text[])', [forces]);
    await this.q.query('DELETE FROM perf_days WHERE $1::text[] IS NULL OR force_id = ANY($1::text[])', [forces]);
    await this.q.query('DELETE FROM perf_data_quality WHERE $1::text[] IS NULL OR force_id = ANY($1::text[])', [forces]);
    await this.stage(forces, now);
    await this.write(now);
  }

  /**
   * The same figures straight from the case records, without the summary tables: the benchmark's full-scan baseline.
   * Runs in the caller's transaction.
   */
  async scanCounters(now: Date, group: string, from: string, to: string): Promise<CounterRow[]> {
    await this.stage(null, now);
    return this.q.query<CounterRow>(
      `SELECT quarter, counter, count(*)::float8 AS n, coalesce(sum(total), 0)::float8 AS total FROM perf_contrib
        WHERE ($1 = 'all_rasso' OR adult_rape) AND quarter BETWEEN $2 AND $3 GROUP BY quarter, counter`,
      [group, from, to],
    );
  }

  /** Temp tables of the cases in scope, their journey events and every counter's contributions. */
  private async stage(forces: string[] | null, now: Date): Promise<void> {
    await this.q.exec('DROP TABLE IF EXISTS perf_sc; DROP TABLE IF EXISTS perf_ev; DROP TABLE IF EXISTS perf_contrib');
    // Cases in scope, with the adult-rape flag: a rape (s.1) offence and a victim aged 18+ at the offence.
    await this.q.query(
      `CREATE TEMP TABLE perf_sc ON COMMIT DROP AS
       SELECT c.id AS case_id, c.force_id, c.cps_area_id, c.reference, c.reported_at, c.offence_date,
              (EXISTS (SELECT 1 FROM case_offences co JOIN offences o ON o.code = co.offence_code
                        WHERE co.case_id = c.id AND o.is_rape AND NOT o.victim_under_13)
               AND EXISTS (SELECT 1 FROM victims v WHERE v.case_id = c.id AND v.age_at_offence >= 18)) AS adult_rape,
              (EXISTS (SELECT 1 FROM case_offences co JOIN offences o ON o.code = co.offence_code
                        WHERE co.case_id = c.id AND o.is_rape AND NOT o.victim_under_13)
               AND EXISTS (SELECT 1 FROM victims v WHERE v.case_id = c.id AND v.age_at_offence IS NULL)) AS age_missing
         FROM cases c WHERE $1::text[] IS NULL OR c.force_id = ANY($1::text[])`,
      [forces],
    );
    await this.q.exec('ANALYZE perf_sc');
    // Journey events with, per case and up to each event, the last file receipt, the last EA request and whether EA
    // had been requested (receipts sort before decisions at the same instant).
    await this.q.query(
      `CREATE TEMP TABLE perf_ev ON COMMIT DROP AS
       SELECT e.case_id, e.kind, e.occurred_at, e.data->>'by' AS by, (e.data->>'outcomeCode')::integer AS outcome_code, e.data->>'result' AS result,
              ${QUARTER('e.occurred_at')} AS quarter, ${LONDON_DAY('e.occurred_at')} AS day,
              ${LONDON_DAY(`max(CASE WHEN e.kind = 'referred_for_charge' THEN e.occurred_at END) OVER w`)} AS last_file_day,
              ${LONDON_DAY(`max(CASE WHEN e.kind = 'early_advice_requested' THEN e.occurred_at END) OVER w`)} AS last_ea_day,
              bool_or(e.kind = 'early_advice_requested') OVER w AS had_ea,
              bool_or(e.kind = 'charged') OVER w AS had_charge
         FROM case_events e JOIN perf_sc sc ON sc.case_id = e.case_id
        WHERE e.kind IN (${KINDS})
       WINDOW w AS (PARTITION BY e.case_id ORDER BY e.occurred_at, CASE WHEN e.kind IN ('early_advice_requested', 'referred_for_charge') THEN 0 ELSE 1 END
                    ROWS UNBOUNDED PRECEDING)`,
      [],
    );
    await this.q.exec('ANALYZE perf_ev');
    await this.q.query(
      `CREATE TEMP TABLE perf_contrib ON COMMIT DROP AS
       WITH ev AS (SELECT * FROM perf_ev),
       duties AS (
         SELECT d.case_id, ${QUARTER('d.due_at')} AS quarter, d.met_at, d.due_at
           FROM victim_duties d JOIN perf_sc sc ON sc.case_id = d.case_id WHERE d.due_at <= $1::timestamptz),
       meetings AS (
         SELECT m.case_id, to_char(m.offer_due_date, 'YYYY"Q"Q') AS quarter, m.offered_on
           FROM pre_trial_meetings m JOIN perf_sc sc ON sc.case_id = m.case_id WHERE m.offer_due_date <= ${LONDON_DAY('$1::timestamptz')}),
       funnel AS (
         SELECT sc.case_id, to_char(sc.reported_at, 'YYYY"Q"Q') AS quarter,
                coalesce(f.referred, false) AS referred, coalesce(f.charged, false) AS charged, coalesce(f.convicted, false) AS convicted
           FROM perf_sc sc LEFT JOIN (
             SELECT case_id, bool_or(kind IN ('early_advice_requested', 'referred_for_charge')) AS referred, bool_or(kind = 'charged') AS charged,
                    bool_or(kind = 'guilty_plea' OR (kind = 'verdict' AND result = 'convicted')) AS convicted
               FROM perf_ev GROUP BY case_id) f ON f.case_id = sc.case_id)
       SELECT sc.force_id, sc.cps_area_id, sc.adult_rape, x.quarter, x.counter, x.total, x.days
         FROM (${contributionsSql()}) x JOIN perf_sc sc ON sc.case_id = x.case_id`,
      [now],
    );
  }

  private async write(now: Date): Promise<void> {
    await this.q.query(
      `INSERT INTO perf_counts (quarter, force_id, cps_area_id, offence_group, counter, n, total)
       SELECT quarter, force_id, cps_area_id, g.grp, counter, count(*), coalesce(sum(total), 0)
         FROM perf_contrib CROSS JOIN (VALUES ('all_rasso'), ('adult_rape')) g(grp)
        WHERE g.grp = 'all_rasso' OR adult_rape
        GROUP BY quarter, force_id, cps_area_id, g.grp, counter`,
    );
    await this.q.query(
      `INSERT INTO perf_days (quarter, force_id, cps_area_id, offence_group, counter, days, n)
       SELECT quarter, force_id, cps_area_id, g.grp, counter, days, count(*)
         FROM perf_contrib CROSS JOIN (VALUES ('all_rasso'), ('adult_rape')) g(grp)
        WHERE days IS NOT NULL AND (g.grp = 'all_rasso' OR adult_rape)
        GROUP BY quarter, force_id, cps_area_id, g.grp, counter, days`,
    );
    await this.q.query(
      `INSERT INTO perf_data_quality (case_id, force_id, cps_area_id, reference, problem, detected_at)
       SELECT sc.case_id, sc.force_id, sc.cps_area_id, sc.reference, p.problem, $1::timestamptz
         FROM perf_sc sc
         LEFT JOIN (SELECT ev.case_id,
                           bool_or(ev.day < s2.reported_at) AS before_report,
                           bool_or(ev.occurred_at > $1::timestamptz) AS in_future,
                           bool_or(kind = 'charged' AND last_file_day IS NULL) AS charge_without_file,
                           bool_or(((kind = 'nfa' AND by = 'cps') OR kind = 'administratively_finalised') AND last_file_day IS NULL) AS decision_without_file,
                           bool_or((kind = 'guilty_plea' OR (kind = 'verdict' AND result = 'convicted')) AND NOT had_charge) AS conviction_without_charge
                      FROM perf_ev ev JOIN perf_sc s2 ON s2.case_id = ev.case_id GROUP BY ev.case_id) e ON e.case_id = sc.case_id
         CROSS JOIN LATERAL (VALUES
           ('offence_date_missing', sc.offence_date IS NULL),
           ('offence_after_report', sc.offence_date > sc.reported_at),
           ('event_before_report', coalesce(e.before_report, false)),
           ('event_in_future', coalesce(e.in_future, false)),
           ('charge_without_file', coalesce(e.charge_without_file, false)),
           ('cps_decision_without_file', coalesce(e.decision_without_file, false)),
           ('conviction_without_charge', coalesce(e.conviction_without_charge, false)),
           ('victim_age_missing', sc.age_missing)) p(problem, found)
        WHERE p.found`,
      [now],
    );
  }

  /** The forces whose cells are stale: a case changed, a Victims' Code duty fell due, or a pre-trial meeting changed. */
  async staleForces(since: Date, now: Date): Promise<string[]> {
    const rows = await this.q.query<{ force_id: string }>(
      `SELECT force_id FROM cases WHERE updated_at > $1
       UNION SELECT force_id FROM victim_duties WHERE due_at > $1 AND due_at <= $2
       UNION SELECT force_id FROM pre_trial_meetings WHERE updated_at > $1 OR (offer_due_date > ${LONDON_DAY('$1::timestamptz')} AND offer_due_date <= ${LONDON_DAY('$2::timestamptz')})`,
      [since, now],
    );
    return rows.map((r) => r.force_id).sort();
  }

  private scopeSql(scope: ScopeFilter, params: unknown[]): string {
    const parts: string[] = [];
    if (scope.areaId) {
      params.push(scope.areaId);
      parts.push(`cps_area_id = $${params.length}`);
    }
    if (scope.forceId) {
      params.push(scope.forceId);
      parts.push(`force_id = $${params.length}`);
    }
    return parts.length ? `AND ${parts.join(' AND ')}` : '';
  }

  /** Counter sums per quarter for a scope: the dashboard's one read of perf_counts. */
  async counters(group: string, from: string, to: string, scope: ScopeFilter): Promise<CounterRow[]> {
    const params: unknown[] = [group, from, to];
    const where = this.scopeSql(scope, params);
    return this.q.query<CounterRow>(
      `SELECT quarter, counter, sum(n)::float8 AS n, sum(total)::float8 AS total FROM perf_counts
        WHERE offence_group = $1 AND quarter BETWEEN $2 AND $3 ${where} GROUP BY quarter, counter`,
      params,
    );
  }

  async days(group: string, counter: string, from: string, to: string, scope: ScopeFilter): Promise<DaysRow[]> {
    const params: unknown[] = [group, from, to, counter];
    const where = this.scopeSql(scope, params);
    return this.q.query<DaysRow>(
      `SELECT quarter, days, sum(n)::float8 AS n FROM perf_days
        WHERE offence_group = $1 AND quarter BETWEEN $2 AND $3 AND counter = $4 ${where} GROUP BY quarter, days`,
      params,
    );
  }

  /** Counter sums for one quarter broken down by Area or by force (the breakdown table). */
  async countersBy(by: 'area' | 'force', group: string, quarter: string, scope: ScopeFilter): Promise<ScopedCounterRow[]> {
    const params: unknown[] = [group, quarter];
    const where = this.scopeSql(scope, params);
    const key = by === 'area' ? 'cps_area_id' : 'force_id';
    return this.q.query<ScopedCounterRow>(
      `SELECT ${key} AS key, quarter, counter, sum(n)::float8 AS n, sum(total)::float8 AS total FROM perf_counts
        WHERE offence_group = $1 AND quarter = $2 ${where} GROUP BY ${key}, quarter, counter`,
      params,
    );
  }

  async daysBy(by: 'area' | 'force', group: string, counter: string, quarter: string, scope: ScopeFilter): Promise<DaysRow[]> {
    const params: unknown[] = [group, quarter, counter];
    const where = this.scopeSql(scope, params);
    const key = by === 'area' ? 'cps_area_id' : 'force_id';
    return this.q.query<DaysRow>(
      `SELECT ${key} AS key, quarter, days, sum(n)::float8 AS n FROM perf_days
        WHERE offence_group = $1 AND quarter = $2 AND counter = $3 ${where} GROUP BY ${key}, quarter, days`,
      params,
    );
  }

  async quarterBounds(): Promise<{ first: string | null; last: string | null }> {
    const [row] = await this.q.query<{ first: string | null; last: string | null }>('SELECT min(quarter) AS first, max(quarter) AS last FROM perf_counts');
    return row ?? { first: null, last: null };
  }

  async state() {
    const [row] = await this.q.query<{ watermark: Date | null; last_run_at: Date | null; last_full_at: Date | null; last_duration_ms: number | null; forces_refreshed: number }>(
      'SELECT watermark, last_run_at, last_full_at, last_duration_ms, forces_refreshed FROM perf_refresh_state WHERE id = 1',
    );
    return row!;
  }
}
