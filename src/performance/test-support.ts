import { randomUUID } from 'node:crypto';
import type { Queryable } from '../db/database.ts';

/**
 * Hand-built case records for performance tests: a case with its offences, one victim and journey events, written
 * straight to the tables (the same rows the app and the synthetic generator write), so each test's right answer can
 * be worked out by hand from the fixture.
 */
export interface FixtureCase {
  force: string;
  area: string;
  reported: string;
  offenceDate?: string | null;
  offences?: string[];
  victimAge?: number | null;
  events?: [kind: string, at: string, data?: Record<string, unknown>][];
}

let seq = 0;

export async function addCase(db: Queryable, c: FixtureCase): Promise<{ id: string; victimId: string; reference: string }> {
  const id = randomUUID();
  const victimId = randomUUID();
  const reference = `PERF/${String(++seq).padStart(6, '0')}/${id.slice(0, 4)}`;
  const at = new Date(`${c.reported}T10:00:00Z`);
  await db.query(
    `INSERT INTO cases (id, reference, force_id, cps_area_id, stage, offence_date, reported_at, created_at, updated_at)
     VALUES ($1,$2,$3,$4,'investigation',$5,$6,$7,$7)`,
    [id, reference, c.force, c.area, c.offenceDate === undefined ? c.reported : c.offenceDate, c.reported, at],
  );
  for (const code of c.offences ?? ['SOA2003-s1']) await db.query('INSERT INTO case_offences (case_id, force_id, offence_code) VALUES ($1,$2,$3)', [id, c.force, code]);
  await db.query(
    `INSERT INTO victims (id, case_id, force_id, label, name_enc, age_at_offence, created_at, updated_at) VALUES ($1,$2,$3,'V1','test:x',$4,$5,$5)`,
    [victimId, id, c.force, c.victimAge === undefined ? 30 : c.victimAge, at],
  );
  for (const [kind, when, data] of c.events ?? []) {
    await db.query(
      `INSERT INTO case_events (id, case_id, force_id, occurred_at, recorded_at, kind, summary, data) VALUES ($1,$2,$3,$4,$4,$5,$5,$6)`,
      [randomUUID(), id, c.force, new Date(when.length === 10 ? `${when}T12:00:00Z` : when), kind, JSON.stringify(data ?? {})],
    );
  }
  return { id, victimId, reference };
}
