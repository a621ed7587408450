/**
 * Suspect linkage in the case file: the live check when a suspect is recorded or changed, the alerts and proposed
 * links on a case, the investigator's feedback, information-sharing requests between forces, and behavioural
 * (MO) similarity. The warm LinkageIndex holds every suspect on record in every force; it is built once per process
 * and caught up from the suspects table before each check, so suspects recorded by another app process are found too.
 */
import { randomUUID } from 'node:crypto';
import type { CaseService, SuspectChange } from '../cases/service.ts';
import { STAGE_LABELS, type Stage } from '../cases/stages.ts';
import type { Db, Queryable } from '../db/database.ts';
import type { AuditLog } from '../platform/audit.ts';
import type { Clock } from '../platform/clock.ts';
import { ConflictError, forbidden, HttpError, notFound } from '../platform/errors.ts';
import { notify } from '../platform/jobs.ts';
import { can, decide, decideSharingRequest, linkedCaseView, type SharingRequestFacts } from '../platform/policy.ts';
import type { Principal } from '../platform/principal.ts';
import { fitModel, type Explanation, type LinkageModel } from './engine/model.ts';
import { LinkageIndex } from './engine/linkage-index.ts';
import { prepareRecords } from './engine/normalise.ts';
import { type FeedbackPair, refineWithFeedback, type RefineSummary } from './feedback.ts';
import { featureLabel, featureWeights, moFeatures, type MoInput, type MoRow, similarity } from './mo.ts';
import { suspectToPerson, type SuspectPersonRow } from './records.ts';
import { referenceModel } from './reference-model.ts';

/** Time budget of the live check against the warm index (the scoring loop stops when it runs out). */
export const CHECK_BUDGET_MS = 20;
/**
 * Probability at or above which a link is raised as an alert. The benchmark's high-precision operating point
 * (precision 0.993 on 1M synthetic national persons, 0.995 on 100k): an alert should be worth an investigator’s time.
 */
export const ALERT_PROBABILITY = 0.999;
/** Below this many people on record the model is not fitted on them (EM needs matches to learn from): the reference model is used. */
export const MIN_RECORDS_TO_FIT = 2000;
export const PAGE_SIZE = 25;
/** Width of the waterfall drawing, in SVG units. */
const BAR_WIDTH = 300;
/** Behavioural similarity at or above which another offence is listed as a possible series. */
export const SERIES_MIN_SIMILARITY = 0.5;

interface IndexState {
  index: LinkageIndex;
  /** suspect id → where it is recorded, and the version indexed */
  where: Map<string, { caseId: string; forceId: string; version: number }>;
  syncedTo: Date;
  modelSource: 'fitted' | 'reference';
  feedback: RefineSummary;
}

export interface OtherCaseFacts {
  id: string;
  reference: string;
  force_id: string;
  force_name: string;
  cps_area_id: string;
  referred_at: Date | null;
  stage: Stage;
  reported_at: string;
  outcome_type_code: number | null;
  outcome_title: string | null;
}

interface MatchRow {
  id: string;
  case_id: string;
  force_id: string;
  suspect_id: string;
  suspect_label: string;
  other_suspect_id: string;
  other_case_id: string;
  other_force_id: string;
  probability: number;
  weight: number;
  explanation: StoredExplanation;
  levels: Record<string, number>;
  first_seen_at: Date;
  last_seen_at: Date;
  decision: 'confirmed' | 'rejected' | null;
  decision_note: string;
  decided_by_name: string | null;
  decided_at: Date | null;
  version: number;
}

export interface StoredExplanation {
  prior: number;
  weight: number;
  probability: number;
  swappedNames: boolean;
  viaAlias: boolean;
  contributions: { field: string; title: string; level: number; label: string; log2BayesFactor: number; tfAdjustment: number; values: [string | null, string | null] }[];
}

interface SharingRow {
  id: string;
  match_id: string;
  requesting_case_id: string;
  requesting_force_id: string;
  requesting_force_name: string;
  requested_by: string;
  requested_by_name: string;
  requested_at: Date;
  reason: string;
  target_case_id: string;
  target_force_id: string;
  status: 'pending' | 'approved' | 'refused';
  decided_by_name: string | null;
  decided_at: Date | null;
  decision_reason: string;
  version: number;
}

export type DecisionFilter = 'all' | 'undecided' | 'confirmed' | 'rejected';

const SUSPECT_COLUMNS = 's.id, s.case_id, s.force_id, s.given_name, s.family_name, s.aliases, s.date_of_birth, s.addresses, s.phones, s.emails, s.online_identifiers, s.vehicles, s.version, s.updated_at';
type SuspectIndexRow = SuspectPersonRow & { case_id: string; version: number; updated_at: Date };

