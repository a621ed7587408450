import { randomUUID } from 'node:crypto';
import type { Db } from '../db/database.ts';
import type { AuditLog } from '../platform/audit.ts';
import { londonDate } from '../platform/calendar.ts';
import type { Clock } from '../platform/clock.ts';
import { ConflictError, forbidden, HttpError, notFound } from '../platform/errors.ts';
import { canScrutiny } from '../platform/policy.ts';
import type { Principal } from '../platform/principal.ts';
import type { ReferenceService } from '../reference/service.ts';

export interface JoimRow { id: string; force_id: string; cps_area_id: string; force_name: string; area_name: string; held_on: string; attendees: string; notes: string; recorded_at: Date; actions: number; overdue: number }
export interface JoimActionRow { id: string; meeting_id: string; priority_id: string | null; text: string; owner_user_id: string; owner_name: string; due_on: string; status: 'open' | 'done'; done_on: string | null; version: number }

/**
 * JOIMs: a force and its CPS Area record their joint operational improvement meetings, the local priorities they
 * agree and the actions (owner, due date). Police supervisors of the force and District Crown Prosecutors of the
 * Area hold them; an open action past its due date is overdue.
 */
export class JoimService {
  constructor(private readonly db: Db, private readonly audit: AuditLog, private readonly clock: Clock, private readonly reference: ReferenceService) {}

  private scope(principal: Principal) {
    const org = principal.organisation;
    if (!canScrutiny(principal, 'joim:manage')) return null;
    if (org.kind === 'force' && org.forceId) return { forceId: org.forceId, cpsAreaId: null };
    if (org.kind === 'rasso_unit' && org.cpsAreaId) return { forceId: null, cpsAreaId: org.cpsAreaId };
    return null;
  }

  private async requireScope(principal: Principal, requestId?: string) {
    const s = this.scope(principal);
    if (!s) {
      await this.audit.record({ actorUserId: principal.userId, actorOrganisationId: principal.organisation.id, action: 'joim:read', outcome: 'denied', requestId, detail: { reason: 'role' } });
      throw forbidden();
    }
    return s;
  }

  /** The other side of the pair: the Areas taking the force's cases, or the forces of the Area. */
  async counterparts(principal: Principal) {
    const s = this.scope(principal);
    if (!s) return [];
    const [mappings, forces, areas] = await Promise.all([this.reference.mappings(), this.reference.forces(), this.reference.areas()]);
    return mappings
      .filter((m) => (s.forceId ? m.force_id === s.forceId : m.cps_area_id === s.cpsAreaId))
      .map((m) => (s.forceId ? { value: m.cps_area_id, text: `CPS ${areas.find((a) => a.id === m.cps_area_id)?.name ?? m.cps_area_id}` } : { value: m.force_id, text: forces.find((f) => f.id === m.force_id)?.name ?? m.force_id }));
  }

  async list(principal: Principal, query: { page?: number }, requestId?: string) {
    const s = await this.requireScope(principal, requestId);
    const today = londonDate(this.clock.now());
    const pageSize = 20;
    const page = Math.max(1, query.page ?? 1);
    const rows = await this.db.query<JoimRow & { total: number }>(
      `SELECT j.id, j.force_id, j.cps_area_id, f.name AS force_name, a.name AS area_name, to_char(j.held_on, 'YYYY-MM-DD') AS held_on, j.attendees, j.notes, j.recorded_at,
              (SELECT count(*)::int FROM joim_actions x WHERE x.meeting_id = j.id) AS actions,
              (SELECT count(*)::int FROM joim_actions x WHERE x.meeting_id = j.id AND x.status = 'open' AND x.due_on < $3::date) AS overdue,
              count(*) OVER ()::int AS total
         FROM joim_meetings j JOIN forces f ON f.id = j.force_id JOIN cps_areas a ON a.id = j.cps_area_id
        WHERE ($1::text IS NOT NULL AND j.force_id = $1) OR ($2::text IS NOT NULL AND j.cps_area_id = $2)
        ORDER BY j.held_on DESC LIMIT ${pageSize} OFFSET ${(page - 1) * pageSize}`,
      [s.forceId, s.cpsAreaId, today],
    );
    const overdue = await this.db.query<JoimActionRow & { held_on: string }>(
      `SELECT x.id, x.meeting_id, x.text, u.display_name AS owner_name, to_char(x.due_on, 'YYYY-MM-DD') AS due_on, to_char(j.held_on, 'YYYY-MM-DD') AS held_on
         FROM joim_actions x JOIN joim_meetings j ON j.id = x.meeting_id JOIN users u ON u.id = x.owner_user_id
        WHERE x.status = 'open' AND x.due_on < $3::date AND (($1::text IS NOT NULL AND j.force_id = $1) OR ($2::text IS NOT NULL AND j.cps_area_id = $2))
        ORDER BY x.due_on`,
      [s.forceId, s.cpsAreaId, today],
    );
    return { meetings: rows, total: rows[0]?.total ?? 0, page, pageSize, overdue };
  }

