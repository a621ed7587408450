/**
 * Comparison levels per field. Level 0 is always "missing" (either side unknown: Bayes factor 1);
 * the other levels are checked strongest first and the first that holds is the pair's level.
 */
import { jaroWinklerAbove, withinEdits, withinOneEdit, wordJaccard } from './metrics.ts';
import { shareNicknameGroup } from './nicknames.ts';
import type { NameForm, NameVariant, PreparedRecord } from './types.ts';

export const FIELDS = [
  'given',
  'family',
  'dob',
  'location',
  'town',
  'birthPlace',
  'sex',
  'occupation',
  'phone',
  'email',
  'onlineIds',
  'vehicles',
  'identifiers',
] as const;
export type FieldName = (typeof FIELDS)[number];

/** Term-frequency adjustment: at these levels the Bayes factor is scaled by how common the shared value is. */
export interface TfSpec {
  levels: readonly number[];
  value(r: PreparedRecord): string | null;
}

export interface ComparisonSpec {
  field: FieldName;
  title: string;
  /** level labels; index 0 is the missing level */
  levels: readonly string[];
  tf: readonly TfSpec[];
  /** level whose u is computed exactly from value frequencies (Σ p²) of tf[0], or -1 */
  exactLevel: number;
  /** is the field known for this record? */
  present(r: PreparedRecord): boolean;
  /** the value shown in explanations */
  display(r: PreparedRecord): string | null;
}

/** Field index constants (positions in FIELDS). */
export const F = {
  given: 0,
  family: 1,
  dob: 2,
  location: 3,
  town: 4,
  birthPlace: 5,
  sex: 6,
  occupation: 7,
  phone: 8,
  email: 9,
  onlineIds: 10,
  vehicles: 11,
  identifiers: 12,
} as const satisfies Record<FieldName, number>;

// Thresholds (Jaro-Winkler) — see bench/linkage.ts for the measurements behind them.
export const JW_NAME_HIGH = 0.92;
export const JW_NAME_LOW = 0.8;
export const JW_PLACE = 0.88;
export const JW_ADDRESS = 0.9;

export const NAME_LEVELS = {
  given: ['missing', 'exact', 'nickname or same forename', `Jaro-Winkler ≥ ${JW_NAME_HIGH}`, 'sounds alike (Double Metaphone)', `Jaro-Winkler ≥ ${JW_NAME_LOW}`, 'initial or prefix', 'different'],
  family: ['missing', 'exact', 'swapped with given name', `Jaro-Winkler ≥ ${JW_NAME_HIGH}`, 'sounds alike (Double Metaphone)', `Jaro-Winkler ≥ ${JW_NAME_LOW}`, 'shares a part (double-barrelled)', 'different'],
} as const;

const LOCATION_LEVELS = [
  'missing',
  'same postcode and address',
  'same postcode (address unknown)',
  'same address (postcode unknown or one character differs)',
  'same postcode, different address',
  'similar address or postcode one character differs',
  'same postcode district',
  'different',
];

const fmtDob = (d: string | null) => (d ? `${d.slice(0, 4)}-${d.slice(4, 6)}-${d.slice(6)}` : null);
const list = (xs: readonly string[]) => (xs.length ? xs.join(', ') : null);

