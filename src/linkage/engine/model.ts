/**
 * Fellegi–Sunter model: fitting (u from random pairs, m by EM on training blocks, λ from the dob block),
 * scoring with term-frequency adjustments, and per-field explanations.
 */
import { computeRuleKeys, type BlockingRule } from './blocking.ts';
import { compareRecords, F, FIELDS, newNameMatch, SPECS, type FieldName, type NameMatch } from './comparisons.ts';
import { PatternAccumulator, runEm, type EmResult } from './em.ts';
import { CountTable } from './count-table.ts';
import { hashKey, mixHash } from './metrics.ts';
import { mulberry32, randomInt, shuffleInPlace } from './random.ts';
import type { NameVariant, PreparedRecord } from './types.ts';

export interface LevelParams {
  label: string;
  m: number;
  u: number;
  /** log2(m/u); 0 for the missing level */
  weight: number;
}

export interface ComparisonParams {
  field: FieldName;
  title: string;
  levels: LevelParams[];
  /** levels with a term-frequency adjustment */
  tfLevels: number[];
}

export interface TrainingRun {
  rule: string;
  pairs: number;
  estimated: FieldName[];
  iterations: number;
  converged: boolean;
  lambda: number;
}

export interface LinkageModel {
  version: 1;
  comparisons: ComparisonParams[];
  /** prior probability that two random records are the same person */
  lambda: number;
  /** log2(λ / (1 − λ)) */
  priorWeight: number;
  /** match probability at or above which a pair is a link */
  threshold: number;
  training: TrainingRun[];
}

export const probabilityFromWeight = (w: number) => 1 / (1 + Math.pow(2, -w));
export const weightFromProbability = (p: number) => Math.log2(p / (1 - p));

// ---------------------------------------------------------------- term frequencies

/** Value counts for each term-frequency spec of each comparison, from the records being linked (or indexed). */
export class TermFrequencies {
  /** counts[k][e]: value counts for comparison k, TF spec e */
  readonly counts: CountTable[][];
  readonly nonNull: number[][];
  private readonly sumSq: (number | null)[][];
  constructor(records: readonly PreparedRecord[], readonly fields: readonly number[]) {
    const expected = Math.min(Math.max(1024, records.length), 65536);
    this.counts = fields.map((f) => SPECS[f]!.tf.map(() => new CountTable(expected)));
    this.nonNull = fields.map((f) => SPECS[f]!.tf.map(() => 0));
    this.sumSq = fields.map((f) => SPECS[f]!.tf.map(() => null));
    for (const r of records) this.add(r);
  }
  add(r: PreparedRecord): void {
    for (let k = 0; k < this.fields.length; k++) {
      const specs = SPECS[this.fields[k]!]!.tf;
      for (let e = 0; e < specs.length; e++) {
        const v = specs[e]!.value(r);
        if (v === null) continue;
        this.counts[k]![e]!.add(v);
        this.nonNull[k]![e]!++;
        this.sumSq[k]![e] = null;
      }
    }
  }
  /** log2 of the share of records holding value v (plusOne: v belongs to a record not counted yet). */
  log2tf(k: number, e: number, v: string, plusOne = false): number {
    const extra = plusOne ? 1 : 0;
    const c = this.counts[k]![e]!.get(v) + extra;
    return Math.log2(Math.max(c, 1) / Math.max(this.nonNull[k]![e]! + extra, 1));
  }
  /** Probability that two distinct random records (both with a value) share one: Σ c(c−1) / n(n−1). */
  exactAgreement(k: number, e = 0): number {
    const cached = this.sumSq[k]![e];
    if (cached != null) return cached;
    const table = this.counts[k]![e];
    const n = this.nonNull[k]![e]!;
    if (!table || n < 2) return NaN;
    const v = table.sumPairs() / (n * (n - 1));
    this.sumSq[k]![e] = v;
    return v;
  }
}

// ---------------------------------------------------------------- fitting

export interface FitOptions {
  linkOnly?: boolean;
  /** random pairs for u (default 600,000; all pairs when fewer) */
  uPairs?: number;
  /** pairs sampled per EM training rule (default 400,000) */
  trainingPairs?: number;
  /** blocks larger than this are left out of training (default 2000) */
  maxTrainingBlock?: number;
  threshold?: number;
  seed?: number;
  /** fields to use (default: every field present in at least 2 records) */
  fields?: readonly FieldName[];
  /** term frequencies already counted over these records for the active fields (saves a pass) */
  termFrequencies?: TermFrequencies;
}

