import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PgliteDb, type Db } from '../db/database.ts';
import { migrate } from '../db/migrate.ts';
import { FieldCipher } from '../platform/crypto.ts';
import { dailyVolume, drawOffences, generateNational, type GenerateSummary } from './generator.ts';
import { dobVariant, nameVariant, recordAppearance, createPerson, transposeDayMonth } from './identity.ts';
import { nicknameOf, typoVariant } from './names.ts';
import { ukAddress, ukMobile, ukPostcode, ukVehicleReg } from './places.ts';
import { seededRng } from './random.ts';

const cipher = new FieldCipher([{ id: 't', key: Buffer.alloc(32, 1) }]);
const CASES = 1500;
const SEED = 20240601;
const UNTIL = '2026-09-30';
const POSTCODE = /[A-Z]{1,2}[0-9][0-9A-Z]? [0-9][A-Z]{2}$/;

type Name = { given: string; family: string };

/** Digest of everything generated, with encrypted fields decrypted (ciphertexts differ run to run by design: fresh IVs). */
async function digest(db: Db): Promise<string> {
  const h = createHash('sha256');
  const dump = async (sql: string, map: (r: Record<string, unknown>) => unknown = (r) => r) => {
    for (const r of await db.query<Record<string, unknown>>(sql)) h.update(JSON.stringify(map(r)));
    h.update('|');
  };
  await dump('SELECT * FROM cases ORDER BY id');
  await dump('SELECT * FROM case_offences ORDER BY case_id, offence_code');
  await dump('SELECT * FROM victims ORDER BY id', (r) => {
    const ctx = (column: string) => ({ table: 'victims', column, rowId: String(r.id) });
    return {
      ...r,
      name_enc: cipher.decrypt(String(r.name_enc), ctx('name')),
      date_of_birth_enc: cipher.decrypt(String(r.date_of_birth_enc), ctx('date_of_birth')),
      contact_enc: cipher.decrypt(String(r.contact_enc), ctx('contact')),
    };
  });
  await dump('SELECT * FROM suspects ORDER BY id');
  await dump('SELECT * FROM synthetic_suspect_identity ORDER BY suspect_id');
  await dump('SELECT * FROM witnesses ORDER BY id', (r) => ({
    ...r,
    name_enc: cipher.decrypt(String(r.name_enc), { table: 'witnesses', column: 'name', rowId: String(r.id) }),
    contact_enc: cipher.decrypt(String(r.contact_enc), { table: 'witnesses', column: 'contact', rowId: String(r.id) }),
  }));
  await dump('SELECT * FROM case_events ORDER BY id');
  return h.digest('hex');
}

