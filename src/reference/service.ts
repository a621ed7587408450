import type { Db } from '../db/database.ts';
import type { AuditLog } from '../platform/audit.ts';

export interface Force { id: string; name: string; code: string; active: boolean; version: number; primary_area_id: string | null }
export interface CpsArea { id: string; name: string; is_cps_direct: boolean; active: boolean; version: number }
export interface Offence { code: string; title: string; legislation: string; section: string; max_penalty: string; is_rape: boolean; victim_under_13: boolean; active: boolean; version: number }
export interface OutcomeType { code: number; title: string; needs_check: boolean; active: boolean; version: number }
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
    this.cache ??= (async () => {
      const [forces, areas, offences, outcomes, mappings] = await Promise.all([
        this.db.query<Force>(`SELECT f.*, m.cps_area_id AS primary_area_id FROM forces f
                                LEFT JOIN force_area_map m ON m.force_id = f.id AND m.is_primary ORDER BY f.name`),
        this.db.query<CpsArea>('SELECT * FROM cps_areas ORDER BY is_cps_direct, name'),
        this.db.query<Offence>('SELECT * FROM offences ORDER BY legislation, length(section), section'),
        this.db.query<OutcomeType>('SELECT * FROM outcome_types ORDER BY code'),
        this.db.query<ForceAreaMapping>('SELECT * FROM force_area_map ORDER BY force_id, is_primary DESC'),
      ]);
      return { forces, areas, offences, outcomes, mappings };
    })();
    this.cache.catch(() => (this.cache = undefined));
    return this.cache;
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
}
