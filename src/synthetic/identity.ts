import { drawName, nicknameOf, transliterationOf, typoVariant, type PersonName } from './names.ts';
import { emailFor, onlineIdentifier, ukAddress, ukMobile, ukVehicleReg } from './places.ts';
import { chance, pick, weighted, type Rng } from './random.ts';

/** The real (synthetic) person behind one or more suspect records: the ground truth for linkage. */
export interface Person {
  key: string;
  sex: 'male' | 'female';
  name: PersonName;
  dob: string;
  aliases: PersonName[];
  addresses: string[];
  phones: string[];
  emails: string[];
  online: string[];
  vehicles: string[];
}

/** What one force recorded about the person on one case. */
export interface RecordedSuspect {
  given: string;
  family: string;
  aliases: PersonName[];
  dob: string | null;
  addresses: string[];
  phones: string[];
  emails: string[];
  online: string[];
  vehicles: string[];
}

export function createPerson(rng: Rng, key: string, dob: string, homeForceId: string, commonNameShare: number): Person {
  const sex = chance(rng, 0.95) ? 'male' : 'female';
  const name = drawName(rng, sex, commonNameShare);
  const times = <T>(n: number, f: () => T): T[] => Array.from({ length: n }, f);
  const aliases: PersonName[] = chance(rng, 0.08)
    ? [chance(rng, 0.5) ? { given: drawName(rng, sex, 0).given, family: name.family } : drawName(rng, sex, 0)]
    : [];
  return {
    key,
    sex,
    name,
    dob,
    aliases,
    addresses: times(chance(rng, 0.7) ? 1 : 2, () => ukAddress(rng, homeForceId)),
    phones: times(weighted(rng, [[1, 80], [2, 15], [0, 5]]), () => ukMobile(rng)),
    emails: times(chance(rng, 0.55) ? 1 : 0, () => emailFor(rng, name.given, name.family)),
    online: times(weighted(rng, [[0, 45], [1, 40], [2, 15]]), () => onlineIdentifier(rng, name.given, name.family)),
    vehicles: times(chance(rng, 0.3) ? 1 : 0, () => ukVehicleReg(rng)),
  };
}

export type NameVariantKind = 'exact' | 'nickname' | 'typo_family' | 'typo_given' | 'swapped' | 'initial' | 'transliteration' | 'alias';

/** How a name gets recorded on one occasion: as given, or with the slips and variants seen across forces. */
export function nameVariant(name: PersonName, aliases: readonly PersonName[], rng: Rng, exactWeight = 45): { name: PersonName; kind: NameVariantKind } {
  const kind = weighted<NameVariantKind>(rng, [
    ['exact', exactWeight], ['nickname', 12], ['typo_family', 12], ['typo_given', 6], ['swapped', 5], ['initial', 6],
    ['transliteration', 6], ['alias', aliases.length > 0 ? 8 : 0],
  ]);
  switch (kind) {
    case 'nickname': {
      const nick = nicknameOf(name.given, rng);
      return nick ? { name: { given: nick, family: name.family }, kind } : { name: { given: typoVariant(name.given, rng), family: name.family }, kind: 'typo_given' };
    }
    case 'typo_family':
      return { name: { given: name.given, family: typoVariant(name.family, rng) }, kind };
    case 'typo_given':
      return { name: { given: typoVariant(name.given, rng), family: name.family }, kind };
    case 'swapped':
      return { name: { given: name.family, family: name.given }, kind };
    case 'initial':
      return { name: { given: name.given.charAt(0), family: name.family }, kind };
    case 'transliteration': {
      const g = transliterationOf(name.given, rng);
      const f = transliterationOf(name.family, rng);
      if (g || f) return { name: { given: g ?? name.given, family: f ?? name.family }, kind };
      return { name: { given: name.given, family: typoVariant(name.family, rng) }, kind: 'typo_family' };
    }
    case 'alias':
      return { name: { ...pick(rng, aliases) }, kind };
    default:
      return { name: { ...name }, kind: 'exact' };
  }
}

export function transposeDayMonth(dob: string): string | undefined {
  const [y, m, d] = dob.split('-');
  if (!y || !m || !d || m === d || Number(d) > 12) return undefined;
  return `${y}-${d}-${m}`;
}