export const SPECS: readonly ComparisonSpec[] = [
  {
    field: 'given',
    title: 'Given name',
    levels: NAME_LEVELS.given,
    tf: [{ levels: [1], value: (r) => r.given?.compact ?? null }],
    exactLevel: 1,
    present: (r) => r.given !== null,
    display: (r) => r.given?.tokens.join(' ') ?? null,
  },
  {
    field: 'family',
    title: 'Family name',
    levels: NAME_LEVELS.family,
    tf: [{ levels: [1, 2], value: (r) => r.family?.compact ?? null }],
    exactLevel: 1,
    present: (r) => r.family !== null,
    display: (r) => r.family?.tokens.join(' ') ?? null,
  },
  {
    field: 'dob',
    title: 'Date of birth',
    levels: ['missing', 'exact', 'day and month transposed', 'year one out', 'one digit differs', 'two of day/month/year agree', 'different'],
    tf: [{ levels: [1], value: (r) => r.dob }],
    exactLevel: 1,
    present: (r) => r.dob !== null,
    display: (r) => fmtDob(r.dob),
  },
  {
    field: 'location',
    title: 'Postcode and address',
    levels: LOCATION_LEVELS,
    tf: [
      { levels: [1, 2], value: (r) => r.postcode },
      { levels: [3], value: (r) => r.address },
    ],
    exactLevel: -1,
    present: (r) => r.postcode !== null || r.address !== null,
    display: (r) => [r.address, r.postcode].filter(Boolean).join(', ') || null,
  },
  { field: 'town', title: 'Town', levels: ['missing', 'exact', `Jaro-Winkler ≥ ${JW_PLACE}`, 'different'], tf: [{ levels: [1], value: (r) => r.town }], exactLevel: 1, present: (r) => r.town !== null, display: (r) => r.town },
  {
    field: 'birthPlace',
    title: 'Place of birth',
    levels: ['missing', 'exact', `Jaro-Winkler ≥ ${JW_PLACE}`, 'different'],
    tf: [{ levels: [1], value: (r) => r.birthPlace }],
    exactLevel: 1,
    present: (r) => r.birthPlace !== null,
    display: (r) => r.birthPlace,
  },
  { field: 'sex', title: 'Sex', levels: ['missing', 'same', 'different'], tf: [], exactLevel: -1, present: (r) => r.sex !== null, display: (r) => r.sex },
  { field: 'occupation', title: 'Occupation', levels: ['missing', 'exact', 'different'], tf: [{ levels: [1], value: (r) => r.occupation }], exactLevel: 1, present: (r) => r.occupation !== null, display: (r) => r.occupation },
  {
    field: 'phone',
    title: 'Phone',
    levels: ['missing', 'exact', 'one digit differs or same last 7 digits', 'different'],
    tf: [{ levels: [1], value: (r) => r.phone }],
    exactLevel: 1,
    present: (r) => r.phone !== null,
    display: (r) => r.phone,
  },
  {
    field: 'email',
    title: 'Email',
    levels: ['missing', 'exact', 'one or two characters differ', 'same user name, other domain', 'different'],
    tf: [{ levels: [1], value: (r) => r.email }],
    exactLevel: 1,
    present: (r) => r.email !== null,
    display: (r) => r.email,
  },
  { field: 'onlineIds', title: 'Online identifiers', levels: ['missing', 'one shared', 'none shared'], tf: [], exactLevel: -1, present: (r) => r.onlineIds.length > 0, display: (r) => list(r.onlineIds) },
  { field: 'vehicles', title: 'Vehicles', levels: ['missing', 'one shared', 'none shared'], tf: [], exactLevel: -1, present: (r) => r.vehicles.length > 0, display: (r) => list(r.vehicles) },
  {
    field: 'identifiers',
    title: 'Identifiers',
    levels: ['missing', 'one shared', 'one character differs', 'different'],
    tf: [],
    exactLevel: -1,
    present: (r) => r.identifiers.length > 0,
    display: (r) => list(r.identifiers),
  },
];

// ---------------------------------------------------------------- names

export function compareGiven(x: NameForm, y: NameForm): number {
  if (x.compact === y.compact) return 1;
  if (shareNicknameGroup(x.nick, y.nick)) return 2;
  if ((x.tokens.length > 1 || y.tokens.length > 1) && x.first === y.first && x.first.length > 1) return 2;
  const jw = jaroWinklerAbove(x.compact, y.compact, JW_NAME_LOW);
  if (jw >= JW_NAME_HIGH) return 3;
  if (phoneticEqual(x, y)) return 4;
  if (jw >= JW_NAME_LOW) return 5;
  if (isInitialOrPrefix(x.compact, y.compact)) return 6;
  return 7;
}

export function compareFamily(x: NameForm, y: NameForm): number {
  if (x.compact === y.compact) return 1;
  const jw = jaroWinklerAbove(x.compact, y.compact, JW_NAME_LOW);
  if (jw >= JW_NAME_HIGH) return 3;
  if (phoneticEqual(x, y)) return 4;
  if (jw >= JW_NAME_LOW) return 5;
  if ((x.tokens.length > 1 || y.tokens.length > 1) && sharesToken(x.tokens, y.tokens)) return 6;
  return 7;
}

function phoneticEqual(x: NameForm, y: NameForm): boolean {
  if (!x.ph1 || !y.ph1) return false;
  return x.ph1 === y.ph1 || x.ph1 === y.ph2 || x.ph2 === y.ph1 || (x.ph2 !== '' && x.ph2 === y.ph2);
}

function isInitialOrPrefix(a: string, b: string): boolean {
  if (a[0] !== b[0]) return false;
  return a.length === 1 || b.length === 1 || a.startsWith(b) || b.startsWith(a);
}

