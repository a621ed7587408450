/**
 * Synthetic national person records for the linkage benchmark: persons (with households, twins and common
 * names) recorded one or more times across 43 forces, each record carrying realistic errors. Deterministic
 * for a seed. The generator has its own nickname list (not the engine's), so nicknames the engine does not
 * know also occur.
 */
import { en } from '@faker-js/faker';
import type { PersonRecord } from '../../src/linkage/engine/types.ts';
import { mulberry32 } from '../../src/linkage/engine/random.ts';

type Rng = () => number;

const UK_SURNAMES =
  'smith jones williams taylor brown davies evans wilson thomas johnson roberts robinson thompson wright walker white edwards hughes green hall lewis harris clarke patel jackson wood turner martin cooper hill ward morris moore clark lee king baker harrison morgan allen james scott phillips watson davis parker price bennett young griffiths mitchell kelly cook carter richardson bailey collins bell shaw murphy miller cox richards khan marshall anderson simpson ellis adams singh begum wilkinson foster chapman powell webb rogers gray mason ali hunt hussain campbell matthews owen palmer holmes mills barnes knight lloyd butler russell barker fisher stevens jenkins murray dixon harvey graham pearson ahmed fletcher walsh kaur gibson howard andrews stewart elliott reynolds saunders payne fox ford pearce day brooks west lawrence cole atkinson bradley spencer gill dawson ball burton obrien watts rose booth perry ryan grant wells armstrong francis rees hayes hart hudson newman barrett webster hunter gregory carr lowe page marsh riley dunn woods parsons berry stone reid holland hawkins harding porter robertson newton oconnor kennedy burns'.split(' ');
const UK_MALE =
  'david john michael paul andrew mark james robert richard peter christopher stephen thomas daniel william matthew anthony ian simon steven gary kevin martin jason darren lee craig neil adam jonathan george oliver jack harry charlie joseph samuel benjamin alexander joshua ryan luke liam nathan jamie scott kieran dean carl wayne shaun callum connor jordan mohammed muhammad ali omar edward henry alan brian keith colin graham kenneth derek barry terry tony philip nicholas timothy gareth rhys owen dylan'.split(' ');
const UK_FEMALE =
  'sarah emma laura rebecca jessica charlotte sophie hannah emily lucy amy olivia amelia chloe megan lauren katie jade gemma nicola claire helen karen susan elizabeth margaret victoria samantha rachel natalie kelly lisa michelle joanne stacey danielle leanne kirsty zoe ellie grace isabella mia ava ruby lily evie freya poppy holly abigail alice eleanor georgia jennifer caroline catherine louise julie tracey donna dawn angela deborah patricia jacqueline sharon wendy amanda kayleigh shannon courtney aisha fatima amina'.split(' ');

