import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { linkCommand } from './cli.ts';
import { mapColumns } from './csv.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'tandem-link-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let stderr = '';
beforeEach(() => {
  stderr = '';
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stderr += String(chunk);
    return true;
  });
});

const FEBRL = `rec_id, given_name, surname, street_number, address_1, address_2, suburb, postcode, state, date_of_birth, soc_sec_id
rec-1-org, lachlan, berry, 69, giblin street, killarney, bittern, 4814, qld, 19990219, 7364009
rec-1-dup-0, lachlan, bery, 69, giblin street, killarney, bittern, 4814, qld, 19990219, 7364009
rec-2-org, deakin, sondergeld, 48, goldfinch circuit, kooltuo, canterbury, 2776, vic, 19600210, 2635962
rec-2-dup-0, deakin, sondergeld, 48, goldfinch circ, kooltuo, canterbury, 2776, vic, 19601002, 2635962
rec-3-org, sarah, bruhn, 44, forbes street, wintersloe, kellerberrin, 4510, vic, 19300213, 7535316
rec-4-org, jacob, lanyon, 5, milne cove, wellwod, beaconsfield upper, 2602, vic, 19080712, 9497788
`;

describe('tandem link', () => {
  it('writes record_id,cluster_id for every row of a FEBRL file', async () => {
    const input = path.join(dir, 'febrl.csv');
    const out = path.join(dir, 'clusters.csv');
    writeFileSync(input, FEBRL);
    expect(await linkCommand(['--in', input, '--out', out])).toBe(0);
    const lines = readFileSync(out, 'utf8').trim().split('\n');
    expect(lines[0]).toBe('record_id,cluster_id');
    const rows = Object.fromEntries(lines.slice(1).map((l) => l.split(',')));
    expect(Object.keys(rows)).toEqual(['rec-1-org', 'rec-1-dup-0', 'rec-2-org', 'rec-2-dup-0', 'rec-3-org', 'rec-4-org']);
    expect(rows['rec-1-dup-0']).toBe(rows['rec-1-org']);
    expect(rows['rec-2-dup-0']).toBe(rows['rec-2-org']);
    expect(rows['rec-3-org']).not.toBe(rows['rec-4-org']);
    expect(stderr).toContain('wrote 6 rows');
  });

  it('maps Splink and Tandem headers, and --map overrides', () => {
    expect(mapColumns(['unique_id', 'first_name', 'surname', 'dob', 'city', 'email', 'cluster'])).toMatchObject({
      id: ['unique_id'],
      givenName: ['first_name'],
      familyName: ['surname'],
      dob: ['dob'],
      town: ['city'],
      email: ['email'],
    });
    expect(mapColumns(['record_id', 'given_name', 'surname', 'date_of_birth', 'postcode', 'phone', 'email'])).toMatchObject({ id: ['record_id'], phone: ['phone'] });
    const m = mapColumns(['ref', 'forename_x', 'lastname', 'house', 'street'], ['id=ref', 'given_name=forename_x', 'address=house+street']);
    expect(m).toMatchObject({ id: ['ref'], givenName: ['forename_x'], familyName: ['lastname'], address: ['house', 'street'] });
    expect(Object.values(mapColumns(['unique_id', 'first_name', 'cluster'])).flat()).not.toContain('cluster');
  });

  it('exits 2 with a clear message on a missing file', async () => {
    expect(await linkCommand(['--in', path.join(dir, 'nope.csv'), '--out', path.join(dir, 'o.csv')])).toBe(2);
    expect(stderr).toContain('input file not found');
  });

  it('exits 2 on an unmappable header or a bad --map', async () => {
    const input = path.join(dir, 'odd.csv');
    writeFileSync(input, 'colour,shape\nred,round\n');
    expect(await linkCommand(['--in', input, '--out', path.join(dir, 'o.csv')])).toBe(2);
    expect(stderr).toContain('cannot map the CSV header');
    stderr = '';
    expect(await linkCommand(['--in', input, '--out', path.join(dir, 'o.csv'), '--map', 'id=nothere'])).toBe(2);
    expect(stderr).toContain('no column "nothere"');
  });

  it('exits 2 without --in/--out', async () => {
    expect(await linkCommand([])).toBe(2);
    expect(stderr).toContain('--in and --out are required');
  });
});
