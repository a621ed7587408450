import { base, en, en_GB, Faker } from '@faker-js/faker';
import type { Db } from '../db/database.ts';
import type { FieldCipher } from '../platform/crypto.ts';
import { insertRows } from './bulk.ts';
import { createPerson, recordAppearance, recordOnce, type Person, type RecordedSuspect } from './identity.ts';
import { DAY_MS, planJourney, type Journey } from './journey.ts';
import { drawName } from './names.ts';
import { emailFor, FORCE_WEIGHTS, ukAddress, ukMobile } from './places.ts';
import { chance, fakerRng, int, pick, shuffle, weighted, type Rng } from './random.ts';

export { typoVariant, nicknameOf, transliterationOf } from './names.ts';
export { dobVariant, nameVariant, transposeDayMonth } from './identity.ts';
export { ukVehicleReg, ukMobile, ukPostcode, ukAddress } from './places.ts';
export { seededRng, type Rng } from './random.ts';

export interface GenerateOptions {
  cases: number;
  seed: number;
  /** Last reporting date, 'YYYY-MM-DD'; the data set is "as at" the end of this day. Default '2026-09-30'. */
  until?: string;
  /** Cases per insert transaction (default 500). Does not change the data generated. */
  batchSize?: number;
  onProgress?: (done: number, total: number) => void;
  /** Users to put on case teams: police users by force id, CPS users by CPS Area id. */
  teamUserIds?: { byForce: Record<string, string[]>; byArea: Record<string, string[]> };
}

export interface GenerateSummary {
  cases: number;
  victims: number;
  suspects: number;
  witnesses: number;
  events: number;
  /** Suspect persons who appear on two or more cases. */
  repeatSuspectPersons: number;
  byForce: Record<string, number>;
}

export const DEFAULT_UNTIL = '2026-09-30';
const FIRST_DAY = Date.UTC(2019, 0, 1);
const YEAR_MS = 365.25 * DAY_MS;
/** Share of suspect persons who are repeat suspects (appear on 2–5 cases). */
const REPEAT_SHARE = 0.05;
/** Reports per day grow by this factor a year from January 2021; 2019–2020 are flat. */
const ANNUAL_GROWTH = 1.3;

interface ForceInfo {
  id: string;
  name: string;
  code: string;
  areas: { id: string; name: string }[];
}

type AgeBand = 'child' | 'teen' | 'adult';

interface CasePlan {
  forceId: string;
  forceCode: string;
  areaId: string;
  areaName: string;
  reportedAt: number;
  year: number;
  reference: string;
  band: AgeBand;
  offences: string[];
  offenceAt: number;
  offenceToAt: number | null;
  victimAges: number[];
  suspectCount: number;
  relationship: string;
  summary: string;
}

/**
 * Fills the database with a deterministic national picture of RASSO casework: every force, six-plus years of
 * reports with growing volume, realistic attrition, and repeat suspects recorded inconsistently across forces
 * (with ground truth in synthetic_suspect_identity). Same cases/seed/until → same rows and ids; only the
 * encrypted victim and witness fields differ byte-for-byte, because each encryption uses a fresh random IV.
 */
