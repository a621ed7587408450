import damerauLevenshtein from 'talisman/metrics/damerau-levenshtein.js';
import { describe, expect, it } from 'vitest';
import { hashKey, jaroWinkler, jaroWinklerAbove, jaroWinklerUpperBound, mixHash, withinOneEdit, wordJaccard } from './metrics.ts';
import { mulberry32 } from './random.ts';

const rng = mulberry32(1);
const word = (n: number) => Array.from({ length: n }, () => 'abcdeabc'[Math.floor(rng() * 8)]).join('');
const mutate = (s: string) => {
  const i = Math.floor(rng() * (s.length + 1));
  const r = rng();
  if (r < 0.25) return s.slice(0, i) + 'x' + s.slice(i);
  if (r < 0.5) return s.slice(0, i) + s.slice(i + 1);
  if (r < 0.75) return s.slice(0, i) + 'y' + s.slice(i + 1);
  return s.slice(0, i) + (s[i + 1] ?? '') + (s[i] ?? '') + s.slice(i + 2);
};

describe('string metrics', () => {
  it('withinOneEdit agrees with talisman restricted Damerau-Levenshtein ≤ 1', () => {
    for (let k = 0; k < 3000; k++) {
      const a = word(1 + Math.floor(rng() * 8));
      const b = rng() < 0.7 ? mutate(rng() < 0.5 ? a : mutate(a)) : word(1 + Math.floor(rng() * 8));
      expect(withinOneEdit(a, b), `${a} ${b}`).toBe(damerauLevenshtein.limited(1, a, b) <= 1);
    }
  });

  it('the Jaro-Winkler upper bound never undercuts the similarity', () => {
    for (let k = 0; k < 3000; k++) {
      const a = word(1 + Math.floor(rng() * 10));
      const b = rng() < 0.5 ? mutate(a) : word(1 + Math.floor(rng() * 10));
      const jw = jaroWinkler(a, b);
      expect(jaroWinklerUpperBound(a, b) + 1e-12).toBeGreaterThanOrEqual(jw);
      expect(jaroWinklerAbove(a, b, 0.8)).toBe(jw >= 0.8 ? jw : jaroWinklerAbove(a, b, 0.8));
      if (jw >= 0.8) expect(jaroWinklerAbove(a, b, 0.8)).toBe(jw);
    }
  });

  it('word Jaccard', () => {
    expect(wordJaccard('12 high street', '12 high street')).toBe(1);
    expect(wordJaccard('12 high street', '14 high road')).toBeCloseTo(1 / 5);
    expect(wordJaccard('12 highstreet', '12 high street')).toBeCloseTo(1 / 4);
    expect(wordJaccard('street', 'streets')).toBe(0);
  });

  it('hashes stay small integers', () => {
    for (const s of ['', 'a', 'smith', '19800314']) {
      const h = hashKey(s);
      expect(Number.isInteger(h) && h >= 0 && h < 2 ** 30).toBe(true);
      const m = mixHash(h, 1980);
      expect(Number.isInteger(m) && m >= 0 && m < 2 ** 30).toBe(true);
    }
    expect(hashKey('smith')).not.toBe(hashKey('smyth'));
  });
});
