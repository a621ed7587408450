/**
 * Blocking: only pairs that share a key under at least one rule are compared. Rules are tried in priority order;
 * a rule is used while the estimated number of pairs stays within the budget (identity rules always), blocks
 * larger than `maxBlockSize` are skipped, and each pair is produced once (by the first rule that has it).
 */
import { Arena } from './arena.ts';
import { hashKey, mixHash } from './metrics.ts';
import type { NameForm, PreparedRecord } from './types.ts';

export { hashKey };

/** Where a rule puts its key hashes: a plain array, or computeRuleKeys' typed-array sink. */
export interface KeySink {
  push(h: number): unknown;
}

export interface BlockingRule {
  name: string;
  /** always used, whatever the budget (exact identifiers) */
  essential?: boolean;
  /** push the 32-bit hashes of the record's keys (none when a part is unknown) */
  keys(r: PreparedRecord, out: KeySink): void;
  /** only pairs where at least one record satisfies this are produced (e.g. "date of birth unknown") */
  oneOf?(r: PreparedRecord): boolean;
}

// Name variants by position (0 = the primary name, then the aliases). Rules loop over them instead of taking a
// callback: a closure per record and rule was a measurable share of blocking at 1M records.
const nameCount = (r: PreparedRecord) => 1 + r.aliases.length;
const givenAt = (r: PreparedRecord, i: number) => (i === 0 ? r.given : r.aliases[i - 1]!.given);
const familyAt = (r: PreparedRecord, i: number) => (i === 0 ? r.family : r.aliases[i - 1]!.family);

/** Order-insensitive hash of the phonetic given + family keys (so swapped names block together). */
function namePair(g: NameForm, f: NameForm): number {
  return g.keyHash < f.keyHash ? mixHash(g.keyHash, f.keyHash) : mixHash(f.keyHash, g.keyHash);
}

/** mixHash(salt, given initial) for every name variant with a given name */
function givenInitials(r: PreparedRecord, salt: number, out: KeySink): void {
  for (let i = 0, n = nameCount(r); i < n; i++) {
    const g = givenAt(r, i);
    if (g) out.push(mixHash(salt, g.initial));
  }
}
/** mixHash(salt, family initial) for every name variant with a family name */
function familyInitials(r: PreparedRecord, salt: number, out: KeySink): void {
  for (let i = 0, n = nameCount(r); i < n; i++) {
    const f = familyAt(r, i);
    if (f) out.push(mixHash(salt, f.initial));
  }
}
/** given key (salted unless salt is null) for every variant with a given name */
function givenKeys(r: PreparedRecord, salt: number | null, out: KeySink): void {
  for (let i = 0, n = nameCount(r); i < n; i++) {
    const g = givenAt(r, i);
    if (g) out.push(salt === null ? g.keyHash : mixHash(g.keyHash, salt));
  }
}
/** family key (salted unless salt is null) for every variant with a family name */
function familyKeys(r: PreparedRecord, salt: number | null, out: KeySink): void {
  for (let i = 0, n = nameCount(r); i < n; i++) {
    const f = familyAt(r, i);
    if (f) out.push(salt === null ? f.keyHash : mixHash(f.keyHash, salt));
  }
}
/** name-pair hash (salted unless salt is null) for every variant with both names */
function namePairs(r: PreparedRecord, salt: number | null, out: KeySink): void {
  for (let i = 0, n = nameCount(r); i < n; i++) {
    const g = givenAt(r, i);
    const f = familyAt(r, i);
    if (g && f) out.push(salt === null ? namePair(g, f) : mixHash(namePair(g, f), salt));
  }
}

function all(values: readonly string[], out: KeySink): void {
  for (const v of values) out.push(hashKey(v));
}
function one(value: string | null, out: KeySink): void {
  if (value) out.push(hashKey(value));
}
const mmdd = (r: PreparedRecord) => r.dobM * 100 + r.dobD;

