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
  | VictimsCaseAction
  // Suspect linkage (issue 5): defined at the end of the file
  | LinkageCaseAction;

export type GlobalAction = 'case:create' | 'case:list' | 'audit:read' | 'reference:update' | 'reference:read' | 'ea:triage' | 'ea:allocate' | VictimsGlobalAction | LinkageGlobalAction | ProgrammeGlobalAction | 'api:manage-clients';

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

const POLICE_CASE_WORK: readonly CaseAction[] = ['ea:request', 'loe:update', 'conference:record', 'charging:submit-file', 'outcome:record-police', 'vrr:record', ...linkageActions()];
const ROLE_CASE_ACTIONS: Partial<Record<Role, readonly CaseAction[]>> = {
  investigator: ['case:read', 'case:update', 'victim:read-identity', 'victim:update', 'suspect:update', 'witness:update', 'timeline:add', ...POLICE_CASE_WORK, ...victimCareActions('isva-consent:record')],
  police_supervisor: ['case:read', 'case:update', 'case:manage-team', 'victim:read-identity', 'victim:update', 'suspect:update', 'witness:update', 'timeline:add', ...POLICE_CASE_WORK, ...victimCareActions('isva-consent:record')],
  prosecutor: ['case:read', 'victim:read-identity', 'timeline:add', 'ea:advise', 'loe:update', 'conference:record', 'charging:decide', 'vrr:record', ...victimCareActions('isva-consent:record', 'trial:record-plea')],
  district_crown_prosecutor: ['case:read', 'case:manage-team', 'victim:read-identity', 'timeline:add', 'ea:advise', 'ea:approve-action-plan', 'loe:update', 'conference:record', 'charging:decide', 'vrr:record', ...victimCareActions('isva-consent:record', 'trial:record-plea', 'vlo:assign')],
  paralegal: ['case:read', 'timeline:add', 'loe:update', ...victimCareActions('vlo:assign')],
  vlo: ['case:read', 'victim:read-identity', 'timeline:add', ...victimCareActions('isva-consent:record', 'vlo:assign')],
};

