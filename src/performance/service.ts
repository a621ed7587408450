import { randomUUID } from 'node:crypto';
import type { Db, Queryable } from '../db/database.ts';
import type { AuditLog } from '../platform/audit.ts';
import type { Clock } from '../platform/clock.ts';
import { forbidden, HttpError } from '../platform/errors.ts';
import { enqueue, type JobHandler } from '../platform/jobs.ts';
import { type PerformanceScope, performanceScope } from '../platform/policy.ts';
import type { Principal } from '../platform/principal.ts';
import type { ReferenceService } from '../reference/service.ts';
import { protect, type ProtectedTable, SUPPRESSED_MARKER } from './disclosure.ts';
import { type CounterId, type CounterSums, formatValue, histogramMedian, type Measure, MEASURE_BY_ID, MEASURES, OFFENCE_GROUPS, type OffenceGroup } from './measures.ts';
import { changeText, lastCompleteQuarter, percentChange, quarterLabel, quarterRange } from './quarters.ts';
import { DATA_QUALITY_PROBLEMS, type DataQualityProblem, PerformanceRepository, type ScopeFilter } from './repository.ts';

export const JOB_REFRESH = 'performance.refresh';
/** How often the summary tables catch up with the case records. */
export const REFRESH_EVERY_MS = 5 * 60_000;
/** Changes committed just before a refresh started are picked up by the next one (refreshing a force twice is harmless). */
const OVERLAP_MS = 5 * 60_000;
export const JNAP_BASELINE = '2021Q1';

export interface DashboardQuery {
  group: OffenceGroup;
  view: 'national' | 'area' | 'force';
  area?: string;
  force?: string;
  from: string;
  to: string;
  baseline: string;
}

/** Sums for one quarter, read from the summary rows. */
class Sums implements CounterSums {
  readonly counts = new Map<string, { n: number; total: number }>();
  readonly hist = new Map<number, number>();
  n(id: CounterId) { return this.counts.get(id)?.n ?? 0; }
  total(id: CounterId) { return this.counts.get(id)?.total ?? 0; }
  median(id: CounterId) { return id === 'charges_timed' ? histogramMedian(this.hist) : null; }
  add(counter: string, n: number, total: number) {
    const c = this.counts.get(counter) ?? { n: 0, total: 0 };
    c.n += Number(n);
    c.total += Number(total);
    this.counts.set(counter, c);
  }
}

export interface MeasureRow {
  measure: Measure;
  values: (number | null)[];
  formatted: string[];
  latest: number | null;
  baseline: number | null;
  change: number | null;
  changeText: string;
}

/** Dashboards, CSVs, data quality and the public quarterly publication, all read from the perf_* summary tables. */
export class PerformanceService {
  constructor(
    readonly db: Db,
    readonly audit: AuditLog,
    readonly clock: Clock,
    readonly reference: ReferenceService,
  ) {}

  private repo(q: Queryable = this.db) {
    return new PerformanceRepository(q);
  }

  // ---- refresh ------------------------------------------------------------------------------------------------------

  /**
   * Brings the summary tables up to date inside the caller's transaction: every force when asked (or the first time),
   * otherwise only the forces with changes since the last refresh.
   */
  async refresh(tx: Queryable, opts: { full?: boolean } = {}): Promise<{ full: boolean; forces: number; ms: number }> {
    const started = Date.now();
    const now = this.clock.now();
    const [state] = await tx.query<{ watermark: Date | null }>('SELECT watermark FROM perf_refresh_state WHERE id = 1 FOR UPDATE');
    const full = opts.full || !state?.watermark;
    const repo = this.repo(tx);
    let forces: string[] | null = null;
    if (!full) {
      forces = await repo.staleForces(new Date(new Date(state!.watermark!).getTime() - OVERLAP_MS), now);
      if (forces.length) await repo.rebuild(forces, now);
    } else {
      await repo.rebuild(null, now);
    }
    const ms = Date.now() - started;
    const count = forces === null ? (await tx.query<{ n: number }>('SELECT count(*)::int AS n FROM forces'))[0]!.n : forces.length;
    await tx.query(
      `UPDATE perf_refresh_state SET watermark = $1, last_run_at = $1, last_full_at = CASE WHEN $2::boolean THEN $1 ELSE last_full_at END,
              last_duration_ms = $3, forces_refreshed = $4 WHERE id = 1`,
      [now, full, ms, count],
    );
    return { full, forces: count, ms };
  }