function storeExplanation(e: Explanation): StoredExplanation {
  return {
    prior: e.prior, weight: e.weight, probability: e.probability, swappedNames: e.swappedNames, viaAlias: e.viaAlias,
    contributions: e.contributions.map((c) => ({ field: c.field, title: c.title, level: c.level, label: c.label, log2BayesFactor: c.log2BayesFactor, tfAdjustment: c.tfAdjustment, values: c.values })),
  };
}

/** The existence-only facts of another case: force, year reported, stage (NFA included). */
function existence(c: OtherCaseFacts) {
  return {
    forceName: c.force_name, year: c.reported_at.slice(0, 4), stage: c.stage, stageLabel: STAGE_LABELS[c.stage],
    nfa: c.stage === 'nfa_police' || c.stage === 'nfa_cps',
  };
}

export class LinkageService {
  private state?: Promise<IndexState>;

  constructor(
    private readonly db: Db,
    private readonly audit: AuditLog,
    private readonly clock: Clock,
    private readonly cases: CaseService,
  ) {}

  /** Subscribes the live check to suspect changes in the case file. */
  attach(): void {
    this.cases.onSuspectChanged(async (change) => {
      try {
        await this.check(change);
      } catch (err) {
        // The suspect is saved either way; a failed check is recorded so it can be seen and re-run.
        await this.audit.record({ actorUserId: change.principal.userId, actorOrganisationId: change.principal.organisation.id, action: 'linkage:check', outcome: 'failed', entityType: 'suspect', entityId: change.suspectId, caseId: change.caseId, requestId: change.requestId, detail: { error: (err as Error).message.slice(0, 200) } });
      }
    });
  }

  // ------------------------------------------------------------------------------------------------ the warm index

  /** Builds the index now (e.g. at start-up) rather than at the first check. */
  warm(): Promise<IndexState> {
    this.state ??= this.build().catch((err: unknown) => {
      this.state = undefined;
      throw err;
    });
    return this.state;
  }

  /** Drops the index so the next check rebuilds it (and refits the model with the feedback recorded since). */
  reset(): void {
    this.state = undefined;
  }

  private async build(): Promise<IndexState> {
    const syncedTo = this.clock.now();
    const rows = await this.db.query<SuspectIndexRow>(`SELECT ${SUSPECT_COLUMNS} FROM suspects s`);
    const people = rows.map(suspectToPerson);
    const fitted = rows.length >= MIN_RECORDS_TO_FIT;
    let model: LinkageModel = fitted ? fitModel(prepareRecords(people), { threshold: ALERT_PROBABILITY }) : { ...referenceModel(rows.length), threshold: ALERT_PROBABILITY };
    const feedback = await this.db.query<{ decision: 'confirmed' | 'rejected'; levels: Record<string, number> }>('SELECT decision, levels FROM linkage_matches WHERE decision IS NOT NULL');
    const refined = refineWithFeedback(model, feedback as FeedbackPair[]);
    model = refined.model;
    const index = LinkageIndex.build(people, { model });
    const where = new Map(rows.map((r) => [r.id, { caseId: r.case_id, forceId: r.force_id, version: r.version }]));
    return { index, where, syncedTo, modelSource: fitted ? 'fitted' : 'reference', feedback: refined.summary };
  }

  /** Adds suspects recorded or changed since the last catch-up (an edit adds the new version; the id stays the same). */
  private async sync(state: IndexState, q: Queryable = this.db): Promise<void> {
    const since = new Date(state.syncedTo.getTime() - 5000); // overlap: clocks of other processes, commit order
    const now = this.clock.now();
    const rows = await q.query<SuspectIndexRow>(`SELECT ${SUSPECT_COLUMNS} FROM suspects s WHERE s.updated_at >= $1`, [since]);
    for (const r of rows) {
      const known = state.where.get(r.id);
      if (known && known.version === r.version) continue;
      state.index.add(suspectToPerson(r));
      state.where.set(r.id, { caseId: r.case_id, forceId: r.force_id, version: r.version });
    }
    if (now > state.syncedTo) state.syncedTo = now;
  }

  /** Facts about the index for the linkage page (and tests). */
  async indexInfo() {
    const s = await this.warm();
    return { people: s.where.size, records: s.index.size, modelSource: s.modelSource, feedback: s.feedback };
  }

  // ------------------------------------------------------------------------------------------------ the live check

