import { hashKey, phonetic } from './metrics.ts';
import { canonicalGivenNames, nicknameGroups } from './nicknames.ts';
import type { NameForm, NameVariant, PersonRecord, PreparedRecord } from './types.ts';

const TITLES = new Set(['mr', 'mrs', 'ms', 'miss', 'mx', 'dr', 'sir', 'dame', 'lord', 'lady', 'rev', 'prof']);
const EMPTY: readonly string[] = Object.freeze([]);
const NO_ALIASES: readonly NameVariant[] = Object.freeze([]);

/** Lower-case, strip accents, keep letters as space-separated tokens (apostrophes dropped, hyphens split). */
export function nameTokens(raw: string): string[] {
  const folded = raw
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/['’`]/g, '')
    .replace(/[^a-z]+/g, ' ')
    .trim();
  return folded ? folded.split(' ') : [];
}

const givenCache = new Map<string, NameForm | null>();
const familyCache = new Map<string, NameForm | null>();

function makeNameForm(tokens: string[], isGiven: boolean): NameForm | null {
  if (isGiven) while (tokens.length > 1 && TITLES.has(tokens[0]!)) tokens.shift();
  if (!tokens.length) return null;
  const compact = tokens.join('');
  const first = tokens[0]!;
  const [ph1, ph2] = phonetic(compact);
  let key: string;
  if (isGiven) {
    // Fold nicknames onto their (first) canonical form, so "bob" and "robert" block together.
    const canonical = canonicalGivenNames(first)[0]!;
    key = phonetic(canonical)[0] || canonical;
  } else {
    key = ph1 || compact;
  }
  return { compact, first, tokens, ph1, ph2, nick: isGiven ? nicknameGroups(first) : EMPTY_GROUPS, key, keyHash: hashKey(key), initial: compact.charCodeAt(0) };
}
const EMPTY_GROUPS: readonly number[] = Object.freeze([]);

function cached(cache: Map<string, NameForm | null>, raw: string | null | undefined, isGiven: boolean): NameForm | null {
  if (raw == null) return null;
  let form = cache.get(raw);
  if (form === undefined) {
    form = makeNameForm(nameTokens(raw), isGiven);
    if (cache.size > 1_000_000) cache.clear();
    cache.set(raw, form);
  }
  return form;
}

export function normaliseGivenName(raw: string | null | undefined): NameForm | null {
  return cached(givenCache, raw, true);
}
export function normaliseFamilyName(raw: string | null | undefined): NameForm | null {
  return cached(familyCache, raw, false);
}

/** Parse a date of birth into 'YYYYMMDD'. Accepts YYYY-MM-DD, YYYYMMDD, DD/MM/YYYY (and '.'/'-' separators). */
const isDigit = (c: number) => c >= 48 && c <= 57;

export function normaliseDob(raw: string | null | undefined): string | null {
  if (!raw) return null;
  // fast path: YYYY-MM-DD
  if (raw.length === 10 && raw.charCodeAt(4) === 45 && raw.charCodeAt(7) === 45) {
    let ok = true;
    for (const i of [0, 1, 2, 3, 5, 6, 8, 9]) if (!isDigit(raw.charCodeAt(i))) ok = false;
    if (ok) return raw.slice(0, 4) + raw.slice(5, 7) + raw.slice(8, 10);
  }
  const s = raw.trim();
  let m = /^(\d{4})[-/.]?(\d{1,2})[-/.]?(\d{1,2})(?:[T ].*)?$/.exec(s);
  if (m && (s.length === 8 || /[-/.]/.test(s))) return m[1]! + m[2]!.padStart(2, '0') + m[3]!.padStart(2, '0');
  m = /^(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})$/.exec(s);
  if (m) return m[3]! + m[2]!.padStart(2, '0') + m[1]!.padStart(2, '0');
  return null;
}

const UK_POSTCODE = /^([A-Z]{1,2}\d[A-Z\d]?)(\d[A-Z]{2})$/;

/** Upper-case, no spaces. Sector and district: UK outward code + first inward digit / outward code; other schemes: prefixes. */
export function normalisePostcode(raw: string | null | undefined): { postcode: string; sector: string; district: string } | null {
  if (!raw) return null;
  const pc = raw.toUpperCase().replace(/[^A-Z0-9]/g, '');
  if (!pc) return null;
  const uk = UK_POSTCODE.exec(pc);
  if (uk) return { postcode: pc, sector: uk[1]! + uk[2]![0], district: uk[1]! };
  return {
    postcode: pc,
    sector: pc.length > 2 ? pc.slice(0, -1) : pc,
    district: pc.length > 3 ? pc.slice(0, -2) : pc.slice(0, 1),
  };
}

