import type { Db } from '../db/database.ts';
import type { Stage } from '../cases/schemas.ts';
import type { Services } from '../services.ts';
import { type Agent, caseIdFrom, forms } from '../testing/harness.ts';

/** Test helpers for victim care (not a test file). */

export async function addIsvaService(db: Db, id = 'isva-test', name = 'Test Sexual Violence Support') {
  await db.query(`INSERT INTO organisations (id, kind, name) VALUES ($1, 'isva_service', $2) ON CONFLICT (id) DO NOTHING`, [id, name]);
  return id;
}

/** Opens a case through the pages as a police user, with victim V1 (and optionally a suspect and a witness). */
export async function openCase(police: Agent, opts: { suspect?: boolean; witness?: boolean; victim?: Record<string, string | string[]> } = {}) {
  await police.get('/cases/new');
  const caseId = caseIdFrom(await police.post('/cases', forms.case()));
  const v = await police.post(`/cases/${caseId}/victims`, forms.victim(opts.victim));
  if (v.statusCode !== 303) throw new Error(`victim not added: ${v.statusCode}`);
  if (opts.suspect) await police.post(`/cases/${caseId}/suspects`, forms.suspect());
  if (opts.witness) await police.post(`/cases/${caseId}/witnesses`, { givenName: 'Wendy', familyName: 'Witnessby', relationship: 'friend of V1' });
  return caseId;
}

export async function progress(services: Services, caseId: string, change: { referred?: boolean; stage?: Stage }) {
  await services.db.transaction((tx) => services.cases.recordProgress(tx, caseId, change));
}

/** Refers the case and moves it through the charging decision to charged (as the charging capability would). */
export async function charge(services: Services, caseId: string) {
  await progress(services, caseId, { referred: true, stage: 'charging_decision' });
  await progress(services, caseId, { stage: 'charged' });
}

export async function idOf(db: Db, sql: string, params: unknown[] = []): Promise<string> {
  const [row] = await db.query<{ id: string }>(sql, params);
  if (!row) throw new Error(`no row for ${sql}`);
  return row.id;
}

export async function count(db: Db, sql: string, params: unknown[] = []): Promise<number> {
  return (await db.query<{ n: number }>(sql, params))[0]!.n;
}

/** Route-table helpers moved to the shared src/testing/routes.ts (the access matrix uses them too). */
export { appRoutes, routesOf } from '../testing/routes.ts';

export const date = (iso: string, prefix: string) => {
  const [y, m, d] = iso.split('-');
  return { [`${prefix}-day`]: String(Number(d)), [`${prefix}-month`]: String(Number(m)), [`${prefix}-year`]: y! };
};