/** nicknames the generator uses (partly outside the engine's table) */
const NICK: Record<string, string[]> = {
  david: ['dave', 'davey'], john: ['jon', 'johnny', 'jack'], michael: ['mike', 'mick', 'micky'], andrew: ['andy', 'drew'], james: ['jim', 'jimmy', 'jamie'],
  robert: ['rob', 'bob', 'robbie'], richard: ['rich', 'rick', 'dick'], peter: ['pete'], christopher: ['chris', 'kit'], stephen: ['steve', 'stevie'],
  thomas: ['tom', 'tommy'], daniel: ['dan', 'danny'], william: ['will', 'bill', 'billy', 'liam'], matthew: ['matt'], anthony: ['tony', 'ant'],
  steven: ['steve'], gary: ['gaz'], kevin: ['kev'], darren: ['daz'], craig: ['craigy'], jonathan: ['jon', 'jonny'], joseph: ['joe', 'joey'],
  samuel: ['sam', 'sammy'], benjamin: ['ben', 'benny'], alexander: ['alex', 'sandy'], joshua: ['josh'], nathan: ['nate'], edward: ['ed', 'eddie', 'ted'],
  henry: ['harry', 'hal'], kenneth: ['ken', 'kenny'], derek: ['del'], barry: ['baz'], terry: ['tel'], philip: ['phil'], nicholas: ['nick', 'nicky'],
  timothy: ['tim'], mohammed: ['mo', 'mohammad', 'muhammad'], muhammad: ['mo', 'mohammed'], charlie: ['charles'], oliver: ['ollie'],
  sarah: ['sally', 'sara'], rebecca: ['becky', 'becca'], jessica: ['jess'], charlotte: ['lottie', 'charlie'], elizabeth: ['liz', 'beth', 'lizzie'],
  margaret: ['maggie', 'peggy'], victoria: ['vicky', 'tori'], samantha: ['sam', 'sammy'], natalie: ['nat'], nicola: ['nicky', 'nikki'],
  jennifer: ['jen', 'jenny'], catherine: ['kate', 'cathy', 'katie'], patricia: ['pat', 'trish'], deborah: ['debbie', 'debs'], jacqueline: ['jackie'],
  amanda: ['mandy'], abigail: ['abbie', 'abi'], eleanor: ['ellie', 'nell'], isabella: ['izzy', 'bella'], danielle: ['dani'], kayleigh: ['kayley'],
};

const SYL_A = 'ash black brad brom cald craw dun elm fair gold green hart hal kings lang mar mid mor new north oak pen ray red rock ross rud shel staf stan thorn tre wal west whit win wood wray al bar bel bur car chal ches col dal dar ed fal gar hol ken lin mal nor pem rad sal sand tal thur ward wel wil yar ab ber bran cro dor fen grim hax ing jar kel lux mab nid orm pil quen rav sker tod ul vel wex'.split(' ');
const SYL_B = 'worth ley ton field man son ford well by ham wood ridge stone hill thorpe wick combe den ing er more croft gate hurst land low shaw dale burn cott ett ock in ard wright smith ey bury wick'.split(' ');
const SYL_M = ['', '', '', 'er', 'ing', 'en', 'am', 'ow'];
const STREET_TYPES = ['road', 'street', 'lane', 'avenue', 'close', 'drive', 'way', 'crescent', 'gardens', 'place', 'grove', 'court'];
const AREAS = 'B M L LS S SW SE N E W NW CF BS NG LE CV G EH NE SR DH BD HX HD WF YO HU DN LN PE CB NR IP CO CM SS RM IG EN AL SG LU MK OX RG SL HP GU KT SM CR BR DA ME CT TN BN RH PO SO BH SP BA TA EX TQ PL TR GL HR WR DY WV WS ST TF SY LL CH WA WN BL OL SK PR BB LA FY CA DL TS HG'.split(' ');
const UNIT = 'ABDEFGHJLNPQRSTUWXYZ';
const DOMAINS = ['gmail.com', 'hotmail.co.uk', 'yahoo.co.uk', 'outlook.com', 'btinternet.com', 'icloud.com', 'live.co.uk', 'sky.com'];
export const FORCES = 43;

const pick = <T>(rng: Rng, arr: readonly T[]): T => arr[Math.floor(rng() * arr.length)]!;

/** Zipf–Mandelbrot sampler over a ranked list: p(k) ∝ 1 / (k + q)^s. */
function zipf<T>(items: readonly T[], q: number, s = 1): (rng: Rng) => T {
  const cum = new Float64Array(items.length);
  let acc = 0;
  for (let k = 0; k < items.length; k++) cum[k] = acc += 1 / Math.pow(k + 1 + q, s);
  return (rng) => {
    const x = rng() * acc;
    let lo = 0;
    let hi = items.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cum[mid]! < x) lo = mid + 1;
      else hi = mid;
    }
    return items[lo]!;
  };
}

function shuffled<T>(arr: readonly T[], rng: Rng): T[] {
  const a = [...arr];
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a;
}