describe('generateNational', () => {
  let a: Db;
  let b: Db;
  let summaryA: GenerateSummary;
  let summaryB: GenerateSummary;
  const progress: [number, number][] = [];
  const count = async (sql: string, params: unknown[] = []) => (await a.query<{ n: number }>(sql, params))[0]!.n;

  beforeAll(async () => {
    [a, b] = await Promise.all([PgliteDb.memory(), PgliteDb.memory()]);
    await Promise.all([migrate(a), migrate(b)]);
    summaryA = await generateNational(a, cipher, { cases: CASES, seed: SEED, until: UNTIL, onProgress: (d, t) => progress.push([d, t]) });
    // a different batch size must not change the data: batching is only how rows reach the database
    summaryB = await generateNational(b, cipher, { cases: CASES, seed: SEED, until: UNTIL, batchSize: 137 });
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
  });

  it('is deterministic: the same seed gives identical rows and ids in two fresh databases', async () => {
    expect(summaryB).toEqual(summaryA);
    expect(await digest(b)).toBe(await digest(a));
    expect(progress.at(-1)).toEqual([CASES, CASES]);
    expect(summaryA.cases).toBe(CASES);
    expect(await count('SELECT count(*)::int AS n FROM cases')).toBe(CASES);
    expect(await count('SELECT count(*)::int AS n FROM case_events')).toBe(summaryA.events);
  });

  it('gives every force cases, in proportion to size, in the right CPS Area', async () => {
    const byForce = await a.query<{ force_id: string; n: number }>('SELECT force_id, count(*)::int AS n FROM cases GROUP BY 1 ORDER BY 2 DESC');
    expect(byForce).toHaveLength(43);
    expect(byForce[0]!.force_id).toBe('metropolitan-police');
    expect(byForce.slice(1, 4).map((r) => r.force_id)).toContain('greater-manchester');
    expect(byForce.at(-1)!.force_id).toBe('city-of-london');
    expect(Object.keys(summaryA.byForce)).toHaveLength(43);

    const met = await a.query<{ cps_area_id: string; n: number }>(
      `SELECT cps_area_id, count(*)::int AS n FROM cases WHERE force_id = 'metropolitan-police' GROUP BY 1 ORDER BY 1`,
    );
    expect(met.map((r) => r.cps_area_id)).toEqual(['london-north', 'london-south']);
    const metTotal = met[0]!.n + met[1]!.n;
    expect(met[0]!.n / metTotal).toBeGreaterThan(0.35);
    expect(met[0]!.n / metTotal).toBeLessThan(0.65);
    expect(await count(`SELECT count(*)::int AS n FROM cases c JOIN force_area_map m ON m.force_id = c.force_id AND m.is_primary
                         WHERE c.force_id <> 'metropolitan-police' AND c.cps_area_id <> m.cps_area_id`)).toBe(0);
  });

  it('spreads reports from 2019 to the cut-off, flat to 2020 then rising each year', async () => {
    const rows = await a.query<{ y: number; n: number }>('SELECT extract(year FROM reported_at)::int AS y, count(*)::int AS n FROM cases GROUP BY 1 ORDER BY 1');
    const n = Object.fromEntries(rows.map((r) => [r.y, r.n])) as Record<number, number>;
    expect(rows[0]!.y).toBe(2019);
    expect(rows.at(-1)!.y).toBe(2026);
    expect(await count(`SELECT count(*)::int AS n FROM cases WHERE reported_at > $1`, [UNTIL])).toBe(0);
    expect(Math.abs(n[2020]! - n[2019]!) / n[2019]!).toBeLessThan(0.3);
    for (const y of [2022, 2023, 2024, 2025]) expect(n[y]!).toBeGreaterThan(n[y - 1]!);
    expect(n[2025]! / n[2021]!).toBeGreaterThan(2);
  });

  it('references are unique, per force and year, in the force-YY-number form', async () => {
    const refs = await a.query<{ reference: string; code: string; reported_at: string }>(
      'SELECT c.reference, f.code, c.reported_at FROM cases c JOIN forces f ON f.id = c.force_id',
    );
    for (const r of refs) expect(r.reference).toBe(`${r.code}-${r.reported_at.slice(2, 4)}-${r.reference.slice(-6)}`);
    expect(refs.every((r) => /^[A-Z]{3}-\d{2}-\d{6}$/.test(r.reference))).toBe(true);
    expect(await count(`SELECT count(*)::int AS n FROM cases WHERE reference = 'MPS-19-000001'`)).toBe(1);
  });

  it('closes most old cases, leaves recent ones open, and charges more since 2021', async () => {
    const closed = `stage IN ('convicted','acquitted','discontinued','nfa_police','nfa_cps','administratively_finalised')`;
    const share = async (where: string, of: string) =>
      (await count(`SELECT count(*)::int AS n FROM cases WHERE ${of} AND ${where}`)) / (await count(`SELECT count(*)::int AS n FROM cases WHERE ${of}`));
    expect(await share(closed, `reported_at < '2020-01-01'`)).toBeGreaterThan(0.95);
    expect(await share(`NOT ${closed}`, `reported_at > '2026-07-01'`)).toBeGreaterThan(0.6);
    const charged = `outcome_type_code = 1`;
    expect(await share(charged, `reported_at >= '2023-01-01' AND reported_at < '2025-01-01'`)).toBeGreaterThan(
      (await share(charged, `reported_at < '2021-01-01'`)) * 1.4,
    );
    expect(await count(`SELECT count(DISTINCT stage)::int AS n FROM cases`)).toBe(11);
  });

  it('keeps stage, outcome code, referral and suspects consistent', async () => {
    expect(await count(`SELECT count(*)::int AS n FROM cases WHERE stage IN ('charged','trial','convicted','acquitted','discontinued') AND outcome_type_code IS DISTINCT FROM 1`)).toBe(0);
    expect(await count(`SELECT count(*)::int AS n FROM cases WHERE stage IN ('investigation','early_advice','charging_decision','administratively_finalised') AND outcome_type_code IS NOT NULL`)).toBe(0);
    expect(await count(`SELECT count(*)::int AS n FROM cases WHERE stage = 'nfa_police' AND outcome_type_code NOT IN (5,10,12,13,14,15,16,18,20,21)`)).toBe(0);
    expect(await count(`SELECT count(*)::int AS n FROM cases WHERE stage = 'nfa_cps' AND outcome_type_code NOT IN (9,15)`)).toBe(0);
    // reached the CPS ⇒ referred after the report; still with the police and never advised ⇒ not referred
    expect(await count(`SELECT count(*)::int AS n FROM cases WHERE stage NOT IN ('investigation','nfa_police') AND (referred_at IS NULL OR referred_at::date < reported_at)`)).toBe(0);
    expect(await count(`SELECT count(*)::int AS n FROM cases WHERE stage = 'investigation' AND referred_at IS NOT NULL`)).toBe(0);
    expect(await count(`SELECT count(*)::int AS n FROM cases WHERE stage = 'nfa_police' AND referred_at IS NOT NULL`)).toBeGreaterThan(0);
    // no suspect identified ⇔ outcome 14/18 (or still open)
    const noSuspect = `NOT EXISTS (SELECT 1 FROM suspects s WHERE s.case_id = c.id)`;
    expect(await count(`SELECT count(*)::int AS n FROM cases c WHERE outcome_type_code IN (14,18) AND NOT ${noSuspect}`)).toBe(0);
    expect(await count(`SELECT count(*)::int AS n FROM cases c WHERE ${noSuspect} AND stage NOT IN ('investigation','nfa_police')`)).toBe(0);
    expect(await count(`SELECT count(*)::int AS n FROM cases c WHERE ${noSuspect}`)).toBeGreaterThan(0);
    expect(await count(`SELECT count(*)::int AS n FROM cases WHERE created_at > updated_at OR created_by IS NOT NULL OR version <> 1`)).toBe(0);
  });

  it('gives each case 2–6 timeline events starting with the report, none after the cut-off', async () => {
    const perCase = await a.query<{ n: number; first: string; last: Date; reported: string }>(
      `SELECT count(*)::int AS n, (array_agg(e.kind ORDER BY e.occurred_at, e.kind = 'reported' DESC))[1] AS first,
              max(e.occurred_at) AS last, min(c.reported_at)::text AS reported
         FROM case_events e JOIN cases c ON c.id = e.case_id GROUP BY e.case_id`,
    );
    expect(perCase).toHaveLength(CASES);
    for (const c of perCase) {
      expect(c.n).toBeGreaterThanOrEqual(2);
      expect(c.n).toBeLessThanOrEqual(6);
      expect(c.first).toBe('reported');
      expect(c.last.getTime()).toBeLessThanOrEqual(Date.parse(`${UNTIL}T23:59:59.999Z`));
    }
    const kinds = (await a.query<{ kind: string }>('SELECT DISTINCT kind FROM case_events')).map((r) => r.kind);
    expect(kinds).toEqual(expect.arrayContaining(['reported', 'suspect_arrested', 'interview_under_caution', 'early_advice_requested', 'referred_for_charge', 'charged', 'nfa', 'trial_listed', 'verdict']));
    // a convicted or acquitted case ends with its verdict or plea
    expect(await count(`SELECT count(*)::int AS n FROM cases c WHERE stage IN ('convicted','acquitted')
      AND NOT EXISTS (SELECT 1 FROM case_events e WHERE e.case_id = c.id AND e.kind IN ('verdict','guilty_plea'))`)).toBe(0);
  });

  it('matches offences to the victim’s age: child offences exactly when every victim was under 13', async () => {
    const rows = await a.query<{ child_offence: boolean; min_age: number; max_age: number }>(
      `SELECT bool_or(o.victim_under_13) AS child_offence, min(v.age_at_offence) AS min_age, max(v.age_at_offence) AS max_age
         FROM cases c JOIN case_offences co ON co.case_id = c.id JOIN offences o ON o.code = co.offence_code
         JOIN victims v ON v.case_id = c.id GROUP BY c.id`,
    );
    expect(rows).toHaveLength(CASES);
    for (const r of rows) {
      if (r.child_offence) expect(r.max_age).toBeLessThan(13);
      else expect(r.min_age).toBeGreaterThanOrEqual(13);
    }
    const ages = await a.query<{ band: string; n: number }>(
      `SELECT CASE WHEN age_at_offence < 13 THEN 'child' WHEN age_at_offence < 18 THEN 'teen' WHEN age_at_offence <= 45 THEN 'adult' ELSE 'older' END AS band,
              count(*)::int AS n FROM victims GROUP BY 1`,
    );
    const byBand = Object.fromEntries(ages.map((r) => [r.band, r.n])) as Record<string, number>;
    const victims = summaryA.victims;
    expect(byBand.adult! / victims).toBeGreaterThan(0.5);
    expect(byBand.teen! / victims).toBeGreaterThan(0.08);
    expect(byBand.child! / victims).toBeGreaterThan(0.05);
    expect(await count(`SELECT count(*)::int AS n FROM case_offences WHERE offence_code = 'SOA2003-s1'`)).toBeGreaterThan(CASES / 2);
    expect(await count(`SELECT count(*)::int AS n FROM victims WHERE NOT enhanced_rights`)).toBe(0);
    expect(await count(`SELECT count(*)::int AS n FROM victims WHERE NOT (contact_preferences ? 'method' AND contact_preferences ? 'interviewerSex')`)).toBe(0);
  });

  it('never stores a victim’s name in plaintext: only in the encrypted field, bound to its row', async () => {
    const victims = await a.query<{ id: string; name_enc: string; date_of_birth_enc: string; contact_enc: string; age_at_offence: number }>(
      'SELECT id, name_enc, date_of_birth_enc, contact_enc, age_at_offence FROM victims',
    );
    const names = new Set<string>();
    for (const v of victims) {
      expect(v.name_enc).toMatch(/^t:/);
      const name = cipher.decryptJson<Name>(v.name_enc, { table: 'victims', column: 'name', rowId: v.id });
      expect(name.given && name.family).toBeTruthy();
      names.add(`${name.given} ${name.family}`);
      expect(cipher.decrypt(v.date_of_birth_enc, { table: 'victims', column: 'date_of_birth', rowId: v.id })).toMatch(/^\d{4}-\d{2}-\d{2}$/);
      expect(cipher.decryptJson<{ address: string }>(v.contact_enc, { table: 'victims', column: 'contact', rowId: v.id }).address).toMatch(POSTCODE);
      // the binding to table/column/row is what stops a ciphertext being copied elsewhere
      expect(() => cipher.decrypt(v.name_enc, { table: 'victims', column: 'contact', rowId: v.id })).toThrow();
    }
    // every capitalised word pair in every other table's text is checked against the set of victim names
    let scanned = 0;
    for (const table of ['cases', 'case_offences', 'victims', 'witnesses', 'case_events', 'case_team', 'synthetic_suspect_identity']) {
      for (const { j } of await a.query<{ j: string }>(`SELECT row_to_json(t)::text AS j FROM ${table} t`)) {
        for (const m of j.matchAll(/[A-Z][A-Za-z'-]+ (?=([A-Z][A-Za-z'-]+))/g)) {
          scanned++;
          expect(names.has(`${m[0]}${m[1]}`)).toBe(false);
        }
      }
    }
    expect(scanned).toBeGreaterThan(1000);
  });

  it('plants repeat suspects across forces, recorded under varying names, with complete ground truth', async () => {
    expect(await count('SELECT count(*)::int AS n FROM suspects')).toBe(summaryA.suspects);
    expect(await count('SELECT count(*)::int AS n FROM suspects s LEFT JOIN synthetic_suspect_identity i ON i.suspect_id = s.id WHERE i.person_key IS NULL')).toBe(0);
    const persons = await a.query<{ person_key: string; n: number; forces: number; names: number; dobs: number; years: number }>(
      `SELECT i.person_key, count(*)::int AS n, count(DISTINCT s.force_id)::int AS forces,
              count(DISTINCT s.given_name || ' ' || s.family_name)::int AS names,
              count(DISTINCT coalesce(s.date_of_birth::text, '-'))::int AS dobs,
              count(DISTINCT extract(year FROM c.reported_at))::int AS years
         FROM synthetic_suspect_identity i JOIN suspects s ON s.id = i.suspect_id JOIN cases c ON c.id = s.case_id
        GROUP BY i.person_key`,
    );
    const repeats = persons.filter((p) => p.n > 1);
    expect(repeats).toHaveLength(summaryA.repeatSuspectPersons);
    expect(repeats.length / persons.length).toBeGreaterThan(0.03);
    expect(repeats.length / persons.length).toBeLessThan(0.07);
    expect(Math.max(...repeats.map((p) => p.n))).toBeLessThanOrEqual(5);
    expect(repeats.filter((p) => p.forces >= 2 && p.names >= 2).length).toBeGreaterThan(repeats.length / 4);
    expect(repeats.filter((p) => p.dobs >= 2).length).toBeGreaterThan(repeats.length / 4);
    expect(repeats.filter((p) => p.years >= 2).length).toBeGreaterThan(repeats.length / 2);
    // some repeat suspects' cases ended in police NFA
    expect(await count(`SELECT count(DISTINCT i.person_key)::int AS n FROM synthetic_suspect_identity i JOIN suspects s ON s.id = i.suspect_id
                         JOIN cases c ON c.id = s.case_id WHERE c.stage = 'nfa_police'
                          AND i.person_key IN (SELECT person_key FROM synthetic_suspect_identity GROUP BY 1 HAVING count(*) > 1)`)).toBeGreaterThan(0);
    // repeat suspects sometimes share a phone or online identifier across cases: a signal linkage can find
    expect(await count(`SELECT count(*)::int AS n FROM (
        SELECT i.person_key, x.v FROM synthetic_suspect_identity i JOIN suspects s ON s.id = i.suspect_id,
             jsonb_array_elements_text(s.phones || s.online_identifiers) x(v)
        GROUP BY 1, 2 HAVING count(*) > 1) t`)).toBeGreaterThan(0);
  });

  it('includes different people who share a common name (linkage false positives to avoid)', async () => {
    const shared = await a.query<{ name: string; people: number; dobs: number }>(
      `SELECT s.given_name || ' ' || s.family_name AS name, count(DISTINCT i.person_key)::int AS people, count(DISTINCT s.date_of_birth)::int AS dobs
         FROM suspects s JOIN synthetic_suspect_identity i ON i.suspect_id = s.id GROUP BY 1 HAVING count(DISTINCT i.person_key) >= 3`,
    );
    expect(shared.map((r) => r.name)).toContain('James Smith');
    expect(shared.every((r) => r.dobs >= 2)).toBe(true);
  });

  it('records suspect details in UK formats', async () => {
    const rows = await a.query<{ addresses: string[]; phones: string[]; emails: string[]; online_identifiers: string[]; vehicles: string[]; aliases: Name[] }>(
      'SELECT addresses, phones, emails, online_identifiers, vehicles, aliases FROM suspects',
    );
    let vehicles = 0;
    for (const r of rows) {
      for (const x of r.addresses) expect(x).toMatch(POSTCODE);
      for (const x of r.phones) expect(x).toMatch(/^07\d{3} \d{6}$/);
      for (const x of r.emails) expect(x).toMatch(/^[a-z0-9._]+@example\.(com|org|net)$/);
      for (const x of r.online_identifiers) expect(x).toMatch(/^[a-z]+:\S+$/);
      for (const x of r.vehicles) expect(x).toMatch(/^[A-Z]{2}\d{2} [A-Z]{3}$/);
      for (const x of r.aliases) expect(Object.keys(x).sort()).toEqual(['family', 'given']);
      vehicles += r.vehicles.length;
    }
    expect(vehicles).toBeGreaterThan(0);
  });

  it('another seed gives different data; team users go on the case team of their own force and Area', async () => {
    await b.exec('DELETE FROM cases');
    const officer = '00000000-0000-4000-8000-000000000001';
    const prosecutor = '00000000-0000-4000-8000-000000000002';
    await b.query(
      `INSERT INTO users (id, username, display_name, email, organisation_id, password_hash) VALUES
         ($1, 'gmp.oic', 'GMP OIC', 'gmp@test.invalid', 'force-greater-manchester', 'x'),
         ($2, 'nw.pros', 'NW prosecutor', 'nw@test.invalid', 'rasso-north-west', 'x')`,
      [officer, prosecutor],
    );
    await generateNational(b, cipher, {
      cases: 400, seed: SEED + 1, until: UNTIL,
      teamUserIds: { byForce: { 'greater-manchester': [officer] }, byArea: { 'north-west': [prosecutor] } },
    });
    expect(await b.query('SELECT id FROM cases ORDER BY id LIMIT 5')).not.toEqual(await a.query('SELECT id FROM cases ORDER BY id LIMIT 5'));
    const team = await b.query<{ team_role: string; force_id: string; cps_area_id: string; referred: boolean; on_time: boolean }>(
      `SELECT t.team_role, c.force_id, c.cps_area_id, c.referred_at IS NOT NULL AS referred, t.added_at >= c.created_at AS on_time
         FROM case_team t JOIN cases c ON c.id = t.case_id`,
    );
    const gmpCases = await b.query<{ n: number }>(`SELECT count(*)::int AS n FROM cases WHERE force_id = 'greater-manchester'`);
    expect(team.filter((t) => t.team_role === 'officer_in_case')).toHaveLength(gmpCases[0]!.n);
    expect(team.every((t) => t.force_id === 'greater-manchester' || (t.team_role === 'prosecutor' && t.cps_area_id === 'north-west'))).toBe(true);
    expect(team.filter((t) => t.team_role === 'prosecutor').every((t) => t.referred && t.cps_area_id === 'north-west')).toBe(true);
    expect(team.every((t) => t.on_time)).toBe(true);
  });
});