interface TrainingRule {
  name: string;
  rule: BlockingRule;
  excludes: readonly number[];
  needs: readonly number[];
}

const TRAINING_RULES: readonly TrainingRule[] = [
  { name: 'same date of birth', rule: { name: 'dob', keys: (r, out) => void (r.dob && out.push(hashKey(r.dob))) }, excludes: [F.dob], needs: [F.dob] },
  {
    name: 'given and family names sound alike',
    rule: { name: 'names', keys: (r, out) => void (r.given && r.family && out.push(mixHash(r.given.keyHash, r.family.keyHash))) },
    excludes: [F.given, F.family],
    needs: [F.given, F.family],
  },
];

/** Fields present in at least two records (others would always compare as missing). */
export function activeFields(records: readonly PreparedRecord[], only?: readonly FieldName[]): number[] {
  const out: number[] = [];
  for (let f = 0; f < SPECS.length; f++) {
    const spec = SPECS[f]!;
    if (only && !only.includes(spec.field)) continue;
    let c = 0;
    for (const r of records) if (spec.present(r) && ++c >= 2) break;
    if (c >= 2) out.push(f);
  }
  return out;
}

/** Starting m: most matches agree exactly, a few fall in each fuzzy level, few disagree. */
function initialM(levels: number): Float64Array {
  const m = new Float64Array(levels);
  m[1] = 0.8;
  const fuzzy = levels - 3;
  for (let l = 2; l < levels - 1; l++) m[l] = 0.15 / Math.max(fuzzy, 1);
  m[levels - 1] = 0.05;
  let s = 0;
  for (let l = 1; l < levels; l++) s += m[l]!;
  for (let l = 1; l < levels; l++) m[l]! /= s;
  return m;
}

function estimateU(records: readonly PreparedRecord[], fields: readonly number[], tf: TermFrequencies, opts: FitOptions, rng: () => number): Float64Array[] {
  const n = records.length;
  const k = fields.length;
  const counts = fields.map((f) => new Float64Array(SPECS[f]!.levels.length));
  const vec = new Uint8Array(k);
  const names = newNameMatch();
  const linkOnly = opts.linkOnly ?? false;
  const total = (n * (n - 1)) / 2;
  const target = opts.uPairs ?? 600_000;
  const tally = (a: PreparedRecord, b: PreparedRecord) => {
    if (linkOnly && a.source === b.source) return;
    compareRecords(a, b, fields, vec, names);
    for (let c = 0; c < k; c++) counts[c]![vec[c]!]!++;
  };
  if (total <= target * 1.5) {
    for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) tally(records[i]!, records[j]!);
  } else {
    for (let s = 0; s < target; s++) {
      const i = randomInt(rng, n);
      let j = randomInt(rng, n - 1);
      if (j >= i) j++;
      tally(records[i]!, records[j]!);
    }
  }
  return fields.map((f, c) => {
    const row = counts[c]!;
    const L = row.length;
    let s = 0;
    for (let l = 1; l < L; l++) s += row[l]!;
    const u = new Float64Array(L);
    // add-half smoothing so that levels never seen among random pairs get a small, finite u
    for (let l = 1; l < L; l++) u[l] = (row[l]! + 0.5) / (s + 0.5 * (L - 1));
    const spec = SPECS[f]!;
    const exact = spec.exactLevel >= 0 ? tf.exactAgreement(c) : NaN;
    if (Number.isFinite(exact) && exact > 0 && !linkOnly) {
      // the exact level's u is known exactly from value frequencies; rescale the other levels around it
      const lv = spec.exactLevel;
      const rest = 1 - u[lv]!;
      u[lv] = exact;
      for (let l = 1; l < L; l++) if (l !== lv) u[l] = (u[l]! / rest) * (1 - exact);
    }
    if (f === F.family) {
      // a swap agrees by chance about as often as an exact surname match; its own share of random pairs is
      // tiny only because it also needs the forenames to line up, which the given-name comparison counts already
      u[2] = u[1]!;
    }
    return u;
  });
}

