/**
 * Blocking: only pairs that share a key under at least one rule are compared. Rules are tried in priority order;
 * a rule is used while the estimated number of pairs stays within the budget (identity rules always), blocks
 * larger than `maxBlockSize` are skipped, and each pair is produced once (by the first rule that has it).
 */
import { Arena } from './arena.ts';
import { hashKey, mixHash } from './metrics.ts';
import type { NameForm, PreparedRecord } from './types.ts';

export { hashKey };

export interface BlockingRule {
  name: string;
  /** always used, whatever the budget (exact identifiers) */
  essential?: boolean;
  /** push the 32-bit hashes of the record's keys (none when a part is unknown) */
  keys(r: PreparedRecord, out: number[]): void;
  /** only pairs where at least one record satisfies this are produced (e.g. "date of birth unknown") */
  oneOf?(r: PreparedRecord): boolean;
}

type NameVisitor = (given: NameForm | null, family: NameForm | null) => unknown;

/** Visit the primary name and every alias (blocking keys are built per name variant). */
function eachName(r: PreparedRecord, fn: NameVisitor): void {
  fn(r.given, r.family);
  for (const a of r.aliases) fn(a.given, a.family);
}

/** Order-insensitive hash of the phonetic given + family keys (so swapped names block together). */
function namePair(g: NameForm, f: NameForm): number {
  return g.keyHash < f.keyHash ? mixHash(g.keyHash, f.keyHash) : mixHash(f.keyHash, g.keyHash);
}

