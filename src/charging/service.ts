import type { Db } from '../db/database.ts';
import type { AuditLog } from '../platform/audit.ts';
import type { Clock } from '../platform/clock.ts';
import type { CaseService } from '../cases/service.ts';
import type { EarlyAdviceService } from '../early-advice/service.ts';

/** Full file submission, CPS charging decisions, police outcomes, NFA and Victims' Right to Review. */
export class ChargingService {
  constructor(
    readonly db: Db,
    readonly audit: AuditLog,
    readonly clock: Clock,
    readonly cases: CaseService,
    readonly earlyAdvice: EarlyAdviceService,
  ) {}
}