function trainOnRule(
  records: readonly PreparedRecord[],
  fields: readonly number[],
  tr: TrainingRule,
  u: readonly Float64Array[],
  opts: FitOptions,
  rng: () => number,
): { em: EmResult; pairs: number; totalBlockPairs: number; excluded: boolean[] } | null {
  const maxBlock = opts.maxTrainingBlock ?? 2000;
  const target = opts.trainingPairs ?? 400_000;
  const linkOnly = opts.linkOnly ?? false;
  const rk = computeRuleKeys(records, tr.rule, maxBlock);
  if (rk.pairEstimate < 10) return null;
  const order = Int32Array.from({ length: rk.blockCount }, (_, i) => i);
  shuffleInPlace(order, rng);
  const acc = new PatternAccumulator(fields.length);
  const vec = new Uint8Array(fields.length);
  const names = newNameMatch();
  let pairs = 0;
  let sampledBlockPairs = 0;
  for (let o = 0; o < order.length && pairs < target; o++) {
    const key = order[o]!;
    const s = rk.memberOffsets[key]!;
    const e = rk.memberOffsets[key + 1]!;
    if (e - s < 2 || e - s > maxBlock) continue;
    sampledBlockPairs += ((e - s) * (e - s - 1)) / 2;
    for (let x = s; x < e; x++) {
      for (let y = x + 1; y < e; y++) {
        const a = records[rk.members[x]!]!;
        const b = records[rk.members[y]!]!;
        if (linkOnly && a.source === b.source) continue;
        compareRecords(a, b, fields, vec, names);
        acc.add(vec);
        pairs++;
      }
    }
  }
  if (pairs < 10) return null;
  const excluded = fields.map((f) => tr.excludes.includes(f));
  const m = fields.map((f) => initialM(SPECS[f]!.levels.length));
  const em = runEm({ patterns: acc.result(), u, m, exclude: excluded, lambda: 0.1 });
  // scale expected matches from the sampled blocks to all blocks of the rule
  const scale = sampledBlockPairs > 0 ? rk.pairEstimate / sampledBlockPairs : 1;
  return { em, pairs, totalBlockPairs: em.expectedMatches * scale, excluded };
}

export function fitModel(records: readonly PreparedRecord[], opts: FitOptions = {}): LinkageModel {
  const rng = mulberry32(opts.seed ?? 20240601);
  const fields = opts.termFrequencies ? [...opts.termFrequencies.fields] : activeFields(records, opts.fields);
  const tf = opts.termFrequencies ?? new TermFrequencies(records, fields);
  const u = estimateU(records, fields, tf, opts, rng);
  const mSum = fields.map((f) => new Float64Array(SPECS[f]!.levels.length));
  const mRuns = fields.map((f) => new Float64Array(SPECS[f]!.levels.length));
  const training: TrainingRun[] = [];
  const results: { tr: TrainingRule; expectedMatches: number }[] = [];
  for (const tr of TRAINING_RULES) {
    if (!tr.needs.every((f) => fields.includes(f))) continue;
    const res = trainOnRule(records, fields, tr, u, opts, rng);
    if (!res) continue;
    training.push({
      rule: tr.name,
      pairs: res.pairs,
      estimated: fields.filter((_, c) => !res.excluded[c]).map((f) => FIELDS[f]!),
      iterations: res.em.iterations,
      converged: res.em.converged,
      lambda: res.em.lambda,
    });
    results.push({ tr, expectedMatches: res.totalBlockPairs });
    for (let c = 0; c < fields.length; c++) {
      if (res.excluded[c]) continue;
      const row = res.em.m[c]!;
      for (let l = 1; l < row.length; l++) {
        if (!res.em.seen[c]![l]) continue;
        mSum[c]![l]! += row[l]!;
        mRuns[c]![l]!++;
      }
    }
  }
  // average each level over the runs that observed it; levels no run observed keep the starting value
  const m = fields.map((f, c) => {
    const init = initialM(SPECS[f]!.levels.length);
    const row = Float64Array.from(mSum[c]!, (x, l) => (mRuns[c]![l]! > 0 ? x / mRuns[c]![l]! : init[l]!));
    let s = 0;
    for (let l = 1; l < row.length; l++) s += row[l]!;
    for (let l = 1; l < row.length; l++) row[l]! /= s;
    return row;
  });

  // λ: matches found in the dob block ÷ share of matches that agree exactly on dob (both dobs known).
  const n = records.length;
  let totalPairs = (n * (n - 1)) / 2;
  if (opts.linkOnly) {
    const bySource = new Map<string, number>();
    for (const r of records) bySource.set(r.source, (bySource.get(r.source) ?? 0) + 1);
    let same = 0;
    for (const c of bySource.values()) same += (c * (c - 1)) / 2;
    totalPairs -= same;
  }
  const presence = (f: number) => records.reduce((s, r) => s + (SPECS[f]!.present(r) ? 1 : 0), 0) / Math.max(n, 1);
  let lambda = NaN;
  const c = (f: number) => fields.indexOf(f);
  const dobRun = results.find((r) => r.tr.excludes.includes(F.dob));
  const nameRun = results.find((r) => r.tr.excludes.includes(F.given));
  if (dobRun && c(F.dob) >= 0) {
    const recall = m[c(F.dob)]![1]! * presence(F.dob) ** 2;
    lambda = dobRun.expectedMatches / Math.max(recall, 1e-6) / totalPairs;
  } else if (nameRun) {
    const mg = m[c(F.given)]!;
    const mf = m[c(F.family)]!;
    const recall = (mg[1]! + mg[2]! + mg[4]!) * (mf[1]! + mf[4]!) * (presence(F.given) * presence(F.family)) ** 2;
    lambda = nameRun.expectedMatches / Math.max(recall, 1e-6) / totalPairs;
  }
  if (!Number.isFinite(lambda) || lambda <= 0) lambda = 1 / Math.max(n, 2);
  lambda = Math.min(lambda, 0.5);

  const comparisons: ComparisonParams[] = fields.map((f, c) => {
    const spec = SPECS[f]!;
    return {
      field: spec.field,
      title: spec.title,
      tfLevels: spec.tf.flatMap((t) => [...t.levels]),
      levels: spec.levels.map((label, l) => ({
        label,
        m: l === 0 ? 1 : m[c]![l]!,
        u: l === 0 ? 1 : u[c]![l]!,
        weight: l === 0 ? 0 : Math.log2(m[c]![l]! / u[c]![l]!),
      })),
    };
  });
  return {
    version: 1,
    comparisons,
    lambda,
    priorWeight: Math.log2(lambda / (1 - lambda)),
    threshold: opts.threshold ?? 0.5,
    training,
  };
}