function all(values: readonly string[], out: number[]): void {
  for (const v of values) out.push(hashKey(v));
}
function one(value: string | null, out: number[]): void {
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
      if (!r.dob) return;
      const d = hashKey(r.dob);
      eachName(r, (g) => g && out.push(mixHash(d, g.initial)));
    },
  },
  {
    name: 'dob (day/month either way) + family initial',
    keys: (r, out) => {
      if (!r.dob) return;
      const d = mixHash(mixHash(r.dobY, Math.min(r.dobM, r.dobD)), Math.max(r.dobM, r.dobD));
      eachName(r, (_, f) => f && out.push(mixHash(d, f.initial)));
    },
  },
  {
    name: 'given + family sound alike (either order) + birth year',
    keys: (r, out) => {
      if (r.dob) eachName(r, (g, f) => g && f && out.push(mixHash(namePair(g, f), r.dobY)));
    },
  },
  {
    name: 'given + family sound alike (either order) + birth month and day',
    keys: (r, out) => {
      if (r.dob) eachName(r, (g, f) => g && f && out.push(mixHash(namePair(g, f), mmdd(r))));
    },
  },
  {
    name: 'given + family sound alike (either order), a date of birth unknown',
    keys: (r, out) => eachName(r, (g, f) => g && f && out.push(namePair(g, f))),
    oneOf: (r) => r.dob === null,
  },
  {
    name: 'family sounds alike + given initial + birth year',
    keys: (r, out) => {
      if (r.dob) eachName(r, (g, f) => g && f && out.push(mixHash(mixHash(f.keyHash, g.initial), r.dobY)));
    },
  },
  {
    name: 'postcode + given initial',
    keys: (r, out) => {
      if (!r.postcode) return;
      const p = hashKey(r.postcode);
      eachName(r, (g) => g && out.push(mixHash(p, g.initial)));
    },
  },
  {
    name: 'postcode + family initial',
    keys: (r, out) => {
      if (!r.postcode) return;
      const p = hashKey(r.postcode);
      eachName(r, (_, f) => f && out.push(mixHash(p, f.initial)));
    },
  },
  {
    name: 'given sounds alike + birth month and day',
    keys: (r, out) => {
      if (r.dob) eachName(r, (g) => g && out.push(mixHash(g.keyHash, mmdd(r))));
    },
  },
  {
    name: 'family sounds alike + birth year',
    keys: (r, out) => {
      if (r.dob) eachName(r, (_, f) => f && out.push(mixHash(f.keyHash, r.dobY)));
    },
  },
  { name: 'dob', keys: (r, out) => one(r.dob, out) },
  {
    name: 'family sounds alike + postcode district',
    keys: (r, out) => {
      if (!r.postcodeDistrict) return;
      const p = hashKey(r.postcodeDistrict);
      eachName(r, (_, f) => f && out.push(mixHash(f.keyHash, p)));
    },
  },
  {
    name: 'family sounds alike + town',
    keys: (r, out) => {
      if (!r.town) return;
      const t = hashKey(r.town);
      eachName(r, (_, f) => f && out.push(mixHash(f.keyHash, t)));
    },
  },
  {
    name: 'family sounds alike + place of birth',
    keys: (r, out) => {
      if (!r.birthPlace) return;
      const t = hashKey(r.birthPlace);
      eachName(r, (_, f) => f && out.push(mixHash(f.keyHash, t)));
    },
  },
  {
    name: 'given sounds alike + place of birth',
    keys: (r, out) => {
      if (!r.birthPlace) return;
      const t = hashKey(r.birthPlace);
      eachName(r, (g) => g && out.push(mixHash(g.keyHash, t)));
    },
  },
  { name: 'email user name', keys: (r, out) => one(r.emailLocal && r.emailLocal.length > 3 ? r.emailLocal : null, out) },
  { name: 'identifier prefix', keys: (r, out) => all(r.identifiers.map((s) => s.slice(0, Math.ceil(s.length / 2))), out) },
  { name: 'given sounds alike + family initial', keys: (r, out) => eachName(r, (g, f) => g && f && out.push(mixHash(g.keyHash, f.initial))) },
  { name: 'family sounds alike + given initial', keys: (r, out) => eachName(r, (g, f) => g && f && out.push(mixHash(f.keyHash, g.initial))) },
  { name: 'family sounds alike', keys: (r, out) => eachName(r, (_, f) => f && out.push(f.keyHash)) },
  { name: 'address', keys: (r, out) => one(r.address, out) },
  {
    name: 'given sounds alike + town',
    keys: (r, out) => {
      if (!r.town) return;
      const t = hashKey(r.town);
      eachName(r, (g) => g && out.push(mixHash(g.keyHash, t)));
    },
  },
  { name: 'given + family sound alike (either order)', keys: (r, out) => eachName(r, (g, f) => g && f && out.push(namePair(g, f))) },
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
      if (r.dob) eachName(r, (g) => g && out.push(mixHash(mixHash(r.dobY, r.dobM), g.initial)));
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
export function computeRuleKeys(records: readonly PreparedRecord[], rule: BlockingRule, maxBlockSize: number, arena: Arena = new Arena(16 << 20)): RuleKeys {
  const n = records.length;
  const offsets = arena.int32(n + 1);
  let hashes = arena.uint32(n + 64);
  let owner = arena.int32(n + 64);
  let used = 0;
  let multi = false;
  const buf: number[] = [];
  for (let r = 0; r < n; r++) {
    offsets[r] = used;
    buf.length = 0;
    rule.keys(records[r]!, buf);
    const count = buf.length;
    if (count === 0) continue;
    if (used + count > hashes.length) {
      const h2 = arena.uint32(Math.max(hashes.length * 2, used + count));
      h2.set(hashes);
      hashes = h2;
      const o2 = arena.int32(h2.length);
      o2.set(owner);
      owner = o2;
    }
    const start = used;
    for (let i = 0; i < count; i++) {
      const h = buf[i]!;
      let dup = false;
      for (let q = start; q < used; q++) if (hashes[q] === h) dup = true;
      if (dup) continue;
      hashes[used] = h;
      owner[used++] = r;
    }
    if (used - start > 1) multi = true;
  }
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
  const pairs = new PairBuffer(Math.min(Math.ceil(budget * 0.8), 1 << 24));
  let estimated = 0;
  const scratch = new Arena(Math.max(16 << 20, records.length * 48));
  const keep = new Arena(Math.max(16 << 20, records.length * 64));
  for (const rule of rules) {
    scratch.reset();
    const scratchKeys = computeRuleKeys(records, rule, maxBlock, scratch);
    if (scratchKeys.members.length === 0) continue;
    const estimate = scratchKeys.pairEstimate;
    const rk = rule.essential || estimated + estimate <= budget ? persistRuleKeys(scratchKeys, keep) : scratchKeys;
    const stat: RuleStat = { rule: rule.name, used: false, estimatedPairs: rk.pairEstimate, pairs: 0, oversizedBlocks: rk.oversizedBlocks };
    stats.push(stat);
    if (!rule.essential && estimated + rk.pairEstimate > budget) continue;
    estimated += rk.pairEstimate;
    stat.used = true;
    const before = pairs.length;
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
          if (rk.multi && sharedKey(rk, mx, my, maxBlock) !== k) continue;
          let seen = false;
          for (let u = 0; u < used.length; u++) {
            if (sharedKey(used[u]!, mx, my, maxBlock) >= 0) {
              seen = true;
              break;
            }
          }
          if (seen) continue;
          if (mx < my) pairs.push(mx, my);
          else pairs.push(my, mx);
        }
      }
    }
    stat.pairs = pairs.length - before;
    used.push(rk);
  }
  return { pairs, rules: used, stats, maxBlockSize: maxBlock };
}
