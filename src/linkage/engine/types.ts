/** A person as recorded by one force/system. Empty strings and missing fields mean "not known". */
export interface PersonRecord {
  id: string;
  givenName: string;
  familyName: string;
  /** ISO date 'YYYY-MM-DD' (also accepted: 'YYYYMMDD', 'DD/MM/YYYY'). */
  dob?: string | null;
  postcode?: string | null;
  address?: string | null;
  /** Town or locality of the address. */
  town?: string | null;
  birthPlace?: string | null;
  sex?: string | null;
  occupation?: string | null;
  phone?: string | null;
  email?: string | null;
  onlineIds?: string[];
  vehicles?: string[];
  /** Official identifiers (NI number, PNC id, passport…). Any shared value is strong evidence. */
  identifiers?: string[];
  aliases?: { given?: string | null; family?: string | null }[];
  /** Source dataset or force; with `linkOnly`, only records from different sources are compared. */
  source?: string;
}

/** A normalised name (memoised: records with the same raw name share one object). */
export interface NameForm {
  /** lower-case letters only, no spaces (for equality and string metrics) */
  compact: string;
  /** first token (forename without middle names) */
  first: string;
  tokens: readonly string[];
  /** Double Metaphone primary / alternate of `compact` */
  ph1: string;
  ph2: string;
  /** nickname groups of `first` */
  nick: readonly number[];
  /** blocking key: phonetic code of the canonical forename (nicknames folded) or of the surname */
  key: string;
  /** 32-bit hash of `key` */
  keyHash: number;
  /** char code of the first letter */
  initial: number;
}

export interface NameVariant {
  given: NameForm | null;
  family: NameForm | null;
}

/** A record after normalisation: what comparisons and blocking read. */
export interface PreparedRecord {
  index: number;
  id: string;
  source: string;
  given: NameForm | null;
  family: NameForm | null;
  /** aliases (not including the primary name) */
  aliases: readonly NameVariant[];
  /** 'YYYYMMDD' (components may be out of range when the source had typos) */
  dob: string | null;
  dobY: number;
  dobM: number;
  dobD: number;
  postcode: string | null;
  postcodeDistrict: string | null;
  /** lower-case words separated by single spaces (street types expanded) */
  address: string | null;
  town: string | null;
  birthPlace: string | null;
  sex: string | null;
  occupation: string | null;
  phone: string | null;
  email: string | null;
  emailLocal: string | null;
  onlineIds: readonly string[];
  vehicles: readonly string[];
  identifiers: readonly string[];
}
