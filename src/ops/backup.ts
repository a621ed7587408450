/**
 * Backup and restore of a whole Tandem database, on either backend.
 *
 * Two formats:
 * - "logical" (PGlite, and PostgreSQL when pg_dump is not on PATH): gzip'd lines — a header with the migrations,
 *   per-table row counts and checksums, and sequence positions; then every row of every table as JSON. It is read
 *   in one REPEATABLE READ snapshot, so the copy is consistent while the service keeps writing (PostgreSQL). It is
 *   restored by migrating the target to the same schema and loading rows in foreign-key order, then the restore
 *   proves itself by recomputing every checksum.
 * - "pg_dump" (PostgreSQL with pg_dump/pg_restore on PATH): the custom archive format, restored with pg_restore.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import readline from 'node:readline';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import zlib from 'node:zlib';
import type { Db, Queryable } from '../db/database.ts';
import { migrate } from '../db/migrate.ts';

export const LOGICAL_FORMAT = 'tandem-logical-backup';
const PAGE = 2000;

export interface TableSummary {
  name: string;
  rows: number;
  checksum: string;
}

export interface LogicalHeader {
  format: typeof LOGICAL_FORMAT;
  formatVersion: 1;
  createdAt: string;
  source: Db['kind'];
  migrations: string[];
  tables: TableSummary[];
  sequences: { name: string; lastValue: number; isCalled: boolean }[];
}

const ident = (name: string) => `"${name.replace(/"/g, '""')}"`;

/** Tables of the current schema, parents before children (foreign keys), so rows load without violating them. */
export async function tablesInDependencyOrder(q: Queryable): Promise<string[]> {
  const tables = (await q.query<{ name: string }>(
    `SELECT c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') AND NOT c.relispartition ORDER BY c.relname`,
  )).map((r) => r.name);
  const edges = await q.query<{ child: string; parent: string }>(
    `SELECT ch.relname AS child, pa.relname AS parent FROM pg_constraint k
       JOIN pg_class ch ON ch.oid = k.conrelid JOIN pg_class pa ON pa.oid = k.confrelid
       JOIN pg_namespace n ON n.oid = ch.relnamespace
      WHERE k.contype = 'f' AND n.nspname = current_schema() AND ch.oid <> pa.oid ORDER BY 1, 2`,
  );
  const parents = new Map(tables.map((t) => [t, new Set<string>()]));
  for (const e of edges) parents.get(e.child)?.add(e.parent);
  const ordered: string[] = [];
  const seen = new Set<string>();
  const visit = (t: string, path: Set<string>) => {
    if (seen.has(t) || path.has(t)) return; // a cycle: the loader disables FK checks where it can
    path.add(t);
    for (const p of parents.get(t) ?? []) visit(p, path);
    path.delete(t);
    seen.add(t);
    ordered.push(t);
  };
  for (const t of tables) visit(t, new Set());
  return ordered;
}

/** Row count and an order-independent checksum (md5 of the sorted JSON of every row) for one table. */
export async function tableSummary(q: Queryable, table: string): Promise<TableSummary> {
  const [r] = await q.query<{ n: number; sum: string | null }>(
    `SELECT count(*)::int AS n, md5(string_agg(x, E'\\n' ORDER BY x)) AS sum FROM (SELECT to_jsonb(t)::text AS x FROM ${ident(table)} t) s`,
  );
  return { name: table, rows: r?.n ?? 0, checksum: r?.sum ?? '' };
}

/** Every table's count and checksum: what a restore must reproduce exactly. */
export async function databaseSummary(q: Queryable): Promise<TableSummary[]> {
  const out: TableSummary[] = [];
  for (const t of await tablesInDependencyOrder(q)) out.push(await tableSummary(q, t));
  return out;
}

async function sequences(q: Queryable): Promise<LogicalHeader['sequences']> {
  const names = (await q.query<{ name: string }>(
    `SELECT c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = current_schema() AND c.relkind = 'S' ORDER BY 1`,
  )).map((r) => r.name);
  const out: LogicalHeader['sequences'] = [];
  for (const name of names) {
    const [s] = await q.query<{ last_value: number; is_called: boolean }>(`SELECT last_value, is_called FROM ${ident(name)}`);
    out.push({ name, lastValue: Number(s!.last_value), isCalled: s!.is_called });
  }
  return out;
}

