/**
 * Bulk seeding for the load benchmark: a realistic base set from the synthetic generator, multiplied in SQL.
 *
 * 1. `generateNational` writes `base` cases (default 10,000) with their offences, victims, suspects, witnesses, events
 *    and case teams, exactly as `tandem seed` does.
 * 2. Copy k (1, 2, …) of every base row is written by INSERT … SELECT over generate_series: new ids (the first 8 hex
 *    digits of the uuid replaced by k, so each copy lands in its own part of the primary-key index), new case
 *    references (`KNT-24-000123` → `KNT-24-7000123` for copy 7), everything else as in the base row. Forces, Areas,
 *    stages and referral dates follow the base set's national mix.
 * 3. Victim and witness identity is encrypted with the row id bound as AAD (src/platform/crypto.ts), so a copied
 *    ciphertext would not decrypt on its new row: the base plaintexts are decrypted once and re-encrypted for every
 *    new row id in Node, and sent with the copy as arrays (unnest).
 *
 * The schema is kept between runs: `bench_load_meta` records the target and that seeding finished; a later run with
 * the same target reuses it. Copied suspects repeat the base set's names 100 times over: fine for reading cases, not
 * for the linkage engine (which the load benchmark does not start).
 */
import { type Db, PostgresDb, type Queryable } from '../../src/db/database.ts';
import { migrate } from '../../src/db/migrate.ts';
import { FieldCipher } from '../../src/platform/crypto.ts';
import { createUser, TEST_KEY } from '../../src/testing/harness.ts';
import { generateNational } from '../../src/synthetic/generator.ts';

export interface SeedOptions {
  url: string;
  schema: string;
  cases: number;
  base: number;
  reseed: boolean;
  /** Cases written per transaction when multiplying (default 100,000). */
  chunk?: number;
  log: (event: Record<string, unknown>) => void;
}

export interface SeedResult {
  reused: boolean;
  seedMs: number;
  counts: Record<string, number>;
}

/** Users the benchmark needs, all with the test password and TOTP secret (src/testing/harness.ts). */
export const BENCH_USERS = { prosecutor: 'bench.prosecutor', admin: 'bench.admin' } as const;

const COPIED_TABLES = ['cases', 'case_offences', 'victims', 'suspects', 'witnesses', 'case_events', 'case_team'] as const;

