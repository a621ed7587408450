import type { Config } from './config.ts';
import type { Db } from './db/database.ts';
import { AuditLog } from './platform/audit.ts';
import { AuthService } from './platform/auth/service.ts';
import { type Clock, systemClock } from './platform/clock.ts';
import { FieldCipher } from './platform/crypto.ts';
import { IdentityRepository } from './platform/identity.ts';
import { SessionStore } from './platform/sessions.ts';
import { CaseService } from './cases/service.ts';
import { ReferenceService } from './reference/service.ts';
import { WorkingDayCalendar } from './platform/calendar.ts';
import type { JobHandler } from './platform/jobs.ts';
import { EarlyAdviceService } from './early-advice/service.ts';
import { earlyAdviceJobHandlers } from './early-advice/jobs.ts';
import { ChargingService } from './charging/service.ts';
import { VictimService } from './victims/service.ts';
import { ScrutinyService } from './scrutiny/service.ts';
import { JoimService } from './scrutiny/joims.ts';
import { PerformanceService } from './performance/service.ts';
import { ProgrammeService } from './programme/service.ts';
import { scrutinyRedactor } from './programme/scrutiny-redactor.ts';
import { LinkageService } from './linkage/service.ts';

/** The service graph: repositories(db) → services(repos, clock, audit) → app(services). Tests build the same graph over PGlite. */
export interface Services {
  db: Db;
  clock: Clock;
  cipher: FieldCipher;
  audit: AuditLog;
  sessions: SessionStore;
  identity: IdentityRepository;
  auth: AuthService;
  reference: ReferenceService;
  cases: CaseService;
  earlyAdvice: EarlyAdviceService;
  charging: ChargingService;
  victims: VictimService;
  scrutiny: ScrutinyService;
  joims: JoimService;
  performance: PerformanceService;
  programme: ProgrammeService;
  linkage: LinkageService;
  /** England & Wales working days (bank holidays from reference data), loaded once. */
  calendar(): Promise<WorkingDayCalendar>;
  /** Background job handlers by kind; capabilities add theirs here. */
  jobHandlers: Record<string, JobHandler>;
}

export function createServices(db: Db, config: Config, clock: Clock = systemClock): Services {
  const cipher = new FieldCipher(config.encryptionKeys);
  const audit = new AuditLog(db, clock);
  const sessions = new SessionStore(db, clock, config.idleTimeoutSeconds, config.absoluteTimeoutSeconds);
  const identity = new IdentityRepository(db);
  const reference = new ReferenceService(db, audit);
  const cases = new CaseService(db, cipher, audit, clock, reference);
  let calendar: Promise<WorkingDayCalendar> | undefined;
  // Before charging, so decisions can call victims.recordDutyEvent inside their own transaction.
  const victims = new VictimService(db, cipher, audit, clock, cases, reference, () => (calendar ??= WorkingDayCalendar.load(db)));
  const earlyAdvice = new EarlyAdviceService(db, audit, clock, cases, () => (calendar ??= WorkingDayCalendar.load(db)));
  const charging = new ChargingService(db, audit, clock, cases, earlyAdvice, reference, () => (calendar ??= WorkingDayCalendar.load(db)));
  // Charges, NFAs, pleas and court outcomes start the victims' Code clocks, in the charging transaction.
  charging.subscribe((tx, event) => victims.onChargingEvent(tx, event));
  // A suspect recorded or changed is checked against every person on record (after the change commits).
  const linkage = new LinkageService(db, audit, clock, cases);
  linkage.attach();
  // Dashboards and the publication read summary tables that a scheduled job keeps up to date.
  const performance = new PerformanceService(db, audit, clock, reference);
  return {
    performance,
    victims, linkage,
    scrutiny: new ScrutinyService(db, audit, clock, cases, earlyAdvice, reference),
    joims: new JoimService(db, audit, clock, reference),
    db, clock, cipher, audit, sessions, identity, reference, cases, earlyAdvice, charging,
    // Case studies are stored only after redaction, by the scrutiny capability's redactor.
    programme: new ProgrammeService(db, audit, clock, cases, reference, scrutinyRedactor),
    auth: new AuthService(db, sessions, cipher, audit, clock),
    calendar: () => (calendar ??= WorkingDayCalendar.load(db)),
    jobHandlers: { ...earlyAdviceJobHandlers(clock), ...charging.jobHandlers(), ...victims.jobHandlers, ...performance.jobHandlers },
  };
}
