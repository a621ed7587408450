import damerauLevenshtein from 'talisman/metrics/damerau-levenshtein.js';
import { nicknameGroups, shareNicknameGroup } from '../../linkage/engine/nicknames.ts';

/**
 * The redactor: replaces every identifying detail in free text by a role label ([VICTIM], [SUSPECT 1], [WITNESS 2],
 * [ADDRESS], [PHONE], [DATE OF BIRTH], [SCHOOL/WORKPLACE], [EMAIL], ...). Two sources combine:
 *  - what the case record already knows (names with nicknames, possessives, initials and one-or-two-letter keying
 *    errors; addresses, phones, emails, dates of birth, vehicles, online identifiers, schools and workplaces), and
 *  - patterns for identifiers the record may not hold (UK phones, postcodes, emails, NI numbers, registrations,
 *    street addresses, "works at ..." places, dates next to "born"/"DOB").
 * Reusable outside scrutiny (anonymised case studies, `tandem redact`): pure, no database, no I/O.
 * Recall matters more than precision (the 1992 Act's lifelong anonymity), so ambiguous cases are redacted; names
 * that are also ordinary words ("Rose", "Hope", "Mark") are matched only when capitalised.
 */

/** One person as known from the case record (or a JSONL line). A plain string is taken as a full name. */
export interface KnownPerson {
  name?: string;
  givenName?: string;
  familyName?: string;
  aliases?: string[];
  dateOfBirth?: string | null;
  phones?: string[];
  emails?: string[];
  addresses?: string[];
  vehicles?: string[];
  onlineIdentifiers?: string[];
  /** Schools, colleges, workplaces linked to this person. */
  places?: string[];
}

export interface KnownIdentifiers {
  victims?: (KnownPerson | string)[];
  suspects?: (KnownPerson | string)[];
  witnesses?: (KnownPerson | string)[];
  /** Schools, workplaces and other places linked to the people in the case (strings or { name }). */
  places?: (string | { name: string; kind?: string })[];
}

export interface RedactedSpan { start: number; end: number; label: string; source: string }
export interface RedactionResult { text: string; spans: RedactedSpan[] }

/** Given names and surnames that are also ordinary English words: matched only when capitalised. */
const ORDINARY_WORDS = new Set([
  'rose', 'hope', 'mark', 'summer', 'will', 'grace', 'faith', 'joy', 'dawn', 'may', 'bill', 'sue', 'amber', 'frank', 'ruby', 'daisy', 'holly',
  'iris', 'pat', 'rob', 'jack', 'bob', 'sky', 'rich', 'reed', 'wood', 'brown', 'green', 'white', 'black', 'young', 'king', 'hill', 'hall',
  'cook', 'baker', 'heather', 'ivy', 'jade', 'crystal', 'pearl', 'hazel', 'robin', 'penny', 'sunny', 'chase', 'hunter', 'june',
  'april', 'august', 'gene', 'carol', 'doll', 'nick', 'sandy', 'rocky', 'dean', 'drew', 'guy', 'miles', 'ray', 'rod', 'ted', 'terry', 'art',
  'bishop', 'mason', 'porter', 'turner', 'walker', 'ward', 'wells', 'marsh', 'lane', 'field', 'fields', 'long', 'short', 'rice', 'bird',
  'swan', 'fox', 'lamb', 'bell', 'stone', 'stream', 'storm', 'rain', 'river', 'poppy', 'willow', 'autumn', 'winter', 'melody', 'liberty',
  'harmony', 'destiny', 'charity', 'constance', 'patience', 'prudence', 'chance', 'price', 'cash', 'gray', 'grey', 'north', 'south', 'west',
  'moss', 'page', 'parsons', 'cole', 'frost', 'snow', 'day', 'knight', 'castle', 'ash', 'hart', 'lily', 'jasmine', 'kit', 'ed', 'al', 'don',
  'sam', 'max', 'ben', 'tom', 'dot', 'gail', 'joe', 'tiny', 'rusty', 'smith', 'taylor', 'ward', 'wade', 'lee',
]);