function sharesToken(a: readonly string[], b: readonly string[]): boolean {
  for (const t of a) if (t.length > 1 && b.includes(t)) return true;
  return false;
}

/** Strong enough to count as "the same name" when testing for a given/family swap. */
function strongMatch(x: NameForm, y: NameForm): boolean {
  if (x.compact === y.compact) return true;
  // Jaro-Winkler ≥ 0.92 needs a shared first letter unless the names are long (cheap pre-check)
  if (x.compact[0] !== y.compact[0] && x.compact.length < 12) return false;
  return jaroWinklerAbove(x.compact, y.compact, JW_NAME_HIGH) >= JW_NAME_HIGH;
}

const MISSING_RANK = 4.5;
const rank = (level: number) => (level === 0 ? MISSING_RANK : level);

export interface NameMatch {
  given: number;
  family: number;
  /** the names compared (after choosing the best alias / swap) */
  a: NameVariant;
  b: NameVariant;
  swapped: boolean;
  viaAlias: boolean;
}

function compareVariant(va: NameVariant, vb: NameVariant, out: NameMatch, viaAlias: boolean, first: boolean): void {
  const g = va.given && vb.given ? compareGiven(va.given, vb.given) : 0;
  const f = va.family && vb.family ? compareFamily(va.family, vb.family) : 0;
  const score = rank(g) + rank(f);
  if (first || score < rank(out.given) + rank(out.family)) {
    out.given = g;
    out.family = f;
    out.a = va;
    out.b = vb;
    out.swapped = false;
    out.viaAlias = viaAlias;
  }
  if (g !== 1 && f !== 1 && va.given && va.family && vb.given && vb.family) {
    if (strongMatch(va.given, vb.family) && strongMatch(va.family, vb.given)) {
      const gs = compareGiven(va.given, vb.family);
      if (rank(gs) + 2 < rank(out.given) + rank(out.family)) {
        out.given = gs;
        out.family = 2;
        out.a = va;
        out.b = vb;
        out.swapped = true;
        out.viaAlias = viaAlias;
      }
    }
  }
}

/** Compare names, trying the swap of given/family and every alias; the best-ranked combination wins. */
export function compareNames(a: PreparedRecord, b: PreparedRecord, out: NameMatch): NameMatch {
  const pa: NameVariant = { given: a.given, family: a.family };
  const pb: NameVariant = { given: b.given, family: b.family };
  out.given = 0;
  out.family = 0;
  out.a = pa;
  out.b = pb;
  out.swapped = false;
  out.viaAlias = false;
  compareVariant(pa, pb, out, false, true);
  if (a.aliases.length || b.aliases.length) {
    const va = [pa, ...a.aliases];
    const vb = [pb, ...b.aliases];
    for (let i = 0; i < va.length; i++) {
      for (let j = 0; j < vb.length; j++) if (i || j) compareVariant(va[i]!, vb[j]!, out, true, false);
    }
  }
  return out;
}

// ---------------------------------------------------------------- other fields

export function compareDob(a: PreparedRecord, b: PreparedRecord): number {
  if (a.dob === null || b.dob === null) return 0;
  if (a.dob === b.dob) return 1;
  if (a.dobY === b.dobY && a.dobM === b.dobD && a.dobD === b.dobM) return 2;
  if (a.dobM === b.dobM && a.dobD === b.dobD && (a.dobY - b.dobY === 1 || b.dobY - a.dobY === 1)) return 3;
  if (withinOneEdit(a.dob, b.dob)) return 4;
  const same = (a.dobY === b.dobY ? 1 : 0) + (a.dobM === b.dobM ? 1 : 0) + (a.dobD === b.dobD ? 1 : 0);
  if (same >= 2) return 5;
  return 6;
}

/** Postcode and address compared together (they are strongly dependent: counting both would double the evidence). */
export function compareLocation(a: PreparedRecord, b: PreparedRecord): number {
  const pa = a.postcode;
  const pb = b.postcode;
  const aa = a.address;
  const ab = b.address;
  const pcKnown = pa !== null && pb !== null;
  const adKnown = aa !== null && ab !== null;
  if (!pcKnown && !adKnown) return 0;
  const pcSame = pcKnown && pa === pb;
  const adSame = adKnown && aa === ab;
  if (pcSame && adSame) return 1;
  if (pcSame && !adKnown) return 2;
  const pcNear = pcKnown && !pcSame && withinOneEdit(pa, pb);
  if (adSame && (!pcKnown || pcNear)) return 3;
  if (pcSame) return 4;
  if (adSame || pcNear) return 5;
  if (adKnown) {
    const jac = wordJaccard(aa, ab);
    // addresses with no word in common are not similar; skip the (costly) Jaro-Winkler on long strings
    if (jac >= 0.5 || (jac > 0 && jaroWinklerAbove(aa, ab, JW_ADDRESS) >= JW_ADDRESS)) return 5;
  }
  if (pcKnown && a.postcodeDistrict === b.postcodeDistrict) return 6;
  return 7;
}

