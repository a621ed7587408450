import { describe, expect, it } from 'vitest';
import { can, decide, decideIsva, type IsvaConsentFacts } from '../platform/policy.ts';
import type { Principal, Role } from '../platform/principal.ts';

const principal = (roles: Role[], org: Partial<Principal['organisation']> & { kind: Principal['organisation']['kind'] }, userId = 'isva1'): Principal => ({
  userId, username: userId, displayName: userId, roles, organisation: { id: 'isva-a', name: 'org', forceId: null, cpsAreaId: null, ...org },
});
const consent = (over: Partial<IsvaConsentFacts> = {}): IsvaConsentFacts => ({ isvaUserId: 'isva1', isvaOrganisationId: 'isva-a', scope: ['key_dates', 'contact_log'], revokedAt: null, ...over });

describe('policy: ISVA access only through the victim’s consent', () => {
  const isva = principal(['isva'], { kind: 'isva_service' });

  it('allows the named ISVA while consent stands, and only for what it covers', () => {
    expect(decideIsva(isva, consent())).toMatchObject({ allowed: true, basis: 'isva-consent' });
    expect(decideIsva(isva, consent(), 'contact_log')).toMatchObject({ allowed: true });
    expect(decideIsva(isva, consent(), 'identity')).toMatchObject({ allowed: false, status: 403 });
  });

  it('withholds the victim (404) without consent, after revocation, from another ISVA or another service', () => {
    expect(decideIsva(isva, null)).toMatchObject({ allowed: false, status: 404, reason: 'no consent' });
    expect(decideIsva(isva, consent({ revokedAt: new Date() }))).toMatchObject({ allowed: false, status: 404, reason: 'consent revoked' });
    expect(decideIsva(isva, consent({ isvaUserId: 'isva2' }))).toMatchObject({ allowed: false, status: 404 });
    expect(decideIsva(isva, consent({ isvaOrganisationId: 'isva-b' }))).toMatchObject({ allowed: false, status: 404 });
    // a police officer or prosecutor never gets in through an ISVA consent
    expect(decideIsva(principal(['investigator'], { kind: 'force', forceId: 'kent' }), consent())).toMatchObject({ allowed: false, status: 404 });
  });

  it('gives an ISVA no case actions and only the mailbox globally; units get the inbox, VLOs the worklist', () => {
    const facts = { caseId: 'c', forceId: 'hampshire-and-isle-of-wight', cpsAreaId: 'wessex', referred: true, teamUserIds: ['isva1'] };
    for (const action of ['case:read', 'victim-care:read', 'victim-care:record', 'victim:read-identity'] as const) expect(decide(isva, action, facts).allowed).toBe(false);
    expect(can(isva, 'isva:mailbox')).toBe(true);
    expect(can(isva, 'isva:inbox')).toBe(false);
    expect(can(isva, 'case:list')).toBe(false);
    const vlo = principal(['vlo'], { kind: 'rasso_unit', cpsAreaId: 'wessex' }, 'v');
    expect(can(vlo, 'vlo:worklist') && can(vlo, 'isva:inbox')).toBe(true);
    expect(decide(vlo, 'vlo:assign', facts).allowed).toBe(true);
    expect(decide(vlo, 'trial:record-plea', facts).allowed).toBe(false);
    const pros = principal(['prosecutor'], { kind: 'rasso_unit', cpsAreaId: 'wessex' }, 'p');
    expect(decide(pros, 'trial:record-plea', facts).allowed).toBe(true);
    const inv = principal(['investigator'], { kind: 'force', forceId: 'hampshire-and-isle-of-wight' }, 'i');
    expect(decide(inv, 'victim-care:record', facts).allowed).toBe(true);
    expect(decide(inv, 'vlo:assign', facts).allowed).toBe(false);
  });
});
