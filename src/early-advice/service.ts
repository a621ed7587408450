import type { Db } from '../db/database.ts';
import type { AuditLog } from '../platform/audit.ts';
import type { Clock } from '../platform/clock.ts';
import type { CaseService } from '../cases/service.ts';

/** Early Advice requests, conversations, lines of enquiry, action plans and case conferences. */
export class EarlyAdviceService {
  constructor(
    readonly db: Db,
    readonly audit: AuditLog,
    readonly clock: Clock,
    readonly cases: CaseService,
  ) {}

  /** Whether any Early Advice has been given on the case (charging asks this before a police NFA). */
  async hasEarlyAdvice(_caseId: string): Promise<boolean> {
    return false;
  }
}