export async function ensureSeeded(opts: SeedOptions): Promise<SeedResult> {
  const { url, schema, log } = opts;
  const admin = PostgresDb.connect(url, { max: 1 });
  try {
    if (!opts.reseed) {
      const [meta] = await admin.query<{ target: number; done: boolean }>(
        `SELECT m.target, m.done FROM pg_tables t, LATERAL (SELECT target, done FROM ${schema}.bench_load_meta) m WHERE t.schemaname = $1 AND t.tablename = 'bench_load_meta'`,
        [schema],
      ).catch(() => []);
      if (meta?.done && meta.target === opts.cases) {
        const db = PostgresDb.connect(url, { schema, max: 1 });
        try {
          await migrate(db); // a migration added since the schema was seeded applies here (no-op otherwise)
          return { reused: true, seedMs: 0, counts: await counts(db) };
        } finally {
          await db.close();
        }
      }
    }
    await admin.exec(`DROP SCHEMA IF EXISTS ${schema} CASCADE; CREATE SCHEMA ${schema}`);
  } finally {
    await admin.close();
  }

  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  const db = PostgresDb.connect(url, { schema, max: 2 });
  try {
    await migrate(db);
    await db.exec('CREATE TABLE bench_load_meta (target integer NOT NULL, base integer NOT NULL, done boolean NOT NULL DEFAULT false)');
    const base = Math.min(opts.cases, opts.base);
    await db.query('INSERT INTO bench_load_meta (target, base) VALUES ($1, $2)', [opts.cases, base]);
    const cipher = new FieldCipher([TEST_KEY]);

    // Users: the benchmark's prosecutor and administrator, and case-team members (an officer per force, a prosecutor
    // per CPS Area) so that case pages show a team as they would in use.
    await createUser(db, { username: BENCH_USERS.admin, organisationId: 'national', roles: ['admin'] });
    const forces = await db.query<{ id: string }>('SELECT id FROM forces WHERE active ORDER BY id');
    const areas = await db.query<{ id: string }>("SELECT DISTINCT cps_area_id AS id FROM force_area_map ORDER BY 1");
    const byForce: Record<string, string[]> = {};
    const byArea: Record<string, string[]> = {};
    for (const f of forces) byForce[f.id] = [await createUser(db, { username: `bench.oic.${f.id}`, organisationId: `force-${f.id}`, roles: ['investigator'], displayName: `DC Bench ${f.id}` })];
    for (const a of areas) byArea[a.id] = [await createUser(db, { username: `bench.cps.${a.id}`, organisationId: `rasso-${a.id}`, roles: ['prosecutor'], displayName: `Bench prosecutor ${a.id}` })];
    log({ event: 'seed', step: 'users', users: forces.length + areas.length + 1, ms: elapsed() });

    // 1. The base set, from the generator.
    let lastLogged = 0;
    const summary = await generateNational(db, cipher, {
      cases: base, seed: 42, teamUserIds: { byForce, byArea },
      onProgress: (done) => {
        if (done - lastLogged >= 2000 || done === base) {
          lastLogged = done;
          log({ event: 'seed', step: 'base', cases: done, of: base, ms: elapsed() });
        }
      },
    });
    log({ event: 'seed', step: 'base-done', cases: summary.cases, victims: summary.victims, suspects: summary.suspects, witnesses: summary.witnesses, events: summary.events, ms: elapsed() });

    // 2. The copies.
    if (opts.cases > base) await multiply(db, cipher, base, opts.cases, opts.chunk ?? 100_000, (e) => log({ ...e, ms: elapsed() }));

    for (const t of COPIED_TABLES) await db.exec(`VACUUM ANALYZE ${t}`);
    await verify(db, cipher, opts.cases);
    log({ event: 'seed', step: 'verified', ms: elapsed() });
    await db.query('UPDATE bench_load_meta SET done = true');
    const result = { reused: false, seedMs: elapsed(), counts: await counts(db) };
    log({ event: 'seed', step: 'done', ...result.counts, ms: result.seedMs });
    return result;
  } finally {
    await db.close();
  }
}

/**
 * The copy skipped foreign-key triggers, so check what they would have: every copied row belongs to a case, the
 * case count is the target, and copied victims' and witnesses' identity decrypts on its own row (a sample).
 */
async function verify(db: Queryable, cipher: FieldCipher, target: number): Promise<void> {
  const [{ n }] = (await db.query<{ n: number }>('SELECT count(*)::int AS n FROM cases')) as [{ n: number }];
  if (n !== target) throw new Error(`seeding: ${n} cases, expected ${target}`);
  for (const t of COPIED_TABLES.filter((x) => x !== 'cases')) {
    const [orphans] = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${t} x WHERE NOT EXISTS (SELECT 1 FROM cases c WHERE c.id = x.case_id)`);
    if (orphans!.n > 0) throw new Error(`seeding: ${orphans!.n} rows of ${t} belong to no case`);
  }
  const sample = async (table: string, columns: Record<string, string>) => {
    const rows = await db.query<Record<string, string | null>>(`SELECT id, ${Object.keys(columns).join(', ')} FROM ${table} ORDER BY random() LIMIT 200`);
    for (const r of rows) for (const [col, aad] of Object.entries(columns)) if (r[col]) cipher.decrypt(r[col]!, { table, column: aad, rowId: r.id! });
    return rows.length;
  };
  const checked = await sample('victims', { name_enc: 'name', date_of_birth_enc: 'date_of_birth', contact_enc: 'contact' }) + await sample('witnesses', { name_enc: 'name', contact_enc: 'contact' });
  if (checked === 0) throw new Error('seeding: no victims or witnesses to check');
}

async function counts(db: Queryable): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const t of COPIED_TABLES) out[t] = (await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${t}`))[0]!.n;
  return out;
}

/** The id of copy k of a row: the first 8 hex digits of the uuid replaced by k (the same in SQL and in Node). */
const newIdSql = (col: string) => `(lpad(to_hex(k), 8, '0') || substr(${col}::text, 9))::uuid`;
export const newId = (id: string, k: number) => k.toString(16).padStart(8, '0') + id.slice(8);

/** Every column of a table, with some replaced by expressions over the base row (b) and the copy number (k). */
async function columns(db: Queryable, table: string): Promise<string[]> {
  return (await db.query<{ column_name: string }>(
    'SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position', [table],
  )).map((r) => r.column_name);
}