/** Lower-case words never treated as a misspelt name (they are too close to common names). */
const COMMON_WORDS = new Set([
  'then', 'than', 'when', 'went', 'sent', 'said', 'sain', 'told', 'call', 'came', 'come', 'home', 'hose', 'host', 'rise', 'mike', 'make',
  'made', 'mate', 'male', 'mile', 'mine', 'more', 'many', 'mary', 'jane', 'june', 'july', 'lane', 'line', 'lift', 'left', 'lost', 'last',
  'this', 'that', 'they', 'them', 'their', 'there', 'these', 'those', 'with', 'from', 'have', 'were', 'what', 'will', 'well', 'wall', 'into',
  'onto', 'over', 'under', 'after', 'before', 'about', 'again', 'house', 'phone', 'night', 'party', 'sister', 'brother', 'mother', 'father',
  'friend', 'partner', 'officer', 'victim', 'suspect', 'witness', 'police', 'school', 'college', 'work', 'shop', 'park', 'road', 'street',
  'text', 'texts', 'message', 'statement', 'interview', 'arrest', 'arrested', 'report', 'reported', 'evidence', 'account', 'later', 'early',
]);

const TITLE_WORDS = new Set(['mr', 'mrs', 'ms', 'miss', 'mx', 'dr', 'dc', 'ds', 'pc', 'di']);

