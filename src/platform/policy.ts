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
  | 'vrr:record';

export type GlobalAction = 'case:create' | 'case:list' | 'audit:read' | 'reference:update' | 'reference:read' | 'ea:triage' | 'ea:allocate';

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
  investigator: ['case:read', 'case:update', 'victim:read-identity', 'victim:update', 'suspect:update', 'witness:update', 'timeline:add', ...POLICE_CASE_WORK],
  police_supervisor: ['case:read', 'case:update', 'case:manage-team', 'victim:read-identity', 'victim:update', 'suspect:update', 'witness:update', 'timeline:add', ...POLICE_CASE_WORK],
  prosecutor: ['case:read', 'victim:read-identity', 'timeline:add', 'ea:advise', 'loe:update', 'conference:record', 'charging:decide', 'vrr:record'],
  district_crown_prosecutor: ['case:read', 'case:manage-team', 'victim:read-identity', 'timeline:add', 'ea:advise', 'ea:approve-action-plan', 'loe:update', 'conference:record', 'charging:decide', 'vrr:record'],
  paralegal: ['case:read', 'timeline:add', 'loe:update'],
  vlo: ['case:read', 'victim:read-identity', 'timeline:add'],
};

const ROLE_GLOBAL_ACTIONS: Partial<Record<Role, readonly GlobalAction[]>> = {
  investigator: ['case:create', 'case:list'],
  police_supervisor: ['case:create', 'case:list'],
  prosecutor: ['case:list', 'ea:triage'],
  district_crown_prosecutor: ['case:list', 'ea:triage', 'ea:allocate'],
  paralegal: ['case:list', 'ea:triage', 'ea:allocate'],
  vlo: ['case:list'],
  admin: ['audit:read', 'reference:update', 'reference:read'],
  national_lead: ['reference:read'],
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