/** Digits only; UK +44 / 0044 prefixes folded to a leading 0. Fewer than 6 digits is treated as unknown. */
export function normalisePhone(raw: string | null | undefined): string | null {
  if (!raw) return null;
  let d = raw.replace(/\D/g, '');
  if (d.startsWith('0044')) d = '0' + d.slice(4);
  else if (d.startsWith('44') && d.length === 12) d = '0' + d.slice(2);
  return d.length >= 6 ? d : null;
}

export function normaliseEmail(raw: string | null | undefined): { email: string; local: string } | null {
  if (!raw) return null;
  const e = raw.trim().toLowerCase();
  const at = e.lastIndexOf('@');
  if (at <= 0) return e ? { email: e, local: e } : null;
  let local = e.slice(0, at);
  const plus = local.indexOf('+');
  if (plus > 0) local = local.slice(0, plus);
  return { email: e, local };
}

function normaliseText(raw: string | null | undefined): string | null {
  if (!raw) return null;
  const t = nameTokens(raw).join(' ');
  return t || null;
}

const ADDRESS_WORDS: Record<string, string> = {
  st: 'street', rd: 'road', ave: 'avenue', av: 'avenue', ln: 'lane', dr: 'drive', cres: 'crescent', cl: 'close',
  ct: 'court', pl: 'place', sq: 'square', gdns: 'gardens', tce: 'terrace', hwy: 'highway', pde: 'parade', flt: 'flat',
};

const ADDRESS_ABBREVIATION = new RegExp(`\\b(?:${Object.keys(ADDRESS_WORDS).join('|')})\\b`);

export function normaliseAddress(raw: string | null | undefined): string | null {
  if (!raw) return null;
  // eslint-disable-next-line no-control-regex
  const ascii = /^[\x00-\x7f]*$/.test(raw) ? raw : raw.normalize('NFKD').replace(/[\u0300-\u036f]/g, '');
  const t = ascii.toLowerCase().replace(/[^a-z0-9]+/g, ' ').trim();
  if (!t) return null;
  if (!ADDRESS_ABBREVIATION.test(t)) return t;
  return t
    .split(' ')
    .map((w) => ADDRESS_WORDS[w] ?? w)
    .join(' ');
}

function normaliseIds(list: readonly string[] | undefined, fn: (s: string) => string): readonly string[] {
  if (!list || !list.length) return EMPTY;
  const out: string[] = [];
  for (const v of list) {
    const n = v == null ? '' : fn(v);
    if (n && !out.includes(n)) out.push(n);
  }
  return out.length ? out : EMPTY;
}
const idNorm = (s: string) => s.toUpperCase().replace(/[^A-Z0-9]/g, '');
const handleNorm = (s: string) => s.trim().toLowerCase().replace(/^@/, '');

const internPool = new Map<string, string>();
/** Share one string object per distinct value (saves memory at 1M records). */
function intern(s: string | null): string | null {
  if (s === null) return null;
  const hit = internPool.get(s);
  if (hit !== undefined) return hit;
  if (internPool.size > 2_000_000) internPool.clear();
  internPool.set(s, s);
  return s;
}

/**
 * Per-field memo of raw value → normalised value. Towns, occupations, places of birth, dates of birth and
 * postcodes repeat heavily across a million records, so each distinct raw string is normalised (regexes, Unicode
 * folding, slicing) once; equal values also end up sharing one string object.
 */
function memo<T>(fn: (raw: string) => T): (raw: string | null | undefined) => T | null {
  const cache = new Map<string, T>();
  return (raw) => {
    if (!raw) return null;
    let v = cache.get(raw);
    if (v === undefined) {
      v = fn(raw);
      if (cache.size > 1_000_000) cache.clear();
      cache.set(raw, v);
    }
    return v;
  };
}