  /** Convenience for the CLI, tests and the benchmark: a refresh in a transaction of its own. */
  async refreshNow(opts: { full?: boolean } = {}) {
    return this.db.transaction((tx) => this.refresh(tx, opts));
  }

  /** What the last refresh covered, and when. */
  async state() {
    return this.repo().state();
  }

  /** Puts the next scheduled refresh on the job queue (one per 5-minute slot, however many processes ask). */
  async schedule(q: Queryable = this.db, after = this.clock.now()): Promise<void> {
    // Never refreshed (a new database, a fresh demo): the first refresh runs at once rather than at the next slot.
    const [state] = await q.query<{ watermark: Date | null }>('SELECT watermark FROM perf_refresh_state WHERE id = 1');
    if (!state?.watermark) await enqueue(q, this.clock, JOB_REFRESH, { full: true }, { runAt: after, dedupeKey: `${JOB_REFRESH}:first`, maxAttempts: 3 });
    const slot = Math.floor(after.getTime() / REFRESH_EVERY_MS) + 1;
    await enqueue(q, this.clock, JOB_REFRESH, {}, { runAt: new Date(slot * REFRESH_EVERY_MS), dedupeKey: `${JOB_REFRESH}:${slot}`, maxAttempts: 3 });
  }

  get jobHandlers(): Record<string, JobHandler> {
    return {
      [JOB_REFRESH]: async (job, tx) => {
        await this.refresh(tx, { full: Boolean((job.payload as { full?: boolean }).full) });
        await this.schedule(tx);
      },
    };
  }

  // ---- access -------------------------------------------------------------------------------------------------------

  private async record(principal: Principal, action: string, outcome: 'allowed' | 'denied', detail: Record<string, unknown>, requestId?: string) {
    await this.audit.record({ actorUserId: principal.userId, actorOrganisationId: principal.organisation.id, action, outcome, entityType: 'performance', detail, requestId });
  }

  async scopeOf(principal: Principal, requestId?: string): Promise<PerformanceScope> {
    const scope = performanceScope(principal);
    if (!scope) {
      await this.record(principal, 'performance:view', 'denied', { reason: 'no performance role' }, requestId);
      throw forbidden('Performance data is for police supervisors, District Crown Prosecutors, performance analysts and national leads.');
    }
    return scope;
  }

  /** The filter a view resolves to, or a 403 if the principal's scope does not reach it. */
  private async filterFor(principal: Principal, scope: PerformanceScope, q: DashboardQuery, requestId?: string): Promise<{ filter: ScopeFilter; name: string }> {
    const refuse = async () => {
      await this.record(principal, 'performance:view', 'denied', { view: q.view, area: q.area, force: q.force }, requestId);
      throw forbidden('You can see performance detail for your own organisation and national totals only.');
    };
    if (q.view === 'national') return { filter: {}, name: 'England and Wales' };
    if (q.view === 'area') {
      const area = q.area ? await this.reference.area(q.area) : undefined;
      if (!area) throw new HttpError(404, 'Page not found', 'There is no CPS Area with that name.');
      if (scope.level === 'force' || (scope.level === 'area' && scope.areaId !== area.id)) await refuse();
      return { filter: { areaId: area.id }, name: `CPS ${area.name}` };
    }
    const force = q.force ? await this.reference.force(q.force) : undefined;
    if (!force) throw new HttpError(404, 'Page not found', 'There is no police force with that name.');
    if (scope.level === 'force' && scope.forceId !== force.id) await refuse();
    if (scope.level === 'area') {
      const areas = await this.reference.areasFor(force.id);
      if (!areas.some((a) => a.id === scope.areaId)) await refuse();
      // A RASSO unit sees a force's cases in its own Area (the Metropolitan Police is split between two Areas).
      return { filter: { areaId: scope.areaId, forceId: force.id }, name: `${force.name} (cases in your Area)` };
    }
    return { filter: { forceId: force.id }, name: force.name };
  }

  /** The view a principal lands on: their own organisation, or the nation. */
  defaultView(scope: PerformanceScope): Pick<DashboardQuery, 'view' | 'area' | 'force'> {
    if (scope.level === 'area') return { view: 'area', area: scope.areaId };
    if (scope.level === 'force') return { view: 'force', force: scope.forceId };
    return { view: 'national' };
  }

