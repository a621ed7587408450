import { describe, expect, it } from 'vitest';
import { can, decide, type CaseAccessFacts } from './policy.ts';
import type { Principal, Role } from './principal.ts';

const principal = (roles: Role[], org: Partial<Principal['organisation']> & { kind: Principal['organisation']['kind'] }, userId = 'u1'): Principal => ({
  userId, username: userId, displayName: userId, roles,
  organisation: { id: 'o', name: 'org', forceId: null, cpsAreaId: null, ...org },
});

const hantsCase = (over: Partial<CaseAccessFacts> = {}): CaseAccessFacts => ({
  caseId: 'c1', forceId: 'hampshire-and-isle-of-wight', cpsAreaId: 'wessex', referred: false, teamUserIds: [], ...over,
});

describe('policy: role × organisational scope × relationship', () => {
  const hantsInvestigator = principal(['investigator'], { kind: 'force', forceId: 'hampshire-and-isle-of-wight' });
  const kentInvestigator = principal(['investigator'], { kind: 'force', forceId: 'kent' });
  const wessexProsecutor = principal(['prosecutor'], { kind: 'rasso_unit', cpsAreaId: 'wessex' });
  const wessexParalegal = principal(['paralegal'], { kind: 'rasso_unit', cpsAreaId: 'wessex' });

  it('lets police of the owning force read and update, and hides the case from other forces (404)', () => {
    expect(decide(hantsInvestigator, 'case:update', hantsCase())).toMatchObject({ allowed: true, basis: 'owning-force' });
    expect(decide(kentInvestigator, 'case:read', hantsCase())).toMatchObject({ allowed: false, status: 404 });
  });

  it('opens the case to the mapped CPS Area only once referred', () => {
    expect(decide(wessexProsecutor, 'case:read', hantsCase())).toMatchObject({ allowed: false, status: 404 });
    expect(decide(wessexProsecutor, 'case:read', hantsCase({ referred: true }))).toMatchObject({ allowed: true, basis: 'cps-area' });
    expect(decide(wessexProsecutor, 'case:read', hantsCase({ referred: true, cpsAreaId: 'south-east' }))).toMatchObject({ allowed: false, status: 404 });
  });

  it('gives CPS staff no right to change the police record (403, they know it exists)', () => {
    expect(decide(wessexProsecutor, 'victim:update', hantsCase({ referred: true }))).toMatchObject({ allowed: false, status: 403 });
    expect(decide(wessexParalegal, 'victim:read-identity', hantsCase({ referred: true }))).toMatchObject({ allowed: false, status: 403 });
  });

  it('grants a case team member from elsewhere only the rights of their own side', () => {
    const kentOnTeam = principal(['investigator'], { kind: 'force', forceId: 'kent' }, 'kent1');
    expect(decide(kentOnTeam, 'case:read', hantsCase({ teamUserIds: ['kent1'] }))).toMatchObject({ allowed: true, basis: 'team' });
    const isva = principal(['isva'], { kind: 'isva_service' }, 'isva1');
    expect(decide(isva, 'case:read', hantsCase({ teamUserIds: ['isva1'] }))).toMatchObject({ allowed: false, status: 403 });
  });

  it('keeps administrators, analysts and panel members out of case records', () => {
    for (const roles of [['admin'], ['analyst'], ['national_lead'], ['panel_member']] as Role[][]) {
      expect(decide(principal(roles, { kind: 'national' }), 'case:read', hantsCase({ referred: true })).allowed).toBe(false);
    }
    expect(can(principal(['admin'], { kind: 'national' }), 'audit:read')).toBe(true);
    expect(can(hantsInvestigator, 'audit:read')).toBe(false);
  });
});
