import { describe, expect, it } from 'vitest';
import { compareDob, compareEmail, compareFamily, compareField, compareGiven, compareIdentifiers, compareLocation, compareNames, comparePhone, F, newNameMatch, SPECS } from './comparisons.ts';
import { normaliseFamilyName, normaliseGivenName, prepareRecord } from './normalise.ts';
import type { PersonRecord } from './types.ts';

const g = (s: string) => normaliseGivenName(s)!;
const f = (s: string) => normaliseFamilyName(s)!;
const rec = (r: Partial<PersonRecord>, i = 0) => prepareRecord({ id: String(i), givenName: '', familyName: '', ...r }, i);
const label = (field: number, level: number) => SPECS[field]!.levels[level];

describe('given name levels', () => {
  it.each([
    ['John', 'JOHN', 'exact'],
    ['Bob', 'Robert', 'nickname or same forename'],
    ['Mary Jane', 'Mary', 'nickname or same forename'],
    ['Martha', 'Marhta', 'Jaro-Winkler ≥ 0.92'],
    ['Catherine', 'Kathryn', 'nickname or same forename'],
    ['Dwayne', 'Duane', 'sounds alike (Double Metaphone)'],
    ['Sean', 'Shaun', 'Jaro-Winkler ≥ 0.8'],
    ['J', 'John', 'initial or prefix'],
    ['John', 'Susan', 'different'],
  ])('%s vs %s → %s', (a, b, expected) => {
    expect(label(F.given, compareGiven(g(a), g(b)))).toBe(expected);
  });
});

describe('family name levels', () => {
  it.each([
    ["O'Brien", 'obrien', 'exact'],
    ['Williams', 'Wiliams', 'Jaro-Winkler ≥ 0.92'],
    ['Knight', 'Nite', 'sounds alike (Double Metaphone)'],
    ['Smith-Jones', 'Jones', 'shares a part (double-barrelled)'],
    ['Taylor', 'Hussain', 'different'],
  ])('%s vs %s → %s', (a, b, expected) => {
    expect(label(F.family, compareFamily(f(a), f(b)))).toBe(expected);
  });

  it('detects given and family names swapped', () => {
    const m = compareNames(rec({ givenName: 'Isla', familyName: 'Hall' }), rec({ givenName: 'Hall', familyName: 'Isla' }), newNameMatch());
    expect(m.swapped).toBe(true);
    expect(label(F.given, m.given)).toBe('exact');
    expect(label(F.family, m.family)).toBe('swapped with given name');
  });

  it('uses the best alias', () => {
    const a = rec({ givenName: 'Jane', familyName: 'Smith', aliases: [{ given: 'Jane', family: 'Doe' }] });
    const m = compareNames(a, rec({ givenName: 'Jane', familyName: 'Doe' }), newNameMatch());
    expect(m.viaAlias).toBe(true);
    expect(m.given).toBe(1);
    expect(m.family).toBe(1);
  });

  it('is missing when either side has no name', () => {
    const m = compareNames(rec({ givenName: '', familyName: 'Hall' }), rec({ givenName: 'Isla', familyName: 'Hall' }), newNameMatch());
    expect(m.given).toBe(0);
    expect(m.family).toBe(1);
  });
});

describe('date of birth levels', () => {
  it.each([
    ['1980-03-14', '1980-03-14', 'exact'],
    ['1980-03-04', '1980-04-03', 'day and month transposed'],
    ['1980-03-14', '1980-03-15', 'one digit differs'],
    ['1980-03-14', '1981-03-14', 'year one out'],
    ['1979-03-14', '1980-03-14', 'year one out'],
    ['1980-03-14', '1980-08-14', 'one digit differs'],
    ['1980-03-14', '1982-03-14', 'one digit differs'],
    ['1970-03-14', '1980-03-14', 'one digit differs'],
    ['1975-03-14', '1980-03-14', 'two of day/month/year agree'],
    ['1980-03-14', '1991-07-22', 'different'],
    ['1980-03-14', null, 'missing'],
  ])('%s vs %s → %s', (a, b, expected) => {
    expect(label(F.dob, compareDob(rec({ dob: a }), rec({ dob: b })))).toBe(expected);
  });

  it('reads FEBRL and UK formats', () => {
    expect(rec({ dob: '19560409' }).dob).toBe('19560409');
    expect(rec({ dob: '09/04/1956' }).dob).toBe('19560409');
  });
});

describe('postcode and address levels', () => {
  const loc = (a: Partial<PersonRecord>, b: Partial<PersonRecord>) => label(F.location, compareLocation(rec(a), rec(b)));
  it('grades postcode and address together', () => {
    expect(loc({ postcode: 'SW1A 1AA', address: '10 Downing St' }, { postcode: 'sw1a1aa', address: '10 downing street' })).toBe('same postcode and address');
    expect(loc({ postcode: 'SW1A 1AA' }, { postcode: 'SW1A 1AA', address: '10 Downing St' })).toBe('same postcode (address unknown)');
    expect(loc({ postcode: 'SW1A 1AB', address: '10 Downing St' }, { postcode: 'SW1A 1AA', address: '10 Downing St' })).toBe('same address (postcode unknown or one character differs)');
    expect(loc({ postcode: 'LS6 2AB', address: '1 A Road' }, { postcode: 'LS6 2AB', address: '7 B Street' })).toBe('same postcode, different address');
    expect(loc({ postcode: 'LS6 2AB' }, { postcode: 'LS6 3ZZ' })).toBe('same postcode district');
    expect(loc({ postcode: 'LS6 2AB' }, { postcode: 'M1 1AA' })).toBe('different');
    expect(loc({ postcode: 'LS6 2AB' }, {})).toBe('missing');
  });
});

describe('contact and identifier levels', () => {
  it('phone', () => {
    expect(comparePhone(rec({ phone: '+44 7700 900123' }), rec({ phone: '07700900123' }))).toBe(1);
    expect(comparePhone(rec({ phone: '07700900123' }), rec({ phone: '07700900124' }))).toBe(2);
    expect(comparePhone(rec({ phone: '07700900123' }), rec({ phone: '07999111222' }))).toBe(3);
  });
  it('email', () => {
    expect(compareEmail(rec({ email: 'A.B@x.com' }), rec({ email: 'a.b@x.com' }))).toBe(1);
    expect(compareEmail(rec({ email: 'robert255@smith.net' }), rec({ email: 'roberta25@smith.net' }))).toBe(2);
    expect(compareEmail(rec({ email: 'jsmith@gmail.com' }), rec({ email: 'jsmith@yahoo.co.uk' }))).toBe(3);
    expect(compareEmail(rec({ email: 'jsmith@gmail.com' }), rec({ email: 'pat@example.org' }))).toBe(4);
  });
  it('online ids, vehicles and identifiers', () => {
    expect(compareField(F.onlineIds, rec({ onlineIds: ['@Night_Owl'] }), rec({ onlineIds: ['x', 'night_owl'] }))).toBe(1);
    expect(compareField(F.vehicles, rec({ vehicles: ['AB12 CDE'] }), rec({ vehicles: ['XY99ZZZ'] }))).toBe(2);
    expect(compareField(F.vehicles, rec({ vehicles: ['AB12 CDE'] }), rec({}))).toBe(0);
    expect(compareIdentifiers(rec({ identifiers: ['QQ123456C'] }), rec({ identifiers: ['QQ123465C'] }))).toBe(2);
  });
});