  async defaultRange(): Promise<{ from: string; to: string; baseline: string }> {
    const last = lastCompleteQuarter(this.clock.now());
    const bounds = await this.repo().quarterBounds();
    const to = bounds.last && bounds.last < last ? bounds.last : last;
    const range = quarterRange(JNAP_BASELINE, to);
    // Two years by default keeps the tables readable; the filters reach back to 2019.
    const from = range.length > 8 ? range[range.length - 8]! : JNAP_BASELINE;
    return { from, to, baseline: JNAP_BASELINE };
  }

  // ---- dashboards ---------------------------------------------------------------------------------------------------

  private async sums(group: string, from: string, to: string, filter: ScopeFilter): Promise<Map<string, Sums>> {
    const repo = this.repo();
    const [counters, days] = await Promise.all([repo.counters(group, from, to, filter), repo.days(group, 'charges_timed', from, to, filter)]);
    const out = new Map<string, Sums>();
    const get = (q: string) => out.get(q) ?? out.set(q, new Sums()).get(q)!;
    for (const r of counters) get(r.quarter).add(r.counter, r.n, r.total);
    for (const r of days) get(r.quarter).hist.set(Number(r.days), (get(r.quarter).hist.get(Number(r.days)) ?? 0) + Number(r.n));
    return out;
  }

  /** Every measure by quarter for one scope, with the change against the baseline quarter. */
  measureRows(sums: Map<string, Sums>, quarters: string[], baseline: string): MeasureRow[] {
    const empty = new Sums();
    return MEASURES.map((measure) => {
      const values = quarters.map((q) => measure.compute(sums.get(q) ?? empty));
      const latest = values[values.length - 1] ?? null;
      const base = measure.compute(sums.get(baseline) ?? empty);
      const change = measure.format === 'count' ? percentChange(latest, base) : null;
      return {
        measure, values, formatted: values.map((v) => formatValue(measure.format, v)), latest, baseline: base, change,
        changeText: measure.format === 'count' ? changeText(change, baseline) : base === null || latest === null ? '' : `${formatValue(measure.format, base)} in ${quarterLabel(baseline)}`,
      };
    });
  }

  async dashboard(principal: Principal, q: DashboardQuery, requestId?: string) {
    const scope = await this.scopeOf(principal, requestId);
    const { filter, name } = await this.filterFor(principal, scope, q, requestId);
    const breakdownBy: 'area' | 'force' = q.view === 'national' ? 'area' : 'force';
    const { quarters, rows, breakdown } = await this.figures(q, filter, breakdownBy);
    await this.record(principal, 'performance:view', 'allowed', { view: q.view, area: q.area, force: q.force, group: q.group, from: q.from, to: q.to, baseline: q.baseline }, requestId);
    return { scope, scopeName: name, quarters, rows, breakdown, breakdownBy, refreshed: await this.repo().state() };
  }

  /**
   * The dashboard's query set: every measure by quarter (with the baseline) and the last quarter broken down, read
   * from the summary tables only. The benchmark times exactly this.
   */
  async figures(q: Pick<DashboardQuery, 'group' | 'from' | 'to' | 'baseline'>, filter: ScopeFilter, breakdownBy: 'area' | 'force') {
    const quarters = quarterRange(q.from, q.to);
    const lo = q.baseline < q.from ? q.baseline : q.from;
    const hi = q.baseline > q.to ? q.baseline : q.to;
    const [sums, breakdown] = await Promise.all([this.sums(q.group, lo, hi, filter), this.breakdown(breakdownBy, q.group, q.to, filter)]);
    return { quarters, rows: this.measureRows(sums, quarters, q.baseline), breakdown };
  }

  /** Selected measures for one quarter, one row per Area or force. */
  async breakdown(by: 'area' | 'force', group: string, quarter: string, filter: ScopeFilter) {
    const repo = this.repo();
    const [counters, days] = await Promise.all([repo.countersBy(by, group, quarter, filter), repo.daysBy(by, group, 'charges_timed', quarter, filter)]);
    const sums = new Map<string, Sums>();
    const get = (k: string) => sums.get(k) ?? sums.set(k, new Sums()).get(k)!;
    for (const r of counters) get(r.key).add(r.counter, r.n, r.total);
    for (const r of days) get(r.key!).hist.set(Number(r.days), Number(r.n));
    const names = new Map((by === 'area' ? await this.reference.areas() : await this.reference.forces()).map((x) => [x.id, x.name]));
    const measures = BREAKDOWN_MEASURES.map((id) => MEASURE_BY_ID.get(id)!);
    const rows = [...sums.entries()]
      .map(([key, s]) => ({ key, name: names.get(key) ?? key, values: measures.map((m) => m.compute(s)) }))
      .sort((a, b) => a.name.localeCompare(b.name));
    return { quarter, measures, rows: rows.map((r) => ({ ...r, formatted: r.values.map((v, i) => formatValue(measures[i]!.format, v)) })) };
  }