export const BLOCKING_RULES: readonly BlockingRule[] = [
  { name: 'identifier', essential: true, keys: (r, out) => all(r.identifiers, out) },
  { name: 'phone', essential: true, keys: (r, out) => one(r.phone, out) },
  { name: 'email', essential: true, keys: (r, out) => one(r.email, out) },
  { name: 'online id', essential: true, keys: (r, out) => all(r.onlineIds, out) },
  { name: 'vehicle', essential: true, keys: (r, out) => all(r.vehicles, out) },
  {
    name: 'dob + given initial',
    keys: (r, out) => {
      if (r.dob) givenInitials(r, hashKey(r.dob), out);
    },
  },
  {
    name: 'dob (day/month either way) + family initial',
    keys: (r, out) => {
      if (r.dob) familyInitials(r, mixHash(mixHash(r.dobY, Math.min(r.dobM, r.dobD)), Math.max(r.dobM, r.dobD)), out);
    },
  },
  {
    name: 'given + family sound alike (either order) + birth year',
    keys: (r, out) => {
      if (r.dob) namePairs(r, r.dobY, out);
    },
  },
  {
    name: 'given + family sound alike (either order) + birth month and day',
    keys: (r, out) => {
      if (r.dob) namePairs(r, mmdd(r), out);
    },
  },
  {
    name: 'given + family sound alike (either order), a date of birth unknown',
    keys: (r, out) => namePairs(r, null, out),
    oneOf: (r) => r.dob === null,
  },
  {
    name: 'family sounds alike + given initial + birth year',
    keys: (r, out) => {
      if (!r.dob) return;
      for (let i = 0, n = nameCount(r); i < n; i++) {
        const g = givenAt(r, i);
        const f = familyAt(r, i);
        if (g && f) out.push(mixHash(mixHash(f.keyHash, g.initial), r.dobY));
      }
    },
  },
  {
    name: 'postcode + given initial',
    keys: (r, out) => {
      if (r.postcode) givenInitials(r, hashKey(r.postcode), out);
    },
  },
  {
    name: 'postcode + family initial',
    keys: (r, out) => {
      if (r.postcode) familyInitials(r, hashKey(r.postcode), out);
    },
  },
  {
    name: 'given sounds alike + birth month and day',
    keys: (r, out) => {
      if (r.dob) givenKeys(r, mmdd(r), out);
    },
  },
  {
    name: 'family sounds alike + birth year',
    keys: (r, out) => {
      if (r.dob) familyKeys(r, r.dobY, out);
    },
  },
  { name: 'dob', keys: (r, out) => one(r.dob, out) },
  {
    name: 'family sounds alike + postcode district',
    keys: (r, out) => {
      if (r.postcodeDistrict) familyKeys(r, hashKey(r.postcodeDistrict), out);
    },
  },
  {
    name: 'family sounds alike + town',
    keys: (r, out) => {
      if (r.town) familyKeys(r, hashKey(r.town), out);
    },
  },
  {
    name: 'family sounds alike + place of birth',
    keys: (r, out) => {
      if (r.birthPlace) familyKeys(r, hashKey(r.birthPlace), out);
    },
  },
  {
    name: 'given sounds alike + place of birth',
    keys: (r, out) => {
      if (r.birthPlace) givenKeys(r, hashKey(r.birthPlace), out);
    },
  },
  { name: 'email user name', keys: (r, out) => one(r.emailLocal && r.emailLocal.length > 3 ? r.emailLocal : null, out) },
  {
    name: 'identifier prefix',
    keys: (r, out) => {
      for (const s of r.identifiers) out.push(hashKey(s.slice(0, Math.ceil(s.length / 2))));
    },
  },
  {
    name: 'given sounds alike + family initial',
    keys: (r, out) => {
      for (let i = 0, n = nameCount(r); i < n; i++) {
        const g = givenAt(r, i);
        const f = familyAt(r, i);
        if (g && f) out.push(mixHash(g.keyHash, f.initial));
      }
    },
  },
  {
    name: 'family sounds alike + given initial',
    keys: (r, out) => {
      for (let i = 0, n = nameCount(r); i < n; i++) {
        const g = givenAt(r, i);
        const f = familyAt(r, i);
        if (g && f) out.push(mixHash(f.keyHash, g.initial));
      }
    },
  },
  { name: 'family sounds alike', keys: (r, out) => familyKeys(r, null, out) },
  { name: 'address', keys: (r, out) => one(r.address, out) },
  {
    name: 'given sounds alike + town',
    keys: (r, out) => {
      if (r.town) givenKeys(r, hashKey(r.town), out);
    },
  },
  { name: 'given + family sound alike (either order)', keys: (r, out) => namePairs(r, null, out) },
  {
    name: 'email domain',
    keys: (r, out) => {
      const at = r.email ? r.email.lastIndexOf('@') : -1;
      if (at > 0) out.push(hashKey(r.email!.slice(at + 1)));
    },
  },
  {
    name: 'birth year + month + given initial',
    keys: (r, out) => {
      if (r.dob) givenInitials(r, mixHash(r.dobY, r.dobM), out);
    },
  },
];

