import type { Db, Queryable } from '../db/database.ts';
import type { AuditLog } from '../platform/audit.ts';
import { ConflictError, forbidden, HttpError, notFound } from '../platform/errors.ts';
import { can } from '../platform/policy.ts';
import type { Principal } from '../platform/principal.ts';

export interface Force { id: string; name: string; code: string; active: boolean; version: number; primary_area_id: string | null }
export interface CpsArea { id: string; name: string; is_cps_direct: boolean; active: boolean; version: number }
export interface Offence { code: string; title: string; legislation: string; section: string; max_penalty: string; is_rape: boolean; victim_under_13: boolean; active: boolean; version: number }
export interface OutcomeType { code: number; title: string; needs_check: boolean; active: boolean; version: number }
export interface OutcomeTypeInput { title: string; active: boolean; needsCheck: boolean; version: number }
export interface OffenceInput { title: string; maxPenalty: string; active: boolean; version: number }
export interface ForceMappingInput { primaryAreaId: string; needsCheck: boolean; note: string; version: number }

export interface ForceAreaMapping { force_id: string; cps_area_id: string; is_primary: boolean; needs_check: boolean; note: string | null }

/**
 * Reference data (forces, CPS Areas and their mapping, offences, Home Office outcome types). Small and read on
 * most pages, so cached in memory and reloaded after an administrator's correction.
 */
export class ReferenceService {
  private cache: Promise<{ forces: Force[]; areas: CpsArea[]; offences: Offence[]; outcomes: OutcomeType[]; mappings: ForceAreaMapping[] }> | undefined;

  constructor(
    readonly db: Db,
    readonly audit: AuditLog,
  ) {}

  private load() {
    this.cache ??= this.read();
    this.cache.catch(() => (this.cache = undefined));
    return this.cache;
  }

  private async read() {
    const [forces, areas, offences, outcomes, mappings] = await Promise.all([
      this.db.query<Force>(`SELECT f.*, m.cps_area_id AS primary_area_id FROM forces f
                              LEFT JOIN force_area_map m ON m.force_id = f.id AND m.is_primary ORDER BY f.name`),
      this.db.query<CpsArea>('SELECT * FROM cps_areas ORDER BY is_cps_direct, name'),
      this.db.query<Offence>('SELECT * FROM offences ORDER BY legislation, length(section), section'),
      this.db.query<OutcomeType>('SELECT * FROM outcome_types ORDER BY code'),
      this.db.query<ForceAreaMapping>('SELECT * FROM force_area_map ORDER BY force_id, is_primary DESC'),
    ]);
    return { forces, areas, offences, outcomes, mappings };
  }

  /**
   * Everything, straight from the database. The cache is per process, so pages that show versions for editing must
   * not use it: another process may have changed a row without this one's cache knowing.
   */
  async current() {
    return this.read();
  }

  /** Call after any change to reference tables. */
  invalidate(): void {
    this.cache = undefined;
  }

  async forces() { return (await this.load()).forces; }
  async areas() { return (await this.load()).areas; }
  async offences() { return (await this.load()).offences; }
  async outcomeTypes() { return (await this.load()).outcomes; }
  async mappings() { return (await this.load()).mappings; }

  async force(id: string) { return (await this.forces()).find((f) => f.id === id); }
  async area(id: string) { return (await this.areas()).find((a) => a.id === id); }

  /** The CPS Area whose RASSO unit takes a force's cases by default. */
  async primaryAreaFor(forceId: string): Promise<string> {
    const f = await this.force(forceId);
    if (!f?.primary_area_id) throw new Error(`force ${forceId} has no primary CPS Area`);
    return f.primary_area_id;
  }

  /** Areas a force's cases may go to (the Met is split between London North and London South). */
  async areasFor(forceId: string): Promise<CpsArea[]> {
    const ids = (await this.mappings()).filter((m) => m.force_id === forceId).map((m) => m.cps_area_id);
    return (await this.areas()).filter((a) => ids.includes(a.id));
  }

  // Administrators' corrections. Each is one transaction: version check, change, audit row; the cache reloads after.

  async updateOutcomeType(principal: Principal, code: number, input: OutcomeTypeInput, requestId?: string): Promise<{ changed: boolean }> {
    this.authorise(principal);
    const result = await this.db.transaction(async (tx) => {
      const [current] = await tx.query<OutcomeType>('SELECT * FROM outcome_types WHERE code = $1 FOR UPDATE', [code]);
      if (!current) throw notFound();
      const fields = compare([
        ['title', 'Title', current.title, input.title],
        ['active', 'In use', yesNo(current.active), yesNo(input.active)],
        ['needs_check', 'To be confirmed', yesNo(current.needs_check), yesNo(input.needsCheck)],
      ]);
      if (current.version !== input.version) throw conflict(fields, `/reference/outcome-types/${code}/edit`);
      if (!fields.changed.length) return { changed: false };
      await tx.query('UPDATE outcome_types SET title = $2, active = $3, needs_check = $4, version = version + 1 WHERE code = $1',
        [code, input.title, input.active, input.needsCheck]);
      await this.recordChange(tx, principal, 'outcome_type', String(code), fields.changed, requestId);
      return { changed: true };
    });
    this.invalidate();
    return result;
  }

