import { randomUUID } from 'node:crypto';
import type { Db, Queryable } from '../db/database.ts';
import type { AuditLog } from '../platform/audit.ts';
import { londonDate } from '../platform/calendar.ts';
import type { Clock } from '../platform/clock.ts';
import { ConflictError, forbidden, HttpError, notFound } from '../platform/errors.ts';
import { canScrutiny, decidePanel, isExternalPanelMember, type PanelAction, type PanelFacts, type ScrutinyAction } from '../platform/policy.ts';
import type { Principal } from '../platform/principal.ts';
import type { CaseService } from '../cases/service.ts';
import type { EarlyAdviceService } from '../early-advice/service.ts';
import type { RequestInput } from '../early-advice/schemas.ts';
import type { ReferenceService } from '../reference/service.ts';
import { buildPack } from './packs.ts';
import { type PanelRow, ScrutinyRepository } from './repository.ts';
import { RECOMMENDATION_KIND_LABELS, type RecommendationKind, type RecommendationStatus, SELECTION_THEMES, type SelectionInput, type Theme } from './schemas.ts';
import { type SamplingRule, selectCases } from './selection.ts';

/**
 * Scrutiny panels: case selection from NFA decisions, redacted packs checked and released by police or CPS, meetings,
 * findings by theme, recommendations (re-opening a case starts the Early Advice flow), learning across panels.
 * Panel members get redacted packs and nothing else; every pack view is audited against the case it came from.
 */
export class ScrutinyService {
  constructor(
    private readonly db: Db,
    private readonly audit: AuditLog,
    private readonly clock: Clock,
    private readonly cases: CaseService,
    private readonly earlyAdvice: EarlyAdviceService,
    private readonly reference: ReferenceService,
  ) {}

  repo(q: Queryable = this.db) {
    return new ScrutinyRepository(q);
  }

  private async deny(principal: Principal, action: string, entityType: string, entityId: string, reason: string, requestId?: string) {
    await this.audit.record({ actorUserId: principal.userId, actorOrganisationId: principal.organisation.id, action, outcome: 'denied', entityType, entityId: entityId.slice(0, 64), requestId, detail: { reason } });
  }

  async requireRole(principal: Principal, action: ScrutinyAction, requestId?: string) {
    if (canScrutiny(principal, action)) return;
    await this.deny(principal, action, 'scrutiny', '-', 'role', requestId);
    throw forbidden();
  }

  /** Loads a panel and asks the policy; refusals are audited and hide the panel (404) from those outside it. */
  async panelFor(principal: Principal, panelId: string, action: PanelAction, requestId?: string): Promise<{ panel: PanelRow; facts: PanelFacts; basis: string }> {
    const panel = await this.repo().panel(panelId);
    if (!panel) {
      await this.deny(principal, action, 'scrutiny_panel', panelId, 'no such panel', requestId);
      throw notFound();
    }
    const members = await this.repo().members(panel.id);
    const facts: PanelFacts = { panelId: panel.id, forceId: panel.force_id, cpsAreaId: panel.cps_area_id, memberUserIds: members.map((m) => m.user_id) };
    const d = decidePanel(principal, facts, action);
    if (!d.allowed) {
      await this.deny(principal, action, 'scrutiny_panel', panelId, d.reason, requestId);
      throw d.status === 404 ? notFound() : forbidden();
    }
    return { panel, facts, basis: d.basis };
  }