export async function generateNational(db: Db, cipher: FieldCipher, opts: GenerateOptions): Promise<GenerateSummary> {
  const total = Math.floor(opts.cases);
  if (!Number.isFinite(total) || total < 0) throw new Error('cases must be a non-negative number');
  const until = opts.until ?? DEFAULT_UNTIL;
  if (!/^\d{4}-\d{2}-\d{2}$/.test(until) || Number.isNaN(Date.parse(`${until}T00:00:00Z`))) throw new Error(`until must be YYYY-MM-DD, got "${until}"`);
  const untilDay = Date.parse(`${until}T00:00:00Z`);
  if (untilDay < FIRST_DAY) throw new Error('until must be on or after 2019-01-01');
  const untilEnd = untilDay + DAY_MS - 1;
  const batchSize = Math.max(1, Math.floor(opts.batchSize ?? 500));

  const faker = new Faker({ locale: [en_GB, en, base] });
  faker.seed(opts.seed);
  const rng = fakerRng(faker);

  const forces = await loadForces(db);
  if (forces.length === 0) throw new Error('no forces in reference data: run the migrations first');
  const offenceTitles = new Map(
    (await db.query<{ code: string; title: string }>('SELECT code, title FROM offences')).map((r) => [r.code, r.title]),
  );
  const nextNumber = await existingReferenceCounters(db);

  // 1. When and where: report dates (sorted, so reference numbers run in date order) and forces by size.
  const reportedDays = sampleReportDays(rng, total, untilDay).sort((a, b) => a - b);
  const forceOfCase = shuffle(rng, allocateForces(forces, total));
  const plans: CasePlan[] = [];
  const byForce: Record<string, number> = {};
  for (let i = 0; i < total; i++) {
    const force = forceOfCase[i] as ForceInfo;
    const day = reportedDays[i] as number;
    const area = force.areas.length > 1 ? pick(rng, force.areas) : (force.areas[0] as { id: string; name: string });
    const year = new Date(day).getUTCFullYear();
    const prefix = `${force.code}-${String(year % 100).padStart(2, '0')}`;
    const n = (nextNumber.get(prefix) ?? 0) + 1;
    nextNumber.set(prefix, n);
    byForce[force.id] = (byForce[force.id] ?? 0) + 1;
    plans.push(planCase(rng, {
      force, area, year, offenceTitles,
      reportedAt: day + int(rng, 0, 24 * 60 - 1) * 60_000,
      reference: `${prefix}-${String(n).padStart(6, '0')}`,
    }));
  }

  // 2. Who: suspect slots, some taken by repeat suspects across cases, forces and years.
  const { personOfSlot, persons, slotsOfCase, repeatPersons } = assignPersons(rng, plans);

  // 3. Rows, in batches.
  const team = opts.teamUserIds;
  const summary: GenerateSummary = { cases: total, victims: 0, suspects: 0, witnesses: 0, events: 0, repeatSuspectPersons: repeatPersons, byForce };
  const seenFirst = new Set<number>();
  for (let start = 0; start < total; start += batchSize) {
    const rows = emptyBatch();
    for (let i = start; i < Math.min(total, start + batchSize); i++) {
      const plan = plans[i] as CasePlan;
      const suspects = (slotsOfCase[i] ?? []).map((slot) => {
        const idx = personOfSlot[slot] as number;
        const first = !seenFirst.has(idx);
        seenFirst.add(idx);
        return { person: persons[idx] as Person, repeat: idx < repeatPersons, first };
      });
      buildCase(faker, rng, cipher, plan, suspects, untilEnd, team, rows);
    }
    await db.transaction(async (tx) => {
      await insertRows(tx, 'cases', CASE_COLUMNS, rows.cases);
      await insertRows(tx, 'case_offences', ['case_id', 'force_id', 'offence_code'], rows.offences);
      await insertRows(tx, 'victims', VICTIM_COLUMNS, rows.victims);
      await insertRows(tx, 'suspects', SUSPECT_COLUMNS, rows.suspects);
      await insertRows(tx, 'synthetic_suspect_identity', ['suspect_id', 'person_key'], rows.identity);
      await insertRows(tx, 'witnesses', WITNESS_COLUMNS, rows.witnesses);
      await insertRows(tx, 'case_events', EVENT_COLUMNS, rows.events);
      await insertRows(tx, 'case_team', ['case_id', 'user_id', 'force_id', 'team_role', 'added_at'], rows.team);
    });
    summary.victims += rows.victims.length;
    summary.suspects += rows.suspects.length;
    summary.witnesses += rows.witnesses.length;
    summary.events += rows.events.length;
    opts.onProgress?.(Math.min(total, start + batchSize), total);
  }
  return summary;
}

// ---------------------------------------------------------------------------------------------- reference data

async function loadForces(db: Db): Promise<ForceInfo[]> {
  const rows = await db.query<{ id: string; name: string; code: string; area_id: string | null; area_name: string | null; is_primary: boolean | null }>(
    `SELECT f.id, f.name, f.code, m.cps_area_id AS area_id, a.name AS area_name, m.is_primary
       FROM forces f
       LEFT JOIN force_area_map m ON m.force_id = f.id
       LEFT JOIN cps_areas a ON a.id = m.cps_area_id
      WHERE f.active
      ORDER BY f.id, m.is_primary DESC, m.cps_area_id`,
  );
  const forces = new Map<string, ForceInfo>();
  for (const r of rows) {
    let f = forces.get(r.id);
    if (!f) forces.set(r.id, (f = { id: r.id, name: r.name, code: r.code, areas: [] }));
    if (r.area_id && r.area_name) f.areas.push({ id: r.area_id, name: r.area_name });
  }
  return [...forces.values()].filter((f) => f.areas.length > 0);
}