  /**
   * Checks one suspect against every person on record in every force, within CHECK_BUDGET_MS, and records the
   * result as an alert on the suspect's case. Links the investigator already rejected keep their decision.
   */
  async check(change: Pick<SuspectChange, 'caseId' | 'suspectId'> & Partial<SuspectChange>) {
    const state = await this.warm();
    await this.sync(state);
    const [row] = await this.db.query<SuspectIndexRow>(`SELECT ${SUSPECT_COLUMNS} FROM suspects s WHERE s.id = $1`, [change.suspectId]);
    if (!row) return null;
    const person = suspectToPerson(row);
    const result = state.index.query(person, { budgetMs: CHECK_BUDGET_MS, minProbability: ALERT_PROBABILITY, excludeIds: new Set([row.id]), limit: 50 });
    // The index may hold older versions of an edited suspect under the same id: keep each person's best match once.
    const best = new Map<string, (typeof result.matches)[number]>();
    for (const m of result.matches) {
      const where = state.where.get(m.id);
      if (!where || where.caseId === row.case_id) continue; // co-suspects on the same case are not "other cases"
      if (!best.has(m.id)) best.set(m.id, m);
    }
    const now = this.clock.now();
    const alertId = randomUUID();
    await this.db.transaction(async (tx) => {
      await tx.query(
        `INSERT INTO linkage_alerts (id, case_id, force_id, suspect_id, checked_at, candidates, scored, truncated, elapsed_ms, match_count)
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10)`,
        [alertId, row.case_id, row.force_id, row.id, now, result.candidates, result.scored, result.truncated, result.elapsedMs, best.size],
      );
      for (const m of best.values()) {
        const where = state.where.get(m.id)!;
        const explanation = storeExplanation(m.explanation!);
        const levels = Object.fromEntries(explanation.contributions.map((c) => [c.field, c.level]));
        await tx.query(
          `INSERT INTO linkage_matches (id, case_id, force_id, suspect_id, other_suspect_id, other_case_id, other_force_id, probability, weight, explanation, levels, first_seen_at, last_seen_at)
           VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$12)
           ON CONFLICT (suspect_id, other_suspect_id) DO UPDATE SET probability = EXCLUDED.probability, weight = EXCLUDED.weight,
             explanation = EXCLUDED.explanation, levels = EXCLUDED.levels, last_seen_at = EXCLUDED.last_seen_at`,
          [randomUUID(), row.case_id, row.force_id, row.id, m.id, where.caseId, where.forceId, m.probability, m.weight, JSON.stringify(explanation), JSON.stringify(levels), now],
        );
      }
      await this.audit.record({
        actorUserId: change.principal?.userId ?? null, actorOrganisationId: change.principal?.organisation.id ?? null, action: 'linkage:check', outcome: 'allowed',
        entityType: 'suspect', entityId: row.id, caseId: row.case_id, requestId: change.requestId,
        detail: { alertId, matches: best.size, candidates: result.candidates, scored: result.scored, truncated: result.truncated, elapsedMs: Math.round(result.elapsedMs * 100) / 100 },
      }, tx);
    });
    return { alertId, matches: best.size, candidates: result.candidates, scored: result.scored, truncated: result.truncated, elapsedMs: result.elapsedMs };
  }

  // ------------------------------------------------------------------------------------------------ reading

  private async otherCases(ids: string[], q: Queryable = this.db): Promise<Map<string, OtherCaseFacts>> {
    if (ids.length === 0) return new Map();
    const rows = await q.query<OtherCaseFacts>(
      `SELECT c.id, c.reference, c.force_id, f.name AS force_name, c.cps_area_id, c.referred_at, c.stage, c.reported_at::text AS reported_at, c.outcome_type_code, o.title AS outcome_title
         FROM cases c JOIN forces f ON f.id = c.force_id LEFT JOIN outcome_types o ON o.code = c.outcome_type_code
        WHERE c.id = ANY($1::uuid[])`,
      [ids],
    );
    return new Map(rows.map((r) => [r.id, r]));
  }

  /** The latest open sharing request per link (pending or approved), else the latest refused one. */
  private async requestsFor(matchIds: string[], q: Queryable = this.db): Promise<Map<string, SharingRow>> {
    if (matchIds.length === 0) return new Map();
    const rows = await q.query<SharingRow>(
      `${SHARING_SELECT} WHERE r.match_id = ANY($1::uuid[]) ORDER BY (r.status = 'refused'), r.requested_at DESC`,
      [matchIds],
    );
    const out = new Map<string, SharingRow>();
    for (const r of rows) if (!out.has(r.match_id)) out.set(r.match_id, r);
    return out;
  }

  /** Whether this principal may read the other case through the case file itself (same force): then no request is needed. */
  private readsDirectly(principal: Principal, c: OtherCaseFacts): boolean {
    return decide(principal, 'case:read', { caseId: c.id, forceId: c.force_id, cpsAreaId: c.cps_area_id, referred: c.referred_at !== null, teamUserIds: [] }).allowed;
  }

