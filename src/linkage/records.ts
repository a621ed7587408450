/** Suspect rows of the case file → person records for the linkage engine. */
import type { PersonRecord } from './engine/types.ts';

export interface SuspectPersonRow {
  id: string;
  force_id: string;
  given_name: string;
  family_name: string;
  aliases: { given: string; family: string }[];
  date_of_birth: string | null;
  addresses: string[];
  phones: string[];
  emails: string[];
  online_identifiers: string[];
  vehicles: string[];
}

const POSTCODE = /\b([A-Z]{1,2}[0-9][A-Z0-9]?)\s*([0-9][A-Z]{2})\b/i;

/** Splits a free-text UK address into the address and its postcode (the engine compares them as one field). */
export function splitPostcode(address: string): { address: string; postcode: string | null } {
  const m = POSTCODE.exec(address);
  if (!m) return { address: address.trim(), postcode: null };
  return { address: address.replace(m[0], '').replace(/[\s,]+$/, '').trim(), postcode: `${m[1]} ${m[2]}`.toUpperCase() };
}

/** "Unknown" is what the suspect form asks for when a name is not known: it is missing, not a name. */
const known = (s: string) => (/^unknown$/i.test(s.trim()) ? '' : s);

export function suspectToPerson(s: SuspectPersonRow): PersonRecord {
  // The engine compares one address; the first recorded is the main one. Older addresses still link via aliases of
  // other fields (phones, emails, online ids, vehicles), which are compared as sets.
  const first = s.addresses[0] ? splitPostcode(s.addresses[0]) : { address: '', postcode: null };
  return {
    id: s.id,
    source: s.force_id,
    givenName: known(s.given_name),
    familyName: known(s.family_name),
    aliases: s.aliases.map((a) => ({ given: a.given, family: a.family })),
    dob: s.date_of_birth,
    address: first.address || null,
    postcode: first.postcode,
    phone: s.phones[0] ?? null,
    email: s.emails[0] ?? null,
    onlineIds: s.online_identifiers,
    vehicles: s.vehicles,
  };
}