interface Dob {
  dob: string;
  y: number;
  m: number;
  d: number;
}
const dobOf = memo<Dob | false>((raw) => {
  const dob = normaliseDob(raw);
  return dob ? { dob, y: Number(dob.slice(0, 4)), m: Number(dob.slice(4, 6)), d: Number(dob.slice(6, 8)) } : false;
});
/**
 * Postcode and district for prepareRecord. Postcodes and addresses are mostly distinct (640k of each million), so
 * they are not memoised; the usual already-clean form ("AB1 2CD": capitals and digits, at most one space) skips the
 * regexes. Same results as normalisePostcode.
 */
function postcodeOf(raw: string | null | undefined): { postcode: string; district: string | null } | null {
  if (!raw) return null;
  let space = -1;
  let clean = true;
  for (let i = 0; i < raw.length; i++) {
    const c = raw.charCodeAt(i);
    if ((c >= 65 && c <= 90) || (c >= 48 && c <= 57)) continue;
    if (c === 32 && space < 0) space = i;
    else {
      clean = false;
      break;
    }
  }
  if (!clean) {
    const pc = normalisePostcode(raw);
    return pc ? { postcode: pc.postcode, district: intern(pc.district) } : null;
  }
  const postcode = space < 0 ? raw : raw.slice(0, space) + raw.slice(space + 1);
  if (!postcode) return null;
  const uk = UK_POSTCODE.test(postcode);
  const district = uk ? postcode.slice(0, -3) : postcode.length > 3 ? postcode.slice(0, -2) : postcode.slice(0, 1);
  return { postcode, district: intern(district) };
}

/** normaliseAddress, skipping the regexes when the address is already lower-case words and digits. */
function addressOf(raw: string | null | undefined): string | null {
  if (!raw) return null;
  let clean = raw.charCodeAt(0) !== 32 && raw.charCodeAt(raw.length - 1) !== 32;
  for (let i = 0; clean && i < raw.length; i++) {
    const c = raw.charCodeAt(i);
    if ((c >= 97 && c <= 122) || (c >= 48 && c <= 57)) continue;
    if (c !== 32 || raw.charCodeAt(i + 1) === 32) clean = false;
  }
  if (!clean) return normaliseAddress(raw);
  return ADDRESS_ABBREVIATION.test(raw) ? normaliseAddress(raw) : raw;
}
const textOf = memo((raw) => intern(normaliseText(raw)) ?? false);
const townOf = textOf;
const birthPlaceOf = textOf;
const occupationOf = textOf;
const sexOf = memo((raw) => normaliseText(raw)?.[0] ?? false);

const orNull = <T>(v: T | false | null): T | null => (v === false ? null : v);

/** Normalise one record. `index` is its position in the dataset. */
export function prepareRecord(r: PersonRecord, index: number): PreparedRecord {
  const dob = dobOf(r.dob) || null;
  const pc = postcodeOf(r.postcode) || null;
  const email = normaliseEmail(r.email);
  let aliases: readonly NameVariant[] = NO_ALIASES;
  if (r.aliases && r.aliases.length) {
    const list: NameVariant[] = [];
    for (const a of r.aliases) {
      const v = { given: normaliseGivenName(a.given), family: normaliseFamilyName(a.family) };
      if (v.given || v.family) list.push(v);
    }
    if (list.length) aliases = list;
  }
  return {
    index,
    id: r.id,
    source: r.source || '',
    given: normaliseGivenName(r.givenName),
    family: normaliseFamilyName(r.familyName),
    aliases,
    dob: dob ? dob.dob : null,
    dobY: dob ? dob.y : 0,
    dobM: dob ? dob.m : 0,
    dobD: dob ? dob.d : 0,
    postcode: pc ? pc.postcode : null,
    postcodeDistrict: pc ? pc.district : null,
    address: addressOf(r.address),
    town: orNull(townOf(r.town)),
    birthPlace: orNull(birthPlaceOf(r.birthPlace)),
    sex: orNull(sexOf(r.sex)),
    occupation: orNull(occupationOf(r.occupation)),
    phone: normalisePhone(r.phone),
    email: email?.email ?? null,
    emailLocal: email?.local ?? null,
    onlineIds: normaliseIds(r.onlineIds, handleNorm),
    vehicles: normaliseIds(r.vehicles, idNorm),
    identifiers: normaliseIds(r.identifiers, idNorm),
  };
}

export function prepareRecords(records: readonly PersonRecord[]): PreparedRecord[] {
  const out = new Array<PreparedRecord>(records.length);
  for (let i = 0; i < records.length; i++) out[i] = prepareRecord(records[i]!, i);
  return out;
}
