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

describe('records packed for the helper thread', () => {
  it('round-trip to the same prepared records', async () => {
    const { packRecords, unpackRecords } = await import('./record-columns.ts');
    const input = [
      { id: '1', givenName: 'Ann', familyName: 'Lee', dob: '1990-01-02', postcode: 'AB1 2CD', address: '1 high st', phone: '07700 900123', email: 'a@b.com', onlineIds: ['@ann', ''], vehicles: ['AB12 CDE'], identifiers: ['QQ123456C', 'PNC1'], aliases: [{ given: 'Annie', family: null }, { given: '', family: 'Smith' }], source: 'x' },
      { id: '2', givenName: 'Bob', familyName: '', dob: null, town: 'Leeds', birthPlace: 'York', sex: 'M', occupation: 'baker', onlineIds: [], aliases: [] },
    ];
    const packed = packRecords(input);
    expect(packed).not.toBeNull();
    const back = unpackRecords(structuredClone(packed!));
    expect(back.map((r, i) => prepareRecord(r, i))).toEqual(input.map((r, i) => prepareRecord(r, i)));
    // a separator character inside a value: not packed (the caller clones the objects instead)
    expect(packRecords([{ id: 'a\u001fb', givenName: 'X', familyName: 'Y' }])).toBeNull();
  });
});