  async list(principal: Principal, requestId?: string) {
    await this.requireRole(principal, 'scrutiny:review', requestId);
    const org = principal.organisation;
    const coordinator = canScrutiny(principal, 'scrutiny:coordinate');
    const rows = await this.repo().panels({
      userId: principal.userId,
      forceId: coordinator && org.kind === 'force' ? org.forceId : null,
      cpsAreaId: coordinator && org.kind === 'rasso_unit' ? org.cpsAreaId : null,
    });
    const recs = await this.db.query<{ id: string; panel_id: string; text: string; kind: string; status: string; due_on: string | null; pack_number: number }>(
      `SELECT r.id, r.panel_id, r.text, r.kind, r.status, to_char(r.due_on, 'YYYY-MM-DD') AS due_on, k.number AS pack_number FROM scrutiny_recommendations r JOIN scrutiny_packs k ON k.id = r.pack_id
        WHERE r.owner_user_id = $1 AND r.status IN ('open', 'in_progress') ORDER BY r.due_on NULLS LAST`, [principal.userId]);
    return { panels: rows, canCreate: coordinator, myRecommendations: recs, external: isExternalPanelMember(principal) };
  }

  /** The force/Area pairs a coordinator may make a panel for: their force with its Areas, or their Area with its forces. */
  async pairsFor(principal: Principal) {
    const org = principal.organisation;
    const mappings = await this.reference.mappings();
    const forces = await this.reference.forces();
    const areas = await this.reference.areas();
    const name = (list: { id: string; name: string }[], id: string) => list.find((x) => x.id === id)?.name ?? id;
    return mappings
      .filter((m) => (org.kind === 'force' && m.force_id === org.forceId) || (org.kind === 'rasso_unit' && m.cps_area_id === org.cpsAreaId))
      .map((m) => ({ forceId: m.force_id, cpsAreaId: m.cps_area_id, forceName: name(forces, m.force_id), areaName: name(areas, m.cps_area_id) }));
  }

  async createPanel(principal: Principal, input: { name: string; forceId: string; cpsAreaId: string }, requestId?: string): Promise<string> {
    await this.requireRole(principal, 'scrutiny:coordinate', requestId);
    const pairs = await this.pairsFor(principal);
    if (!pairs.some((p) => p.forceId === input.forceId && p.cpsAreaId === input.cpsAreaId)) throw new HttpError(400, 'Choose your own force and CPS Area', 'A panel is for a force and the CPS Area that takes its cases; you can only set one up for your own.');
    const id = randomUUID();
    const now = this.clock.now();
    await this.db.transaction(async (tx) => {
      const existing = await tx.query('SELECT id FROM scrutiny_panels WHERE force_id = $1 AND cps_area_id = $2', [input.forceId, input.cpsAreaId]);
      if (existing.length) throw new HttpError(409, 'A panel already exists', 'This force and CPS Area already have a joint scrutiny panel. Add members to it instead.');
      await tx.query('INSERT INTO scrutiny_panels (id, name, force_id, cps_area_id, created_by, created_at) VALUES ($1,$2,$3,$4,$5,$6)', [id, input.name, input.forceId, input.cpsAreaId, principal.userId, now]);
      await tx.query('INSERT INTO scrutiny_panel_members (panel_id, user_id, side, added_by, added_at) VALUES ($1,$2,$3,$2,$4)', [id, principal.userId, principal.organisation.kind === 'force' ? 'police' : 'cps', now]);
      await this.audit.record({ actorUserId: principal.userId, actorOrganisationId: principal.organisation.id, action: 'scrutiny:panel-create', outcome: 'allowed', entityType: 'scrutiny_panel', entityId: id, requestId }, tx);
    });
    return id;
  }

  async overview(principal: Principal, panelId: string, requestId?: string) {
    const { panel, basis } = await this.panelFor(principal, panelId, 'panel:review', requestId);
    const coordinator = basis === 'coordinator';
    const repo = this.repo();
    const [members, selections, packs, findings, recommendations, meetings] = await Promise.all([
      repo.members(panel.id), coordinator ? repo.selections(panel.id) : Promise.resolve([]), repo.packs(panel.id, { releasedOnly: !coordinator }),
      repo.findings(panel.id), repo.recommendations(panel.id), repo.meetings(panel.id),
    ]);
    const today = londonDate(this.clock.now());
    return {
      panel, members, selections, packs: packs.map(({ content, ...p }) => ({ ...p, offences: content.offences, nfa: content.nfa })), findings, meetings,
      recommendations: recommendations.map(({ case_id: _caseId, ...r }) => ({ ...r, overdue: !!r.due_on && r.due_on < today && ['open', 'in_progress'].includes(r.status) })),
      coordinator, external: basis === 'external-member',
      candidates: coordinator ? await repo.memberCandidates(panel) : [],
    };
  }