/** Highest running number already used per "CODE-YY" prefix, so a second run never collides on reference. */
async function existingReferenceCounters(db: Db): Promise<Map<string, number>> {
  const rows = await db.query<{ prefix: string; n: number }>(
    `SELECT substring(reference from '^(.*)-[0-9]{6}$') AS prefix, max(substring(reference from '-([0-9]{6})$')::int) AS n
       FROM cases WHERE reference ~ '^[A-Z]+-[0-9]{2}-[0-9]{6}$' GROUP BY 1`,
  );
  return new Map(rows.map((r) => [r.prefix, Number(r.n)]));
}

// ---------------------------------------------------------------------------------------------- when and where

/** Relative reporting volume on a day: flat to 2020, then compound growth, with a mild summer peak. */
export function dailyVolume(dayMs: number): number {
  const sinceJan2021 = (dayMs - Date.UTC(2021, 0, 1)) / YEAR_MS;
  const trend = sinceJan2021 <= 0 ? 1 : Math.pow(ANNUAL_GROWTH, sinceJan2021);
  const dayOfYear = (dayMs - Date.UTC(new Date(dayMs).getUTCFullYear(), 0, 1)) / DAY_MS;
  return trend * (1 + 0.08 * Math.cos((2 * Math.PI * (dayOfYear - 196)) / 365));
}

function sampleReportDays(rng: Rng, n: number, untilDay: number): number[] {
  const days: number[] = [];
  const cumulative: number[] = [];
  let sum = 0;
  for (let d = FIRST_DAY; d <= untilDay; d += DAY_MS) {
    sum += dailyVolume(d);
    days.push(d);
    cumulative.push(sum);
  }
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const u = rng.float() * sum;
    let lo = 0;
    let hi = cumulative.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((cumulative[mid] as number) > u) hi = mid;
      else lo = mid + 1;
    }
    out.push(days[lo] as number);
  }
  return out;
}

/** Cases per force in proportion to size (largest remainder), at least one each when there are enough cases. */
function allocateForces(forces: ForceInfo[], n: number): ForceInfo[] {
  const weights = forces.map((f) => FORCE_WEIGHTS[f.id] ?? 1);
  const totalWeight = weights.reduce((a, b) => a + b, 0);
  const floorAt = n >= forces.length ? 1 : 0;
  const counts = weights.map((w) => Math.max(floorAt, Math.floor((n * w) / totalWeight)));
  let assigned = counts.reduce((a, b) => a + b, 0);
  const byRemainder = weights
    .map((w, i) => ({ i, r: (n * w) / totalWeight - Math.floor((n * w) / totalWeight) }))
    .sort((a, b) => b.r - a.r || a.i - b.i);
  for (let k = 0; assigned < n; k = (k + 1) % byRemainder.length) {
    counts[(byRemainder[k] as { i: number }).i]! += 1;
    assigned++;
  }
  // the minimum of one each can overshoot for small n: take the excess from the largest forces
  const bySize = weights.map((w, i) => ({ w, i })).sort((a, b) => b.w - a.w || a.i - b.i);
  for (let k = 0; assigned > n; k = (k + 1) % bySize.length) {
    const i = (bySize[k] as { i: number }).i;
    if ((counts[i] as number) > floorAt) {
      counts[i]! -= 1;
      assigned--;
    }
  }
  const out: ForceInfo[] = [];
  forces.forEach((f, i) => {
    for (let c = 0; c < (counts[i] as number); c++) out.push(f);
  });
  return out;
}

// ---------------------------------------------------------------------------------------------- the case

const RELATIONSHIPS_KNOWN: readonly (readonly [string, number])[] = [
  ['a current or former partner', 30], ['an acquaintance', 28], ['a friend', 10], ['a family member', 7],
  ['someone met online', 12], ['a stranger', 8], ['a colleague', 5],
];
const RELATIONSHIPS_CHILD: readonly (readonly [string, number])[] = [
  ['a family member', 45], ['a family friend', 20], ['a neighbour', 8], ['an older child known to them', 12], ['someone met online', 10], ['a stranger', 5],
];
const RELATIONSHIPS_UNKNOWN: readonly (readonly [string, number])[] = [['a stranger', 70], ['someone met online', 20], ['an acquaintance', 10]];
const PLACES_ADULT = [
  'at a residential address', 'after a night out', "at the suspect's home", 'in a vehicle', 'at a party', 'in a hotel',
  'outdoors', 'at student accommodation', 'at a workplace',
] as const;
const PLACES_CHILD = ['at the family home', "at a relative's home", 'at a friend\'s home', 'outdoors'] as const;