// ---------------------------------------------------------------- scoring and explanations

export interface FieldContribution {
  field: FieldName;
  title: string;
  level: number;
  label: string;
  /** log2 Bayes factor including the term-frequency adjustment */
  log2BayesFactor: number;
  bayesFactor: number;
  /** part of log2BayesFactor due to how common the shared value is (0 when not applied) */
  tfAdjustment: number;
  /** the values compared, for display */
  values: [string | null, string | null];
}

export interface Explanation {
  /** log2 prior odds */
  prior: number;
  contributions: FieldContribution[];
  /** prior + Σ contributions */
  weight: number;
  probability: number;
  swappedNames: boolean;
  viaAlias: boolean;
}

const fieldIndex = new Map<FieldName, number>(FIELDS.map((f, i) => [f, i]));

/** Field indexes (into FIELDS/SPECS) of a model's comparisons, in order. */
export function modelFields(model: LinkageModel): number[] {
  return model.comparisons.map((c) => fieldIndex.get(c.field)!);
}

/**
 * Scores pairs under a model. Holds weight tables and, for dedup, each record's log2 term frequency per TF spec.
 * The TF adjustment at a level is log2(Σp²) − log2(p_v): positive for rarer-than-average shared values.
 */
export class Scorer {
  readonly fields: number[];
  readonly weights: Float64Array[];
  /** tfSpecOf[k][level] = TF spec index applying at that level, or -1 */
  private readonly tfSpecOf: Int8Array[];
  private readonly vec: Uint8Array;
  private readonly names = newNameMatch();
  private recordTf: Float32Array[][] = [];

  constructor(
    readonly model: LinkageModel,
    readonly tf: TermFrequencies,
  ) {
    this.fields = modelFields(model);
    this.weights = model.comparisons.map((c) => Float64Array.from(c.levels, (l) => l.weight));
    this.tfSpecOf = this.fields.map((f, k) => {
      const arr = new Int8Array(model.comparisons[k]!.levels.length).fill(-1);
      SPECS[f]!.tf.forEach((t, e) => {
        for (const l of t.levels) if (model.comparisons[k]!.tfLevels.includes(l)) arr[l] = e;
      });
      return arr;
    });
    this.vec = new Uint8Array(this.fields.length);
  }

