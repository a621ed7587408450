import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

/** `tandem link` as an operator runs it: through bin/tandem.mjs, in its own process. */
const BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../bin/tandem.mjs');
const dir = mkdtempSync(path.join(tmpdir(), 'tandem-link-bin-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const tandem = (...args: string[]) => spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 60_000 });

const FEBRL = `rec_id, given_name, surname, street_number, address_1, address_2, suburb, postcode, state, date_of_birth, soc_sec_id
rec-1-org, lachlan, berry, 69, giblin street, killarney, bittern, 4814, qld, 19990219, 7364009
rec-1-dup-0, lachlan, bery, 69, giblin street, killarney, bittern, 4814, qld, 19990219, 7364009
rec-2-org, deakin, sondergeld, 48, goldfinch circuit, kooltuo, canterbury, 2776, vic, 19600210, 2635962
rec-2-dup-0, deakin, sondergeld, 48, goldfinch circ, kooltuo, canterbury, 2776, vic, 19601002, 2635962
rec-3-org, sarah, bruhn, 44, forbes street, wintersloe, kellerberrin, 4510, vic, 19300213, 7535316
rec-4-org, jacob, lanyon, 5, milne cove, wellwod, beaconsfield upper, 2602, vic, 19080712, 9497788
`;

describe('tandem link through bin/tandem.mjs', () => {
  it('links a FEBRL file and writes record_id,cluster_id for every row, in input order; progress goes to stderr', () => {
    const input = path.join(dir, 'febrl.csv');
    const out = path.join(dir, 'clusters.csv');
    writeFileSync(input, FEBRL);
    const run = tandem('link', '--in', input, '--out', out);
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toBe('');
    expect(run.stderr).not.toBe('');
    const lines = readFileSync(out, 'utf8').trim().split('\n');
    expect(lines[0]).toBe('record_id,cluster_id');
    const cluster = Object.fromEntries(lines.slice(1).map((l) => l.split(',')));
    expect(Object.keys(cluster)).toEqual(['rec-1-org', 'rec-1-dup-0', 'rec-2-org', 'rec-2-dup-0', 'rec-3-org', 'rec-4-org']);
    expect(cluster['rec-1-dup-0']).toBe(cluster['rec-1-org']);
    expect(cluster['rec-2-dup-0']).toBe(cluster['rec-2-org']);
    expect(new Set(Object.values(cluster)).size).toBe(4);
  });

  it('maps columns with --map, and exits 2 with a message on a missing file or a bad mapping', () => {
    const input = path.join(dir, 'odd.csv');
    writeFileSync(input, 'ref,forename,lastname,born\nx1,Robert,Hallworth,1987-11-02\nx2,Rob,Hallworth,1987-11-02\n');
    const out = path.join(dir, 'odd-out.csv');
    const ok = tandem('link', '--in', input, '--out', out, '--map', 'id=ref', '--map', 'givenName=forename', '--map', 'familyName=lastname', '--map', 'dob=born');
    expect(ok.status, ok.stderr).toBe(0);
    expect(readFileSync(out, 'utf8').trim().split('\n')).toHaveLength(3);

    const missing = tandem('link', '--in', path.join(dir, 'nope.csv'), '--out', out);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toContain('input file not found');
    const bad = tandem('link', '--in', input, '--out', out, '--map', 'shoeSize=forename');
    expect(bad.status).toBe(2);
  });

  it('is listed in the CLI help', () => {
    const help = tandem('help');
    expect(help.stdout).toContain('link --in FILE.csv --out clusters.csv');
  });
});
