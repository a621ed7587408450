import { CPS_ROLES, POLICE_ROLES, type Principal, type Role } from './principal.ts';

/**
 * The one place that decides access. Access = role permission × organisational scope × relationship to the case.
 * Routes call `decide` (or the helpers on the request) and never make their own checks; every case decision is
 * audited by the caller through `Guard`.
 */
export type CaseAction =
  | 'case:read'
  | 'case:update'
  | 'case:manage-team'
  | 'victim:read-identity'
  | 'victim:update'
  | 'suspect:update'
  | 'witness:update'
  | 'timeline:add'
  // Early Advice and conferences (issue 3)
  | 'ea:request'
  | 'ea:advise'
  | 'ea:approve-action-plan'
  | 'loe:update'
  | 'conference:record'
  // Charging and outcomes (issue 3)
  | 'charging:submit-file'
  | 'charging:decide'
  | 'outcome:record-police'
  | 'vrr:record'
  // Victim care (issue 4): defined at the end of the file
  | VictimsCaseAction;

export type GlobalAction = 'case:create' | 'case:list' | 'audit:read' | 'reference:update' | 'reference:read' | 'ea:triage' | 'ea:allocate' | VictimsGlobalAction;

/** What the policy needs to know about a case: no identity, only ownership and relationships. */
export interface CaseAccessFacts {
  caseId: string;
  forceId: string;
  cpsAreaId: string;
  referred: boolean;
  teamUserIds: readonly string[];
}

export type Decision =
  | { allowed: true; basis: string }
  | { allowed: false; status: 403 | 404; reason: string };

const POLICE_CASE_WORK: readonly CaseAction[] = ['ea:request', 'loe:update', 'conference:record', 'charging:submit-file', 'outcome:record-police', 'vrr:record'];
const ROLE_CASE_ACTIONS: Partial<Record<Role, readonly CaseAction[]>> = {
  investigator: ['case:read', 'case:update', 'victim:read-identity', 'victim:update', 'suspect:update', 'witness:update', 'timeline:add', ...POLICE_CASE_WORK, ...victimCareActions('isva-consent:record')],
  police_supervisor: ['case:read', 'case:update', 'case:manage-team', 'victim:read-identity', 'victim:update', 'suspect:update', 'witness:update', 'timeline:add', ...POLICE_CASE_WORK, ...victimCareActions('isva-consent:record')],
  prosecutor: ['case:read', 'victim:read-identity', 'timeline:add', 'ea:advise', 'loe:update', 'conference:record', 'charging:decide', 'vrr:record', ...victimCareActions('isva-consent:record', 'trial:record-plea')],
  district_crown_prosecutor: ['case:read', 'case:manage-team', 'victim:read-identity', 'timeline:add', 'ea:advise', 'ea:approve-action-plan', 'loe:update', 'conference:record', 'charging:decide', 'vrr:record', ...victimCareActions('isva-consent:record', 'trial:record-plea', 'vlo:assign')],
  paralegal: ['case:read', 'timeline:add', 'loe:update', ...victimCareActions('vlo:assign')],
  vlo: ['case:read', 'victim:read-identity', 'timeline:add', ...victimCareActions('isva-consent:record', 'vlo:assign')],
};

const ROLE_GLOBAL_ACTIONS: Partial<Record<Role, readonly GlobalAction[]>> = {
  investigator: ['case:create', 'case:list'],
  police_supervisor: ['case:create', 'case:list', 'victims:dashboard'],
  prosecutor: ['case:list', 'ea:triage', 'isva:inbox'],
  district_crown_prosecutor: ['case:list', 'ea:triage', 'ea:allocate', 'isva:inbox', 'vlo:worklist', 'victims:dashboard'],
  paralegal: ['case:list', 'ea:triage', 'ea:allocate', 'isva:inbox'],
  vlo: ['case:list', 'isva:inbox', 'vlo:worklist'],
  isva: ['isva:mailbox'],
  admin: ['audit:read', 'reference:update', 'reference:read'],
  national_lead: ['reference:read', 'victims:dashboard'],
  analyst: ['reference:read'],
};

