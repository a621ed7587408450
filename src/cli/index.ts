import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '../config.ts';
import { DataDirLockedError, openDatabase } from '../db/database.ts';
import { migrate } from '../db/migrate.ts';
import { KeyRingMismatchError } from '../platform/key-check.ts';

const HELP = `Usage: tandem <command> [options]

Commands:
  serve [--demo] [--port N] [--workers N|auto]
                                     Start the web service (--demo loads demo users and synthetic cases on first start;
                                     --workers runs N processes on PostgreSQL, auto = one per core)
  migrate                            Apply database migrations
  seed --cases N [--seed S] [--until YYYY-MM-DD] [--demo-users]
                                     Generate a deterministic synthetic national picture
  link --in FILE.csv --out clusters.csv [--map field=column ...] [--threshold P]
                                     Link person records into persons; writes record_id,cluster_id per row
  redact --in notes.jsonl --out redacted.jsonl
                                     Redact names and identifiers in {id, text, known} lines with the scrutiny redactor
  publish --quarter 2024Q2 --out DIR [--commentary TEXT] [--change-note TEXT]
                                     Release the quarter's public statistics (disclosure-controlled CSV + ODS)
  audit-verify                       Walk the audit hash chain; exit 1 and name the first broken row if altered
  backup --out FILE [--format auto|logical|pg_dump]
                                     Copy the whole database to FILE (pg_dump archive on PostgreSQL when available)
  restore --in FILE [--force]        Restore a backup into a fresh database, then verify every table and the audit chain
  totp [--secret S]                  Print the current TOTP code for the demo secret (demo only)
  build-assets                       Compile styles and scripts into public/build

Environment: DATABASE_URL (PostgreSQL; otherwise embedded PGlite in TANDEM_DATA_DIR, default ./data), PORT,
TANDEM_ENCRYPTION_KEYS, TANDEM_SESSION_SECRET (both required when NODE_ENV=production).`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'serve':
      return (await import('./serve.ts')).serve(rest);
    case 'migrate': {
      const db = await openDatabase(loadConfig());
      try {
        const applied = await migrate(db, (m) => console.log(m));
        console.log(applied.length ? `applied ${applied.length} migration(s)` : 'database is up to date');
      } finally {
        await db.close();
      }
      return 0;
    }
    case 'seed':
      return (await import('./seed.ts')).seedCommand(rest);
    case 'audit-verify':
      return (await import('./audit-verify.ts')).auditVerify();
    case 'publish':
      return (await import('../performance/cli.ts')).publishCommand(rest);
    case 'link':
      return (await import('../linkage/cli.ts')).linkCommand(rest);
    case 'backup':
      return (await import('../ops/cli.ts')).backupCommand(rest);
    case 'restore':
      return (await import('../ops/cli.ts')).restoreCommand(rest);
    case 'redact':
      return (await import('../scrutiny/cli.ts')).redactCommand(rest);
    case 'totp': {
      const { values } = parseArgs({ args: rest, options: { secret: { type: 'string' } } });
      const { DEMO_TOTP_SECRET } = await import('../synthetic/demo-users.ts');
      const { totpCode } = await import('../platform/auth/totp.ts');
      console.log(totpCode(values.secret ?? DEMO_TOTP_SECRET, new Date()));
      return 0;
    }
    case 'build-assets': {
      const { buildAssets } = await import('../platform/assets/build.ts');
      console.log(JSON.stringify(buildAssets({ force: true })));
      return 0;
    }
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      console.log(HELP);
      return command ? 0 : 1;
    default:
      console.error(`Unknown command "${command}".\n\n${HELP}`);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code !== -1) process.exit(code);
  },
  (err: unknown) => {
    if (err instanceof DataDirLockedError || err instanceof ConfigError || err instanceof KeyRingMismatchError) {
      console.error(`tandem: ${err.message}`);
      process.exit(1);
    }
    console.error(err);
    process.exit(1);
  },
);