  private norm(k: number, e: number): number {
    const s = this.tf.exactAgreement(k, e);
    return Number.isFinite(s) && s > 0 ? Math.log2(s) : 0;
  }

  /** Precompute log2 tf of each record's own values (used when a pair agrees on its primary value). */
  precompute(records: readonly PreparedRecord[]): void {
    this.recordTf = this.fields.map((f, k) =>
      SPECS[f]!.tf.map((t, e) => {
        const arr = new Float32Array(records.length);
        const norm = this.norm(k, e);
        for (let i = 0; i < records.length; i++) {
          const v = t.value(records[i]!);
          arr[i] = v === null ? 0 : norm - this.tf.log2tf(k, e, v);
        }
        return arr;
      }),
    );
  }

  /** TF adjustment for comparison k at TF spec e, computed from the values (names: the more common reading). */
  private tfAdjust(k: number, e: number, a: PreparedRecord, names: NameMatch, plusOne: boolean): number {
    const f = this.fields[k]!;
    const norm = this.norm(k, e);
    if (f === F.given || f === F.family) {
      const va = names.a;
      const vb = names.b;
      let x: string | undefined;
      let y: string | undefined;
      if (f === F.given) {
        x = va.given?.compact;
        y = names.swapped ? vb.given?.compact : undefined;
      } else if (names.swapped) {
        x = va.family?.compact;
        y = vb.family?.compact;
      } else x = va.family?.compact;
      let t = -Infinity;
      // for swapped names either reading may be the true one: use the more common (weaker evidence)
      if (x !== undefined) t = Math.max(t, this.tf.log2tf(k, e, x, plusOne));
      if (y !== undefined) t = Math.max(t, this.tf.log2tf(k, e, y, false));
      return t === -Infinity ? 0 : norm - t;
    }
    const v = SPECS[f]!.tf[e]!.value(a);
    return v === null ? 0 : norm - this.tf.log2tf(k, e, v, plusOne);
  }

  /**
   * Match weight of a pair. `a` must be a record counted in the term frequencies unless `queryA` is set
   * (then its values are counted as one extra record).
   */
  weight(a: PreparedRecord, b: PreparedRecord, queryA = false): number {
    const vec = this.vec;
    const names = this.names;
    const flags = compareRecords(a, b, this.fields, vec, names);
    const pre = !queryA && flags === 0 && this.recordTf.length > 0;
    let w = this.model.priorWeight;
    for (let k = 0; k < vec.length; k++) {
      const lv = vec[k]!;
      w += this.weights[k]![lv]!;
      const e = this.tfSpecOf[k]![lv]!;
      if (e >= 0) w += pre ? this.recordTf[k]![e]![a.index]! : this.tfAdjust(k, e, a, names, queryA);
    }
    return w;
  }

  explain(a: PreparedRecord, b: PreparedRecord, queryA = false): Explanation {
    const names = newNameMatch();
    const vec = new Uint8Array(this.fields.length);
    compareRecords(a, b, this.fields, vec, names);
    const contributions: FieldContribution[] = [];
    let w = this.model.priorWeight;
    for (let k = 0; k < vec.length; k++) {
      const f = this.fields[k]!;
      const cp = this.model.comparisons[k]!;
      const lv = vec[k]!;
      const e = this.tfSpecOf[k]![lv]!;
      const tfAdj = e >= 0 ? this.tfAdjust(k, e, a, names, queryA) : 0;
      const bf = this.weights[k]![lv]! + tfAdj;
      w += bf;
      const spec = SPECS[f]!;
      const shown = (r: PreparedRecord, v: NameVariant) =>
        f === F.given ? (v.given?.tokens.join(' ') ?? null) : f === F.family ? (v.family?.tokens.join(' ') ?? null) : spec.display(r);
      contributions.push({
        field: cp.field,
        title: cp.title,
        level: lv,
        label: cp.levels[lv]!.label,
        log2BayesFactor: bf,
        bayesFactor: Math.pow(2, bf),
        tfAdjustment: tfAdj,
        values: [shown(a, names.a), shown(b, names.b)],
      });
    }
    return { prior: this.model.priorWeight, contributions, weight: w, probability: probabilityFromWeight(w), swappedNames: names.swapped, viaAlias: names.viaAlias };
  }
}
