import { describe, expect, it } from 'vitest';
import { clusterPairs } from './cluster.ts';

const pairs = (list: [number, number, number][]) => ({
  a: Int32Array.from(list.map((p) => p[0])),
  b: Int32Array.from(list.map((p) => p[1])),
  weight: Float64Array.from(list.map((p) => p[2])),
  length: list.length,
});

describe('clustering', () => {
  it('takes connected components of links above the threshold', () => {
    const res = clusterPairs(6, pairs([[0, 1, 10], [1, 2, 5], [3, 4, 8], [4, 5, -3]]), { thresholdWeight: 0 });
    expect(Array.from(res.clusterOf)).toEqual([0, 0, 0, 3, 3, 5]);
  });

  it('refuses to chain two groups through one weak link', () => {
    // {0,1} and {2,3} are solid pairs; 1~2 is a weak link, and the cross pairs say "different people"
    const all = new Map<string, number>([
      ['0,1', 20],
      ['2,3', 20],
      ['1,2', 1],
    ]);
    const score = (i: number, j: number) => all.get(`${Math.min(i, j)},${Math.max(i, j)}`) ?? -20;
    const p = pairs([[0, 1, 20], [2, 3, 20], [1, 2, 1]]);
    const guarded = clusterPairs(4, p, { thresholdWeight: 0, scorePair: score });
    expect(Array.from(guarded.clusterOf)).toEqual([0, 0, 2, 2]);
    expect(guarded.refusedMerges).toBe(1);
    const plain = clusterPairs(4, p, { thresholdWeight: 0 });
    expect(new Set(plain.clusterOf).size).toBe(1);
  });

  it('merges groups whose records agree on average', () => {
    const score = () => 10;
    const res = clusterPairs(4, pairs([[0, 1, 20], [2, 3, 20], [1, 2, 2]]), { thresholdWeight: 0, scorePair: score });
    expect(new Set(res.clusterOf).size).toBe(1);
  });
});