  /** What the case page shows: the alert (counts, forces, years, stages) for people who may see linkage. No audit: the case read is audited. */
  async casePanel(principal: Principal, facts: { caseId: string; forceId: string; cpsAreaId: string; referred: boolean; teamUserIds: readonly string[] }) {
    if (!decide(principal, 'linkage:read', facts).allowed) return null;
    const rows = await this.db.query<{ other_case_id: string; decision: string | null }>('SELECT other_case_id, decision FROM linkage_matches WHERE case_id = $1', [facts.caseId]);
    const live = rows.filter((r) => r.decision !== 'rejected');
    const otherIds = [...new Set(live.map((r) => r.other_case_id))];
    const cases = await this.otherCases(otherIds);
    const summary = [...cases.values()].map(existence).sort((a, b) => a.year.localeCompare(b.year));
    return {
      otherCases: otherIds.length, undecided: live.filter((r) => r.decision === null).length,
      forces: [...new Set(summary.map((s) => s.forceName))], years: [...new Set(summary.map((s) => s.year))],
      stages: [...new Set(summary.map((s) => s.stageLabel))], nfa: summary.filter((s) => s.nfa).length, summary,
    };
  }

  /** The linkage page of a case: every proposed link, existence-only unless shared or readable directly. Audited. */
  async caseLinks(principal: Principal, caseId: string, query: { decision: DecisionFilter; sort: 'probability' | 'year'; page: number }, requestId?: string) {
    const facts = await this.cases.authorize(principal, caseId, 'linkage:read', requestId);
    const kase = await this.cases.summary(caseId);
    const all = await this.db.query<MatchRow>(`${MATCH_SELECT} WHERE m.case_id = $1`, [caseId]);
    const counts = { all: all.length, undecided: 0, confirmed: 0, rejected: 0 };
    for (const m of all) counts[m.decision ?? 'undecided']++;
    const filtered = all.filter((m) => query.decision === 'all' || (m.decision ?? 'undecided') === query.decision);
    const cases = await this.otherCases([...new Set(filtered.map((m) => m.other_case_id))]);
    const requests = await this.requestsFor(filtered.map((m) => m.id));
    const rows = filtered.map((m) => this.linkView(principal, m, cases.get(m.other_case_id)!, requests.get(m.id) ?? null));
    rows.sort((a, b) => (query.sort === 'year' ? b.other.year.localeCompare(a.other.year) || b.probability - a.probability : b.probability - a.probability));
    const total = rows.length;
    const page = rows.slice((query.page - 1) * PAGE_SIZE, query.page * PAGE_SIZE);
    const [lastCheck] = await this.db.query<{ checked_at: Date; candidates: number; scored: number; truncated: boolean; elapsed_ms: number }>(
      'SELECT checked_at, candidates, scored, truncated, elapsed_ms FROM linkage_alerts WHERE case_id = $1 ORDER BY checked_at DESC LIMIT 1', [caseId],
    );
    await this.audit.record({ actorUserId: principal.userId, actorOrganisationId: principal.organisation.id, action: 'linkage:read', outcome: 'allowed', entityType: 'case', entityId: caseId, caseId, requestId, detail: { links: total, shared: page.filter((r) => r.view === 'shared').map((r) => r.otherCaseId) } });
    return { facts, case: kase, rows: page, total, counts, lastCheck: lastCheck ?? null, pages: Math.max(1, Math.ceil(total / PAGE_SIZE)) };
  }

  private linkView(principal: Principal, m: MatchRow, other: OtherCaseFacts, request: SharingRow | null) {
    const direct = this.readsDirectly(principal, other);
    const view = direct ? 'direct' : linkedCaseView(principal, other.force_id, request ? sharingFacts(request) : null);
    return {
      id: m.id, suspectLabel: m.suspect_label, probability: m.probability, weight: m.weight, decision: m.decision, decisionNote: m.decision_note,
      decidedBy: m.decided_by_name, decidedAt: m.decided_at, version: m.version, firstSeenAt: m.first_seen_at,
      view: view as 'direct' | 'shared' | 'existence', otherCaseId: other.id, otherForceId: other.force_id,
      other: { ...existence(other), reference: view === 'existence' ? null : other.reference, outcome: view === 'existence' ? null : other.outcome_title },
      request: request ? { id: request.id, status: request.status, requestedAt: request.requested_at, requestedBy: request.requested_by_name, reason: request.reason, decidedAt: request.decided_at, decidedBy: request.decided_by_name, decisionReason: request.decision_reason } : null,
    };
  }