  async create(principal: Principal, input: { pairAreaOrForce: string; heldOn: string | null; attendees: string; notes: string; priorities: string }, requestId?: string): Promise<string> {
    const s = await this.requireScope(principal, requestId);
    const options = await this.counterparts(principal);
    if (!options.some((o) => o.value === input.pairAreaOrForce)) throw new HttpError(400, 'Choose a force and CPS Area that work together', 'The meeting must be between your force and a CPS Area that takes its cases (or your Area and one of its forces).');
    const forceId = s.forceId ?? input.pairAreaOrForce;
    const cpsAreaId = s.cpsAreaId ?? input.pairAreaOrForce;
    const id = randomUUID();
    const now = this.clock.now();
    await this.db.transaction(async (tx) => {
      await tx.query('INSERT INTO joim_meetings (id, force_id, cps_area_id, held_on, attendees, notes, recorded_by, recorded_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8)', [id, forceId, cpsAreaId, input.heldOn, input.attendees, input.notes, principal.userId, now]);
      for (const title of input.priorities.split(/\r?\n/).map((t) => t.trim()).filter(Boolean)) {
        await tx.query('INSERT INTO joim_priorities (id, meeting_id, title, recorded_at) VALUES ($1,$2,$3,$4)', [randomUUID(), id, title, now]);
      }
      await this.audit.record({ actorUserId: principal.userId, actorOrganisationId: principal.organisation.id, action: 'joim:create', outcome: 'allowed', entityType: 'joim_meeting', entityId: id, requestId }, tx);
    });
    return id;
  }

  private async meetingFor(principal: Principal, id: string, requestId?: string) {
    const s = await this.requireScope(principal, requestId);
    if (!/^[0-9a-f-]{36}$/.test(id)) throw notFound();
    const [m] = await this.db.query<JoimRow>(
      `SELECT j.id, j.force_id, j.cps_area_id, f.name AS force_name, a.name AS area_name, to_char(j.held_on, 'YYYY-MM-DD') AS held_on, j.attendees, j.notes, j.recorded_at, 0 AS actions, 0 AS overdue
         FROM joim_meetings j JOIN forces f ON f.id = j.force_id JOIN cps_areas a ON a.id = j.cps_area_id WHERE j.id = $1`, [id]);
    if (!m || (s.forceId && m.force_id !== s.forceId) || (s.cpsAreaId && m.cps_area_id !== s.cpsAreaId)) {
      await this.audit.record({ actorUserId: principal.userId, actorOrganisationId: principal.organisation.id, action: 'joim:read', outcome: 'denied', entityType: 'joim_meeting', entityId: id.slice(0, 64), requestId, detail: { reason: m ? 'other force or Area' : 'no such meeting' } });
      throw notFound();
    }
    return m;
  }