  async addMember(principal: Principal, panelId: string, userId: string, requestId?: string) {
    const { panel } = await this.panelFor(principal, panelId, 'panel:coordinate', requestId);
    const candidate = (await this.repo().memberCandidates(panel)).find((c) => c.id === userId);
    if (!candidate) throw new HttpError(400, 'Cannot add this person', 'Panel members are police of the force, staff of the CPS Area, and community members with the panel-member role.');
    const side = candidate.kind === 'force' ? 'police' : candidate.kind === 'rasso_unit' ? 'cps' : 'external';
    // External members hold the panel-member role and nothing else: anyone with more is not "external".
    if (side === 'external' && candidate.roles.some((r) => r !== 'panel_member')) throw new HttpError(400, 'Cannot add this person', 'External members must hold only the scrutiny panel member role.');
    await this.db.transaction(async (tx) => {
      await tx.query('INSERT INTO scrutiny_panel_members (panel_id, user_id, side, added_by, added_at) VALUES ($1,$2,$3,$4,$5) ON CONFLICT DO NOTHING', [panel.id, userId, side, principal.userId, this.clock.now()]);
      await this.audit.record({ actorUserId: principal.userId, actorOrganisationId: principal.organisation.id, action: 'scrutiny:member-add', outcome: 'allowed', entityType: 'user', entityId: userId, requestId, detail: { panelId: panel.id, side } }, tx);
    });
  }

  // ----------------------------------------------------------------------------------------------- selection

  ruleFrom(input: SelectionInput): SamplingRule {
    return {
      algorithm: 'mulberry32-fisher-yates-v1',
      // No seed given: one is drawn and stored, so the selection can still be reproduced.
      seed: input.seed ?? Math.floor(Math.random() * 2 ** 31),
      periodFrom: input.periodFrom!, periodTo: input.periodTo!, randomSize: input.randomSize, longDays: input.longDays,
      themes: Object.fromEntries(SELECTION_THEMES.map((t) => [t, input[t]])) as SamplingRule['themes'],
    };
  }

  /** Draws the cases for a rule without saving (also used to check a stored selection reproduces). */
  async draw(panel: PanelRow, rule: SamplingRule) {
    const candidates = await this.repo().candidates(panel.force_id, panel.cps_area_id, rule.periodFrom, rule.periodTo);
    return { candidates, selected: selectCases(candidates, rule) };
  }

  async select(principal: Principal, panelId: string, input: SelectionInput, requestId?: string): Promise<{ id: string; count: number }> {
    const { panel } = await this.panelFor(principal, panelId, 'panel:coordinate', requestId);
    const rule = this.ruleFrom(input);
    const { candidates, selected } = await this.draw(panel, rule);
    const byId = new Map(candidates.map((c) => [c.caseId, c]));
    const id = randomUUID();
    await this.db.transaction(async (tx) => {
      await tx.query('INSERT INTO scrutiny_selections (id, panel_id, period_from, period_to, rule, created_by, created_at) VALUES ($1,$2,$3,$4,$5,$6,$7)',
        [id, panel.id, rule.periodFrom, rule.periodTo, JSON.stringify(rule), principal.userId, this.clock.now()]);
      for (const [i, s] of selected.entries()) {
        const c = byId.get(s.caseId)!;
        await tx.query('INSERT INTO scrutiny_selected_cases (selection_id, case_id, force_id, position, reasons, nfa_by, nfa_at, outcome_type_code) VALUES ($1,$2,$3,$4,$5,$6,$7,$8)',
          [id, s.caseId, panel.force_id, i + 1, JSON.stringify(s.reasons), c.nfaBy, c.nfaAt, c.outcomeTypeCode]);
      }
      await this.audit.record({ actorUserId: principal.userId, actorOrganisationId: principal.organisation.id, action: 'scrutiny:select', outcome: 'allowed', entityType: 'scrutiny_selection', entityId: id, requestId, detail: { panelId: panel.id, rule, candidates: candidates.length, selected: selected.length } }, tx);
    });
    return { id, count: selected.length };
  }