function comparePlace(x: string | null, y: string | null): number {
  if (x === null || y === null) return 0;
  if (x === y) return 1;
  return jaroWinklerAbove(x, y, JW_PLACE) >= JW_PLACE ? 2 : 3;
}

function compareExact(x: string | null, y: string | null): number {
  if (x === null || y === null) return 0;
  return x === y ? 1 : 2;
}

export function comparePhone(a: PreparedRecord, b: PreparedRecord): number {
  const x = a.phone;
  const y = b.phone;
  if (x === null || y === null) return 0;
  if (x === y) return 1;
  if (withinOneEdit(x, y) || (x.length >= 7 && y.length >= 7 && x.slice(-7) === y.slice(-7))) return 2;
  return 3;
}

export function compareEmail(a: PreparedRecord, b: PreparedRecord): number {
  const x = a.email;
  const y = b.email;
  if (x === null || y === null) return 0;
  if (x === y) return 1;
  // typos: at most two edits over the whole address (user names built from names differ by more)
  if (Math.abs(x.length - y.length) <= 2 && withinEdits(x, y, 2)) return 2;
  if (a.emailLocal === b.emailLocal && a.emailLocal!.length > 2) return 3;
  return 4;
}

function compareSets(x: readonly string[], y: readonly string[]): number {
  if (!x.length || !y.length) return 0;
  for (const v of x) if (y.includes(v)) return 1;
  return 2;
}

export function compareIdentifiers(a: PreparedRecord, b: PreparedRecord): number {
  const x = a.identifiers;
  const y = b.identifiers;
  if (!x.length || !y.length) return 0;
  for (const v of x) if (y.includes(v)) return 1;
  for (const v of x) for (const w of y) if (withinOneEdit(v, w)) return 2;
  return 3;
}

const scratch: NameMatch = { given: 0, family: 0, a: { given: null, family: null }, b: { given: null, family: null }, swapped: false, viaAlias: false };

/** Level of one field for a pair. */
export function compareField(field: number, a: PreparedRecord, b: PreparedRecord): number {
  switch (field) {
    case F.given:
      return compareNames(a, b, scratch).given;
    case F.family:
      return compareNames(a, b, scratch).family;
    case F.dob:
      return compareDob(a, b);
    case F.location:
      return compareLocation(a, b);
    case F.town:
      return comparePlace(a.town, b.town);
    case F.birthPlace:
      return comparePlace(a.birthPlace, b.birthPlace);
    case F.sex:
      return compareExact(a.sex, b.sex);
    case F.occupation:
      return compareExact(a.occupation, b.occupation);
    case F.phone:
      return comparePhone(a, b);
    case F.email:
      return compareEmail(a, b);
    case F.onlineIds:
      return compareSets(a.onlineIds, b.onlineIds);
    case F.vehicles:
      return compareSets(a.vehicles, b.vehicles);
    case F.identifiers:
      return compareIdentifiers(a, b);
    default:
      throw new Error(`unknown field ${field}`);
  }
}

/**
 * Fill `out[k]` with the level of `fields[k]` for the pair. Returns 1 when the names were matched through a
 * swap or an alias (then term-frequency values must be read from the NameMatch, not the primary names).
 */
export function compareRecords(a: PreparedRecord, b: PreparedRecord, fields: readonly number[], out: Uint8Array, names: NameMatch = scratch): number {
  let flags = 0;
  let namesDone = false;
  for (let k = 0; k < fields.length; k++) {
    const f = fields[k]!;
    if (f === F.given || f === F.family) {
      if (!namesDone) {
        compareNames(a, b, names);
        namesDone = true;
        if (names.swapped || names.viaAlias) flags = 1;
      }
      out[k] = f === F.given ? names.given : names.family;
    } else {
      out[k] = compareField(f, a, b);
    }
  }
  return flags;
}

export function newNameMatch(): NameMatch {
  return { given: 0, family: 0, a: { given: null, family: null }, b: { given: null, family: null }, swapped: false, viaAlias: false };
}