  async show(principal: Principal, id: string, requestId?: string) {
    const m = await this.meetingFor(principal, id, requestId);
    const today = londonDate(this.clock.now());
    const [priorities, actions, owners] = await Promise.all([
      this.db.query<{ id: string; title: string }>('SELECT id, title FROM joim_priorities WHERE meeting_id = $1 ORDER BY recorded_at, title', [m.id]),
      this.db.query<JoimActionRow>(
        `SELECT x.id, x.meeting_id, x.priority_id, x.text, x.owner_user_id, u.display_name AS owner_name, to_char(x.due_on, 'YYYY-MM-DD') AS due_on, x.status, to_char(x.done_on, 'YYYY-MM-DD') AS done_on, x.version
           FROM joim_actions x JOIN users u ON u.id = x.owner_user_id WHERE x.meeting_id = $1 ORDER BY x.due_on, x.text`, [m.id]),
      this.owners(m.force_id, m.cps_area_id),
    ]);
    await this.audit.record({ actorUserId: principal.userId, actorOrganisationId: principal.organisation.id, action: 'joim:read', outcome: 'allowed', entityType: 'joim_meeting', entityId: m.id, requestId });
    return { meeting: m, priorities, actions: actions.map((a) => ({ ...a, overdue: a.status === 'open' && a.due_on < today })), owners, today };
  }

  private owners(forceId: string, cpsAreaId: string) {
    return this.db.query<{ id: string; display_name: string; organisation_name: string }>(
      `SELECT u.id, u.display_name, o.name AS organisation_name FROM users u JOIN organisations o ON o.id = u.organisation_id
        WHERE u.active AND ((o.kind = 'force' AND o.force_id = $1) OR (o.kind = 'rasso_unit' AND o.cps_area_id = $2)) ORDER BY o.kind, u.display_name`, [forceId, cpsAreaId]);
  }

  async addAction(principal: Principal, meetingId: string, input: { text: string; ownerUserId: string; dueOn: string | null; priorityId: string }, requestId?: string) {
    const m = await this.meetingFor(principal, meetingId, requestId);
    if (!(await this.owners(m.force_id, m.cps_area_id)).some((o) => o.id === input.ownerUserId)) throw new HttpError(400, 'Choose an owner from the force or the CPS Area', 'Actions are owned by someone in the force or the CPS Area.');
    const priorities = await this.db.query<{ id: string }>('SELECT id FROM joim_priorities WHERE meeting_id = $1', [m.id]);
    const priorityId = priorities.some((p) => p.id === input.priorityId) ? input.priorityId : null;
    const id = randomUUID();
    const now = this.clock.now();
    await this.db.transaction(async (tx) => {
      await tx.query(`INSERT INTO joim_actions (id, meeting_id, priority_id, text, owner_user_id, due_on, status, recorded_at, updated_at) VALUES ($1,$2,$3,$4,$5,$6,'open',$7,$7)`, [id, m.id, priorityId, input.text, input.ownerUserId, input.dueOn, now]);
      await this.audit.record({ actorUserId: principal.userId, actorOrganisationId: principal.organisation.id, action: 'joim:action-add', outcome: 'allowed', entityType: 'joim_action', entityId: id, requestId }, tx);
    });
    return id;
  }

  async completeAction(principal: Principal, meetingId: string, actionId: string, version: number, requestId?: string) {
    const m = await this.meetingFor(principal, meetingId, requestId);
    await this.db.transaction(async (tx) => {
      const rows = await tx.query(`UPDATE joim_actions SET status = 'done', done_on = $3, updated_at = $4, version = version + 1 WHERE id = $1 AND meeting_id = $2 AND version = $5 AND status = 'open' RETURNING id`,
        [actionId, m.id, londonDate(this.clock.now()), this.clock.now(), version]);
      if (!rows.length) throw new ConflictError([{ label: 'Action', current: 'Changed by someone else', submitted: 'Done' }], `/joims/${m.id}`);
      await this.audit.record({ actorUserId: principal.userId, actorOrganisationId: principal.organisation.id, action: 'joim:action-done', outcome: 'allowed', entityType: 'joim_action', entityId: actionId, requestId }, tx);
    });
  }
}