  async selection(principal: Principal, selectionId: string, requestId?: string) {
    const sel = await this.repo().selection(selectionId);
    if (!sel) {
      await this.deny(principal, 'scrutiny:selection-read', 'scrutiny_selection', selectionId, 'no such selection', requestId);
      throw notFound();
    }
    const { panel } = await this.panelFor(principal, sel.panel_id, 'panel:coordinate', requestId);
    const rows = await this.repo().selected(sel.id);
    await this.audit.record({ actorUserId: principal.userId, actorOrganisationId: principal.organisation.id, action: 'scrutiny:selection-read', outcome: 'allowed', entityType: 'scrutiny_selection', entityId: sel.id, requestId, detail: { cases: rows.map((r) => r.case_id) } });
    return { selection: sel, panel, cases: rows };
  }

  /** Re-runs a stored rule: the same case ids come back while the NFA decisions of the period are unchanged. */
  async reproduce(selectionId: string): Promise<string[]> {
    const sel = (await this.repo().selection(selectionId))!;
    const panel = (await this.repo().panel(sel.panel_id))!;
    return (await this.draw(panel, sel.rule)).selected.map((s) => s.caseId);
  }

  /** Generates (and freezes) a redacted pack for every selected case without one; each awaits release. */
  async generatePacks(principal: Principal, selectionId: string, requestId?: string): Promise<number> {
    const { selection, panel, cases } = await this.selection(principal, selectionId, requestId);
    const todo = cases.filter((c) => !c.pack_id);
    const now = this.clock.now();
    // Reference data is read (and cached) before the transaction: on PGlite a query outside an open transaction waits for it.
    await Promise.all([this.reference.offences(), this.reference.outcomeTypes()]);
    await this.db.transaction(async (tx) => {
      let number = await this.repo(tx).nextPackNumber(panel.id);
      for (const c of todo) {
        const hadEa = await this.hadEarlyAdvice(tx, c.case_id, c.nfa_at);
        const { content, redactions } = await buildPack(tx, { cases: this.cases, reference: this.reference }, c.case_id, { by: c.nfa_by, at: new Date(c.nfa_at), outcomeTypeCode: c.outcome_type_code, hadEarlyAdvice: hadEa });
        const id = randomUUID();
        await tx.query(
          `INSERT INTO scrutiny_packs (id, panel_id, selection_id, case_id, force_id, number, content, redactions, status, generated_by, generated_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,'awaiting_release',$9,$10)`,
          [id, panel.id, selection.id, c.case_id, panel.force_id, number++, JSON.stringify(content), redactions, principal.userId, now],
        );
        await this.audit.record({ actorUserId: principal.userId, actorOrganisationId: principal.organisation.id, action: 'scrutiny:pack-generate', outcome: 'allowed', entityType: 'scrutiny_pack', entityId: id, caseId: c.case_id, requestId, detail: { redactions } }, tx);
      }
    });
    return todo.length;
  }

  private async hadEarlyAdvice(tx: Queryable, caseId: string, before: Date): Promise<boolean> {
    const rows = await tx.query(`SELECT 1 FROM case_events WHERE case_id = $1 AND kind IN ('early_advice_requested', 'early_advice_given') AND occurred_at <= $2 LIMIT 1`, [caseId, before]);
    return rows.length > 0;
  }

  // ----------------------------------------------------------------------------------------------- packs

