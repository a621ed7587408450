import { describe, expect, it } from 'vitest';
import { PatternAccumulator, runEm } from './em.ts';
import { mulberry32 } from './random.ts';

/** Draw comparison vectors from a known two-class model and check that EM recovers m and λ. */
describe('EM for m probabilities', () => {
  const trueM = [
    [0, 0.85, 0.1, 0.05],
    [0, 0.7, 0.2, 0.1],
    [0, 0.9, 0.1],
  ];
  const trueU = [
    [0, 0.01, 0.04, 0.95],
    [0, 0.02, 0.08, 0.9],
    [0, 0.05, 0.95],
  ];
  const lambda = 0.2;

  function sample(n: number) {
    const rng = mulberry32(42);
    const acc = new PatternAccumulator(3);
    const v = new Uint8Array(3);
    const draw = (p: number[]) => {
      let x = rng();
      for (let l = 1; l < p.length; l++) if ((x -= p[l]!) < 0) return l;
      return p.length - 1;
    };
    for (let i = 0; i < n; i++) {
      const match = rng() < lambda;
      for (let c = 0; c < 3; c++) v[c] = rng() < 0.05 ? 0 : draw((match ? trueM : trueU)[c]!);
      acc.add(v);
    }
    return acc.result();
  }

  it('converges to the generating parameters with u fixed', () => {
    const patterns = sample(200_000);
    expect(patterns.size).toBeLessThanOrEqual(4 * 4 * 3);
    const res = runEm({
      patterns,
      u: trueU.map((r) => Float64Array.from(r)),
      m: trueM.map((r) => Float64Array.from(r, (_, l) => (l === 0 ? 0 : 1 / (r.length - 1)))),
      exclude: [false, false, false],
      lambda: 0.5,
    });
    expect(res.converged).toBe(true);
    expect(res.lambda).toBeCloseTo(lambda, 2);
    for (let c = 0; c < 3; c++) for (let l = 1; l < trueM[c]!.length; l++) expect(Math.abs(res.m[c]![l]! - trueM[c]![l]!)).toBeLessThan(0.02);
    // the log-likelihood never decreases
    for (let i = 1; i < res.logLikelihood.length; i++) expect(res.logLikelihood[i]!).toBeGreaterThanOrEqual(res.logLikelihood[i - 1]! - 1e-6);
  });

  it('leaves excluded comparisons untouched', () => {
    const res = runEm({
      patterns: sample(20_000),
      u: trueU.map((r) => Float64Array.from(r)),
      m: trueM.map((r) => Float64Array.from(r)),
      exclude: [false, true, false],
      lambda: 0.3,
    });
    expect(Array.from(res.m[1]!)).toEqual(trueM[1]);
  });
});