  /**
   * One proposed link with its explanation. The other record's values, and the other case's details, are shown only
   * when the principal may read that case directly or the holding force approved a sharing request. Audited, and
   * a view of shared details is audited against the other case too.
   */
  async link(principal: Principal, caseId: string, matchId: string, requestId?: string) {
    const facts = await this.cases.authorize(principal, caseId, 'linkage:read', requestId);
    const [m] = await this.db.query<MatchRow>(`${MATCH_SELECT} WHERE m.case_id = $1 AND m.id = $2`, [caseId, matchId]);
    if (!m) throw notFound();
    const kase = await this.cases.summary(caseId);
    const other = (await this.otherCases([m.other_case_id])).get(m.other_case_id)!;
    const request = (await this.requestsFor([m.id])).get(m.id) ?? null;
    const link = this.linkView(principal, m, other, request);
    const showOther = link.view !== 'existence';
    const e = m.explanation;
    const contributions = e.contributions.map((c) => ({ ...c, ours: c.values[0], theirs: showOther ? c.values[1] : null }));
    let shared = null;
    if (showOther) {
      const [s] = await this.db.query<SuspectIndexRow & { label: string }>(`SELECT ${SUSPECT_COLUMNS}, s.label FROM suspects s WHERE s.id = $1`, [m.other_suspect_id]);
      const offences = await this.db.query<{ title: string; section: string }>(
        'SELECT o.title, o.section FROM case_offences co JOIN offences o ON o.code = co.offence_code WHERE co.case_id = $1 ORDER BY o.title', [other.id],
      );
      const [detail] = await this.db.query<{ summary: string; offence_date: string | null; officer: string | null }>(
        `SELECT c.summary, c.offence_date::text AS offence_date,
                (SELECT u.display_name FROM case_team t JOIN users u ON u.id = t.user_id WHERE t.case_id = c.id AND t.team_role = 'officer_in_case' ORDER BY t.added_at LIMIT 1) AS officer
           FROM cases c WHERE c.id = $1`, [other.id],
      );
      shared = { suspect: s ?? null, offencesText: offences.map((o) => `${o.title} (s.${o.section})`).join(', '), aliasesText: (s?.aliases ?? []).map((x) => `${x.given} ${x.family}`.trim()).join('; '), summary: detail?.summary ?? '', offenceDate: detail?.offence_date ?? null, reportedAt: other.reported_at, officer: detail?.officer ?? null };
      if (link.view === 'shared') {
        await this.audit.record({ actorUserId: principal.userId, actorOrganisationId: principal.organisation.id, action: 'linkage:read-shared', outcome: 'allowed', entityType: 'case', entityId: other.id, caseId: other.id, requestId, detail: { sharingRequestId: request!.id, fromCaseId: caseId } });
      }
    }
    await this.audit.record({ actorUserId: principal.userId, actorOrganisationId: principal.organisation.id, action: 'linkage:read-link', outcome: 'allowed', entityType: 'linkage_match', entityId: m.id, caseId, requestId, detail: { view: link.view } });
    // Bars of the waterfall: running total from the prior, one step per field
    let running = e.prior;
    const steps = contributions.map((c) => {
      const from = running;
      running += c.log2BayesFactor;
      return { ...c, from, to: running };
    });
    // Scale of the bars (SVG units, 0..BAR_WIDTH): from the lowest to the highest running total, always including 0
    const ends = [0, e.prior, ...steps.flatMap((st) => [st.from, st.to])];
    const lo = Math.min(...ends);
    const span = Math.max(...ends) - lo || 1;
    const x = (v: number) => Math.round(((v - lo) / span) * BAR_WIDTH * 10) / 10;
    const bars = steps.map((st) => ({ ...st, x: Math.min(x(st.from), x(st.to)), width: Math.max(Math.abs(x(st.to) - x(st.from)), 1), positive: st.log2BayesFactor >= 0 }));
    const prior = { x: Math.min(x(0), x(e.prior)), width: Math.max(Math.abs(x(e.prior) - x(0)), 1) };
    return {
      facts, case: kase, link, explanation: { ...e, steps: bars, priorBar: prior, zeroX: x(0), totalX: x(running), barWidth: BAR_WIDTH }, shared,
      can: { review: decide(principal, 'linkage:review', facts).allowed, requestSharing: decide(principal, 'linkage:request-sharing', facts).allowed && link.view === 'existence' && link.request?.status !== 'pending' },
    };
  }

  // ------------------------------------------------------------------------------------------------ feedback

