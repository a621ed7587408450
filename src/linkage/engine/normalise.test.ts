import { describe, expect, it } from 'vitest';
import { normaliseAddress, normaliseDob, normalisePostcode, prepareRecord } from './normalise.ts';

const prep = (r: { postcode?: string | null; address?: string | null; dob?: string | null; town?: string | null }) =>
  prepareRecord({ id: 'x', givenName: 'Ann', familyName: 'Lee', ...r }, 0);

// prepareRecord takes shortcuts for values already in clean form and memoises repeated ones; it must agree with
// the general normalisers on every input.
describe('prepareRecord agrees with the field normalisers', () => {
  it('postcodes, clean or not', () => {
    for (const raw of ['SW1A 1AA', 'SW1A1AA', 'sw1a 1aa', ' SW1A 1AA ', 'M1 1AE', 'B33 8TH', 'AB1 ', 'A B1 2CD', '12345', '1234', 'AB', ' ', '', null, 'CR2 6XH', 'DN55-1PT', 'E1W 1AA']) {
      const expected = normalisePostcode(raw);
      const r = prep({ postcode: raw });
      expect(r.postcode, String(raw)).toBe(expected?.postcode ?? null);
      expect(r.postcodeDistrict, String(raw)).toBe(expected?.district ?? null);
    }
  });

  it('addresses, clean or not, with street abbreviations', () => {
    for (const raw of ['104 newingwick lane', '104 Newingwick Lane', '12 high st', '12  high street', ' 3 the close', '3 the close ', 'flat 2, 7 rd end', 'Café 1 rue', 'ave maria', '', null]) {
      expect(prep({ address: raw }).address, String(raw)).toBe(normaliseAddress(raw));
    }
  });

  it('dates of birth and towns, repeated', () => {
    for (let i = 0; i < 2; i++) {
      const r = prep({ dob: '1984-02-29', town: 'St. Albans' });
      expect([r.dob, r.dobY, r.dobM, r.dobD]).toEqual([normaliseDob('1984-02-29'), 1984, 2, 29]);
      expect(r.town).toBe('st albans');
    }
    expect(prep({ dob: 'not a date', town: '  ' })).toMatchObject({ dob: null, dobY: 0, town: null });
  });
});