/** Keys of one rule for every record (hashed; CSR layout), grouped into blocks of records sharing a key. */
export interface RuleKeys {
  rule: BlockingRule;
  /** record r's blocks are blockOf[offsets[r] .. offsets[r+1]) */
  offsets: Int32Array;
  blockOf: Int32Array;
  /** sorted distinct key hashes; block b has hash hashes[b] */
  hashes: Uint32Array;
  /** members of block b are members[memberOffsets[b] .. memberOffsets[b+1]) */
  memberOffsets: Int32Array;
  members: Int32Array;
  blockCount: number;
  /** true when the rule gives some record more than one key */
  multi: boolean;
  /** Σ C(n, 2) over blocks not larger than maxBlockSize */
  pairEstimate: number;
  oversizedBlocks: number;
  maxBlockSize: number;
  /** with a oneOf rule: 1 for records that satisfy it (a pair needs at least one) */
  flag: Uint8Array | null;
}

/** Hashes of a record's keys under a rule (deduplicated). */
export function ruleHashes(rule: BlockingRule, r: PreparedRecord): number[] {
  const out: number[] = [];
  rule.keys(r, out);
  return out.length > 1 ? [...new Set(out)] : out;
}

/** Stable LSD radix sort of (hash, payload) by hash; returns the permutation. */
function radixOrder(hash: Uint32Array, n: number, arena: Arena): Int32Array {
  let idx = arena.int32(n);
  let tmp = arena.int32(n);
  for (let i = 0; i < n; i++) idx[i] = i;
  const count = arena.int32(65537);
  for (const shift of [0, 16]) {
    count.fill(0);
    for (let i = 0; i < n; i++) count[((hash[idx[i]!]! >>> shift) & 0xffff) + 1]!++;
    for (let b = 0; b < 65536; b++) count[b + 1]! += count[b]!;
    for (let i = 0; i < n; i++) {
      const v = idx[i]!;
      tmp[count[(hash[v]! >>> shift) & 0xffff]!++] = v;
    }
    const t = idx;
    idx = tmp;
    tmp = t;
  }
  return idx;
}

/**
 * Compute a rule's keys and blocks. Arrays come from `arena` (a fresh one by default); with a scratch arena that
 * is reset later, call persistRuleKeys to keep the result.
 */
/**
 * computeRuleKeys' sink: appends a record's key hashes (deduplicated per record) straight into typed arrays, so no
 * per-record array is built or truncated.
 */
class HashSink implements KeySink {
  used = 0;
  start = 0;
  owner: Int32Array;
  hashes: Uint32Array;
  record = 0;
  constructor(
    capacity: number,
    private readonly arena: Arena,
  ) {
    this.hashes = arena.uint32(capacity);
    this.owner = arena.int32(capacity);
  }
  push(h: number): void {
    const hashes = this.hashes;
    for (let q = this.start; q < this.used; q++) if (hashes[q] === h) return;
    if (this.used === hashes.length) {
      const h2 = this.arena.uint32(hashes.length * 2);
      h2.set(hashes);
      this.hashes = h2;
      const o2 = this.arena.int32(h2.length);
      o2.set(this.owner);
      this.owner = o2;
    }
    this.hashes[this.used] = h;
    this.owner[this.used++] = this.record;
  }
}

export function computeRuleKeys(records: readonly PreparedRecord[], rule: BlockingRule, maxBlockSize: number, arena: Arena = new Arena(16 << 20)): RuleKeys {
  const n = records.length;
  const offsets = arena.int32(n + 1);
  const sink = new HashSink(n + 64, arena);
  let multi = false;
  for (let r = 0; r < n; r++) {
    offsets[r] = sink.start = sink.used;
    sink.record = r;
    rule.keys(records[r]!, sink);
    if (sink.used - sink.start > 1) multi = true;
  }
  const used = sink.used;
  const hashes = sink.hashes;
  const owner = sink.owner;
  offsets[n] = used;
  const order = radixOrder(hashes, used, arena);
  // blocks = runs of equal hash in sorted order
  const members = arena.int32(used);
  const entryBlock = arena.int32(used);
  const uniq = arena.uint32(used);
  const memberOffsetsAll = arena.int32(used + 1);
  let blockCount = 0;
  let prev = -1;
  for (let i = 0; i < used; i++) {
    const e = order[i]!;
    const h = hashes[e]!;
    if (i === 0 || h !== prev) {
      uniq[blockCount] = h;
      memberOffsetsAll[blockCount++] = i;
      prev = h;
    }
    members[i] = owner[e]!;
    entryBlock[e] = blockCount - 1;
  }
  memberOffsetsAll[blockCount] = used;
  const memberOffsets = memberOffsetsAll.subarray(0, blockCount + 1);
  let pairEstimate = 0;
  let oversizedBlocks = 0;
  let flag: Uint8Array | null = null;
  if (rule.oneOf) {
    flag = arena.uint8(n);
    flag.fill(0);
    for (let r = 0; r < n; r++) if (offsets[r + 1]! > offsets[r]! && rule.oneOf(records[r]!)) flag[r] = 1;
  }
  for (let b = 0; b < blockCount; b++) {
    const c = memberOffsets[b + 1]! - memberOffsets[b]!;
    if (c > maxBlockSize) oversizedBlocks++;
    else if (!flag) pairEstimate += (c * (c - 1)) / 2;
    else {
      let other = 0;
      for (let p = memberOffsets[b]!; p < memberOffsets[b + 1]!; p++) if (!flag[members[p]!]) other++;
      pairEstimate += (c * (c - 1)) / 2 - (other * (other - 1)) / 2;
    }
  }
  return {
    rule,
    offsets,
    blockOf: entryBlock,
    hashes: uniq.subarray(0, blockCount),
    memberOffsets,
    members,
    blockCount,
    multi,
    pairEstimate,
    oversizedBlocks,
    maxBlockSize,
    flag,
  };
}

