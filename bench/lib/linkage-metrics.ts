/** Pairwise precision / recall / F1 of a clustering against true entity labels. */

export interface PairwiseScore {
  truePairs: number;
  predictedPairs: number;
  truePositives: number;
  precision: number;
  recall: number;
  f1: number;
}

/**
 * `predicted[i]` and `truth[i]` are cluster labels of record i. With `sources`, only pairs of records from
 * different sources count (record linkage between two files).
 */
export function pairwiseScore(predicted: ArrayLike<number | string>, truth: ArrayLike<number | string>, sources?: ArrayLike<string>): PairwiseScore {
  const n = predicted.length;
  const pairs = (m: Map<string, number[]>) => {
    let s = 0;
    for (const c of m.values()) {
      if (!sources) s += (c[0]! * (c[0]! - 1)) / 2;
      else s += c[0]! * c[1]!;
    }
    return s;
  };
  const bump = (m: Map<string, number[]>, key: string, i: number) => {
    let c = m.get(key);
    if (!c) m.set(key, (c = [0, 0]));
    if (!sources) c[0]!++;
    else c[sources[i] === sources[0] ? 0 : 1]!++;
  };
  const pm = new Map<string, number[]>();
  const tm = new Map<string, number[]>();
  const both = new Map<string, number[]>();
  for (let i = 0; i < n; i++) {
    bump(pm, String(predicted[i]), i);
    bump(tm, String(truth[i]), i);
    bump(both, predicted[i] + '\u0000' + truth[i], i);
  }
  const predictedPairs = pairs(pm);
  const truePairs = pairs(tm);
  const tp = pairs(both);
  const precision = predictedPairs ? tp / predictedPairs : 1;
  const recall = truePairs ? tp / truePairs : 1;
  const f1 = precision + recall ? (2 * precision * recall) / (precision + recall) : 0;
  return { truePairs, predictedPairs, truePositives: tp, precision, recall, f1 };
}

/** Precision / recall over an explicit list of labelled pairs (e.g. Splink's fake_1000_labels). */
export function labelledPairScore(clusterOf: (id: string) => number | undefined, labelled: { l: string; r: string; match: boolean }[]) {
  let tp = 0;
  let fp = 0;
  let fn = 0;
  for (const p of labelled) {
    const a = clusterOf(p.l);
    const b = clusterOf(p.r);
    const linked = a !== undefined && a === b;
    if (linked && p.match) tp++;
    else if (linked) fp++;
    else if (p.match) fn++;
  }
  return { precision: tp + fp ? tp / (tp + fp) : 1, recall: tp + fn ? tp / (tp + fn) : 1, tp, fp, fn };
}