  /**
   * One pack. Coordinators (police/CPS) may open it before release to check it; members only once released. Every
   * opening is audited against the case it came from, and the case id never leaves the service for a member.
   */
  async pack(principal: Principal, packId: string, requestId?: string) {
    const pack = await this.repo().pack(packId);
    if (!pack) {
      await this.deny(principal, 'scrutiny:pack-view', 'scrutiny_pack', packId, 'no such pack', requestId);
      throw notFound();
    }
    const { panel, basis } = await this.panelFor(principal, pack.panel_id, 'panel:review', requestId);
    const coordinator = basis === 'coordinator';
    if (pack.status !== 'released' && !coordinator) {
      await this.audit.record({ actorUserId: principal.userId, actorOrganisationId: principal.organisation.id, action: 'scrutiny:pack-view', outcome: 'denied', entityType: 'scrutiny_pack', entityId: pack.id, caseId: pack.case_id, requestId, detail: { reason: 'not released' } });
      throw notFound('This pack has not been released to the panel yet.');
    }
    await this.audit.record({ actorUserId: principal.userId, actorOrganisationId: principal.organisation.id, action: 'scrutiny:pack-view', outcome: 'allowed', entityType: 'scrutiny_pack', entityId: pack.id, caseId: pack.case_id, requestId, detail: { basis, status: pack.status } });
    const [findings, recommendations, members, meetings] = await Promise.all([this.repo().findings(panel.id, pack.id), this.repo().recommendations(panel.id, pack.id), this.repo().members(panel.id), this.repo().meetings(panel.id)]);
    const { case_id: caseId, ...safe } = pack;
    const today = londonDate(this.clock.now());
    return {
      panel, pack: safe, coordinator, external: basis === 'external-member',
      caseReference: coordinator ? (await this.cases.summary(caseId)).reference : null,
      findings, meetings,
      recommendations: recommendations.map(({ case_id: _c, ...r }) => ({ ...r, overdue: !!r.due_on && r.due_on < today && ['open', 'in_progress'].includes(r.status), canUpdate: coordinator || r.owner_user_id === principal.userId, canReopen: r.kind === 'reopen_ea' && r.status !== 'done' && principal.organisation.kind === 'force' && (r.owner_user_id === principal.userId || coordinator) })),
      owners: members.filter((m) => m.side !== 'external'),
    };
  }

  async release(principal: Principal, packId: string, version: number, requestId?: string) {
    const pack = await this.repo().pack(packId);
    if (!pack) throw notFound();
    await this.panelFor(principal, pack.panel_id, 'panel:coordinate', requestId);
    await this.db.transaction(async (tx) => {
      const rows = await tx.query(`UPDATE scrutiny_packs SET status = 'released', released_by = $2, released_at = $3, version = version + 1 WHERE id = $1 AND version = $4 AND status = 'awaiting_release' RETURNING id`, [pack.id, principal.userId, this.clock.now(), version]);
      if (!rows.length) throw new ConflictError([{ label: 'Pack status', current: pack.status === 'released' ? 'Released' : 'Changed since you opened it', submitted: 'Release' }], `/scrutiny/packs/${pack.id}`);
      await this.audit.record({ actorUserId: principal.userId, actorOrganisationId: principal.organisation.id, action: 'scrutiny:pack-release', outcome: 'allowed', entityType: 'scrutiny_pack', entityId: pack.id, caseId: pack.case_id, requestId }, tx);
    });
  }

  async recordFinding(principal: Principal, packId: string, input: { themes: Theme[]; text: string; meetingId: string }, requestId?: string): Promise<string> {
    const pack = await this.repo().pack(packId);
    if (!pack) throw notFound();
    const { panel } = await this.panelFor(principal, pack.panel_id, 'panel:review', requestId);
    if (pack.status !== 'released') throw notFound('This pack has not been released to the panel yet.');
    const meetings = await this.repo().meetings(panel.id);
    const meetingId = input.meetingId && meetings.some((m) => m.id === input.meetingId) ? input.meetingId : null;
    const id = randomUUID();
    await this.db.transaction(async (tx) => {
      await tx.query('INSERT INTO scrutiny_findings (id, panel_id, pack_id, meeting_id, force_id, themes, text, recorded_by, recorded_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9)',
        [id, panel.id, pack.id, meetingId, pack.force_id, JSON.stringify(input.themes), input.text, principal.userId, this.clock.now()]);
      await this.audit.record({ actorUserId: principal.userId, actorOrganisationId: principal.organisation.id, action: 'scrutiny:finding', outcome: 'allowed', entityType: 'scrutiny_finding', entityId: id, caseId: pack.case_id, requestId, detail: { themes: input.themes } }, tx);
    });
    return id;
  }