/** Copy a rule's arrays out of a scratch arena. */
export function persistRuleKeys(rk: RuleKeys, keep: Arena): RuleKeys {
  return {
    ...rk,
    offsets: keep.copyInt32(rk.offsets),
    blockOf: keep.copyInt32(rk.blockOf),
    hashes: keep.copyUint32(rk.hashes),
    memberOffsets: keep.copyInt32(rk.memberOffsets),
    members: keep.copyInt32(rk.members),
    flag: rk.flag ? keep.copyUint8(rk.flag) : null,
  };
}

/** Block holding key hash h, or -1. */
export function findBlock(rk: RuleKeys, h: number): number {
  const hs = rk.hashes;
  let lo = 0;
  let hi = hs.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const v = hs[mid]!;
    if (v < h) lo = mid + 1;
    else if (v > h) hi = mid - 1;
    else return mid;
  }
  return -1;
}

/** Smallest block (not oversized) that records a and b share under this rule, or -1. */
export function sharedKey(rk: RuleKeys, a: number, b: number, maxBlockSize: number = rk.maxBlockSize): number {
  const { offsets, blockOf, memberOffsets } = rk;
  if (rk.flag && !rk.flag[a] && !rk.flag[b]) return -1;
  const a0 = offsets[a]!;
  const a1 = offsets[a + 1]!;
  if (a0 === a1) return -1;
  const b0 = offsets[b]!;
  const b1 = offsets[b + 1]!;
  if (b0 === b1) return -1;
  let best = -1;
  for (let p = a0; p < a1; p++) {
    const k = blockOf[p]!;
    for (let q = b0; q < b1; q++) {
      if (blockOf[q] === k && memberOffsets[k + 1]! - memberOffsets[k]! <= maxBlockSize && (best < 0 || k < best)) best = k;
    }
  }
  return best;
}

export class PairBuffer {
  a: Int32Array;
  b: Int32Array;
  length = 0;
  constructor(capacity = 1024) {
    this.a = new Int32Array(capacity);
    this.b = new Int32Array(capacity);
  }
  /** make room for `capacity` pairs in one step (one allocation instead of several growths) */
  reserve(capacity: number): void {
    if (capacity <= this.a.length) return;
    const cap = Math.max(capacity, Math.ceil(this.a.length * 1.6));
    const na = new Int32Array(cap);
    const nb = new Int32Array(cap);
    na.set(this.a.subarray(0, this.length));
    nb.set(this.b.subarray(0, this.length));
    this.a = na;
    this.b = nb;
  }
  push(a: number, b: number): void {
    if (this.length === this.a.length) {
      const cap = Math.ceil(this.a.length * 1.6);
      const na = new Int32Array(cap);
      const nb = new Int32Array(cap);
      na.set(this.a);
      nb.set(this.b);
      this.a = na;
      this.b = nb;
    }
    this.a[this.length] = a;
    this.b[this.length++] = b;
  }
}

export interface BlockingOptions {
  rules?: readonly BlockingRule[];
  /** blocks with more records than this are skipped (default 500) */
  maxBlockSize?: number;
  /** estimated pair budget; rules beyond it are not used (default max(3M, 12·N)) */
  pairBudget?: number;
  /** compare only records with different `source` */
  linkOnly?: boolean;
}

export interface RuleStat {
  rule: string;
  used: boolean;
  estimatedPairs: number;
  pairs: number;
  oversizedBlocks: number;
}

export interface BlockingResult {
  pairs: PairBuffer;
  rules: RuleKeys[];
  stats: RuleStat[];
  maxBlockSize: number;
}

