import { loadConfig } from '../config.ts';
import { openDatabase } from '../db/database.ts';
import { AuditLog } from '../platform/audit.ts';
import { systemClock } from '../platform/clock.ts';

/** `tandem audit-verify`: exit 0 when the chain is intact, otherwise name the first broken row and exit 1. */
export async function auditVerify(): Promise<number> {
  const db = await openDatabase(loadConfig());
  try {
    const result = await new AuditLog(db, systemClock).verify((n) => process.stderr.write(`\rchecked ${n} rows`));
    process.stderr.write('\n');
    if (result.ok) {
      console.log(`audit log intact: ${result.checked} rows verified`);
      return 0;
    }
    console.error(`audit log BROKEN at row seq=${result.seq}: ${result.reason} (${result.checked} rows before it verified)`);
    return 1;
  } finally {
    await db.close();
  }
}