function shiftYear(dob: string, by: number): string {
  const y = Number(dob.slice(0, 4)) + by;
  // 29 February does not exist in most years: move to the 28th rather than invent 1 March
  const md = dob.slice(5) === '02-29' ? '02-28' : dob.slice(5);
  return `${y}-${md}`;
}

/** A date of birth as recorded on one occasion: right, day/month transposed, a year out, a day out, or missing. */
export function dobVariant(dob: string, rng: Rng, exactWeight = 68): string | null {
  const kind = weighted(rng, [['exact', exactWeight], ['transpose', 8], ['year', 8], ['day', 4], ['missing', 12]] as const);
  if (kind === 'exact') return dob;
  if (kind === 'missing') return null;
  if (kind === 'transpose') {
    const t = transposeDayMonth(dob);
    if (t) return t;
  }
  if (kind === 'day') {
    const d = new Date(`${dob}T00:00:00Z`);
    d.setUTCDate(d.getUTCDate() + (chance(rng, 0.5) ? 1 : -1));
    return d.toISOString().slice(0, 10);
  }
  return shiftYear(dob, chance(rng, 0.5) ? 1 : -1);
}

/** A one-off suspect: recorded as they are, though not every detail is known to the investigator. */
export function recordOnce(p: Person, rng: Rng): RecordedSuspect {
  return {
    given: p.name.given,
    family: p.name.family,
    aliases: p.aliases.map((a) => ({ ...a })),
    dob: chance(rng, 0.94) ? p.dob : null,
    addresses: chance(rng, 0.92) ? [...p.addresses] : [],
    phones: chance(rng, 0.8) ? [...p.phones] : [],
    emails: chance(rng, 0.6) ? [...p.emails] : [],
    online: chance(rng, 0.7) ? [...p.online] : [],
    vehicles: chance(rng, 0.6) ? [...p.vehicles] : [],
  };
}

/**
 * One appearance of a repeat suspect: name, date of birth and contact details drift between cases and forces, with
 * sometimes a shared phone, online identifier or vehicle the linkage engine can find.
 */
export function recordAppearance(p: Person, rng: Rng, caseForceId: string, first: boolean): RecordedSuspect {
  const { name, kind } = nameVariant(p.name, p.aliases, rng, first ? 120 : 45);
  let aliases = p.aliases.filter((a) => a.given !== name.given || a.family !== name.family).map((a) => ({ ...a }));
  // when recorded under an alias, officers often note the true name as an alias
  if (kind === 'alias' && chance(rng, 0.6)) aliases = [...aliases, { ...p.name }];
  if (kind !== 'alias' && aliases.length > 0 && chance(rng, 0.5)) aliases = [];

  const phone = weighted(rng, [['same', 45], ['both', 15], ['new', 20], ['none', 20]] as const);
  const phones = phone === 'same' ? p.phones.slice(0, 1) : phone === 'both' ? [...p.phones.slice(0, 1), ukMobile(rng)] : phone === 'new' ? [ukMobile(rng)] : [];
  const address = weighted(rng, [['same', 45], ['new', 35], ['both', 10], ['none', 10]] as const);
  const addresses =
    address === 'same' ? p.addresses.slice(0, 1)
    : address === 'new' ? [ukAddress(rng, caseForceId)]
    : address === 'both' ? [...p.addresses.slice(0, 1), ukAddress(rng, caseForceId)]
    : [];
  const email = weighted(rng, [['same', 35], ['new', 15], ['none', 50]] as const);
  const emails = email === 'same' ? [...p.emails] : email === 'new' ? [emailFor(rng, p.name.given, p.name.family)] : [];
  const online = [
    ...(p.online.length > 0 && chance(rng, 0.45) ? [pick(rng, p.online)] : []),
    ...(chance(rng, 0.15) ? [onlineIdentifier(rng, p.name.given, p.name.family)] : []),
  ];
  const vehicles = [...(p.vehicles.length > 0 && chance(rng, 0.4) ? [...p.vehicles] : []), ...(chance(rng, 0.1) ? [ukVehicleReg(rng)] : [])];
  return {
    given: name.given,
    family: name.family,
    aliases,
    dob: dobVariant(p.dob, rng, first ? 85 : 60),
    addresses,
    phones,
    emails,
    online,
    vehicles,
  };
}