const cap = (s: string) => (s ? s[0]!.toUpperCase() + s.slice(1) : s);
const LETTERS = 'abcdefghijklmnopqrstuvwxyz';
const KEYBOARD: Record<string, string> = { a: 'sqz', b: 'vn', c: 'xv', d: 'sf', e: 'wr', f: 'dg', g: 'fh', h: 'gj', i: 'uo', j: 'hk', k: 'jl', l: 'k', m: 'n', n: 'bm', o: 'ip', p: 'o', q: 'wa', r: 'et', s: 'ad', t: 'ry', u: 'yi', v: 'cb', w: 'qe', x: 'zc', y: 'tu', z: 'xa' };

/** One typo: substitution (keyboard neighbour), deletion, insertion, or adjacent transposition. */
function typo(rng: Rng, s: string): string {
  if (s.length < 2) return s;
  const i = 1 + Math.floor(rng() * (s.length - 1));
  const r = rng();
  const c = s[i]!.toLowerCase();
  if (r < 0.3) return s.slice(0, i) + pick(rng, (KEYBOARD[c] ?? LETTERS).split('')) + s.slice(i + 1);
  if (r < 0.55) return s.slice(0, i) + s.slice(i + 1);
  if (r < 0.75) return s.slice(0, i) + pick(rng, LETTERS.split('')) + s.slice(i);
  if (i < s.length - 1) return s.slice(0, i) + s[i + 1] + s[i] + s.slice(i + 2);
  return s.slice(0, i - 1) + s[i] + s[i - 1];
}

/** Spelling variants that sound alike (ph/f, ie/y, double letters, -son/-sen). */
function phoneticVariant(rng: Rng, s: string): string {
  const rules: [RegExp, string][] = [[/ph/, 'f'], [/f/, 'ph'], [/ie$/, 'y'], [/y$/, 'ie'], [/([lnrst])\1/, '$1'], [/([lnrt])(?!\1)/, '$1$1'], [/son$/, 'sen'], [/c/, 'k'], [/k/, 'c'], [/ai/, 'ay'], [/ey$/, 'y'], [/ou/, 'ow'], [/mc/, 'mac']];
  for (const [re, rep] of shuffled(rules, rng)) if (re.test(s)) return s.replace(re, rep);
  return typo(rng, s);
}

interface Person {
  id: number;
  sex: 'm' | 'f';
  given: string;
  middle: string;
  family: string;
  y: number;
  m: number;
  d: number;
  postcode: string;
  address: string;
  phone: string | null;
  email: string | null;
  online: string | null;
  vehicle: string | null;
  altFamily: string | null;
}

export interface SyntheticOptions {
  seed?: number;
}

export interface SyntheticData {
  records: PersonRecord[];
  /** true person id per record */
  truth: Int32Array;
  persons: number;
}