  // ---- data quality -------------------------------------------------------------------------------------------------

  async dataQuality(principal: Principal, q: { problem?: DataQualityProblem; page: number; sort: 'reference' | 'problem'; order: 'asc' | 'desc' }, requestId?: string) {
    const scope = await this.scopeOf(principal, requestId);
    const params: unknown[] = [];
    const where: string[] = [];
    if (scope.level === 'force') where.push(`force_id = $${params.push(scope.forceId)}`);
    if (scope.level === 'area') where.push(`cps_area_id = $${params.push(scope.areaId)}`);
    const whereAll = where.length ? `WHERE ${where.join(' AND ')}` : '';
    const counts = await this.db.query<{ problem: DataQualityProblem; n: number }>(`SELECT problem, count(*)::int AS n FROM perf_data_quality ${whereAll} GROUP BY problem`, params);
    if (q.problem) where.push(`problem = $${params.push(q.problem)}`);
    const whereList = where.length ? `WHERE ${where.join(' AND ')}` : '';
    const [{ total }] = await this.db.query<{ total: number }>(`SELECT count(*)::int AS total FROM perf_data_quality ${whereList}`, params) as [{ total: number }];
    const perPage = 25;
    const order = q.order === 'desc' ? 'DESC' : 'ASC';
    const sortSql = q.sort === 'problem' ? `problem ${order}, reference` : `reference ${order}, problem`;
    const rows = await this.db.query<{ case_id: string; reference: string; problem: DataQualityProblem; force_id: string; cps_area_id: string }>(
      `SELECT case_id, reference, problem, force_id, cps_area_id FROM perf_data_quality ${whereList} ORDER BY ${sortSql} LIMIT ${perPage} OFFSET ${(q.page - 1) * perPage}`,
      params,
    );
    // Case references are case data: the list is audited like any view of case records.
    await this.record(principal, 'performance:data-quality', 'allowed', { problem: q.problem ?? null, page: q.page, shown: rows.length }, requestId);
    const forces = new Map((await this.reference.forces()).map((f) => [f.id, f.name]));
    return {
      scope, total, perPage, counts: Object.keys(DATA_QUALITY_PROBLEMS).map((p) => ({ problem: p, label: DATA_QUALITY_PROBLEMS[p as DataQualityProblem], n: counts.find((c) => c.problem === p)?.n ?? 0 })),
      rows: rows.map((r) => ({ ...r, label: DATA_QUALITY_PROBLEMS[r.problem], forceName: forces.get(r.force_id) ?? r.force_id })),
      canOpenCases: scope.level !== 'national',
    };
  }

  // ---- publication --------------------------------------------------------------------------------------------------

  /** The publication's tables for a quarter, disclosure-controlled, from the summary tables. */
  async buildPublicationTables(quarter: string): Promise<PublicationTable[]> {
    const areas = await this.reference.areas();
    const tables: PublicationTable[] = [];
    for (const group of ['adult_rape', 'all_rasso'] as const) {
      const by = new Map<string, Sums>();
      const get = (k: string) => by.get(k) ?? by.set(k, new Sums()).get(k)!;
      for (const r of await this.repo().countersBy('area', group, quarter, {})) get(r.key).add(r.counter, r.n, r.total);
      const rowsFor = areas.filter((a) => by.has(a.id) || !a.is_cps_direct);
      for (const spec of PUBLICATION_TABLES) {
        const cells = rowsFor.map((a) => spec.counters.map((c) => (by.get(a.id) ?? new Sums()).n(c)));
        const table = protect({ rowLabels: rowsFor.map((a) => a.name), colLabels: spec.columns, cells, rowTotals: spec.rowTotal, colTotals: true });
        tables.push({ id: `${spec.id}-${group.replace('_', '-')}`, title: `${spec.title}: ${OFFENCE_GROUPS[group].toLowerCase()}, ${quarterLabel(quarter)}`, group, ...table, rowLabels: table.rowLabels.map((l) => (l === 'Total' ? 'England and Wales' : l)) });
      }
    }
    return tables;
  }