export function can(principal: Principal, action: GlobalAction): boolean {
  return principal.roles.some((r) => ROLE_GLOBAL_ACTIONS[r]?.includes(action));
}

/** How the principal relates to the case, if at all. Out of every relationship, the case's existence is hidden (404). */
export function relationship(principal: Principal, facts: CaseAccessFacts): 'team' | 'owning-force' | 'cps-area' | null {
  if (facts.teamUserIds.includes(principal.userId)) return 'team';
  const org = principal.organisation;
  if (org.kind === 'force' && org.forceId === facts.forceId && principal.roles.some((r) => POLICE_ROLES.includes(r))) return 'owning-force';
  if (org.kind === 'rasso_unit' && facts.referred && org.cpsAreaId === facts.cpsAreaId && principal.roles.some((r) => CPS_ROLES.includes(r))) return 'cps-area';
  return null;
}

export function decide(principal: Principal, action: CaseAction, facts: CaseAccessFacts): Decision {
  const rel = relationship(principal, facts);
  if (!rel) return { allowed: false, status: 404, reason: 'no relationship to the case' };
  // Police roles act for the owning force and CPS roles for the Area; a team member from elsewhere keeps the rights
  // of the roles that fit their side of the case.
  const side = principal.organisation.kind === 'force' ? POLICE_ROLES : principal.organisation.kind === 'rasso_unit' ? CPS_ROLES : [];
  const granted = principal.roles.some((r) => side.includes(r) && ROLE_CASE_ACTIONS[r]?.includes(action));
  if (!granted) return { allowed: false, status: 403, reason: `role does not permit ${action}` };
  return { allowed: true, basis: rel };
}

// ---- Victim care (issue 4) ----------------------------------------------------------------------------------------

export type VictimsCaseAction = 'victim-care:read' | 'victim-care:record' | 'isva-consent:record' | 'vlo:assign' | 'trial:record-plea';
export type VictimsGlobalAction = 'isva:mailbox' | 'isva:inbox' | 'vlo:worklist' | 'victims:dashboard';

/** Every police and CPS case role reads and records victim care (contacts, Code events, special measures, meetings). */
function victimCareActions(...extra: VictimsCaseAction[]): VictimsCaseAction[] {
  return ['victim-care:read', 'victim-care:record', ...extra];
}

/** What an ISVA may be shown, by the victim's consent. */
export const ISVA_SCOPES = ['identity', 'key_dates', 'decisions', 'meetings', 'special_measures', 'contact_log'] as const;
export type IsvaScope = (typeof ISVA_SCOPES)[number];

/** One consent record as the policy needs it: whose, from which ISVA service, what scope, and whether revoked. */
export interface IsvaConsentFacts {
  isvaUserId: string;
  isvaOrganisationId: string;
  scope: readonly string[];
  revokedAt: Date | null;
}

/**
 * An ISVA's access to one victim comes only from the victim's recorded, unrevoked consent naming that ISVA (as a
 * user, in the ISVA service they belonged to when consent was given). No consent, or a revoked one, and the victim's
 * existence is withheld (404); a part of the record outside the consent's scope is refused (403). ISVAs never get
 * case actions: `decide` gives them no relationship to any case.
 */
export function decideIsva(principal: Principal, consent: IsvaConsentFacts | null | undefined, need?: IsvaScope): Decision {
  if (!principal.roles.includes('isva') || principal.organisation.kind !== 'isva_service') return { allowed: false, status: 404, reason: 'not an ISVA' };
  if (!consent) return { allowed: false, status: 404, reason: 'no consent' };
  if (consent.isvaUserId !== principal.userId) return { allowed: false, status: 404, reason: 'consent names another ISVA' };
  if (consent.isvaOrganisationId !== principal.organisation.id) return { allowed: false, status: 404, reason: 'consent was given to another ISVA service' };
  if (consent.revokedAt) return { allowed: false, status: 404, reason: 'consent revoked' };
  if (need && !consent.scope.includes(need)) return { allowed: false, status: 403, reason: `consent does not cover ${need}` };
  return { allowed: true, basis: 'isva-consent' };
}