  async recordRecommendation(principal: Principal, packId: string, input: { kind: RecommendationKind; text: string; ownerUserId: string; dueOn: string | null }, requestId?: string): Promise<string> {
    const pack = await this.repo().pack(packId);
    if (!pack) throw notFound();
    const { panel } = await this.panelFor(principal, pack.panel_id, 'panel:review', requestId);
    if (pack.status !== 'released') throw notFound('This pack has not been released to the panel yet.');
    const owners = (await this.repo().members(panel.id)).filter((m) => m.side !== 'external');
    if (!owners.some((o) => o.user_id === input.ownerUserId)) throw new HttpError(400, 'Choose an owner on the panel', 'The owner must be a police or CPS member of the panel.');
    const id = randomUUID();
    const now = this.clock.now();
    await this.db.transaction(async (tx) => {
      await tx.query(
        `INSERT INTO scrutiny_recommendations (id, panel_id, pack_id, force_id, kind, text, owner_user_id, due_on, status, recorded_by, recorded_at, updated_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,'open',$9,$10,$10)`,
        [id, panel.id, pack.id, pack.force_id, input.kind, input.text, input.ownerUserId, input.dueOn, principal.userId, now]);
      await this.audit.record({ actorUserId: principal.userId, actorOrganisationId: principal.organisation.id, action: 'scrutiny:recommendation', outcome: 'allowed', entityType: 'scrutiny_recommendation', entityId: id, caseId: pack.case_id, requestId, detail: { kind: input.kind } }, tx);
      const { notify } = await import('../platform/jobs.ts');
      await notify(tx, this.clock, { userId: input.ownerUserId, kind: 'scrutiny_recommendation', message: `Scrutiny panel recommendation for pack ${pack.number}: ${RECOMMENDATION_KIND_LABELS[input.kind]}`, link: `/scrutiny/packs/${pack.id}`, dedupeKey: `scrutiny-rec:${id}` });
    });
    return id;
  }

  /** The recommendation, if this person may update it (its owner or a coordinator of the panel); refused otherwise. */
  async recommendationForUpdate(principal: Principal, recId: string, requestId?: string) {
    const rec = await this.repo().recommendation(recId);
    if (!rec) throw notFound();
    const { basis } = await this.panelFor(principal, rec.panel_id, 'panel:review', requestId);
    if (basis !== 'coordinator' && rec.owner_user_id !== principal.userId) throw forbidden('Only the owner or the panel’s coordinators can update a recommendation.');
    return rec;
  }

  async updateRecommendation(principal: Principal, recId: string, input: { status: RecommendationStatus; statusNote: string; version: number }, requestId?: string) {
    const rec = await this.recommendationForUpdate(principal, recId, requestId);
    await this.db.transaction(async (tx) => {
      const rows = await tx.query('UPDATE scrutiny_recommendations SET status = $2, status_note = $3, updated_at = $4, version = version + 1 WHERE id = $1 AND version = $5 RETURNING id', [rec.id, input.status, input.statusNote, this.clock.now(), input.version]);
      if (!rows.length) throw new ConflictError([{ label: 'Status', current: rec.status, submitted: input.status }], `/scrutiny/packs/${rec.pack_id}`);
      await this.audit.record({ actorUserId: principal.userId, actorOrganisationId: principal.organisation.id, action: 'scrutiny:recommendation-update', outcome: 'allowed', entityType: 'scrutiny_recommendation', entityId: rec.id, caseId: rec.case_id, requestId, detail: { status: input.status } }, tx);
    });
    return rec;
  }