export function defaultPairBudget(n: number): number {
  return Math.max(3_000_000, 12 * n);
}

export function generateCandidatePairs(records: readonly PreparedRecord[], options: BlockingOptions = {}): BlockingResult {
  const rules = options.rules ?? BLOCKING_RULES;
  const maxBlock = options.maxBlockSize ?? 500;
  const budget = options.pairBudget ?? defaultPairBudget(records.length);
  const linkOnly = options.linkOnly ?? false;
  const sources = linkOnly ? records.map((r) => r.source) : [];
  const used: RuleKeys[] = [];
  const stats: RuleStat[] = [];
  /** pair index where each used rule's pairs start (then the end) */
  const ruleStart: number[] = [];
  const pairs = new PairBuffer(Math.min(Math.ceil(budget * 0.8), 1 << 24));
  let estimated = 0;
  const scratch = new Arena(Math.max(16 << 20, records.length * 48));
  const keep = new Arena(Math.max(16 << 20, records.length * 64));
  // Every used rule emits all pairs of its blocks; pairs an earlier rule (or an earlier block of the same rule)
  // already produced are removed afterwards in one pass (dropDuplicatePairs). Checking each pair against every
  // earlier rule as it was emitted cost ~20 random lookups per pair and dominated blocking at 1M records.
  for (const rule of rules) {
    scratch.reset();
    const scratchKeys = computeRuleKeys(records, rule, maxBlock, scratch);
    if (scratchKeys.members.length === 0) continue;
    const estimate = scratchKeys.pairEstimate;
    const take = rule.essential || estimated + estimate <= budget;
    stats.push({ rule: rule.name, used: take, estimatedPairs: estimate, pairs: 0, oversizedBlocks: scratchKeys.oversizedBlocks });
    if (!take) continue;
    const rk = persistRuleKeys(scratchKeys, keep);
    estimated += estimate;
    ruleStart.push(pairs.length);
    pairs.reserve(pairs.length + estimate);
    const { memberOffsets, members, flag } = rk;
    for (let k = 0; k < rk.blockCount; k++) {
      const s = memberOffsets[k]!;
      const e = memberOffsets[k + 1]!;
      if (e - s < 2 || e - s > maxBlock) continue;
      for (let x = s; x < e; x++) {
        const mx = members[x]!;
        for (let y = x + 1; y < e; y++) {
          const my = members[y]!;
          if (linkOnly && sources[mx] === sources[my]) continue;
          if (flag && !flag[mx] && !flag[my]) continue;
          if (mx < my) pairs.push(mx, my);
          else pairs.push(my, mx);
        }
      }
    }
    used.push(rk);
  }
  ruleStart.push(pairs.length);
  const kept = dropDuplicatePairs(pairs, records.length, ruleStart);
  for (let u = 0, s = 0; u < stats.length; u++) if (stats[u]!.used) stats[u]!.pairs = kept[s++]!;
  return { pairs, rules: used, stats, maxBlockSize: maxBlock };
}

/**
 * Keep the first occurrence of every (a, b) pair, in place and in the original order (so scoring and clustering see
 * exactly the pairs and the order the rules produced). A stable counting sort by `a` groups each record's pairs in
 * emission order; a stamp per `b` then spots repeats. Returns the number kept in each [ruleStart[i], ruleStart[i+1]).
 */
function dropDuplicatePairs(pairs: PairBuffer, n: number, ruleStart: readonly number[]): number[] {
  const len = pairs.length;
  const { a, b } = pairs;
  const start = new Int32Array(n + 1);
  for (let p = 0; p < len; p++) start[a[p]! + 1]!++;
  for (let i = 0; i < n; i++) start[i + 1]! += start[i]!;
  const order = new Int32Array(len);
  const fill = start.slice(0, n);
  for (let p = 0; p < len; p++) order[fill[a[p]!]!++] = p;
  const keep = new Uint8Array(len);
  const stamp = new Int32Array(n).fill(-1);
  for (let i = 0; i < n; i++) {
    for (let q = start[i]!; q < start[i + 1]!; q++) {
      const p = order[q]!;
      const other = b[p]!;
      if (stamp[other] === i) continue;
      stamp[other] = i;
      keep[p] = 1;
    }
  }
  const kept: number[] = [];
  let w = 0;
  for (let r = 0; r + 1 < ruleStart.length; r++) {
    const before = w;
    for (let p = ruleStart[r]!; p < ruleStart[r + 1]!; p++) {
      if (!keep[p]) continue;
      a[w] = a[p]!;
      b[w++] = b[p]!;
    }
    kept.push(w - before);
  }
  pairs.length = w;
  return kept;
}