  async release(input: { quarter: string; commentary: string; changeNote: string; releasedBy: string }): Promise<PublicationRow> {
    const tables = await this.buildPublicationTables(input.quarter);
    return this.db.transaction(async (tx) => {
      const [prev] = await tx.query<{ version: number }>('SELECT max(version)::int AS version FROM perf_publications WHERE quarter = $1', [input.quarter]);
      const version = (prev?.version ?? 0) + 1;
      if (version > 1 && !input.changeNote.trim()) throw new HttpError(400, 'There is a problem', `${quarterLabel(input.quarter)} is already published: a revision needs a change note saying what changed and why`);
      const id = randomUUID();
      const [row] = await tx.query<PublicationRow>(
        `INSERT INTO perf_publications (id, quarter, version, commentary, change_note, tables, released_at, released_by)
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8) RETURNING *`,
        [id, input.quarter, version, input.commentary, input.changeNote, JSON.stringify(tables), this.clock.now(), input.releasedBy],
      );
      await this.audit.record({ actorUserId: null, actorOrganisationId: null, action: 'performance:publish', outcome: 'allowed', entityType: 'publication', entityId: id, detail: { quarter: input.quarter, version, by: input.releasedBy } }, tx);
      return row!;
    });
  }

  async publications(): Promise<{ quarter: string; version: number; released_at: Date }[]> {
    return this.db.query(
      `SELECT DISTINCT ON (quarter) quarter, version, released_at FROM perf_publications ORDER BY quarter DESC, version DESC`,
    );
  }

  /** A released publication (the latest version unless one is named), with every earlier version's change note. */
  async publication(quarter: string, version?: number): Promise<{ current: PublicationRow; versions: { version: number; released_at: Date; change_note: string }[] } | null> {
    const versions = await this.db.query<{ version: number; released_at: Date; change_note: string }>(
      'SELECT version, released_at, change_note FROM perf_publications WHERE quarter = $1 ORDER BY version DESC', [quarter],
    );
    if (!versions.length) return null;
    const v = version ?? versions[0]!.version;
    const [current] = await this.db.query<PublicationRow>('SELECT * FROM perf_publications WHERE quarter = $1 AND version = $2', [quarter, v]);
    return current ? { current, versions } : null;
  }
}

export const BREAKDOWN_MEASURES = ['referrals', 'charges', 'charge_rate', 'days_to_charge_mean', 'consultations_28', 'conviction_rate'];

export interface PublicationTable extends ProtectedTable {
  id: string;
  title: string;
  group: OffenceGroup;
}

export interface PublicationRow {
  id: string;
  quarter: string;
  version: number;
  commentary: string;
  change_note: string;
  tables: PublicationTable[];
  released_at: Date;
  released_by: string;
}

/** The published tables: counts only (rates could reveal a withheld count), each adding up across Areas. */
export const PUBLICATION_TABLES: { id: string; title: string; columns: string[]; counters: CounterId[]; rowTotal: boolean }[] = [
  { id: 'referrals', title: 'Referrals from the police by CPS Area', columns: ['Early Advice', 'Charging decision'], counters: ['ea_receipts', 'charge_receipts'], rowTotal: true },
  { id: 'decisions', title: 'CPS charging decisions by CPS Area', columns: ['Charged', 'No further action: evidential', 'No further action: public interest', 'Administratively finalised'], counters: ['charges', 'nfa_cps_evidential', 'nfa_cps_public_interest', 'admin_finalised'], rowTotal: true },
  { id: 'court', title: 'Completed prosecutions by CPS Area', columns: ['Convicted', 'Acquitted', 'Discontinued'], counters: ['convictions', 'acquittals', 'discontinuances'], rowTotal: true },
];

/** A protected table as CSV rows (the suppression marker in withheld cells). */
export function publicationCsv(t: PublicationTable): string {
  const head = ['CPS Area', ...t.colLabels];
  const body = t.values.map((r, i) => [t.rowLabels[i]!, ...r.map((v) => (v === null ? SUPPRESSED_MARKER : String(v)))]);
  return toCsv([head, ...body]);
}

export function toCsv(rows: readonly (readonly (string | number | null)[])[]): string {
  const cell = (v: string | number | null) => {
    const s = v === null ? '' : String(v);
    // Quote when needed; neutralise spreadsheet formulas (CSV injection) by prefixing a quote mark.
    const safe = /^[=+\-@\t\r]/.test(s) && !/^-?\d/.test(s) ? `'${s}` : s;
    return /[",\n\r]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
  };
  return `${rows.map((r) => r.map(cell).join(',')).join('\r\n')}\r\n`;
}
