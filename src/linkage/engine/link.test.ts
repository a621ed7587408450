import { describe, expect, it } from 'vitest';
import { linkRecords } from './link.ts';
import { LinkageIndex } from './linkage-index.ts';
import { personFixture } from './test-fixtures.ts';

function pairwiseF1(pred: ArrayLike<number>, truth: ArrayLike<number>) {
  let tp = 0;
  let pp = 0;
  let tt = 0;
  for (let i = 0; i < pred.length; i++) {
    for (let j = i + 1; j < pred.length; j++) {
      const p = pred[i] === pred[j];
      const t = truth[i] === truth[j];
      if (p) pp++;
      if (t) tt++;
      if (p && t) tp++;
    }
  }
  return (2 * tp) / (pp + tt);
}

describe('linkRecords', () => {
  const fx = personFixture(250);
  const res = linkRecords(fx.records);

  it('clusters duplicates into persons without labels', () => {
    expect(res.clusterOf.length).toBe(fx.records.length);
    expect(pairwiseF1(res.clusterOf, fx.truth)).toBeGreaterThan(0.9);
    expect(res.pairs.length).toBeGreaterThan(0);
    expect(res.pairs.length).toBeLessThan((fx.records.length * (fx.records.length - 1)) / 2);
  });

  it('gives the same result with the helper thread', () => {
    const par = linkRecords(fx.records, { parallel: true });
    expect(Array.from(par.clusterOf)).toEqual(Array.from(res.clusterOf));
    expect(Array.from(par.pairs.weight)).toEqual(Array.from(res.pairs.weight));
    expect(par.model).toEqual(res.model);
  });

  it('links a swapped-name record to its person', () => {
    const i = fx.records.findIndex((r, k) => k > 0 && fx.truth[k] === fx.truth[k - 1] && r.givenName === fx.records[k - 1]!.familyName);
    expect(i).toBeGreaterThan(0);
    expect(res.clusterOf[i]).toBe(res.clusterOf[i - 1]);
  });
});

describe('LinkageIndex', () => {
  const fx = personFixture(250, 11);
  const index = LinkageIndex.build(fx.records);
  const target = fx.records.find((r) => r.familyName === 'Featherstonehaugh') ?? fx.records[0]!;

  it('finds a new record of a known person, with an explanation', () => {
    const probe = { ...target, id: 'new', givenName: target.givenName.toUpperCase(), dob: target.dob };
    const res = index.query(probe, { budgetMs: 50 });
    expect(res.matches.length).toBeGreaterThan(0);
    const top = res.matches[0]!;
    expect(fx.truth[top.index]).toBe(fx.truth[fx.records.indexOf(target)]);
    expect(top.probability).toBeGreaterThan(0.5);
    const e = top.explanation!;
    expect(e.prior + e.contributions.reduce((s, c) => s + c.log2BayesFactor, 0)).toBeCloseTo(top.weight, 6);
    expect(res.elapsedMs).toBeLessThan(1000);
  });

  it('excludes ids and respects the budget', () => {
    const res = index.query({ ...target, id: 'x' }, { excludeIds: new Set([target.id]) });
    expect(res.matches.every((m) => m.id !== target.id)).toBe(true);
    const none = index.query({ ...target, id: 'y' }, { budgetMs: -1 });
    expect(none.scored).toBeLessThanOrEqual(none.candidates);
  });

  it('finds records added after it was built', () => {
    const rec = { id: 'added-1', givenName: 'Zebedee', familyName: 'Quartermaine', dob: '1991-04-05', postcode: 'YO1 7HH' };
    expect(index.query({ ...rec, id: 'probe' }).matches.length).toBe(0);
    index.add(rec);
    const res = index.query({ ...rec, id: 'probe', givenName: 'Zebedee' });
    expect(res.matches[0]?.id).toBe('added-1');
  });
});