export function generateNationalPersons(nRecords: number, options: SyntheticOptions = {}): SyntheticData {
  const rng = mulberry32(options.seed ?? 7);
  const fakerLast = (en.person!.last_name as { generic: string[] }).generic.map((s) => s.toLowerCase().replace(/[^a-z]/g, ''));
  const tail: string[] = [];
  for (const a of SYL_A) for (const mid of ['', 'er', 'ing', 'en']) for (const b of SYL_B) tail.push(a + mid + b);
  const surnames = [...new Set([...UK_SURNAMES, ...shuffled(fakerLast, rng), ...shuffled(tail, rng)])];
  const fn = en.person!.first_name as { male: string[]; female: string[] };
  const males = [...new Set([...UK_MALE, ...shuffled(fn.male.map((s) => s.toLowerCase().replace(/[^a-z]/g, '')), rng)])];
  const females = [...new Set([...UK_FEMALE, ...shuffled(fn.female.map((s) => s.toLowerCase().replace(/[^a-z]/g, '')), rng)])];
  const drawSurname = zipf(surnames, 12, 1);
  const drawMale = zipf(males, 6, 1.1);
  const drawFemale = zipf(females, 6, 1.1);
  const streets = shuffled(
    [...tail.slice(0, 3000), ...fakerLast].flatMap((n) => STREET_TYPES.slice(0, 3).map((t) => `${n} ${t}`)),
    rng,
  );
  void SYL_M;

  const newPostcode = () => {
    const area = pick(rng, AREAS);
    const district = 1 + Math.floor(rng() * (area.length === 1 ? 40 : 25));
    return `${area}${district} ${Math.floor(rng() * 10)}${UNIT[Math.floor(rng() * 20)]}${UNIT[Math.floor(rng() * 20)]}`;
  };
  const newAddress = () => `${1 + Math.floor(rng() * 180)} ${pick(rng, streets)}`;
  const newPhone = () => '07' + String(Math.floor(rng() * 1e9)).padStart(9, '0');
  const birthYear = () => {
    // offenders skew 18–50 at recording; records span 2005–2025
    const age = 16 + Math.floor(Math.pow(rng(), 1.6) * 60);
    return 2025 - Math.floor(rng() * 20) - age;
  };
  const daysIn = (y: number, m: number) => new Date(Date.UTC(y, m, 0)).getUTCDate();

  const persons: Person[] = [];
  // an email address belongs to one person: retry with digits until unused
  const emails = new Set<string>();
  const uniqueEmail = (given: string, family: string) => {
    const sep = rng() < 0.5 ? '.' : '';
    const domain = pick(rng, DOMAINS);
    let e = `${given}${sep}${family}${rng() < 0.6 ? Math.floor(rng() * 100) : ''}@${domain}`;
    while (emails.has(e)) e = `${given}${sep}${family}${Math.floor(rng() * 10000)}@${domain}`;
    emails.add(e);
    return e;
  };
  const handles = new Set<string>();
  const uniqueHandle = (given: string, family: string) => {
    let h: string;
    do h = `${given.slice(0, 4)}${pick(rng, ['_', '', '.'])}${family.slice(0, 3)}${Math.floor(rng() * 10000)}`;
    while (handles.has(h));
    handles.add(h);
    return h;
  };
  const makePerson = (household?: Person, twinOf?: Person): Person => {
    const sex = rng() < 0.85 ? 'm' : 'f';
    const given = sex === 'm' ? drawMale(rng) : drawFemale(rng);
    const middle = rng() < 0.4 ? (sex === 'm' ? drawMale(rng) : drawFemale(rng)) : '';
    const family = household && rng() < 0.85 ? household.family : drawSurname(rng);
    let y: number;
    let m: number;
    let d: number;
    if (twinOf) {
      y = twinOf.y;
      m = twinOf.m;
      d = twinOf.d;
    } else {
      y = household ? household.y + Math.round((rng() - 0.5) * 30) : birthYear();
      m = 1 + Math.floor(rng() * 12);
      d = 1 + Math.floor(rng() * daysIn(y, m));
    }
    const p: Person = {
      id: persons.length,
      sex,
      given,
      middle,
      family,
      y,
      m,
      d,
      postcode: household ? household.postcode : newPostcode(),
      address: household ? household.address : newAddress(),
      phone: rng() < 0.7 ? newPhone() : null,
      email: rng() < 0.45 ? uniqueEmail(given, family) : null,
      online: rng() < 0.25 ? uniqueHandle(given, family) : null,
      vehicle: rng() < 0.2 ? `${pick(rng, AREAS).padEnd(2, 'X')}${10 + Math.floor(rng() * 60)} ${UNIT[Math.floor(rng() * 20)]}${UNIT[Math.floor(rng() * 20)]}${UNIT[Math.floor(rng() * 20)]}` : null,
      altFamily: rng() < 0.03 ? drawSurname(rng) : null,
    };
    persons.push(p);
    return p;
  };

  const records: PersonRecord[] = [];
  const truth: number[] = [];
  const emit = (p: Person, first: boolean) => {
    const rate = first ? 0.5 : 1;
    const hit = (x: number) => rng() < x * rate;
    let given = p.given;
    let family = p.family;
    if (hit(0.1) && NICK[given]) given = pick(rng, NICK[given]!);
    else if (hit(0.07)) given = rng() < 0.5 ? typo(rng, given) : phoneticVariant(rng, given);
    if (p.middle && hit(0.08)) given = `${given} ${p.middle}`;
    if (hit(0.015)) given = given[0]!;
    if (hit(0.07)) family = rng() < 0.6 ? typo(rng, family) : phoneticVariant(rng, family);
    if (p.altFamily && hit(0.5)) family = p.altFamily;
    if (hit(0.01)) family = `${family}-${drawSurname(rng)}`;
    if (hit(0.02)) given = '';
    if (hit(0.01)) family = '';
    if (hit(0.025)) [given, family] = [family, given];
    let y = p.y;
    let m = p.m;
    let d = p.d;
    let dob: string | null;
    const r = rng();
    if (r < 0.07 * rate) dob = null;
    else {
      const e = rng();
      if (e < 0.035 * rate && d <= 12 && d !== m) [m, d] = [d, m];
      else if (e < 0.065 * rate) y += rng() < 0.5 ? -1 : 1;
      else if (e < 0.1 * rate) {
        const s = `${y}${String(m).padStart(2, '0')}${String(d).padStart(2, '0')}`;
        const i = 2 + Math.floor(rng() * 6);
        const digit = String(Math.floor(rng() * 10));
        const t = s.slice(0, i) + digit + s.slice(i + 1);
        y = Number(t.slice(0, 4));
        m = Math.min(12, Math.max(1, Number(t.slice(4, 6))));
        d = Math.min(28, Math.max(1, Number(t.slice(6, 8))));
      } else if (e < 0.11 * rate) {
        m = 1;
        d = 1;
      }
      dob = `${y}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
    }
    let postcode: string | null = p.postcode;
    let address: string | null = p.address;
    if (!first && rng() < 0.35) {
      postcode = newPostcode();
      address = newAddress();
    }
    if (hit(0.03) && postcode) postcode = typo(rng, postcode.replace(' ', '')).toUpperCase();
    if (rng() < 0.15) postcode = null;
    if (rng() < 0.25) address = null;
    const phone = p.phone && rng() < (first ? 0.6 : 0.4) ? (rng() < 0.2 ? newPhone() : p.phone) : null;
    const email = p.email && rng() < 0.5 ? p.email : null;
    const rec: PersonRecord = {
      id: `F${String(1 + Math.floor(rng() * FORCES)).padStart(2, '0')}-${records.length + 1}`,
      givenName: cap(given),
      familyName: family.toUpperCase(),
      dob,
      postcode,
      address,
      sex: p.sex,
      phone,
      email,
    };
    if (p.online && rng() < 0.5) rec.onlineIds = [p.online];
    if (p.vehicle && rng() < 0.4) rec.vehicles = [p.vehicle];
    if (p.altFamily && rng() < 0.3) rec.aliases = [{ given: p.given, family: family === p.altFamily ? p.family : p.altFamily }];
    records.push(rec);
    truth.push(p.id);
  };

  while (records.length < nRecords) {
    const head = makePerson();
    const group = [head];
    const h = rng();
    if (h < 0.08) group.push(makePerson(head)); // household member
    if (h < 0.03) group.push(makePerson(head));
    if (h > 0.997) group.push(makePerson(head, head)); // twin: same dob, family and address
    for (const p of group) {
      const x = rng();
      const n = x < 0.78 ? 1 : x < 0.91 ? 2 : x < 0.96 ? 3 : x < 0.985 ? 4 : 5 + Math.floor(rng() * 4);
      for (let k = 0; k < n && records.length < nRecords; k++) emit(p, k === 0);
    }
  }
  // records arrive in no particular order
  const order = shuffled(
    records.map((_, i) => i),
    rng,
  );
  return { records: order.map((i) => records[i]!), truth: Int32Array.from(order, (i) => truth[i]!), persons: persons.length };
}