const WORD = /[\p{L}][\p{L}'’-]*/gu;
const ALIAS_RE = /\b(?:known as|aka|a\.k\.a\.?|nicknamed|nickname|goes by|calls (?:her|him|them)self|called)\s+["“'‘]?(\p{Lu}[\p{L}'’-]+)/gu;

interface NamePart { lower: string; label: string; person: number; kind: 'given' | 'family' }
interface PersonEntry { label: string; givens: string[]; families: string[]; initials: string[] }

function asPerson(p: KnownPerson | string): KnownPerson {
  return typeof p === 'string' ? { name: p } : p;
}

const clean = (s: string) => s.normalize('NFC').trim();
const lower = (s: string) => s.toLocaleLowerCase('en-GB');
const words = (s: string | undefined) => (s ?? '').split(/[\s]+/).map((w) => w.replace(/^[^\p{L}]+|[^\p{L}'’-]+$/gu, '')).filter((w) => /\p{L}/u.test(w));

function personNames(p: KnownPerson): { givens: string[]; families: string[] } {
  const givens: string[] = [];
  const families: string[] = [];
  const addFull = (full: string) => {
    const ws = words(full).filter((w) => !TITLE_WORDS.has(lower(w).replace(/\.$/, '')));
    if (ws.length === 1) givens.push(ws[0]!);
    else if (ws.length > 1) {
      givens.push(...ws.slice(0, -1));
      families.push(ws[ws.length - 1]!);
    }
  };
  if (p.givenName) givens.push(...words(p.givenName));
  if (p.familyName) families.push(...words(p.familyName));
  if (p.name) addFull(p.name);
  for (const a of p.aliases ?? []) {
    // Aliases may be single nicknames ("Bobby") or full names ("Rob Halworth").
    addFull(a);
  }
  // Double-barrelled surnames are also written as either half.
  for (const f of [...families]) if (f.includes('-')) families.push(...f.split('-').filter(Boolean));
  return { givens: [...new Set(givens)], families: [...new Set(families)] };
}

/** Label for the n-th person of a role: a lone victim is [VICTIM]; suspects and witnesses are always numbered. */
function roleLabel(role: 'VICTIM' | 'SUSPECT' | 'WITNESS', i: number, count: number): string {
  if (role === 'VICTIM' && count === 1) return '[VICTIM]';
  return `[${role} ${i + 1}]`;
}

const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
const MONTH_RE = '(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\\.?';
/** Dates as notes write them: 14/06/1998, 14.6.98, 1998-06-14, 14 June 1998, 14th of Jun. 1998, June 14, 1998. */
const DATE_RE = new RegExp(
  `\\b(?:\\d{4}-\\d{2}-\\d{2}|\\d{1,2}[/.-]\\d{1,2}[/.-](?:\\d{4}|\\d{2})|\\d{1,2}(?:st|nd|rd|th)?(?:\\s+of)?\\s+${MONTH_RE},?\\s+\\d{4}|${MONTH_RE}\\s+\\d{1,2}(?:st|nd|rd|th)?,?\\s+\\d{4})(?![\\d])`, 'gi');

/** The ISO date a written date stands for (two-digit years read as 19xx or 20xx), or null. */
function parseDate(s: string): string | null {
  const iso = (y: number, m: number, d: number) => (m >= 1 && m <= 12 && d >= 1 && d <= 31 ? `${y}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}` : null);
  const year = (y: string) => (y.length === 4 ? Number(y) : Number(y) + (Number(y) > 30 ? 1900 : 2000));
  const month = (name: string) => MONTHS.findIndex((x) => x.slice(0, 3).toLowerCase() === name.slice(0, 3).toLowerCase()) + 1;
  let m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s);
  if (m) return iso(Number(m[1]), Number(m[2]), Number(m[3]));
  m = /^(\d{1,2})[/.-](\d{1,2})[/.-](\d{2,4})$/.exec(s);
  if (m) return iso(year(m[3]!), Number(m[2]), Number(m[1]));
  m = /^(\d{1,2})(?:st|nd|rd|th)?(?:\s+of)?\s+([A-Za-z]+)\.?,?\s+(\d{4})$/i.exec(s);
  if (m) return iso(Number(m[3]), month(m[2]!), Number(m[1]));
  m = /^([A-Za-z]+)\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})$/i.exec(s);
  if (m) return iso(Number(m[3]), month(m[1]!), Number(m[2]));
  return null;
}

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** A literal as a regex body: flexible whitespace, optional commas. */
function literalBody(s: string): string {
  return escapeRe(clean(s)).replace(/\s+/g, '\\s+').replace(/,/g, ',?');
}

/** A phone number as a regex body: the same digits with any spacing, with 0, +44 or 0044 in front. */
function digitsBody(phone: string): string {
  const digits = phone.replace(/\D/g, '').replace(/^(?:00)?44/, '0');
  if (digits.length < 6) return '';
  const body = digits.replace(/^0/, '').split('').join('[\\s-]?');
  return `(?:(?:\\+|00)44\\s?\\(?0?\\)?\\s?|0)${body}`;
}

const STREET_SUFFIX = 'Road|Rd|Street|St|Avenue|Ave|Lane|Ln|Close|Cl|Drive|Dr|Way|Crescent|Cres|Place|Pl|Court|Ct|Gardens|Gdns|Terrace|Grove|Hill|Park|Row|Walk|Square|Sq|Mews|View|Rise|Parade|Green|Vale|Meadow|Meadows|Fields|Wharf|Quay';
const PLACE_SUFFIX = 'School|Academy|College|University|Primary|Infants|Juniors|Sixth Form|Hospital|Surgery|Medical Centre|Practice|Ltd|Limited|plc|PLC|Supermarket|Superstore|Hotel|Pub|Bar|Club|Gym|Leisure Centre|Garage|Salon|Café|Cafe|Restaurant|Factory|Warehouse|Depot|Office|Offices|Care Home|Nursery|Church';

/** Patterns for identifiers, in priority order (earlier wins an overlap of equal length). */

const PATTERNS: { label: string; source: string; re: RegExp; group?: number }[] = [
  { label: '[EMAIL]', source: 'email', re: /[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+/g },
  { label: '[ONLINE ID]', source: 'online-id', re: /\b(?:snapchat|snap|instagram|insta|tiktok|facebook|fb|twitter|x|tinder|hinge|grindr|whatsapp|telegram|discord)\s?[:@]\s?@?[A-Za-z0-9_.-]{2,}/gi },
  { label: '[ONLINE ID]', source: 'handle', re: /(?<![\w@])@[A-Za-z0-9_.]{3,}[A-Za-z0-9_]/g },
  { label: '[NI NUMBER]', source: 'ni', re: /\b[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z]\s?\d{2}\s?\d{2}\s?\d{2}\s?[A-D]\b/gi },
  { label: '[PHONE]', source: 'phone', re: /(?<![\d+])(?:(?:\+|00)44\s?\(?0?\)?\s?|\(?0)(?:\d[\s-]?\)?\s?){8,10}\d(?!\d)/g },
  { label: '[POSTCODE]', source: 'postcode', re: /\b(?:[A-Z]{1,2}\d[A-Z\d]?|GIR)\s?\d[ABD-HJLNP-UW-Z]{2}\b/gi },
  { label: '[VEHICLE]', source: 'vrm', re: /\b[A-Z]{2}\d{2}\s?[A-Z]{3}\b/g },
  {
    label: '[ADDRESS]', source: 'street',
    re: new RegExp(`(?:\\b(?:Flat|Apartment|Apt|Unit)\\s+\\d+[A-Za-z]?,?\\s+)?\\b\\d{1,4}[A-Za-z]?,?\\s+(?:[A-Z][\\p{L}'’-]+\\s+){1,3}(?:${STREET_SUFFIX})\\b\\.?`, 'gu'),
  },
  { label: '[SCHOOL/WORKPLACE]', source: 'named-place', re: new RegExp(`\\b(?:(?:St\\.?|Saint|The)\\s+)?(?:[A-Z][\\p{L}'’&-]+\\s+){1,4}(?:${PLACE_SUFFIX})\\b`, 'gu') },
  {
    label: '[SCHOOL/WORKPLACE]', source: 'works-at', group: 1,
    re: /\b(?:works?|worked|working|employed|job|shifts?|placement|volunteers?|volunteering)\s+(?:at|for|in)\s+(?:the\s+)?((?:[A-Z][\p{L}'’&-]*\.?\s?){1,5})/gu,
  },
  { label: '[SCHOOL/WORKPLACE]', source: 'attends', group: 1, re: /\b(?:attends|attended|pupil at|student at|studies at|studying at|goes to school at|in year \d+ at)\s+(?:the\s+)?((?:[A-Z][\p{L}'’&-]*\.?\s?){1,5})/gu },
  {
    label: '[DATE OF BIRTH]', source: 'dob-context', group: 1,
    re: /\b(?:born(?:\s+on)?|d\.?o\.?b\.?:?|date of birth:?|birthday(?:\s+is)?)\s+((?:\d{1,2}(?:st|nd|rd|th)?(?:\s+of)?\s+[A-Z][a-z]+\.?,?\s+\d{2,4})|(?:[A-Z][a-z]+\.?\s+\d{1,2}(?:st|nd|rd|th)?,?\s+\d{4})|(?:\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4})|(?:\d{4}-\d{2}-\d{2}))/gi,
  },
];

export interface Redactor {
  redact(text: string): RedactionResult;
}

/** Short words never taken for a misspelt or shortened name, whatever their case (sentence starts, acronyms). */
const STOP = new Set([
  'the', 'she', 'her', 'his', 'him', 'they', 'was', 'had', 'has', 'and', 'but', 'for', 'not', 'any', 'all', 'one', 'two', 'who', 'how', 'why',
  'yes', 'did', 'got', 'get', 'let', 'our', 'out', 'off', 'own', 'see', 'saw', 'say', 'too', 'use', 'way', 'day', 'new', 'now', 'old', 'are',
  'can', 'its', 'may', 'per', 'via', 'isva', 'sarc', 'rasso', 'cps', 'dcp', 'abe', 'vri', 'nfa', 'cctv', 'dob', 'oic', 'pnc', 'cad', 'mg3',
  'to', 'in', 'at', 'on', 'it', 'is', 'he', 'me', 'we', 'so', 'no', 'do', 'go', 'up', 'us', 'an', 'as', 'be', 'by', 'if', 'my', 'of', 'or',
  'ok', 'am', 'mr', 'ms', 'dc', 'ds', 'pc', 'di', 'ni', 'uk', 'mum', 'dad', 'nan', 'gran', 'also', 'then', 'when', 'what', 'with', 'from',
  'into', 'that', 'this', 'than', 'them', 'were', 'have', 'been', 'will', 'said', 'told', 'seen', 'late', 'left', 'last', 'lost', 'later',
  'next', 'near', 'home', 'here', 'there', 'where', 'after', 'before', 'about', 'again', 'both', 'each', 'some', 'such', 'only', 'very',
  'area', 'scene', 'party', 'night', 'phone', 'texts', 'third', 'first', 'second', 'statement', 'victim', 'suspect', 'witness', 'officer',
  'officers', 'police', 'messages', 'contact', 'records', 'referral', 'offered', 'agreed', 'attended', 'arrested', 'interviewed',
]);

/** Words that, just before an ordinary word, show it is used as a word ("a rose", "no hope", "he will"). */
const WORD_CONTEXT = new Set([
  'a', 'an', 'the', 'no', 'some', 'any', 'this', 'his', 'their', 'my', 'your', 'our', 'its', 'little', 'much', 'great', 'real', 'late',
  'early', 'last', 'next', 'every', 'green', 'red', 'white', 'black', 'glass', 'cup', 'bush', 'bottle', 'will', 'would', 'can', 'could',
  'should', 'must', 'might', 'shall',
]);
/** Before "will" or "may", these show the modal verb ("he will", "it may"). */
const MODAL_CONTEXT = new Set(['he', 'she', 'it', 'they', 'we', 'i', 'you', 'who', 'which', 'that', 'officer', 'officers', 'police', 'this', 'there', 'what', 'and']);

/** Builds a redactor for one case from what is known about its people; the same redactor serves every note of the case. */
export function buildRedactor(known: KnownIdentifiers): Redactor {
  const people: PersonEntry[] = [];
  const parts: NamePart[] = [];
  const literals: { text: string; label: string; digits?: boolean }[] = [];
  const dobs = new Set<string>();

  const addAddress = (a: string) => {
    if (!a.trim()) return;
    literals.push({ text: a, label: '[ADDRESS]' });
    // The first line, and the street without its number, are also written on their own.
    for (const piece of a.split(',').map((x) => x.trim()).filter(Boolean)) {
      const street = piece.replace(/^\d+[A-Za-z]?\s+/, '');
      if (/\d/.test(piece) && piece.split(/\s+/).length >= 2) literals.push({ text: piece, label: '[ADDRESS]' });
      // "Harbour Road" on its own; a one-word street ("Broadway") when long enough not to be an everyday word
      if (street !== piece && (street.split(/\s+/).length >= 2 || street.length >= 6)) literals.push({ text: street, label: '[ADDRESS]' });
    }
  };
  const addPlace = (name: string) => {
    const n = clean(name);
    if (!n) return;
    literals.push({ text: n, label: '[SCHOOL/WORKPLACE]' });
    // "Oakfield Academy" is also "Oakfield", "St Mary's C of E Primary School" also "St Mary's".
    const core = n.replace(new RegExp(`\\s+(?:${PLACE_SUFFIX}|C of E|CofE|RC|Community|High|Secondary|Grammar|Infant|Junior|Catholic|on)\\b.*$`, 'u'), '').trim();
    if (core && core !== n && core.replace(/^the\s+/i, '').length >= 4) literals.push({ text: core.replace(/^the\s+/i, ''), label: '[SCHOOL/WORKPLACE]' });
    const noThe = n.replace(/^the\s+/i, '');
    if (noThe !== n) literals.push({ text: noThe, label: '[SCHOOL/WORKPLACE]' });
  };
  const addPerson = (p: KnownPerson, label: string) => {
    const { givens, families } = personNames(p);
    const idx = people.length;
    const initials = givens.length && families.length ? [`${givens[0]![0]}${families[families.length - 1]![0]}`.toUpperCase()] : [];
    people.push({ label, givens, families, initials });
    for (const g of givens) parts.push({ lower: lower(g), label, person: idx, kind: 'given' });
    for (const f of families) parts.push({ lower: lower(f), label, person: idx, kind: 'family' });
    if (p.dateOfBirth && /^\d{4}-\d{2}-\d{2}$/.test(p.dateOfBirth.trim())) dobs.add(p.dateOfBirth.trim());
    for (const a of p.addresses ?? []) addAddress(a);
    for (const e of p.emails ?? []) if (e.trim()) literals.push({ text: e, label: '[EMAIL]' });
    for (const ph of p.phones ?? []) literals.push({ text: ph, label: '[PHONE]', digits: true });
    for (const v of p.vehicles ?? []) {
      if (!v.trim()) continue;
      literals.push({ text: v, label: '[VEHICLE]' });
      if (/\s/.test(v)) literals.push({ text: v.replace(/\s+/g, ''), label: '[VEHICLE]' });
    }
    for (const o of p.onlineIdentifiers ?? []) {
      const handle = o.includes(':') ? o.slice(o.indexOf(':') + 1) : o.replace(/^@/, '');
      if (handle.length >= 3) literals.push({ text: handle, label: '[ONLINE ID]' });
    }
    for (const pl of p.places ?? []) addPlace(pl);
  };

  const victims = (known.victims ?? []).map(asPerson);
  const suspects = (known.suspects ?? []).map(asPerson);
  const witnesses = (known.witnesses ?? []).map(asPerson);
  victims.forEach((p, i) => addPerson(p, roleLabel('VICTIM', i, victims.length)));
  suspects.forEach((p, i) => addPerson(p, roleLabel('SUSPECT', i, suspects.length)));
  witnesses.forEach((p, i) => addPerson(p, roleLabel('WITNESS', i, witnesses.length)));
  for (const pl of known.places ?? []) addPlace(typeof pl === 'string' ? pl : pl.name);

  // One alternation per label, longest literal first, compiled once per case (one regex per literal was slow).
  const literalRes: { re: RegExp; label: string }[] = [];
  const byLabel = new Map<string, Set<string>>();
  for (const l of literals) {
    const body = l.digits ? digitsBody(l.text) : literalBody(l.text);
    if (!body) continue;
    if (!byLabel.has(l.label)) byLabel.set(l.label, new Set());
    byLabel.get(l.label)!.add(body);
  }
  for (const [label, bodies] of byLabel) {
    const alt = [...bodies].sort((x, y) => y.length - x.length).join('|');
    literalRes.push({ re: new RegExp(`(?<![\\p{L}\\p{N}])(?:${alt})(?![\\p{L}\\p{N}])`, 'giu'), label });
  }

  const exact = new Map<string, NamePart>();
  const exactAll = new Map<string, NamePart[]>();
  for (const p of parts) {
    if (!exact.has(p.lower)) exact.set(p.lower, p);
    exactAll.set(p.lower, [...(exactAll.get(p.lower) ?? []), p]);
  }
  const givenParts = parts.filter((p) => p.kind === 'given');
  const givenGroups = givenParts.map((p) => ({ part: p, groups: nicknameGroups(p.lower) }));

  /** Which person (if any) a single word names; `prev` is the word before it (lower case), for ordinary words. */
  function matchWord(word: string, prev: string, next = ''): { part: NamePart; how: string } | null {
    const capital = /^\p{Lu}/u.test(word);
    const w = lower(word);
    const hit = exact.get(w) ?? learned.get(w);
    if (hit) {
      // A lower-case ordinary word is a name unless the word before shows it is used as a word ("a rose", "he will").
      if (ORDINARY_WORDS.has(w) && !capital && (WORD_CONTEXT.has(prev) || (w === 'will' || w === 'may') && MODAL_CONTEXT.has(prev))) return null;
      // A word two people share ("Lewis" as one's first name and another's surname): the neighbouring word decides.
      const all = exactAll.get(w) ?? [hit];
      if (all.length > 1) {
        const near = all.find((p) => parts.some((q) => q.person === p.person && q !== p && (q.lower === prev || q.lower === next)));
        if (near) return { part: near, how: 'name' };
      }
      return { part: hit, how: 'name' };
    }
    if (STOP.has(w)) return null;
    if (!capital && (ORDINARY_WORDS.has(w) || COMMON_WORDS.has(w))) return null;
    const groups = nicknameGroups(w);
    if (groups.length) {
      const g = givenGroups.find((x) => shareNicknameGroup(x.groups, groups));
      if (g) return { part: g.part, how: 'nickname' };
    }
    if (capital && w.length >= 2) {
      // Shortened given names not in the nickname list: "Dani" (Danielle), "Kie" (Kieran), "Becca" (Rebecca).
      const short = givenParts.find((p) => p.lower.length > w.length && (p.lower.startsWith(w) || w.length >= 4 && p.lower.includes(w)));
      if (short) return { part: short, how: 'short-form' };
    }
    // Keying errors: one edit (two for long names). Lower case only for longer words, so everyday words stay.
    if ((capital && w.length >= 3) || w.length >= 6) {
      let best: NamePart | null = null;
      let bestD = Infinity;
      for (const p of parts) {
        if (p.lower.length < 3 || Math.abs(p.lower.length - w.length) > 2) continue;
        const max = Math.min(p.lower.length, w.length) >= 8 ? 2 : 1;
        const d = damerauLevenshtein.limited(max, w, p.lower);
        if (d <= max && d < bestD && (p.lower[0] === w[0] || w.length >= 6)) {
          best = p;
          bestD = d;
        }
      }
      if (best) return { part: best, how: 'misspelling' };
    }
    return null;
  }

  // Names a note itself introduces ("Amelia (known as Millie)"): learnt for the person named just before, and kept
  // for every later note of the same case.
  const learned = new Map<string, NamePart>();
  const learnAliases = (text: string) => {
    for (const m of text.matchAll(ALIAS_RE)) {
      const before = [...text.slice(Math.max(0, m.index! - 80), m.index!).matchAll(WORD)].reverse();
      for (const w of before) {
        const hit = matchWord(w[0].replace(/(?:['’]s|['’])$/u, ''), '');
        if (hit) {
          learned.set(lower(m[1]!), hit.part);
          break;
        }
      }
    }
  };

  return {
    redact(text: string): RedactionResult {
      learnAliases(text);
      const found: RedactedSpan[] = [];
      for (const l of literalRes) {
        l.re.lastIndex = 0;
        for (const m of text.matchAll(l.re)) found.push({ start: m.index!, end: m.index! + m[0].length, label: l.label, source: 'known' });
      }
      for (const p of PATTERNS) {
        p.re.lastIndex = 0;
        for (const m of text.matchAll(p.re)) {
          const g = p.group ? m[p.group] : m[0];
          if (!g) continue;
          const offset = p.group ? m[0].indexOf(g) : 0;
          const trimmed = g.replace(/[\s.,]+$/u, '');
          if (!trimmed) continue;
          found.push({ start: m.index! + offset, end: m.index! + offset + trimmed.length, label: p.label, source: p.source });
        }
      }
      // Dates of birth known from the record, however they are written.
      if (dobs.size) {
        for (const m of text.matchAll(DATE_RE)) {
          const iso = parseDate(m[0]);
          if (iso && dobs.has(iso)) found.push({ start: m.index!, end: m.index! + m[0].length, label: '[DATE OF BIRTH]', source: 'known-dob' });
        }
      }
      // Names, word by word: the possessive ("Amelia's", "Jones'") stays outside the label so the note still reads.
      let prev = '';
      let prevEnd = 0;
      const all = [...text.matchAll(WORD)];
      for (const [i, m] of all.entries()) {
        const raw = m[0];
        const next = lower((all[i + 1]?.[0] ?? '').replace(/(?:['’]s|['’])$/u, ''));
        // a sentence boundary resets the context word
        if (/[.!?;:]/.test(text.slice(prevEnd, m.index!))) prev = '';
        const core = raw.replace(/(?:['’]s|['’])$/u, '').replace(/-+$/u, '');
        const context = prev;
        prev = lower(core);
        prevEnd = m.index! + raw.length;
        if (!core) continue;
        if (core.includes('-')) {
          // a hyphenated compound where one half is a name ("Amelia-Rose")
          const whole = matchWord(core, context);
          if (whole) {
            found.push({ start: m.index!, end: m.index! + core.length, label: whole.part.label, source: whole.how });
            continue;
          }
          let at = m.index!;
          for (const piece of core.split('-')) {
            const h = piece ? matchWord(piece, context) : null;
            if (h) found.push({ start: at, end: at + piece.length, label: h.part.label, source: h.how });
            at += piece.length + 1;
          }
          continue;
        }
        let hit = matchWord(core, context, next);
        // "Hallworths" (a plural or a dropped apostrophe)
        if (!hit && /s$/i.test(core) && core.length >= 5) hit = matchWord(core.slice(0, -1), context);
        if (hit) found.push({ start: m.index!, end: m.index! + core.length, label: hit.part.label, source: hit.how });
      }
      // Initials: "AQ", "A.Q.", "A. Q." for a known person.
      for (const person of people) {
        for (const ini of person.initials) {
          const re = new RegExp(`(?<![\\p{L}])${ini[0]}\\.?\\s?${ini[1]}(?:\\.|(?![\\p{L}]))`, 'gu');
          for (const m of text.matchAll(re)) found.push({ start: m.index!, end: m.index! + m[0].length, label: person.label, source: 'initials' });
        }
      }
      const spans = resolve(found, text);
      // "A. [VICTIM]": a lone initial belongs to the name after it.
      for (const s of spans) {
        if (!isPerson(s.label)) continue;
        const ini = /(?<![\p{L}])(\p{Lu})\.?\s$/u.exec(text.slice(Math.max(0, s.start - 4), s.start));
        if (ini) s.start -= ini[0].length;
      }
      return { text: apply(text, spans), spans };
    },
  };
}

const isPerson = (label: string) => /^\[(VICTIM|SUSPECT|WITNESS)/.test(label);

/**
 * Non-overlapping spans: the longest wins an overlap (an address beats the surname inside it); then neighbouring
 * spans of the same person ("Amelia" "Quintrell") merge into one label.
 */
function resolve(found: RedactedSpan[], text: string): RedactedSpan[] {
  const sorted = [...found].sort((a, b) => (b.end - b.start) - (a.end - a.start) || a.start - b.start);
  const taken: RedactedSpan[] = [];
  for (const s of sorted) {
    if (s.end <= s.start) continue;
    if (taken.some((t) => s.start < t.end && t.start < s.end)) {
      // a partly overlapping, longer-ranging span still extends the one it overlaps (keeps nothing half-shown)
      const t = taken.find((x) => s.start < x.end && x.start < s.end)!;
      if (s.start < t.start || s.end > t.end) {
        t.start = Math.min(t.start, s.start);
        t.end = Math.max(t.end, s.end);
      }
      continue;
    }
    taken.push({ ...s });
  }
  taken.sort((a, b) => a.start - b.start);
  const merged: RedactedSpan[] = [];
  for (const s of taken) {
    const last = merged[merged.length - 1];
    if (last && last.label === s.label && isPerson(s.label) && /^[\s.]*$/.test(text.slice(last.end, s.start))) last.end = s.end;
    else merged.push(s);
  }
  return merged;
}

function apply(text: string, spans: RedactedSpan[]): string {
  let out = '';
  let at = 0;
  for (const s of spans) {
    out += text.slice(at, s.start) + s.label;
    at = s.end;
  }
  return out + text.slice(at);
}

/** One-shot form: redact one text with what is known. */
export function redactText(text: string, known: KnownIdentifiers): RedactionResult {
  return buildRedactor(known).redact(text);
}