  /** For the re-open form: the recommendation and the case, only for police who may request Early Advice on it. */
  async reopenContext(principal: Principal, recId: string, requestId?: string) {
    const rec = await this.repo().recommendation(recId);
    if (!rec || rec.kind !== 'reopen_ea') throw notFound();
    const { basis } = await this.panelFor(principal, rec.panel_id, 'panel:review', requestId);
    if (basis !== 'coordinator' && rec.owner_user_id !== principal.userId) throw forbidden('Only the owner or the panel’s coordinators can act on this recommendation.');
    if (rec.status === 'done') throw new HttpError(409, 'Already re-opened', 'This recommendation has been acted on.');
    // the Early Advice service asks the case policy itself (owning force's police only)
    const ctx = await this.earlyAdvice.requestContext(principal, rec.case_id, requestId);
    return { rec, ctx };
  }

  /**
   * Re-opens the case by requesting Early Advice through the Early Advice service (its own checks, state machine and
   * reminders), then records the recommendation as done with the request it started.
   */
  async reopen(principal: Principal, recId: string, input: RequestInput, requestId?: string): Promise<{ caseId: string }> {
    const { rec } = await this.reopenContext(principal, recId, requestId);
    const { id: eaRequestId } = await this.earlyAdvice.request(principal, rec.case_id, input, requestId);
    await this.db.transaction(async (tx) => {
      await tx.query(`UPDATE scrutiny_recommendations SET status = 'done', ea_request_id = $2, status_note = 'Case re-opened and referred for Early Advice', updated_at = $3, version = version + 1 WHERE id = $1`, [rec.id, eaRequestId, this.clock.now()]);
      await this.audit.record({ actorUserId: principal.userId, actorOrganisationId: principal.organisation.id, action: 'scrutiny:reopen', outcome: 'allowed', entityType: 'scrutiny_recommendation', entityId: rec.id, caseId: rec.case_id, requestId, detail: { eaRequestId } }, tx);
    });
    return { caseId: rec.case_id };
  }

  async recordMeeting(principal: Principal, panelId: string, input: { heldOn: string | null; attendees: string[]; packIds: string[]; notes: string }, requestId?: string): Promise<string> {
    const { panel } = await this.panelFor(principal, panelId, 'panel:coordinate', requestId);
    const members = new Set((await this.repo().members(panel.id)).map((m) => m.user_id));
    const packs = new Set((await this.repo().packs(panel.id, { releasedOnly: true })).map((p) => p.id));
    const id = randomUUID();
    await this.db.transaction(async (tx) => {
      await tx.query('INSERT INTO scrutiny_meetings (id, panel_id, held_on, attendees, pack_ids, notes, recorded_by, recorded_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8)',
        [id, panel.id, input.heldOn, JSON.stringify(input.attendees.filter((a) => members.has(a))), JSON.stringify(input.packIds.filter((p) => packs.has(p))), input.notes, principal.userId, this.clock.now()]);
      await this.audit.record({ actorUserId: principal.userId, actorOrganisationId: principal.organisation.id, action: 'scrutiny:meeting', outcome: 'allowed', entityType: 'scrutiny_meeting', entityId: id, requestId, detail: { panelId: panel.id } }, tx);
    });
    return id;
  }

  /** Theme counts across panels and quarters. National leads and analysts see every panel; coordinators too (counts only). */
  async learning(principal: Principal, requestId?: string) {
    if (!canScrutiny(principal, 'scrutiny:learning')) {
      await this.deny(principal, 'scrutiny:learning', 'scrutiny', '-', 'role', requestId);
      throw forbidden();
    }
    const rows = await this.repo().themeCounts(null);
    await this.audit.record({ actorUserId: principal.userId, actorOrganisationId: principal.organisation.id, action: 'scrutiny:learning', outcome: 'allowed', requestId });
    return rows;
  }
}
