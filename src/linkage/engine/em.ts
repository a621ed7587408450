/**
 * Expectation-maximisation for Fellegi–Sunter m probabilities, run on aggregated comparison patterns
 * (identical comparison vectors are counted once, so EM costs O(distinct patterns), not O(pairs)).
 * u probabilities are held fixed (estimated from random pairs), as Splink does by default.
 */

export interface PatternCounts {
  /** number of comparisons (columns) */
  k: number;
  /** levels, pattern-major: pattern p's level for comparison c is levels[p * k + c] */
  levels: Uint8Array;
  counts: Float64Array;
  size: number;
  total: number;
}

/** Aggregate comparison vectors into distinct patterns. */
export class PatternAccumulator {
  private readonly index = new Map<number, number>();
  private levels: number[] = [];
  private counts: number[] = [];
  total = 0;
  constructor(
    readonly k: number,
    private readonly radix = 8,
  ) {}
  add(vector: Uint8Array, weight = 1): void {
    let key = 0;
    for (let c = 0; c < this.k; c++) key = key * this.radix + vector[c]!;
    let p = this.index.get(key);
    if (p === undefined) {
      p = this.counts.length;
      this.index.set(key, p);
      this.counts.push(0);
      for (let c = 0; c < this.k; c++) this.levels.push(vector[c]!);
    }
    this.counts[p]! += weight;
    this.total += weight;
  }
  result(): PatternCounts {
    return { k: this.k, levels: Uint8Array.from(this.levels), counts: Float64Array.from(this.counts), size: this.counts.length, total: this.total };
  }
}

export interface EmInput {
  patterns: PatternCounts;
  /** u[c][level] (level 0 ignored) */
  u: readonly Float64Array[];
  /** starting m[c][level] */
  m: readonly Float64Array[];
  /** comparisons whose m is not estimated here (the blocking rule fixes them); they are left out of the likelihood */
  exclude: readonly boolean[];
  lambda: number;
  maxIterations?: number;
  tolerance?: number;
  /** floor for m probabilities (keeps log weights finite) */
  mFloor?: number;
}

export interface EmResult {
  m: Float64Array[];
  lambda: number;
  iterations: number;
  converged: boolean;
  /** expected number of matching pairs in the input */
  expectedMatches: number;
  /** log-likelihood per iteration (non-decreasing up to the m floor) */
  logLikelihood: number[];
  /** seen[c][level]: the level occurs in the input (unseen levels keep their starting m) */
  seen: Uint8Array[];
}

export function runEm(input: EmInput): EmResult {
  const { patterns, u, exclude } = input;
  const { k, levels, counts, size } = patterns;
  const maxIt = input.maxIterations ?? 200;
  const tol = input.tolerance ?? 1e-6;
  const floor = input.mFloor ?? 1e-5;
  let m = input.m.map((a) => Float64Array.from(a));
  let lambda = input.lambda;
  const logU = u.map((a) => Float64Array.from(a, (x) => Math.log(Math.max(x, 1e-300))));
  const post = new Float64Array(size);
  // levels never observed keep their starting m (the data say nothing about them)
  const seen = m.map((row) => new Uint8Array(row.length));
  for (let p = 0; p < size; p++) for (let c = 0; c < k; c++) if (counts[p]! > 0) seen[c]![levels[p * k + c]!] = 1;
  const start = m.map((row) => Float64Array.from(row));
  const history: number[] = [];
  let iterations = 0;
  let converged = false;
  let expected = 0;
  for (let it = 0; it < maxIt; it++) {
    iterations = it + 1;
    const logM = m.map((a) => Float64Array.from(a, (x) => Math.log(Math.max(x, 1e-300))));
    const l1 = Math.log(lambda);
    const l0 = Math.log(1 - lambda);
    let ll = 0;
    // E step
    for (let p = 0; p < size; p++) {
      let lm = l1;
      let lu = l0;
      for (let c = 0; c < k; c++) {
        if (exclude[c]) continue;
        const lv = levels[p * k + c]!;
        if (lv === 0) continue;
        lm += logM[c]![lv]!;
        lu += logU[c]![lv]!;
      }
      const mx = Math.max(lm, lu);
      const lse = mx + Math.log(Math.exp(lm - mx) + Math.exp(lu - mx));
      ll += counts[p]! * lse;
      post[p] = Math.exp(lm - lse);
    }
    history.push(ll);
    // M step
    const next = m.map((a) => new Float64Array(a.length));
    let sumP = 0;
    let sumAll = 0;
    for (let p = 0; p < size; p++) {
      const w = counts[p]! * post[p]!;
      sumP += w;
      sumAll += counts[p]!;
      for (let c = 0; c < k; c++) {
        const lv = levels[p * k + c]!;
        if (lv !== 0) next[c]![lv]! += w;
      }
    }
    let delta = Math.abs(sumP / sumAll - lambda);
    for (let c = 0; c < k; c++) {
      if (exclude[c]) {
        next[c] = m[c]!;
        continue;
      }
      const row = next[c]!;
      let s = 0;
      for (let l = 1; l < row.length; l++) s += row[l]!;
      if (s <= 0) {
        next[c] = m[c]!;
        continue;
      }
      let unseenMass = 0;
      for (let l = 1; l < row.length; l++) if (!seen[c]![l]) unseenMass += start[c]![l]!;
      let s2 = 0;
      for (let l = 1; l < row.length; l++) {
        if (!seen[c]![l]) continue;
        row[l] = Math.max(row[l]! / s, floor);
        s2 += row[l]!;
      }
      for (let l = 1; l < row.length; l++) {
        row[l] = seen[c]![l] ? (row[l]! / s2) * (1 - unseenMass) : start[c]![l]!;
        delta = Math.max(delta, Math.abs(row[l]! - m[c]![l]!));
      }
    }
    m = next;
    lambda = Math.min(Math.max(sumP / sumAll, 1e-12), 1 - 1e-9);
    expected = sumP;
    if (delta < tol) {
      converged = true;
      break;
    }
  }
  return { m, lambda, iterations, converged, expectedMatches: expected, logLikelihood: history, seen };
}
