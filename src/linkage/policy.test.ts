import { describe, expect, it } from 'vitest';
import { can, decide, decideSharingRequest, linkedCaseView, type CaseAccessFacts, type SharingRequestFacts } from '../platform/policy.ts';
import type { Principal, Role } from '../platform/principal.ts';

const principal = (roles: Role[], org: Partial<Principal['organisation']> & { kind: Principal['organisation']['kind'] }): Principal => ({
  userId: 'u1', username: 'u1', displayName: 'u1', roles, organisation: { id: 'o', name: 'org', forceId: null, cpsAreaId: null, ...org },
});
const hantsInvestigator = principal(['investigator'], { kind: 'force', forceId: 'hampshire' });
const kentInvestigator = principal(['investigator'], { kind: 'force', forceId: 'kent' });
const kentSupervisor = principal(['police_supervisor'], { kind: 'force', forceId: 'kent' });
const kentAnalyst = principal(['analyst'], { kind: 'force', forceId: 'kent' });
const prosecutor = principal(['prosecutor'], { kind: 'rasso_unit', cpsAreaId: 'wessex' });
const request = (status: SharingRequestFacts['status']): SharingRequestFacts => ({ requestingForceId: 'hampshire', targetForceId: 'kent', status });
const hantsCase: CaseAccessFacts = { caseId: 'c1', forceId: 'hampshire', cpsAreaId: 'wessex', referred: true, teamUserIds: [] };

describe('policy: suspect linkage', () => {
  it('gives police of the owning force the linkage actions on their case, and nobody else', () => {
    for (const a of ['linkage:read', 'linkage:review', 'linkage:request-sharing', 'mo:update'] as const) {
      expect(decide(hantsInvestigator, a, hantsCase).allowed).toBe(true);
      expect(decide(kentInvestigator, a, hantsCase)).toMatchObject({ allowed: false, status: 404 });
      expect(decide(prosecutor, a, hantsCase)).toMatchObject({ allowed: false, status: 403 });
    }
  });

  it('shows another force’s case as existence only until the holding force approves, and then only to the requesting force', () => {
    expect(linkedCaseView(hantsInvestigator, 'kent', null)).toBe('existence');
    expect(linkedCaseView(hantsInvestigator, 'kent', request('pending'))).toBe('existence');
    expect(linkedCaseView(hantsInvestigator, 'kent', request('refused'))).toBe('existence');
    expect(linkedCaseView(hantsInvestigator, 'kent', request('approved'))).toBe('shared');
    expect(linkedCaseView(principal(['investigator'], { kind: 'force', forceId: 'essex' }), 'kent', request('approved'))).toBe('existence');
  });

  it('lets only investigators and supervisors of the holding force decide a request', () => {
    expect(decideSharingRequest(kentInvestigator, request('pending')).allowed).toBe(true);
    expect(decideSharingRequest(kentSupervisor, request('pending')).allowed).toBe(true);
    expect(decideSharingRequest(kentAnalyst, request('pending'))).toMatchObject({ allowed: false, status: 403 });
    expect(decideSharingRequest(hantsInvestigator, request('pending'))).toMatchObject({ allowed: false, status: 404 });
    expect(decideSharingRequest(prosecutor, request('pending'))).toMatchObject({ allowed: false, status: 404 });
    expect(can(kentSupervisor, 'linkage:sharing-requests')).toBe(true);
    expect(can(prosecutor, 'linkage:sharing-requests')).toBe(false);
  });
});