async function* logicalLines(db: Db, onTable?: (t: TableSummary) => void): AsyncGenerator<string> {
  // One snapshot for the whole copy. PGlite runs a transaction at a time, so the generator holds it open by
  // handing lines out through a small queue.
  const queue: string[] = [];
  let wake: (() => void) | undefined;
  let done = false;
  let failure: unknown;
  let cancelled = false;
  const push = async (line: string) => {
    if (cancelled) throw new Error('backup cancelled');
    queue.push(line);
    wake?.();
    // Back-pressure: let the consumer drain before reading more rows.
    while (queue.length > 4 * PAGE) await new Promise((r) => setTimeout(r, 1));
  };
  const work = db.transaction(async (tx) => {
    if (db.kind === 'postgres') await tx.query('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY');
    const tables = await tablesInDependencyOrder(tx);
    const summaries: TableSummary[] = [];
    for (const t of tables) summaries.push(await tableSummary(tx, t));
    const header: LogicalHeader = {
      format: LOGICAL_FORMAT, formatVersion: 1, createdAt: new Date().toISOString(), source: db.kind,
      migrations: (await tx.query<{ id: string }>('SELECT id FROM schema_migrations ORDER BY id')).map((r) => r.id),
      tables: summaries, sequences: await sequences(tx),
    };
    await push(JSON.stringify(header));
    for (const s of summaries) {
      await push(`T\t${s.name}`);
      // A cursor in the snapshot transaction: every row once, in pages, without OFFSET re-scans or a known key.
      await tx.query(`DECLARE tandem_backup NO SCROLL CURSOR FOR SELECT to_jsonb(t)::text AS row FROM ${ident(s.name)} t`);
      let copied = 0;
      for (;;) {
        const rows = await tx.query<{ row: string }>(`FETCH ${PAGE} FROM tandem_backup`);
        for (const r of rows) await push(`R\t${r.row}`);
        copied += rows.length;
        if (rows.length < PAGE) break;
      }
      await tx.query('CLOSE tandem_backup');
      // The snapshot is the one the checksums were taken in, so the counts must agree; anything else is a bug.
      if (copied !== s.rows) throw new Error(`backup of ${s.name} copied ${copied} rows, expected ${s.rows}`);
      onTable?.(s);
    }
  }).then(
    () => { done = true; wake?.(); },
    (err: unknown) => { failure = err; done = true; wake?.(); },
  );
  try {
    for (;;) {
      if (queue.length) {
        yield `${queue.splice(0, queue.length).join('\n')}\n`;
        continue;
      }
      if (done) break;
      await new Promise<void>((r) => (wake = r));
      wake = undefined;
    }
  } finally {
    cancelled = true; // the consumer stopped (e.g. disk full): end the snapshot transaction too
  }
  await work;
  if (failure) throw failure;
}

export interface BackupResult { format: 'logical' | 'pg_dump'; file: string; tables: number; rows: number; bytes: number }

export function hasPgDump(): Promise<boolean> {
  return new Promise((resolve) => execFile('pg_dump', ['--version'], (err) => resolve(!err)));
}

function run(cmd: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) =>
    execFile(cmd, args, { maxBuffer: 16 * 1024 * 1024 }, (err, _out, stderr) => (err ? reject(new Error(`${cmd} failed: ${stderr || err.message}`)) : resolve())),
  );
}

/** Writes a backup of the whole database to file. */
export async function backup(db: Db, file: string, opts: { format?: 'auto' | 'logical' | 'pg_dump'; databaseUrl?: string; onTable?: (t: TableSummary) => void } = {}): Promise<BackupResult> {
  const wanted = opts.format ?? 'auto';
  const usePgDump = db.kind === 'postgres' && !!opts.databaseUrl && (wanted === 'pg_dump' || (wanted === 'auto' && (await hasPgDump())));
  if (wanted === 'pg_dump' && !usePgDump) throw new Error('the pg_dump format needs DATABASE_URL (PostgreSQL) and pg_dump on PATH');
  const tmp = `${file}.partial`;
  if (usePgDump) {
    await run('pg_dump', ['--format=custom', '--no-owner', '--no-privileges', `--file=${tmp}`, `--dbname=${opts.databaseUrl}`]);
    fs.renameSync(tmp, file);
    const summary = await databaseSummary(db);
    return { format: 'pg_dump', file, tables: summary.length, rows: summary.reduce((a, t) => a + t.rows, 0), bytes: fs.statSync(file).size };
  }
  let tables = 0;
  let rows = 0;
  // Written to a temporary name and renamed at the end, so a failed backup never looks like a good one.
  await pipeline(Readable.from(logicalLines(db, (t) => { tables++; rows += t.rows; opts.onTable?.(t); })), zlib.createGzip({ level: 6 }), fs.createWriteStream(tmp));
  fs.renameSync(tmp, file);
  return { format: 'logical', file, tables, rows, bytes: fs.statSync(file).size };
}

export function backupFormatOf(file: string): 'logical' | 'pg_dump' | 'unknown' {
  const fd = fs.openSync(file, 'r');
  const head = Buffer.alloc(5);
  fs.readSync(fd, head, 0, 5, 0);
  fs.closeSync(fd);
  if (head.toString('latin1') === 'PGDMP') return 'pg_dump';
  if (head[0] === 0x1f && head[1] === 0x8b) return 'logical';
  return 'unknown';
}

export class RestoreError extends Error {}

export interface RestoreResult { format: 'logical' | 'pg_dump'; tables: number; rows: number; mismatches: string[] }