async function multiply(db: Db, cipher: FieldCipher, base: number, target: number, chunkCases: number, log: (e: Record<string, unknown>) => void) {
  // Base rows with the base case's number n (1..base): copy k holds the base cases with k*base + n <= target.
  await db.exec(`
    CREATE UNLOGGED TABLE base_cases AS SELECT row_number() OVER (ORDER BY reference)::int AS n, c.* FROM cases c;
    CREATE UNIQUE INDEX ON base_cases (id);
    CREATE UNLOGGED TABLE base_case_offences AS SELECT b.n, x.* FROM case_offences x JOIN base_cases b ON b.id = x.case_id;
    CREATE UNLOGGED TABLE base_suspects AS SELECT b.n, x.* FROM suspects x JOIN base_cases b ON b.id = x.case_id;
    CREATE UNLOGGED TABLE base_case_events AS SELECT b.n, x.* FROM case_events x JOIN base_cases b ON b.id = x.case_id;
    CREATE UNLOGGED TABLE base_case_team AS SELECT b.n, x.* FROM case_team x JOIN base_cases b ON b.id = x.case_id;
    CREATE UNLOGGED TABLE base_victims AS SELECT b.n, x.* FROM victims x JOIN base_cases b ON b.id = x.case_id;
    CREATE UNLOGGED TABLE base_witnesses AS SELECT b.n, x.* FROM witnesses x JOIN base_cases b ON b.id = x.case_id;
    CREATE UNIQUE INDEX ON base_victims (id);
    CREATE UNIQUE INDEX ON base_witnesses (id);
  `);

  // Plaintexts of the encrypted base columns, decrypted once.
  type Enc = { id: string; n: number; plain: (string | null)[] };
  const encrypted = {
    victims: { columns: ['name_enc', 'date_of_birth_enc', 'contact_enc'], aad: ['name', 'date_of_birth', 'contact'], rows: [] as Enc[] },
    witnesses: { columns: ['name_enc', 'contact_enc'], aad: ['name', 'contact'], rows: [] as Enc[] },
  };
  for (const [table, spec] of Object.entries(encrypted)) {
    const rows = await db.query<Record<string, string | null> & { id: string; n: number }>(`SELECT id, n, ${spec.columns.join(', ')} FROM base_${table} ORDER BY n`);
    spec.rows = rows.map((r) => ({
      id: r.id, n: r.n,
      plain: spec.columns.map((c, i) => (r[c] === null ? null : cipher.decrypt(r[c]!, { table, column: spec.aad[i]!, rowId: r.id }))),
    }));
  }

  // INSERT … SELECT for the tables without encrypted columns.
  const plainSql: [string, string][] = [];
  const overrides: Record<string, Record<string, string>> = {
    cases: { id: newIdSql('b.id'), reference: `regexp_replace(b.reference, '-([0-9]{6})$', '-' || k || '\\1')` },
    case_offences: { case_id: newIdSql('b.case_id') },
    suspects: { id: newIdSql('b.id'), case_id: newIdSql('b.case_id') },
    case_events: { id: newIdSql('b.id'), case_id: newIdSql('b.case_id') },
    case_team: { case_id: newIdSql('b.case_id') },
  };
  for (const [table, over] of Object.entries(overrides)) {
    const cols = await columns(db, table);
    plainSql.push([table, `INSERT INTO ${table} (${cols.join(', ')})
      SELECT ${cols.map((c) => over[c] ?? `b.${c}`).join(', ')}
        FROM base_${table} b CROSS JOIN generate_series($1::int, $2::int) k WHERE k * ${base} + b.n <= ${target}`]);
  }
  // Victims and witnesses: the new ids and ciphertexts come in as arrays, matched to their base row.
  const encSql: Record<string, string> = {};
  for (const [table, spec] of Object.entries(encrypted)) {
    const cols = await columns(db, table);
    const over: Record<string, string> = { id: 'e.id', case_id: newIdSql('b.case_id') };
    spec.columns.forEach((c, i) => (over[c] = `e.c${i}`));
    encSql[table] = `INSERT INTO ${table} (${cols.join(', ')})
      SELECT ${cols.map((c) => over[c] ?? `b.${c}`).join(', ')}
        FROM unnest($1::uuid[], $2::int[], $3::uuid[]${spec.columns.map((_, i) => `, $${i + 4}::text[]`).join('')}) AS e(src, k, id${spec.columns.map((_, i) => `, c${i}`).join('')})
        JOIN base_${table} b ON b.id = e.src`;
  }
  /** New ids and ciphertexts of one chunk of copies; yields now and then so the previous chunk's SQL keeps going. */
  const encParams = async (table: keyof typeof encrypted, k1: number, k2: number) => {
    const spec = encrypted[table];
    const src: string[] = [], ks: number[] = [], ids: string[] = [];
    const cols: (string | null)[][] = spec.columns.map(() => []);
    for (let k = k1; k <= k2; k++) {
      for (const r of spec.rows) {
        if (k * base + r.n > target) continue;
        const id = newId(r.id, k);
        src.push(r.id);
        ks.push(k);
        ids.push(id);
        r.plain.forEach((p, i) => cols[i]!.push(p === null ? null : cipher.encrypt(p, { table, column: spec.aad[i]!, rowId: id })));
        if (ids.length % 2000 === 0) await new Promise((resolve) => setImmediate(resolve));
      }
    }
    return [src, ks, ids, ...cols];
  };
  const encryptChunk = async (k1: number, k2: number) => {
    const t = performance.now();
    const victims = await encParams('victims', k1, k2);
    const witnesses = await encParams('witnesses', k1, k2);
    return { victims, witnesses, ms: Math.round(performance.now() - t) };
  };

  // Secondary indexes are dropped for the copy and built again afterwards (one sorted build is much cheaper than
  // millions of inserts into them); primary keys and unique constraints stay, so a duplicate still fails.
  const secondary = await db.query<{ indexname: string; indexdef: string }>(
    `SELECT i.indexname, i.indexdef FROM pg_indexes i
      WHERE i.schemaname = current_schema() AND i.tablename = ANY($1)
        AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname AND c.connamespace = current_schema()::regnamespace)`,
    [[...COPIED_TABLES]],
  );
  for (const i of secondary) await db.exec(`DROP INDEX ${i.indexname}`);

  const copies = Math.ceil(target / base) - 1;
  const perChunk = Math.max(1, Math.floor(chunkCases / base));
  const chunks: [number, number][] = [];
  for (let k1 = 1; k1 <= copies; k1 += perChunk) chunks.push([k1, Math.min(copies, k1 + perChunk - 1)]);
  const started = performance.now();
  // Pipelined: while PostgreSQL writes chunk i, Node encrypts chunk i + 1.
  let next = encryptChunk(...chunks[0]!);
  for (let c = 0; c < chunks.length; c++) {
    const [k1, k2] = chunks[c]!;
    const enc = await next;
    let t = performance.now();
    const lap = () => {
      const ms = Math.round(performance.now() - t);
      t = performance.now();
      return ms;
    };
    const ms: Record<string, number> = { encrypt: enc.ms };
    const write = db.transaction(async (tx) => {
      // Foreign keys are right by construction (every copied row points at the copy of its base row's case): the
      // per-row trigger checks are skipped for the copy, as pg_restore does.
      await tx.exec('SET LOCAL session_replication_role = replica');
      for (const [table, sql] of plainSql) {
        await tx.query(sql, [k1, k2]);
        ms[table] = lap();
      }
      await tx.query(encSql.victims!, enc.victims);
      ms.victims = lap();
      await tx.query(encSql.witnesses!, enc.witnesses);
      ms.witnesses = lap();
    });
    if (c + 1 < chunks.length) next = encryptChunk(...chunks[c + 1]!);
    await write;
    ms.commit = lap();
    const done = Math.min(target, (k2 + 1) * base);
    log({ event: 'seed', step: 'multiply', cases: done, of: target, casesPerSec: Math.round((done - base) / ((performance.now() - started) / 1000)), chunkMs: ms });
  }
  const indexStarted = performance.now();
  for (const i of secondary) await db.exec(`SET maintenance_work_mem = '256MB'; ${i.indexdef}`);
  log({ event: 'seed', step: 'indexes', rebuilt: secondary.map((i) => i.indexname), ms: Math.round(performance.now() - indexStarted) });
  await db.exec('DROP TABLE base_cases, base_case_offences, base_suspects, base_case_events, base_case_team, base_victims, base_witnesses');
}
