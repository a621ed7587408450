import { AsyncLocalStorage } from 'node:async_hooks';
import fs from 'node:fs';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import lockfile from 'proper-lockfile';

/** The one query surface repositories use, the same on PostgreSQL and PGlite. */
export interface Queryable {
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  /** Runs a script of several statements (no parameters): migrations, test set-up. */
  exec(sql: string): Promise<void>;
}

export interface Db extends Queryable {
  readonly kind: 'postgres' | 'pglite';
  /** Runs fn in one transaction; a thrown error rolls everything back. */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/**
 * The transaction the current async call chain is inside. While a transaction runs, db.query and db.transaction
 * called anywhere below it (a service that only holds `db`) join it — a nested transaction becomes a savepoint —
 * so a caller can make several services' writes and its own bookkeeping one atomic unit (the API's Idempotency-Key
 * record commits with the write it describes). Work that outlives the transaction (a fire-and-forget promise started
 * inside it) falls back to the pool once it has ended.
 */
interface Ambient {
  owner: Db;
  tx: Queryable;
  open: boolean;
  savepoints: number;
}
const ambient = new AsyncLocalStorage<Ambient>();

function joined(owner: Db): Ambient | undefined {
  const a = ambient.getStore();
  return a && a.owner === owner && a.open ? a : undefined;
}

async function inSavepoint<T>(a: Ambient, fn: (tx: Queryable) => Promise<T>): Promise<T> {
  const name = `tandem_sp_${++a.savepoints}`;
  await a.tx.exec(`SAVEPOINT ${name}`);
  try {
    const result = await fn(a.tx);
    await a.tx.exec(`RELEASE SAVEPOINT ${name}`);
    return result;
  } catch (err) {
    await a.tx.exec(`ROLLBACK TO SAVEPOINT ${name}`).catch(() => undefined);
    throw err;
  }
}

async function runAmbient<T>(owner: Db, tx: Queryable, fn: (tx: Queryable) => Promise<T>): Promise<T> {
  const a: Ambient = { owner, tx, open: true, savepoints: 0 };
  try {
    return await ambient.run(a, () => fn(tx));
  } finally {
    a.open = false;
  }
}

// Return timestamps and dates as they are, so both drivers agree: timestamptz → Date, date → 'YYYY-MM-DD', bigint → number.
pg.types.setTypeParser(1082, (v) => v);
pg.types.setTypeParser(20, (v) => Number(v));

export class PostgresDb implements Db {
  readonly kind = 'postgres' as const;
  constructor(readonly pool: pg.Pool) {}

  static connect(url: string, options: { schema?: string; max?: number } = {}): PostgresDb {
    // A schema (tests: one per test file) is set as a connection option, so every pooled connection has it from the start.
    const pool = new pg.Pool({ connectionString: url, max: options.max ?? 10, options: options.schema ? `-c search_path=${options.schema}` : undefined });
    // An idle connection the server drops (restart, failover) is discarded by the pool and replaced on demand; without
    // a listener its 'error' event would crash the process.
    pool.on('error', () => undefined);
    return new PostgresDb(pool);
  }

  async query<T>(sql: string, params: unknown[] = []): Promise<T[]> {
    const a = joined(this);
    if (a) return a.tx.query<T>(sql, params);
    const r = await this.pool.query(sql, params as unknown[]);
    return r.rows as T[];
  }

  async exec(sql: string): Promise<void> {
    const a = joined(this);
    if (a) return a.tx.exec(sql);
    await this.pool.query(sql);
  }