  /** The investigator confirms or rejects a proposed link. Stored with the link's comparison levels for the next fit. */
  async recordDecision(principal: Principal, caseId: string, matchId: string, input: { decision: 'confirmed' | 'rejected'; note: string; version: number }, requestId?: string) {
    await this.cases.authorize(principal, caseId, 'linkage:review', requestId);
    await this.db.transaction(async (tx) => {
      const updated = await tx.query(
        `UPDATE linkage_matches SET decision = $4, decision_note = $5, decided_by = $6, decided_at = $7, version = version + 1
          WHERE id = $1 AND case_id = $2 AND version = $3 RETURNING id`,
        [matchId, caseId, input.version, input.decision, input.note, principal.userId, this.clock.now()],
      );
      if (updated.length === 0) {
        const [current] = await tx.query<MatchRow>(`${MATCH_SELECT} WHERE m.case_id = $1 AND m.id = $2`, [caseId, matchId]);
        if (!current) throw notFound();
        throw new ConflictError(
          [{ label: 'Decision', current: current.decision ?? 'Not decided', submitted: input.decision }, { label: 'Note', current: current.decision_note, submitted: input.note }].filter((d) => d.current !== d.submitted),
          `/cases/${caseId}/linkage/${matchId}`,
        );
      }
      await this.audit.record({ actorUserId: principal.userId, actorOrganisationId: principal.organisation.id, action: 'linkage:review', outcome: 'allowed', entityType: 'linkage_match', entityId: matchId, caseId, requestId, detail: { decision: input.decision } }, tx);
    });
  }

  // ------------------------------------------------------------------------------------------------ sharing requests

  async requestSharing(principal: Principal, caseId: string, matchId: string, input: { reason: string }, requestId?: string): Promise<string> {
    const facts = await this.cases.authorize(principal, caseId, 'linkage:request-sharing', requestId);
    const [m] = await this.db.query<MatchRow>(`${MATCH_SELECT} WHERE m.case_id = $1 AND m.id = $2`, [caseId, matchId]);
    if (!m) throw notFound();
    const other = (await this.otherCases([m.other_case_id])).get(m.other_case_id)!;
    if (this.readsDirectly(principal, other)) throw new HttpError(400, 'No request needed', 'You can already read this case: it is held by your force.');
    const id = randomUUID();
    await this.db.transaction(async (tx) => {
      const inserted = await tx.query(
        `INSERT INTO linkage_sharing_requests (id, match_id, requesting_case_id, requesting_force_id, requested_by, requested_at, reason, target_case_id, target_force_id)
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9) ON CONFLICT DO NOTHING RETURNING id`,
        [id, matchId, caseId, facts.forceId, principal.userId, this.clock.now(), input.reason, other.id, other.force_id],
      );
      if (inserted.length === 0) throw new HttpError(409, 'Already requested', 'A request to share this case is already waiting for a decision or has been approved.');
      await this.audit.record({ actorUserId: principal.userId, actorOrganisationId: principal.organisation.id, action: 'linkage:request-sharing', outcome: 'allowed', entityType: 'sharing_request', entityId: id, caseId, requestId, detail: { targetCaseId: other.id, targetForceId: other.force_id } }, tx);
      // The officer in case of the other case hears of it; anyone in that force with the role can decide.
      const [force] = await tx.query<{ name: string }>('SELECT name FROM forces WHERE id = $1', [facts.forceId]);
      const officers = await tx.query<{ user_id: string }>("SELECT user_id FROM case_team WHERE case_id = $1 AND team_role = 'officer_in_case'", [other.id]);
      for (const o of officers) {
        await notify(tx, this.clock, { userId: o.user_id, caseId: other.id, kind: 'linkage-sharing-request', message: `${force?.name ?? 'Another force'} asks to see case ${other.reference}: a suspect they recorded may be the same person.`, link: `/linkage/sharing-requests/${id}`, dedupeKey: `linkage-sharing-request:${id}:${o.user_id}` });
      }
    });
    return id;
  }

