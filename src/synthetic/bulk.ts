import type { Queryable } from '../db/database.ts';

/** PostgreSQL allows 65,535 bind parameters per statement; stay well below so big rows never hit the limit. */
export const MAX_PARAMS_PER_STATEMENT = 30_000;

/** Multi-row parameterised INSERT, split into statements of at most MAX_PARAMS_PER_STATEMENT parameters. */
export async function insertRows(tx: Queryable, table: string, columns: readonly string[], rows: readonly (readonly unknown[])[]): Promise<void> {
  const perStatement = Math.max(1, Math.floor(MAX_PARAMS_PER_STATEMENT / columns.length));
  for (let start = 0; start < rows.length; start += perStatement) {
    const chunk = rows.slice(start, start + perStatement);
    const params: unknown[] = [];
    const tuples: string[] = [];
    for (const row of chunk) {
      if (row.length !== columns.length) throw new Error(`${table}: row has ${row.length} values for ${columns.length} columns`);
      const placeholders: string[] = [];
      for (const value of row) {
        params.push(value);
        placeholders.push(`$${params.length}`);
      }
      tuples.push(`(${placeholders.join(',')})`);
    }
    await tx.query(`INSERT INTO ${table} (${columns.join(', ')}) VALUES ${tuples.join(',')}`, params);
  }
}
