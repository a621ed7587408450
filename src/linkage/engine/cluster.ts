/**
 * Clustering of scored pairs into persons. Links at or above the threshold are merged strongest first
 * (union-find). To stop chaining — A~B and B~C joining two different people through one ambiguous record —
 * merging two groups that already hold several records also requires the average match probability
 * between them (a sample of cross pairs, scored on demand) to reach `minMeanProbability`.
 */

export interface WeightedPairs {
  a: Int32Array;
  b: Int32Array;
  weight: Float32Array | Float64Array;
  length: number;
}

export interface ClusterOptions {
  /** minimum link weight (log2 odds) */
  thresholdWeight: number;
  /** weight of any pair, for the anti-chaining check; omit for plain connected components */
  scorePair?: (i: number, j: number) => number;
  /** mean cross-pair probability required to merge two multi-record groups (default 0.5) */
  minMeanProbability?: number;
  /** cross pairs checked per merge (default 24) */
  maxCrossPairs?: number;
  /** links at least this strong (log2 odds) merge without the check (default: always check) */
  unguardedWeight?: number;
  /** also check a single record joining a group of at least this many (default: never) */
  singletonGuardSize?: number;
}

export interface ClusterResult {
  /** cluster id per record: the smallest record index in its cluster */
  clusterOf: Int32Array;
  merges: number;
  refusedMerges: number;
}

export function clusterPairs(n: number, pairs: WeightedPairs, opts: ClusterOptions): ClusterResult {
  const parent = Int32Array.from({ length: n }, (_, i) => i);
  const size = new Int32Array(n).fill(1);
  // circular linked list of members per root, for sampling cross pairs
  const next = Int32Array.from({ length: n }, (_, i) => i);
  const find = (x: number): number => {
    while (parent[x] !== x) {
      parent[x] = parent[parent[x]!]!;
      x = parent[x]!;
    }
    return x;
  };
  const idx: number[] = [];
  for (let p = 0; p < pairs.length; p++) if (pairs.weight[p]! >= opts.thresholdWeight) idx.push(p);
  idx.sort((x, y) => pairs.weight[y]! - pairs.weight[x]!);
  const minMean = opts.minMeanProbability ?? 0.5;
  const maxCross = opts.maxCrossPairs ?? 24;
  const unguarded = opts.unguardedWeight ?? Infinity;
  const singletonGuard = opts.singletonGuardSize ?? Infinity;
  let merges = 0;
  let refused = 0;
  const membersOf = (root: number, limit: number): number[] => {
    const out = [root];
    for (let x = next[root]!; x !== root && out.length < limit; x = next[x]!) out.push(x);
    return out;
  };
  for (const p of idx) {
    const ra = find(pairs.a[p]!);
    const rb = find(pairs.b[p]!);
    if (ra === rb) continue;
    const small = Math.min(size[ra]!, size[rb]!);
    const big = Math.max(size[ra]!, size[rb]!);
    if (opts.scorePair && (small > 1 || big >= singletonGuard) && pairs.weight[p]! < unguarded) {
      const per = Math.max(2, Math.ceil(Math.sqrt(maxCross)));
      const ma = membersOf(ra, per);
      const mb = membersOf(rb, per);
      let sum = 0;
      let cnt = 0;
      for (const i of ma) {
        for (const j of mb) {
          sum += 1 / (1 + Math.pow(2, -opts.scorePair(i, j)));
          cnt++;
        }
      }
      if (sum / cnt < minMean) {
        refused++;
        continue;
      }
    }
    // union by size; splice the member lists
    const [keep, drop] = size[ra]! >= size[rb]! ? [ra, rb] : [rb, ra];
    parent[drop] = keep;
    size[keep]! += size[drop]!;
    const t = next[keep]!;
    next[keep] = next[drop]!;
    next[drop] = t;
    merges++;
  }
  const clusterOf = new Int32Array(n);
  const minOf = new Int32Array(n).fill(-1);
  for (let i = 0; i < n; i++) {
    const r = find(i);
    if (minOf[r]! < 0) minOf[r] = i;
    clusterOf[i] = minOf[r]!;
  }
  return { clusterOf, merges, refusedMerges: refused };
}