describe('identity variation helpers', () => {
  it('typoVariant always changes the spelling by one keying slip and keeps the initial', () => {
    const rng = seededRng(1);
    for (const name of ['Smith', 'Jones', 'Mohammed', 'Lee', 'Al', 'Christopher']) {
      for (let i = 0; i < 50; i++) {
        const v = typoVariant(name, rng);
        expect(v).not.toBe(name);
        expect(Math.abs(v.length - name.length)).toBeLessThanOrEqual(1);
        expect(v.charAt(0)).toBe(name.charAt(0));
      }
    }
  });

  it('nicknames and name variants are the ones people are recorded under', () => {
    const rng = seededRng(2);
    expect(['Rob', 'Bob', 'Robbie', 'Bobby']).toContain(nicknameOf('Robert', rng));
    expect(['Bill', 'Will', 'Billy', 'Liam']).toContain(nicknameOf('William', rng));
    expect(nicknameOf('Xylophone', rng)).toBeUndefined();
    const kinds = new Set<string>();
    for (let i = 0; i < 500; i++) {
      const { name, kind } = nameVariant({ given: 'Michael', family: 'Hussain' }, [{ given: 'Mikey', family: 'H' }], rng);
      kinds.add(kind);
      if (kind === 'swapped') expect(name).toEqual({ given: 'Hussain', family: 'Michael' });
      if (kind === 'initial') expect(name).toEqual({ given: 'M', family: 'Hussain' });
      if (kind === 'nickname') expect(['Mike', 'Mick', 'Micky']).toContain(name.given);
      if (kind === 'transliteration') expect(['Hussein', 'Husain']).toContain(name.family);
    }
    expect(kinds.size).toBe(8);
  });

  it('dates of birth drift the way records do', () => {
    expect(transposeDayMonth('1990-03-07')).toBe('1990-07-03');
    expect(transposeDayMonth('1990-03-25')).toBeUndefined();
    const rng = seededRng(3);
    const seen = new Set<string | null>();
    for (let i = 0; i < 400; i++) seen.add(dobVariant('1990-03-07', rng));
    expect(seen).toEqual(new Set(['1990-03-07', '1990-07-03', '1991-03-07', '1989-03-07', '1990-03-08', '1990-03-06', null]));
    expect(dobVariant('1992-02-29', seededRng(4), 0)).not.toBe('1993-02-29');
  });

  it('repeat appearances keep some shared detail and change others', () => {
    const rng = seededRng(5);
    const p = createPerson(rng, 'P1', '1985-06-15', 'kent', 0);
    const seen = Array.from({ length: 40 }, () => recordAppearance(p, rng, 'merseyside', false));
    expect(seen.some((r) => r.given !== p.name.given || r.family !== p.name.family)).toBe(true);
    expect(seen.some((r) => r.given === p.name.given && r.family === p.name.family)).toBe(true);
    expect(seen.some((r) => r.dob === null)).toBe(true);
    expect(seen.some((r) => p.phones.length > 0 && r.phones.includes(p.phones[0]!))).toBe(true);
    expect(seen.some((r) => r.addresses.some((x) => /(Liverpool|Birkenhead|St Helens|Southport)/.test(x)))).toBe(true);
  });

  it('UK formats: postcode, mobile, registration, address', () => {
    const rng = seededRng(6);
    for (let i = 0; i < 200; i++) {
      expect(ukPostcode(rng, 'LS')).toMatch(/^LS\d{1,2} \d[ABD-HJLNP-UW-Z]{2}$/);
      expect(ukMobile(rng)).toMatch(/^07\d{3} \d{6}$/);
      expect(ukVehicleReg(rng)).toMatch(/^[A-HJ-PR-Y]{2}(0[2-9]|1\d|2[0-5]|5[2-9]|6\d|7[0-5]) [A-HJ-PR-Y]{3}$/);
      expect(ukAddress(rng, 'west-yorkshire')).toMatch(/(Leeds|Bradford|Huddersfield|Wakefield|Halifax) (LS|BD|HD|WF|HX)\d+ \d[A-Z]{2}$/);
    }
  });

  it('offences follow the victim age band; volume is flat to 2020 and rises after', () => {
    const rng = seededRng(7);
    for (let i = 0; i < 200; i++) {
      for (const code of drawOffences(rng, 'child')) expect(['SOA2003-s5', 'SOA2003-s6', 'SOA2003-s7', 'SOA2003-s8']).toContain(code);
      for (const code of drawOffences(rng, 'adult')) expect(['SOA2003-s1', 'SOA2003-s2', 'SOA2003-s3', 'SOA2003-s4']).toContain(code);
    }
    const mean = (y: number) => dailyVolume(Date.UTC(y, 0, 1)) + dailyVolume(Date.UTC(y, 6, 1));
    expect(mean(2020)).toBeCloseTo(mean(2019), 1);
    expect(mean(2025) / mean(2024)).toBeGreaterThan(1.25);
    expect(mean(2025) / mean(2024)).toBeLessThan(1.35);
  });

  it('seededRng is reproducible', () => {
    const x = seededRng(9);
    const y = seededRng(9);
    expect(Array.from({ length: 5 }, () => x.float())).toEqual(Array.from({ length: 5 }, () => y.float()));
  });
});