function planCase(
  rng: Rng,
  c: { force: ForceInfo; area: { id: string; name: string }; year: number; reportedAt: number; reference: string; offenceTitles: Map<string, string> },
): CasePlan {
  const band = weighted<AgeBand>(rng, [['adult', 72], ['teen', 17], ['child', 11]]);
  const offences = drawOffences(rng, band);

  const v1 = band === 'child' ? int(rng, 3, 12) : band === 'teen' ? int(rng, 13, 17) : chance(rng, 0.85) ? int(rng, 18, 45) : int(rng, 46, 79);
  const victimAges = [v1];
  if (chance(rng, 0.07)) victimAges.push(band === 'child' ? int(rng, 3, 12) : Math.max(13, v1 + int(rng, -4, 4)));

  const reportedDay = Math.floor(c.reportedAt / DAY_MS) * DAY_MS;
  const timing = weighted(rng, band === 'child' ? [['recent', 45], ['months', 20], ['non_recent', 35]] as const : [['recent', 60], ['months', 26], ['non_recent', 14]] as const);
  let offenceAt: number;
  let offenceToAt: number | null = null;
  if (timing === 'recent') offenceAt = reportedDay - Math.min(14, Math.floor(-Math.log(1 - rng.float()) * 2)) * DAY_MS;
  else if (timing === 'months') offenceAt = reportedDay - int(rng, 15, 365) * DAY_MS;
  else {
    offenceAt = reportedDay - int(rng, 366, 25 * 365) * DAY_MS;
    if (chance(rng, 0.4)) {
      const maxSpan = band === 'child' ? Math.max(30, (13 - Math.max(...victimAges)) * 365 - 30) : 3 * 365;
      offenceToAt = Math.min(reportedDay - DAY_MS, offenceAt + int(rng, 30, maxSpan) * DAY_MS);
    }
  }

  const identified = !chance(rng, band === 'child' ? 0.03 : 0.09);
  const suspectCount = identified ? (chance(rng, 0.08) ? 2 : 1) : 0;
  const relationship = weighted(rng, !identified ? RELATIONSHIPS_UNKNOWN : band === 'child' ? RELATIONSHIPS_CHILD : RELATIONSHIPS_KNOWN);
  const place = pick(rng, band === 'child' ? PLACES_CHILD : PLACES_ADULT);

  const title = c.offenceTitles.get(offences[0] as string) ?? 'Sexual offence';
  const when =
    timing === 'recent' ? 'reported within days of the offence'
    : timing === 'months' ? 'reported some months after the offence'
    : `non-recent, reported about ${Math.max(1, Math.round((reportedDay - offenceAt) / YEAR_MS))} years after the offence${offenceToAt ? ' (a period of offending)' : ''}`;
  const suspectText = !identified
    ? `the suspect has not been identified (believed to be ${relationship})`
    : suspectCount > 1 ? `two suspects, one of them ${relationship}` : `the suspect is ${relationship}`;
  const extra = offences.length > 1 ? ` Further offences: ${offences.slice(1).map((o) => (c.offenceTitles.get(o) ?? o).toLowerCase()).join(', ')}.` : '';
  const summary = `${title} ${when}; ${suspectText}. Offence ${place}.${extra}`;

  return {
    forceId: c.force.id, forceCode: c.force.code, areaId: c.area.id, areaName: c.area.name, reportedAt: c.reportedAt, year: c.year,
    reference: c.reference, band, offences, offenceAt, offenceToAt, victimAges, suspectCount, relationship, summary,
  };
}