const ROLE_GLOBAL_ACTIONS: Partial<Record<Role, readonly GlobalAction[]>> = {
  investigator: ['case:create', 'case:list', 'linkage:sharing-requests'],
  police_supervisor: ['case:create', 'case:list', 'victims:dashboard', 'linkage:sharing-requests'],
  prosecutor: ['case:list', 'ea:triage', 'isva:inbox'],
  district_crown_prosecutor: ['case:list', 'ea:triage', 'ea:allocate', 'isva:inbox', 'vlo:worklist', 'victims:dashboard'],
  paralegal: ['case:list', 'ea:triage', 'ea:allocate', 'isva:inbox'],
  vlo: ['case:list', 'isva:inbox', 'vlo:worklist'],
  isva: ['isva:mailbox'],
  admin: ['audit:read', 'reference:update', 'reference:read', 'api:manage-clients'],
  national_lead: ['reference:read', 'victims:dashboard', 'programme:read', 'programme:manage', 'programme:record-training'],
  analyst: ['reference:read', 'programme:read', 'programme:record-training'],
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

// ---- Suspect linkage (issue 5) ------------------------------------------------------------------------------------

export type LinkageCaseAction = 'linkage:read' | 'linkage:review' | 'linkage:request-sharing' | 'mo:update';
export type LinkageGlobalAction = 'linkage:sharing-requests';

/** Police case work on the owning force's case: see its linkage alerts, confirm/reject links, ask to share, record the MO. */
function linkageActions(): LinkageCaseAction[] {
  return ['linkage:read', 'linkage:review', 'linkage:request-sharing', 'mo:update'];
}

/** What the policy needs to know about an information-sharing request between two forces' cases. */
export interface SharingRequestFacts {
  requestingForceId: string;
  targetForceId: string;
  status: 'pending' | 'approved' | 'refused';
}

/**
 * Another force's case found by linkage: until the force that holds it approves a sharing request, only its existence,
 * force, year and stage may be shown ('existence'); after approval, the shared case summary ('shared'). Own-force
 * cases are read through the case file's own policy, not here.
 */
export function linkedCaseView(principal: Principal, otherForceId: string, request: SharingRequestFacts | null | undefined): 'existence' | 'shared' {
  if (!request || request.status !== 'approved') return 'existence';
  return principal.organisation.kind === 'force' && principal.organisation.forceId === request.requestingForceId ? 'shared' : 'existence';
}

/** Only police investigators and supervisors of the force holding the case decide a request to share it. */
export function decideSharingRequest(principal: Principal, request: SharingRequestFacts): Decision {
  const org = principal.organisation;
  if (org.kind !== 'force' || org.forceId !== request.targetForceId) return { allowed: false, status: 404, reason: 'request is for another force' };
  if (!can(principal, 'linkage:sharing-requests')) return { allowed: false, status: 403, reason: 'role does not permit deciding sharing requests' };
  return { allowed: true, basis: 'holding-force' };
}

// ---- The programme (issue 8) --------------------------------------------------------------------------------------

/**
 * Plan-level work, not case work: national leads manage commitments, pilots and case studies; performance analysts
 * and national leads record training completions; both read everything in the programme.
 */
export type ProgrammeGlobalAction = 'programme:read' | 'programme:manage' | 'programme:record-training';

// ---- Performance data (issue 7) ------------------------------------------------------------------------------------

/** Whose performance detail a principal may see; national totals are shown to everyone with any scope. */
export type PerformanceScope = { level: 'national' } | { level: 'area'; areaId: string } | { level: 'force'; forceId: string };

/**
 * National leads and analysts see every Area and force; a force's supervisors see their own force; a RASSO unit's
 * District Crown Prosecutors see their Area (and its forces' cases in that Area). Anyone else has no performance view.
 */
export function performanceScope(principal: Principal): PerformanceScope | null {
  if (principal.roles.includes('national_lead') || principal.roles.includes('analyst')) return { level: 'national' };
  const org = principal.organisation;
  if (org.kind === 'force' && org.forceId && principal.roles.includes('police_supervisor')) return { level: 'force', forceId: org.forceId };
  if (org.kind === 'rasso_unit' && org.cpsAreaId && principal.roles.includes('district_crown_prosecutor')) return { level: 'area', areaId: org.cpsAreaId };
  return null;
}

// ---- Scrutiny panels and JOIMs (issue 6) --------------------------------------------------------------------------

export type ScrutinyAction = 'scrutiny:coordinate' | 'scrutiny:review' | 'scrutiny:learning' | 'joim:manage';

/**
 * Police supervisors and District Crown Prosecutors coordinate their force's / Area's panel (select cases, check and
 * release packs, record meetings) and hold JOIMs; panel members review released packs; national leads and analysts
 * see theme counts across panels (never pack text).
 */
const SCRUTINY_ROLE_ACTIONS: Partial<Record<Role, readonly ScrutinyAction[]>> = {
  police_supervisor: ['scrutiny:coordinate', 'scrutiny:review', 'scrutiny:learning', 'joim:manage'],
  district_crown_prosecutor: ['scrutiny:coordinate', 'scrutiny:review', 'scrutiny:learning', 'joim:manage'],
  investigator: ['scrutiny:review'],
  prosecutor: ['scrutiny:review'],
  panel_member: ['scrutiny:review'],
  national_lead: ['scrutiny:learning'],
  analyst: ['scrutiny:learning'],
};

export function canScrutiny(principal: Principal, action: ScrutinyAction): boolean {
  return principal.roles.some((r) => SCRUTINY_ROLE_ACTIONS[r]?.includes(action));
}

/** An external (community or voluntary sector) panel member: the panel-member role and nothing else. */
export function isExternalPanelMember(principal: Principal): boolean {
  return principal.roles.length > 0 && principal.roles.every((r) => r === 'panel_member');
}

export interface PanelFacts { panelId: string; forceId: string; cpsAreaId: string; memberUserIds: readonly string[] }
export type PanelAction = 'panel:coordinate' | 'panel:review';

/**
 * Access to one panel. Coordinators: police supervisors of the panel's force and District Crown Prosecutors of its
 * Area. Reviewers: the panel's members. Anyone else is told the panel does not exist (404). Panel access never
 * grants access to a case: members see redacted packs only (`decide` gives them no relationship to any case).
 */
export function decidePanel(principal: Principal, panel: PanelFacts, action: PanelAction): Decision {
  const org = principal.organisation;
  const coordinator = canScrutiny(principal, 'scrutiny:coordinate')
    && ((org.kind === 'force' && org.forceId === panel.forceId && principal.roles.includes('police_supervisor'))
      || (org.kind === 'rasso_unit' && org.cpsAreaId === panel.cpsAreaId && principal.roles.includes('district_crown_prosecutor')));
  if (coordinator) return { allowed: true, basis: 'coordinator' };
  const member = panel.memberUserIds.includes(principal.userId) && canScrutiny(principal, 'scrutiny:review');
  if (!member) return { allowed: false, status: 404, reason: 'not on the panel' };
  if (action === 'panel:coordinate') return { allowed: false, status: 403, reason: 'panel members do not coordinate the panel' };
  return { allowed: true, basis: isExternalPanelMember(principal) ? 'external-member' : 'member' };
}