  async updateOffence(principal: Principal, code: string, input: OffenceInput, requestId?: string): Promise<{ changed: boolean }> {
    this.authorise(principal);
    const result = await this.db.transaction(async (tx) => {
      const [current] = await tx.query<Offence>('SELECT * FROM offences WHERE code = $1 FOR UPDATE', [code]);
      if (!current) throw notFound();
      const fields = compare([
        ['title', 'Title', current.title, input.title],
        ['max_penalty', 'Maximum penalty', current.max_penalty, input.maxPenalty],
        ['active', 'In use', yesNo(current.active), yesNo(input.active)],
      ]);
      if (current.version !== input.version) throw conflict(fields, `/reference/offences/${encodeURIComponent(code)}/edit`);
      if (!fields.changed.length) return { changed: false };
      await tx.query('UPDATE offences SET title = $2, max_penalty = $3, active = $4, version = version + 1 WHERE code = $1',
        [code, input.title, input.maxPenalty, input.active]);
      await this.recordChange(tx, principal, 'offence', code, fields.changed, requestId);
      return { changed: true };
    });
    this.invalidate();
    return result;
  }

  /**
   * Sets the Area that takes a force's cases by default. An Area the force already shares (the Met's London South)
   * swaps places with the old primary, which stays as a secondary; any other Area replaces the old primary outright,
   * so a single-Area force does not start asking investigators to choose. Existing cases keep their Area.
   */
  async updateForceMapping(principal: Principal, forceId: string, input: ForceMappingInput, requestId?: string): Promise<{ changed: boolean }> {
    this.authorise(principal);
    const result = await this.db.transaction(async (tx) => {
      const [force] = await tx.query<{ id: string; version: number }>('SELECT id, version FROM forces WHERE id = $1 FOR UPDATE', [forceId]);
      if (!force) throw notFound();
      const [area] = await tx.query<CpsArea>('SELECT * FROM cps_areas WHERE id = $1', [input.primaryAreaId]);
      if (!area) throw new HttpError(400, 'Bad request', `Unknown CPS Area ${input.primaryAreaId}`);
      const mappings = await tx.query<ForceAreaMapping>('SELECT * FROM force_area_map WHERE force_id = $1', [forceId]);
      const primary = mappings.find((m) => m.is_primary);
      const areaNames = Object.fromEntries((await tx.query<{ id: string; name: string }>('SELECT id, name FROM cps_areas')).map((a) => [a.id, a.name]));
      const fields = compare([
        ['primary_area', 'Primary CPS Area', primary ? areaNames[primary.cps_area_id] ?? primary.cps_area_id : '', area.name],
        ['needs_check', 'To be confirmed', yesNo(primary?.needs_check ?? false), yesNo(input.needsCheck)],
        ['note', 'Note', primary?.note ?? '', input.note],
      ]);
      if (force.version !== input.version) throw conflict(fields, `/reference/forces/${encodeURIComponent(forceId)}/edit`);
      if (!fields.changed.length) return { changed: false };
      const note = input.note || null;
      if (!primary) {
        await tx.query('DELETE FROM force_area_map WHERE force_id = $1 AND cps_area_id = $2', [forceId, area.id]);
        await tx.query('INSERT INTO force_area_map (force_id, cps_area_id, is_primary, needs_check, note) VALUES ($1,$2,true,$3,$4)', [forceId, area.id, input.needsCheck, note]);
      } else if (primary.cps_area_id === area.id) {
        await tx.query('UPDATE force_area_map SET needs_check = $3, note = $4 WHERE force_id = $1 AND cps_area_id = $2', [forceId, area.id, input.needsCheck, note]);
      } else if (mappings.some((m) => m.cps_area_id === area.id)) {
        // The partial unique index allows one primary per force, so demote before promoting.
        await tx.query('UPDATE force_area_map SET is_primary = false WHERE force_id = $1 AND is_primary', [forceId]);
        await tx.query('UPDATE force_area_map SET is_primary = true, needs_check = $3, note = $4 WHERE force_id = $1 AND cps_area_id = $2', [forceId, area.id, input.needsCheck, note]);
      } else {
        await tx.query('UPDATE force_area_map SET cps_area_id = $2, needs_check = $3, note = $4 WHERE force_id = $1 AND is_primary', [forceId, area.id, input.needsCheck, note]);
      }
      await tx.query('UPDATE forces SET version = version + 1 WHERE id = $1', [forceId]);
      await this.recordChange(tx, principal, 'force', forceId, fields.changed, requestId);
      return { changed: true };
    });
    this.invalidate();
    return result;
  }

  private authorise(principal: Principal) {
    if (!can(principal, 'reference:update')) throw forbidden();
  }

  private recordChange(tx: Queryable, principal: Principal, entityType: string, entityId: string, changed: FieldChange[], requestId?: string) {
    // Reference data is public information, so the audit row can carry the values themselves.
    return this.audit.record({
      actorUserId: principal.userId, actorOrganisationId: principal.organisation.id, action: 'reference:update', outcome: 'allowed',
      entityType, entityId, requestId, detail: { changes: Object.fromEntries(changed.map((c) => [c.field, { from: c.current, to: c.submitted }])) },
    }, tx);
  }
}

interface FieldChange { field: string; label: string; current: string; submitted: string }

const yesNo = (v: boolean) => (v ? 'Yes' : 'No');

function compare(rows: [field: string, label: string, current: string, submitted: string][]) {
  const all: FieldChange[] = rows.map(([field, label, current, submitted]) => ({ field, label, current, submitted }));
  return { all, changed: all.filter((r) => r.current !== r.submitted) };
}

/** A stale form: show what differs (or, when the values happen to match, every field) and change nothing. */
function conflict(fields: { all: FieldChange[]; changed: FieldChange[] }, backHref: string) {
  const rows = fields.changed.length ? fields.changed : fields.all;
  return new ConflictError(rows.map(({ label, current, submitted }) => ({ label, current, submitted })), backHref);
}