/** Offences consistent with the victim's age: ss.5–8 only (and always) when the victim was under 13. */
export function drawOffences(rng: Rng, band: AgeBand): string[] {
  const options: readonly (readonly [string, number])[] =
    band === 'child'
      ? [['SOA2003-s5', 55], ['SOA2003-s6', 15], ['SOA2003-s7', 20], ['SOA2003-s8', 10]]
      : [['SOA2003-s1', 72], ['SOA2003-s2', 12], ['SOA2003-s3', 11], ['SOA2003-s4', 5]];
  const first = weighted(rng, options);
  const out = [first];
  if (chance(rng, 0.25)) {
    const second = weighted(rng, options.filter(([code]) => code !== first));
    out.push(second);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------- suspects

/**
 * Decides which real person fills each suspect slot. About REPEAT_SHARE of persons are repeat suspects on 2–5
 * cases: a third of further appearances stay in the same CPS Area, the rest anywhere in the country.
 */
function assignPersons(rng: Rng, plans: CasePlan[]) {
  const slotCase: number[] = [];
  const slotsOfCase: number[][] = plans.map(() => []);
  plans.forEach((p, caseIdx) => {
    for (let s = 0; s < p.suspectCount; s++) {
      (slotsOfCase[caseIdx] as number[]).push(slotCase.length);
      slotCase.push(caseIdx);
    }
  });
  const slotCount = slotCase.length;
  const personOfSlot = new Int32Array(slotCount).fill(-1);
  const free: number[] = Array.from({ length: slotCount }, (_, i) => i);
  const take = (k: number): number => {
    const slot = free[k] as number;
    const last = free.pop() as number;
    if (k < free.length) free[k] = last;
    return slot;
  };

  const personSlots: number[][] = [];
  // persons ≈ slots − extra appearances; mean appearances ≈ 2.8, so repeat persons ≈ share × slots / 1.09
  const repeatTarget = slotCount >= 20 ? Math.round((REPEAT_SHARE * slotCount) / (1 + REPEAT_SHARE * 1.8)) : 0;
  for (let r = 0; r < repeatTarget && free.length >= 2; r++) {
    const k = weighted(rng, [[2, 50], [3, 28], [4, 14], [5, 8]] as const);
    const anchor = take(Math.floor(rng.float() * free.length));
    const mine = [anchor];
    const cases = new Set([slotCase[anchor]]);
    const anchorArea = (plans[slotCase[anchor] as number] as CasePlan).areaId;
    for (let j = 1; j < k && free.length > 0; j++) {
      const sameArea = chance(rng, 0.35);
      for (let attempt = 0; attempt < 40; attempt++) {
        const at = Math.floor(rng.float() * free.length);
        const slot = free[at] as number;
        const caseIdx = slotCase[slot] as number;
        if (cases.has(caseIdx)) continue;
        if (sameArea && attempt < 39 && (plans[caseIdx] as CasePlan).areaId !== anchorArea) continue;
        mine.push(take(at));
        cases.add(caseIdx);
        break;
      }
    }
    if (mine.length < 2) {
      // could not place a second appearance: give the slot back and stop (only happens in tiny data sets)
      free.push(anchor);
      break;
    }
    personSlots.push(mine.sort((a, b) => a - b));
  }
  const repeatPersons = personSlots.length;
  for (const slot of [...free].sort((a, b) => a - b)) personSlots.push([slot]);

  const persons: Person[] = personSlots.map((slots, idx) => {
    const key = `P${String(idx + 1).padStart(7, '0')}`;
    const offenceTimes = slots.map((s) => (plans[slotCase[s] as number] as CasePlan).offenceAt);
    const earliest = Math.min(...offenceTimes);
    const latest = Math.max(...offenceTimes);
    const first = plans[slotCase[slots[0] as number] as number] as CasePlan;
    const spanYears = Math.ceil((latest - earliest) / YEAR_MS);
    const youngest = first.band === 'child' && slots.length === 1 ? 14 : 16;
    const lo = Math.max(youngest, spanYears + 16);
    const hi = Math.max(lo + 4, 68);
    const ageAtLatest = lo + Math.floor(Math.pow(rng.float(), 1.7) * (hi - lo));
    const dob = isoDate(addYears(latest, -ageAtLatest) - int(rng, 1, 364) * DAY_MS);
    slots.forEach((s) => (personOfSlot[s] = idx));
    return createPerson(rng, key, dob, first.forceId, slots.length > 1 ? 0.08 : 0.02);
  });
  return { personOfSlot, persons, slotsOfCase, repeatPersons };
}

// ---------------------------------------------------------------------------------------------- rows

const CASE_COLUMNS = ['id', 'reference', 'force_id', 'cps_area_id', 'stage', 'offence_date', 'offence_date_to', 'reported_at', 'summary', 'referred_at', 'outcome_type_code', 'created_at', 'updated_at'] as const;
const VICTIM_COLUMNS = ['id', 'case_id', 'force_id', 'label', 'name_enc', 'date_of_birth_enc', 'contact_enc', 'age_at_offence', 'vulnerabilities', 'communication_needs', 'contact_preferences', 'enhanced_rights', 'created_at', 'updated_at'] as const;
const SUSPECT_COLUMNS = ['id', 'case_id', 'force_id', 'label', 'given_name', 'family_name', 'aliases', 'date_of_birth', 'addresses', 'phones', 'emails', 'online_identifiers', 'vehicles', 'created_at', 'updated_at'] as const;
const WITNESS_COLUMNS = ['id', 'case_id', 'force_id', 'label', 'name_enc', 'contact_enc', 'relationship', 'created_at', 'updated_at'] as const;
const EVENT_COLUMNS = ['id', 'case_id', 'force_id', 'occurred_at', 'recorded_at', 'kind', 'summary', 'data'] as const;

interface Batch {
  cases: unknown[][];
  offences: unknown[][];
  victims: unknown[][];
  suspects: unknown[][];
  identity: unknown[][];
  witnesses: unknown[][];
  events: unknown[][];
  team: unknown[][];
}

function emptyBatch(): Batch {
  return { cases: [], offences: [], victims: [], suspects: [], identity: [], witnesses: [], events: [], team: [] };
}

const WITNESS_RELATIONSHIPS = [
  'friend', 'flatmate', 'family member', 'first account witness', 'colleague', 'door staff', 'taxi driver', 'neighbour',
  'partner of the complainant', 'fellow student', 'bar staff', 'passer-by',
] as const;
const COMMUNICATION_NEEDS = [
  'Needs a British Sign Language interpreter.', 'Needs a Polish interpreter.', 'Needs a Romanian interpreter.',
  'Needs an Urdu interpreter.', 'Uses a communication aid; allow extra time.', 'Prefers written questions in advance.',
] as const;
const SAFE_TIMES = ['weekdays 9am to 5pm', 'evenings after 6pm', 'weekday mornings only', 'not before 10am', 'any time', 'lunchtimes only'] as const;

function buildCase(
  faker: Faker,
  rng: Rng,
  cipher: FieldCipher,
  plan: CasePlan,
  suspects: { person: Person; repeat: boolean; first: boolean }[],
  untilEnd: number,
  team: GenerateOptions['teamUserIds'],
  rows: Batch,
): void {
  const caseId = faker.string.uuid();
  const labels = suspects.map((_, i) => `S${i + 1}`);
  const journey: Journey = planJourney(rng, { reportedAt: plan.reportedAt, reportYear: plan.year, suspectLabels: labels, areaName: plan.areaName, untilEnd });
  const createdAt = iso(plan.reportedAt);
  const updatedAt = iso(Math.max(plan.reportedAt, journey.updatedAt));
  rows.cases.push([
    caseId, plan.reference, plan.forceId, plan.areaId, journey.stage, isoDate(plan.offenceAt),
    plan.offenceToAt === null ? null : isoDate(plan.offenceToAt), isoDate(plan.reportedAt), plan.summary,
    journey.referredAt === null ? null : iso(journey.referredAt), journey.outcome, createdAt, updatedAt,
  ]);
  for (const code of plan.offences) rows.offences.push([caseId, plan.forceId, code]);

  const reportedAgeShift = Math.floor((plan.reportedAt - plan.offenceAt) / YEAR_MS);
  plan.victimAges.forEach((age, i) => {
    const id = faker.string.uuid();
    const name = drawName(rng, chance(rng, 0.88) ? 'female' : 'male', 0);
    const dob = isoDate(addYears(plan.offenceAt, -age) - int(rng, 1, 360) * DAY_MS);
    const contact = { phone: ukMobile(rng), email: chance(rng, 0.8) ? emailFor(rng, name.given, name.family) : null, address: ukAddress(rng, plan.forceId) };
    const vulnerabilities: string[] = [];
    if (age + reportedAgeShift < 18) vulnerabilities.push('under_18');
    if (chance(rng, 0.3)) vulnerabilities.push('mental_health');
    if (chance(rng, 0.06)) vulnerabilities.push('learning_disability');
    if (chance(rng, 0.12)) vulnerabilities.push('substance_use');
    if (chance(rng, plan.relationship === 'a current or former partner' ? 0.7 : 0.04)) vulnerabilities.push('domestic_abuse');
    if (chance(rng, 0.05)) vulnerabilities.push('communication');
    const needs = [
      ...(vulnerabilities.includes('communication') ? [pick(rng, COMMUNICATION_NEEDS)] : []),
      ...(vulnerabilities.includes('learning_disability') ? ['Easy-read letters; an intermediary assessment is recommended.'] : []),
    ].join(' ');
    const child = age + reportedAgeShift < 16;
    const preferences = {
      method: child ? weighted(rng, [['via_isva', 60], ['letter', 20], ['phone', 20]] as const) : weighted(rng, [['phone', 50], ['email', 22], ['via_isva', 18], ['letter', 10]] as const),
      mayLeaveMessage: chance(rng, 0.55),
      safeTimes: pick(rng, SAFE_TIMES),
      interviewerSex: weighted(rng, [['female', 55], ['no_preference', 35], ['male', 10]] as const),
    };
    rows.victims.push([
      id, caseId, plan.forceId, `V${i + 1}`,
      cipher.encryptJson({ given: name.given, family: name.family }, { table: 'victims', column: 'name', rowId: id }),
      cipher.encrypt(dob, { table: 'victims', column: 'date_of_birth', rowId: id }),
      cipher.encryptJson(contact, { table: 'victims', column: 'contact', rowId: id }),
      age, JSON.stringify(vulnerabilities), needs, JSON.stringify(preferences), true, createdAt, createdAt,
    ]);
  });

  suspects.forEach(({ person, repeat, first }, i) => {
    const id = faker.string.uuid();
    const r: RecordedSuspect = repeat ? recordAppearance(person, rng, plan.forceId, first) : recordOnce(person, rng);
    rows.suspects.push([
      id, caseId, plan.forceId, `S${i + 1}`, r.given, r.family, JSON.stringify(r.aliases), r.dob, JSON.stringify(r.addresses),
      JSON.stringify(r.phones), JSON.stringify(r.emails), JSON.stringify(r.online), JSON.stringify(r.vehicles), createdAt, createdAt,
    ]);
    rows.identity.push([id, person.key]);
  });

  const witnessCount = weighted(rng, [[0, 30], [1, 35], [2, 25], [3, 10]] as const);
  for (let w = 0; w < witnessCount; w++) {
    const id = faker.string.uuid();
    const name = drawName(rng, chance(rng, 0.6) ? 'female' : 'male', 0);
    const contact = { phone: ukMobile(rng), email: chance(rng, 0.5) ? emailFor(rng, name.given, name.family) : null, address: ukAddress(rng, plan.forceId) };
    rows.witnesses.push([
      id, caseId, plan.forceId, `W${w + 1}`,
      cipher.encryptJson({ given: name.given, family: name.family }, { table: 'witnesses', column: 'name', rowId: id }),
      cipher.encryptJson(contact, { table: 'witnesses', column: 'contact', rowId: id }),
      pick(rng, WITNESS_RELATIONSHIPS), createdAt, createdAt,
    ]);
  }

  for (const e of journey.events) {
    const recordedAt = Math.max(e.at, Math.min(untilEnd, e.at + int(rng, 2, 240) * 60_000));
    rows.events.push([faker.string.uuid(), caseId, plan.forceId, iso(e.at), iso(recordedAt), e.kind, e.summary, JSON.stringify(e.data)]);
  }

  if (team) {
    // picked by hashing the case id, so adding team users never changes the rest of the data set
    const police = team.byForce[plan.forceId] ?? [];
    const officer = police.length > 0 ? police[hash(caseId) % police.length] : undefined;
    if (officer) rows.team.push([caseId, officer, plan.forceId, 'officer_in_case', createdAt]);
    const cps = team.byArea[plan.areaId] ?? [];
    const prosecutor = journey.referredAt !== null && cps.length > 0 ? cps[hash(`${caseId}:cps`) % cps.length] : undefined;
    if (prosecutor && prosecutor !== officer) rows.team.push([caseId, prosecutor, plan.forceId, 'prosecutor', iso(journey.referredAt as number)]);
  }
}

// ---------------------------------------------------------------------------------------------- small helpers

function hash(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

function addYears(ms: number, years: number): number {
  const d = new Date(ms);
  d.setUTCFullYear(d.getUTCFullYear() + years);
  return d.getTime();
}

function isoDate(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}