/** True when the target already holds people or history (restoring over it needs --force). */
async function holdsData(db: Db): Promise<boolean> {
  const [t] = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = current_schema() AND c.relname IN ('users', 'audit_log')`);
  if ((t?.n ?? 0) < 2) return false;
  const [r] = await db.query<{ n: number }>('SELECT (SELECT count(*) FROM users) + (SELECT count(*) FROM audit_log) AS n');
  return Number(r?.n ?? 0) > 0;
}

/** Restores a backup into db (a fresh database unless force). Returns the tables whose checksum differs (none). */
export async function restore(db: Db, file: string, opts: { force?: boolean; databaseUrl?: string; log?: (m: string) => void } = {}): Promise<RestoreResult> {
  const format = backupFormatOf(file);
  if (format === 'unknown') throw new RestoreError(`${file} is not a Tandem backup (neither a logical backup nor a pg_dump archive)`);
  if (!opts.force && (await holdsData(db))) throw new RestoreError('the target database already holds users or audit records; restore into a fresh database, or pass --force to replace everything in it');
  if (format === 'pg_dump') {
    if (db.kind !== 'postgres' || !opts.databaseUrl) throw new RestoreError('a pg_dump archive restores only into PostgreSQL (set DATABASE_URL)');
    await run('pg_restore', ['--no-owner', '--no-privileges', '--exit-on-error', '--single-transaction', ...(opts.force ? ['--clean', '--if-exists'] : []), `--dbname=${opts.databaseUrl}`, file]);
    const summary = await databaseSummary(db);
    return { format, tables: summary.length, rows: summary.reduce((a, t) => a + t.rows, 0), mismatches: [] };
  }

  const lines = readline.createInterface({ input: fs.createReadStream(file).pipe(zlib.createGunzip()), crlfDelay: Infinity });
  const it = lines[Symbol.asyncIterator]();
  const first = await it.next();
  const header = JSON.parse(first.done ? '{}' : first.value) as LogicalHeader;
  if (header.format !== LOGICAL_FORMAT) throw new RestoreError(`${file} is not a Tandem logical backup`);
  await migrate(db, opts.log);
  const have = (await db.query<{ id: string }>('SELECT id FROM schema_migrations ORDER BY id')).map((r) => r.id);
  if (have.join() !== header.migrations.join()) {
    throw new RestoreError(`the backup was made at schema ${header.migrations.at(-1)} and this Tandem is at ${have.at(-1)}; restore with the same version of Tandem, then upgrade`);
  }

  const [{ su } = { su: false }] = await db.query<{ su: boolean }>('SELECT rolsuper AS su FROM pg_roles WHERE rolname = current_user');
  const order = await tablesInDependencyOrder(db);
  // schema_migrations too: the target is at the same migrations, and its rows come back as they were.
  const loadable = order;
  await db.transaction(async (tx) => {
    // Rows go back exactly as they were: no triggers (outbox events, append-only guards) fire, and with superuser
    // rights foreign keys are not re-checked row by row (the rows were consistent when copied).
    if (su) await tx.query('SET LOCAL session_replication_role = replica');
    else for (const t of loadable) await tx.query(`ALTER TABLE ${ident(t)} DISABLE TRIGGER USER`);
    await tx.query(`TRUNCATE ${loadable.map(ident).join(', ')} CASCADE`);
    const columns = new Map<string, string>();
    const columnsOf = async (table: string) => {
      if (!columns.has(table)) {
        const cols = await tx.query<{ name: string }>(
          `SELECT a.attname AS name FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = current_schema() AND c.relname = $1 AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = '' ORDER BY a.attnum`, [table],
        );
        columns.set(table, cols.map((c) => ident(c.name)).join(', '));
      }
      return columns.get(table)!;
    };
    let table: string | undefined;
    let batch: string[] = [];
    const flush = async () => {
      if (!table || batch.length === 0) return;
      const cols = await columnsOf(table);
      await tx.query(`INSERT INTO ${ident(table)} (${cols}) SELECT ${cols} FROM jsonb_populate_recordset(NULL::${ident(table)}, $1::jsonb)`, [`[${batch.join(',')}]`]);
      batch = [];
    };
    for (let next = await it.next(); !next.done; next = await it.next()) {
      const line = next.value;
      if (line.startsWith('T\t')) {
        await flush();
        table = line.slice(2);
        if (!loadable.includes(table)) throw new RestoreError(`the backup has a table "${table}" this schema does not`);
        opts.log?.(`restoring ${line.slice(2)}`);
      } else if (line.startsWith('R\t')) {
        if (!table) continue;
        batch.push(line.slice(2));
        if (batch.length >= PAGE) await flush();
      }
    }
    await flush();
    for (const s of header.sequences) await tx.query('SELECT setval($1::regclass, $2, $3)', [ident(s.name), s.lastValue, s.isCalled]);
    if (!su) for (const t of loadable) await tx.query(`ALTER TABLE ${ident(t)} ENABLE TRIGGER USER`);
  });

  // The restore proves itself: every table's count and checksum must match what was copied.
  const after = new Map((await databaseSummary(db)).map((t) => [t.name, t]));
  const mismatches = header.tables.filter((t) => {
    const got = after.get(t.name);
    return !got || got.rows !== t.rows || got.checksum !== t.checksum;
  }).map((t) => t.name);
  return { format, tables: header.tables.length, rows: header.tables.reduce((a, t) => a + t.rows, 0), mismatches };
}
