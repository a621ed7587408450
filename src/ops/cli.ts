import { parseArgs } from 'node:util';
import { loadConfig } from '../config.ts';
import { openDatabase } from '../db/database.ts';
import { AuditLog } from '../platform/audit.ts';
import { systemClock } from '../platform/clock.ts';
import { backup, restore, RestoreError } from './backup.ts';

/** `tandem backup --out FILE [--format auto|logical|pg_dump]` */
export async function backupCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { out: { type: 'string' }, format: { type: 'string', default: 'auto' } } });
  if (!values.out) {
    console.error('tandem backup: --out FILE is required');
    return 2;
  }
  if (!['auto', 'logical', 'pg_dump'].includes(values.format!)) {
    console.error('tandem backup: --format must be auto, logical or pg_dump');
    return 2;
  }
  const config = loadConfig();
  const db = await openDatabase(config);
  try {
    const started = performance.now();
    const r = await backup(db, values.out, { format: values.format as 'auto', databaseUrl: config.databaseUrl });
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    console.log(`backup written: ${r.file} (${r.format}, ${r.tables} tables, ${r.rows} rows, ${(r.bytes / 1024 / 1024).toFixed(1)} MiB, ${seconds}s)`);
    return 0;
  } finally {
    await db.close();
  }
}

/** `tandem restore --in FILE [--force]`: into a fresh database; verifies the copy and the audit chain afterwards. */
export async function restoreCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { in: { type: 'string' }, force: { type: 'boolean', default: false } } });
  if (!values.in) {
    console.error('tandem restore: --in FILE is required');
    return 2;
  }
  const config = loadConfig();
  const db = await openDatabase(config);
  try {
    const r = await restore(db, values.in, { force: values.force, databaseUrl: config.databaseUrl });
    if (r.mismatches.length) {
      console.error(`restore FAILED verification: ${r.mismatches.length} table(s) differ from the backup: ${r.mismatches.join(', ')}`);
      return 1;
    }
    console.log(`restored ${r.tables} tables, ${r.rows} rows from ${values.in} (${r.format})${r.format === 'logical' ? '; every table matches the backup\'s row count and checksum' : ''}`);
    const audit = await new AuditLog(db, systemClock).verify();
    if (!audit.ok) {
      console.error(`audit log BROKEN after restore at row seq=${audit.seq}: ${audit.reason}`);
      return 1;
    }
    console.log(`audit log intact: ${audit.checked} rows verified`);
    return 0;
  } catch (err) {
    if (err instanceof RestoreError) {
      console.error(`tandem restore: ${err.message}`);
      return 1;
    }
    throw err;
  } finally {
    await db.close();
  }
}