  async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
    const a = joined(this);
    if (a) return inSavepoint(a, fn);
    const client = await this.pool.connect();
    // The same for a connection lost while checked out: the query in progress fails (and the request gets a 503);
    // the event must not crash the process, and the broken connection is discarded rather than reused.
    let broken: Error | undefined;
    const onError = (err: Error) => (broken = err);
    client.on('error', onError);
    // One statement at a time on the connection: code below an ambient transaction may issue queries concurrently
    // (Promise.all), and COMMIT/ROLLBACK must wait for any still running (pg deprecates overlapping client.query).
    let queue: Promise<unknown> = Promise.resolve();
    const serial = <R>(run: () => Promise<R>): Promise<R> => {
      const next = queue.then(run, run);
      queue = next.catch(() => undefined);
      return next;
    };
    try {
      await serial(() => client.query('BEGIN'));
      const tx: Queryable = {
        query: async <R>(sql: string, params: unknown[] = []) => (await serial(() => client.query(sql, params))).rows as R[],
        exec: async (sql: string) => {
          await serial(() => client.query(sql));
        },
      };
      const result = await runAmbient(this, tx, fn);
      await serial(() => client.query('COMMIT'));
      return result;
    } catch (err) {
      await serial(() => client.query('ROLLBACK')).catch((e: Error) => (broken ??= e));
      throw err;
    } finally {
      client.off('error', onError);
      client.release(broken);
    }
  }

  async close(): Promise<void> {
    if (this.pool.ended || this.pool.ending) return;
    await this.pool.end();
  }
}

const pgliteParsers = {
  1082: (v: string) => v,
  20: (v: string) => Number(v),
};

export class PgliteDb implements Db {
  readonly kind = 'pglite' as const;
  constructor(
    readonly pglite: PGlite,
    private readonly release: () => Promise<void> = async () => undefined,
  ) {}

  /** In-memory database (tests); loadDataDir clones a migrated template. */
  static async memory(loadDataDir?: Blob): Promise<PgliteDb> {
    const pglite = await PGlite.create({ loadDataDir, parsers: pgliteParsers });
    return new PgliteDb(pglite);
  }

  /**
   * Opens the embedded database in dataDir, holding an exclusive lock on the directory: two processes on
   * one PGlite directory silently lose writes, so a second opener is refused with a clear message.
   */
  static async open(dataDir: string): Promise<PgliteDb> {
    fs.mkdirSync(dataDir, { recursive: true });
    let release: () => Promise<void>;
    try {
      release = await lockfile.lock(dataDir, {
        lockfilePath: path.join(dataDir, 'tandem.lock'),
        stale: 15_000,
        update: 5_000,
        realpath: false,
        onCompromised: (err) => {
          console.error(`Tandem lost its lock on ${dataDir}: ${err.message}. Stopping to protect the data.`);
          process.exit(1);
        },
      });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ELOCKED') {
        throw new DataDirLockedError(dataDir);
      }
      throw err;
    }
    try {
      const pglite = await PGlite.create({ dataDir: path.join(dataDir, 'pgdata'), parsers: pgliteParsers });
      return new PgliteDb(pglite, release);
    } catch (err) {
      await release();
      throw err;
    }
  }

  async query<T>(sql: string, params: unknown[] = []): Promise<T[]> {
    const a = joined(this);
    if (a) return a.tx.query<T>(sql, params);
    const r = await this.pglite.query<T>(sql, params as unknown[]);
    return r.rows;
  }

  async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
    const a = joined(this);
    if (a) return inSavepoint(a, fn);
    return this.pglite.transaction(async (t) =>
      runAmbient(
        this,
        {
          query: async <R>(sql: string, params: unknown[] = []) => (await t.query<R>(sql, params as unknown[])).rows,
          exec: async (sql: string) => {
            await t.exec(sql);
          },
        },
        fn,
      ),
    );
  }

  async exec(sql: string): Promise<void> {
    const a = joined(this);
    if (a) return a.tx.exec(sql);
    await this.pglite.exec(sql);
  }

  private released = false;

  /** Idempotent: shutdown paths may close twice. */
  async close(): Promise<void> {
    if (!this.pglite.closed) await this.pglite.close();
    if (this.released) return;
    this.released = true;
    await this.release();
  }
}

export class DataDirLockedError extends Error {
  constructor(readonly dataDir: string) {
    super(
      `Another Tandem process is already using the data directory ${dataDir}.\n` +
        'Only one process may open an embedded database at a time (a second would lose writes).\n' +
        'Stop the other process, or set TANDEM_DATA_DIR to a different directory, or use DATABASE_URL for PostgreSQL.',
    );
  }
}

export async function openDatabase(config: { databaseUrl?: string; dataDir: string }): Promise<Db> {
  if (config.databaseUrl) return PostgresDb.connect(config.databaseUrl);
  return PgliteDb.open(config.dataDir);
}
