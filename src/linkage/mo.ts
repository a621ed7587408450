/**
 * Behavioural similarity: structured modus operandi (MO) features of an offence, and a similarity between two
 * offences that may suggest a series even when the suspect is unknown. The score is a weighted Jaccard over the set
 * of features: a shared feature counts for more the rarer it is among all recorded offences (inverse document
 * frequency), so two night-time-economy cases with alcohol are less remarkable than two cases with a taxi approach
 * and an escort home. Features are codes, never free text, so nothing identifying is compared or shown.
 */
import { z } from 'zod';
import { checkboxes } from '../platform/validation.ts';

export const APPROACHES = {
  nte_venue: 'Befriended at a night-time economy venue (bar, club)',
  dating_app: 'Contact through a dating or social media app',
  taxi: 'In a taxi or posing as a taxi driver',
  known_to_victim: 'Known to the victim (friend, acquaintance, colleague)',
  stranger_street: 'Stranger approach in a public place',
  party: 'At a party or private gathering',
} as const;
export const FACILITATIONS = {
  alcohol: 'Alcohol encouraged or supplied',
  drugs: 'Drugs given or suspected (including spiking)',
} as const;
export const LOCATION_TYPES = {
  victim_home: 'Victim’s home',
  suspect_home: 'Suspect’s home',
  vehicle: 'Vehicle',
  outdoor: 'Outdoors (park, alley, street)',
  hotel: 'Hotel or short-let accommodation',
  venue: 'Licensed venue (toilets, back room)',
  other: 'Somewhere else',
} as const;
export const TIMES_OF_DAY = {
  night: 'Night (midnight to 6am)',
  evening: 'Evening (6pm to midnight)',
  day: 'Daytime (6am to 6pm)',
} as const;
export const VIOLENCE = {
  none: 'No violence beyond the offence',
  restraint: 'Held down or restrained',
  strangulation: 'Strangulation or choking',
  weapon: 'Weapon used or threatened',
  injury: 'Other injury',
} as const;

type Keys<T> = [keyof T & string, ...(keyof T & string)[]];
const keys = <T extends object>(o: T) => Object.keys(o) as Keys<T>;
const yesNo = z.preprocess((v) => (v === 'yes' ? true : v === 'no' ? false : v === '' || v === undefined || v === 'unknown' ? null : v), z.boolean({ message: 'Select yes, no or not known' }).nullable());
const optionalChoice = <T extends Keys<object>>(values: T) => z.preprocess((v) => (v === '' || v === undefined ? null : v), z.enum(values).nullable());

export const moSchema = z.object({
  approach: checkboxes(keys(APPROACHES)),
  facilitation: checkboxes(keys(FACILITATIONS)),
  victimIncapacitated: yesNo,
  locationType: optionalChoice(keys(LOCATION_TYPES) as Keys<object>),
  timeOfDay: optionalChoice(keys(TIMES_OF_DAY) as Keys<object>),
  violence: checkboxes(keys(VIOLENCE)),
  escortHome: yesNo,
});
export type MoInput = z.infer<typeof moSchema>;

export interface MoRow {
  case_id: string;
  force_id: string;
  approach: string[];
  facilitation: string[];
  victim_incapacitated: boolean | null;
  location_type: string | null;
  time_of_day: string | null;
  violence: string[];
  escort_home: boolean | null;
  version: number;
}

/** The features of one offence as a set of codes ("approach:taxi", "escort:yes", …). Unknowns add nothing. */
export function moFeatures(r: Pick<MoRow, 'approach' | 'facilitation' | 'victim_incapacitated' | 'location_type' | 'time_of_day' | 'violence' | 'escort_home'>): Set<string> {
  const out = new Set<string>();
  for (const a of r.approach) out.add(`approach:${a}`);
  for (const f of r.facilitation) out.add(`facilitation:${f}`);
  if (r.victim_incapacitated !== null) out.add(`incapacitated:${r.victim_incapacitated ? 'yes' : 'no'}`);
  if (r.location_type) out.add(`location:${r.location_type}`);
  if (r.time_of_day) out.add(`time:${r.time_of_day}`);
  for (const v of r.violence) out.add(`violence:${v}`);
  if (r.escort_home !== null) out.add(`escort:${r.escort_home ? 'yes' : 'no'}`);
  return out;
}

/** Inverse document frequency weights of features over a population of offences: log(1 + N / df). */
export function featureWeights(population: readonly Set<string>[]): Map<string, number> {
  const df = new Map<string, number>();
  for (const s of population) for (const f of s) df.set(f, (df.get(f) ?? 0) + 1);
  const n = Math.max(population.length, 1);
  const w = new Map<string, number>();
  for (const [f, d] of df) w.set(f, Math.log(1 + n / d));
  return w;
}

/** Weighted Jaccard: Σ w(shared) / Σ w(either). Plain Jaccard when no weights are given. 0 when either set is empty. */
export function similarity(a: Set<string>, b: Set<string>, weights?: Map<string, number>): { score: number; shared: string[] } {
  if (a.size === 0 || b.size === 0) return { score: 0, shared: [] };
  const w = (f: string) => weights?.get(f) ?? 1;
  let inter = 0;
  let union = 0;
  const shared: string[] = [];
  for (const f of a) {
    union += w(f);
    if (b.has(f)) {
      inter += w(f);
      shared.push(f);
    }
  }
  for (const f of b) if (!a.has(f)) union += w(f);
  return { score: union > 0 ? inter / union : 0, shared };
}

const LABELS: Record<string, Record<string, string>> = { approach: APPROACHES, facilitation: FACILITATIONS, location: LOCATION_TYPES, time: TIMES_OF_DAY, violence: VIOLENCE };

/** A feature code in words, for the series page. */
export function featureLabel(code: string): string {
  const [group, value] = code.split(':') as [string, string];
  if (group === 'incapacitated') return value === 'yes' ? 'Victim incapacitated' : 'Victim not incapacitated';
  if (group === 'escort') return value === 'yes' ? 'Offered to escort the victim home' : 'No escort home';
  return LABELS[group]?.[value] ?? code;
}