  /** Requests to the principal's force, newest first, filtered by status. */
  async incomingRequests(principal: Principal, query: { status: 'pending' | 'approved' | 'refused' | 'all'; page: number }, requestId?: string) {
    if (!can(principal, 'linkage:sharing-requests') || principal.organisation.kind !== 'force') {
      await this.audit.record({ actorUserId: principal.userId, actorOrganisationId: principal.organisation.id, action: 'linkage:sharing-requests', outcome: 'denied', requestId });
      throw forbidden();
    }
    const forceId = principal.organisation.forceId!;
    const params: unknown[] = [forceId];
    let where = 'r.target_force_id = $1';
    if (query.status !== 'all') {
      params.push(query.status);
      where += ` AND r.status = $${params.length}`;
    }
    const [{ n }] = (await this.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM linkage_sharing_requests r WHERE ${where}`, params)) as [{ n: number }];
    const rows = await this.db.query<SharingRow & { target_reference: string; suspect_label: string }>(
      `${SHARING_SELECT} WHERE ${where} ORDER BY r.requested_at DESC LIMIT ${PAGE_SIZE} OFFSET ${(query.page - 1) * PAGE_SIZE}`, params,
    );
    const [{ pending }] = (await this.db.query<{ pending: number }>("SELECT count(*)::int AS pending FROM linkage_sharing_requests WHERE target_force_id = $1 AND status = 'pending'", [forceId])) as [{ pending: number }];
    await this.audit.record({ actorUserId: principal.userId, actorOrganisationId: principal.organisation.id, action: 'linkage:sharing-requests', outcome: 'allowed', requestId, detail: { status: query.status, shown: rows.length } });
    return { rows, total: n, pending, pages: Math.max(1, Math.ceil(n / PAGE_SIZE)) };
  }

  private async loadRequest(principal: Principal, id: string, requestId?: string) {
    const [r] = /^[0-9a-f-]{36}$/.test(id) ? await this.db.query<SharingRow & { target_reference: string; suspect_label: string }>(`${SHARING_SELECT} WHERE r.id = $1`, [id]) : [];
    const decision = r ? decideSharingRequest(principal, sharingFacts(r)) : ({ allowed: false, status: 404, reason: 'no such request' } as const);
    if (!decision.allowed) {
      await this.audit.record({ actorUserId: principal.userId, actorOrganisationId: principal.organisation.id, action: 'linkage:decide-sharing', outcome: 'denied', entityType: 'sharing_request', entityId: id.slice(0, 64), requestId, detail: { reason: decision.reason } });
      throw decision.status === 404 ? notFound() : forbidden();
    }
    return r!;
  }

  /** One incoming request, for the holding force to decide: who asks, why, and which of its cases. */
  async incomingRequest(principal: Principal, id: string, requestId?: string) {
    const r = await this.loadRequest(principal, id, requestId);
    const requesting = (await this.otherCases([r.requesting_case_id])).get(r.requesting_case_id)!;
    const [m] = await this.db.query<MatchRow>(`${MATCH_SELECT} WHERE m.id = $1`, [r.match_id]);
    await this.audit.record({ actorUserId: principal.userId, actorOrganisationId: principal.organisation.id, action: 'linkage:read-sharing-request', outcome: 'allowed', entityType: 'sharing_request', entityId: r.id, caseId: r.target_case_id, requestId });
    return { request: r, requesting: existence(requesting), probability: m?.probability ?? null };
  }

  async decideRequest(principal: Principal, id: string, input: { decision: 'approved' | 'refused'; reason: string; version: number }, requestId?: string) {
    // Asked (and a refusal audited) outside the transaction: a denial must be recorded even though nothing changes.
    const r = await this.loadRequest(principal, id, requestId);
    if (r.status !== 'pending') throw new HttpError(409, 'Already decided', `This request was ${r.status} on ${r.decided_at?.toISOString().slice(0, 10)}.`);
    await this.db.transaction(async (tx) => {
      const updated = await tx.query(
        `UPDATE linkage_sharing_requests SET status = $3, decision_reason = $4, decided_by = $5, decided_at = $6, version = version + 1
          WHERE id = $1 AND version = $2 AND status = 'pending' RETURNING id`,
        [id, input.version, input.decision, input.reason, principal.userId, this.clock.now()],
      );
      if (updated.length === 0) throw new ConflictError([{ label: 'Status', current: 'changed', submitted: input.decision }], `/linkage/sharing-requests/${id}`);
      await this.audit.record({ actorUserId: principal.userId, actorOrganisationId: principal.organisation.id, action: 'linkage:decide-sharing', outcome: 'allowed', entityType: 'sharing_request', entityId: id, caseId: r.target_case_id, requestId, detail: { decision: input.decision, requestingForceId: r.requesting_force_id, requestingCaseId: r.requesting_case_id } }, tx);
      const [force] = await tx.query<{ name: string }>('SELECT name FROM forces WHERE id = $1', [r.target_force_id]);
      await notify(tx, this.clock, { userId: r.requested_by, caseId: r.requesting_case_id, kind: 'linkage-sharing-decision', message: `${force?.name ?? 'The other force'} ${input.decision} your request to see their case.`, link: `/cases/${r.requesting_case_id}/linkage/${r.match_id}`, dedupeKey: `linkage-sharing-decision:${id}` });
    });
  }

  // ------------------------------------------------------------------------------------------------ behavioural similarity

  async moForEdit(principal: Principal, caseId: string, requestId?: string) {
    await this.cases.authorize(principal, caseId, 'mo:update', requestId);
    const [row] = await this.db.query<MoRow>('SELECT * FROM offence_mo WHERE case_id = $1', [caseId]);
    return { case: await this.cases.summary(caseId), mo: row ?? null };
  }

  async saveMo(principal: Principal, caseId: string, input: MoInput & { version?: number }, requestId?: string) {
    const facts = await this.cases.authorize(principal, caseId, 'mo:update', requestId);
    const now = this.clock.now();
    const values = [input.approach, input.facilitation, input.victimIncapacitated, input.locationType, input.timeOfDay, input.violence, input.escortHome, principal.userId, now];
    await this.db.transaction(async (tx) => {
      const [existing] = await tx.query<MoRow>('SELECT * FROM offence_mo WHERE case_id = $1 FOR UPDATE', [caseId]);
      if (!existing) {
        await tx.query(
          `INSERT INTO offence_mo (case_id, force_id, approach, facilitation, victim_incapacitated, location_type, time_of_day, violence, escort_home, updated_by, updated_at)
           VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11)`,
          [caseId, facts.forceId, ...values],
        );
      } else {
        if (input.version !== existing.version) {
          const before = [...moFeatures(existing)].map(featureLabel).join('; ');
          const after = [...moFeatures({ approach: input.approach, facilitation: input.facilitation, victim_incapacitated: input.victimIncapacitated, location_type: input.locationType, time_of_day: input.timeOfDay, violence: input.violence, escort_home: input.escortHome })].map(featureLabel).join('; ');
          throw new ConflictError([{ label: 'Offence features', current: before, submitted: after }], `/cases/${caseId}/mo`);
        }
        await tx.query(
          `UPDATE offence_mo SET approach = $2, facilitation = $3, victim_incapacitated = $4, location_type = $5, time_of_day = $6, violence = $7, escort_home = $8,
             updated_by = $9, updated_at = $10, version = version + 1 WHERE case_id = $1`,
          [caseId, ...values],
        );
      }
      await this.audit.record({ actorUserId: principal.userId, actorOrganisationId: principal.organisation.id, action: 'mo:update', outcome: 'allowed', entityType: 'offence_mo', entityId: caseId, caseId, requestId }, tx);
    });
  }

  /**
   * Possible series: other offences whose MO is similar (weighted Jaccard ≥ SERIES_MIN_SIMILARITY). Cases the principal
   * reads through the case file are named; other forces' cases show existence only (force, year, stage).
   */
  async series(principal: Principal, caseId: string, query: { page: number }, requestId?: string) {
    await this.cases.authorize(principal, caseId, 'linkage:read', requestId);
    const all = await this.db.query<MoRow>('SELECT * FROM offence_mo');
    const sets = new Map(all.map((r) => [r.case_id, moFeatures(r)]));
    const mine = sets.get(caseId);
    const kase = await this.cases.summary(caseId);
    let hits: { caseId: string; score: number; shared: string[] }[] = [];
    if (mine && mine.size > 0) {
      const weights = featureWeights([...sets.values()]);
      for (const [id, s] of sets) {
        if (id === caseId) continue;
        const sim = similarity(mine, s, weights);
        if (sim.score >= SERIES_MIN_SIMILARITY) hits.push({ caseId: id, score: sim.score, shared: sim.shared });
      }
      hits.sort((a, b) => b.score - a.score);
    }
    const total = hits.length;
    hits = hits.slice((query.page - 1) * PAGE_SIZE, query.page * PAGE_SIZE);
    const cases = await this.otherCases(hits.map((h) => h.caseId));
    const rows = hits.map((h) => {
      const c = cases.get(h.caseId)!;
      const direct = this.readsDirectly(principal, c);
      return { ...existence(c), caseId: direct ? c.id : null, reference: direct ? c.reference : null, score: h.score, shared: h.shared.map(featureLabel) };
    });
    await this.audit.record({ actorUserId: principal.userId, actorOrganisationId: principal.organisation.id, action: 'mo:series', outcome: 'allowed', entityType: 'case', entityId: caseId, caseId, requestId, detail: { similar: total } });
    return { case: kase, recorded: !!mine, features: mine ? [...mine].map(featureLabel) : [], rows, total, pages: Math.max(1, Math.ceil(total / PAGE_SIZE)) };
  }
}

function sharingFacts(r: Pick<SharingRow, 'requesting_force_id' | 'target_force_id' | 'status'>): SharingRequestFacts {
  return { requestingForceId: r.requesting_force_id, targetForceId: r.target_force_id, status: r.status };
}

const MATCH_SELECT = `SELECT m.*, s.label AS suspect_label, u.display_name AS decided_by_name
  FROM linkage_matches m JOIN suspects s ON s.id = m.suspect_id LEFT JOIN users u ON u.id = m.decided_by`;

const SHARING_SELECT = `SELECT r.*, f.name AS requesting_force_name, rb.display_name AS requested_by_name, db.display_name AS decided_by_name,
    tc.reference AS target_reference, ts.label AS suspect_label
  FROM linkage_sharing_requests r
  JOIN forces f ON f.id = r.requesting_force_id
  JOIN users rb ON rb.id = r.requested_by
  LEFT JOIN users db ON db.id = r.decided_by
  JOIN cases tc ON tc.id = r.target_case_id
  JOIN linkage_matches m ON m.id = r.match_id
  JOIN suspects ts ON ts.id = m.other_suspect_id`;


