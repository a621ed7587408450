import { describe, expect, it } from 'vitest';
import { F } from './comparisons.ts';
import { fitModel, probabilityFromWeight, Scorer, TermFrequencies, weightFromProbability, modelFields } from './model.ts';
import { prepareRecord, prepareRecords } from './normalise.ts';
import { personFixture } from './test-fixtures.ts';

const fixture = personFixture(200);
const records = prepareRecords(fixture.records);
const model = fitModel(records);
const tf = new TermFrequencies(records, modelFields(model));
const scorer = new Scorer(model, tf);

describe('fitted model', () => {
  it('learns that agreement is evidence for a match and disagreement against', () => {
    for (const c of model.comparisons) {
      const exact = c.levels[1]!;
      const last = c.levels[c.levels.length - 1]!;
      expect(exact.weight, c.field).toBeGreaterThan(0);
      expect(last.weight, c.field).toBeLessThan(0);
      expect(c.levels[0]!.weight).toBe(0);
    }
    expect(model.lambda).toBeGreaterThan(0);
    expect(model.lambda).toBeLessThan(0.05);
    expect(model.training.length).toBeGreaterThan(0);
  });

  it('converts weights to probabilities and back', () => {
    expect(probabilityFromWeight(0)).toBe(0.5);
    expect(weightFromProbability(probabilityFromWeight(7.25))).toBeCloseTo(7.25, 9);
  });
});

describe('term-frequency adjustment', () => {
  const base = { givenName: 'Helen', dob: '1970-01-01', postcode: 'M1 1AA' };
  it('gives a rare surname more weight than a common one', () => {
    const common = scorer.explain(prepareRecord({ id: 'q1', familyName: 'Smith', ...base }, -1), prepareRecord({ id: 'q2', familyName: 'Smith', ...base }, -1), true);
    const rare = scorer.explain(prepareRecord({ id: 'q3', familyName: 'Quixote', ...base }, -1), prepareRecord({ id: 'q4', familyName: 'Quixote', ...base }, -1), true);
    const fam = (e: typeof common) => e.contributions.find((c) => c.field === 'family')!;
    expect(fam(common).label).toBe('exact');
    expect(fam(rare).log2BayesFactor).toBeGreaterThan(fam(common).log2BayesFactor);
    expect(fam(common).tfAdjustment).toBeLessThan(fam(rare).tfAdjustment);
    expect(rare.weight).toBeGreaterThan(common.weight);
  });
});

describe('explanations', () => {
  it('sum to the total match weight, field by field', () => {
    scorer.precompute(records);
    for (let i = 0; i + 1 < records.length; i += 7) {
      const a = records[i]!;
      const b = records[i + 1]!;
      const e = scorer.explain(a, b);
      const sum = e.prior + e.contributions.reduce((s, c) => s + c.log2BayesFactor, 0);
      expect(sum).toBeCloseTo(e.weight, 9);
      expect(scorer.weight(a, b)).toBeCloseTo(e.weight, 4);
      expect(e.probability).toBeCloseTo(probabilityFromWeight(e.weight), 12);
      expect(e.contributions.map((c) => c.field)).toEqual(model.comparisons.map((c) => c.field));
    }
  });

  it('labels each field with its level and the values compared', () => {
    const a = prepareRecord({ id: 'a', givenName: 'Isla', familyName: 'Hall', dob: '1985-02-07' }, -1);
    const b = prepareRecord({ id: 'b', givenName: 'Hall', familyName: 'Isla', dob: '1985-07-02' }, -1);
    const e = scorer.explain(a, b, true);
    expect(e.swappedNames).toBe(true);
    const byField = Object.fromEntries(e.contributions.map((c) => [c.field, c]));
    expect(byField.family!.label).toBe('swapped with given name');
    expect(byField.dob!.label).toBe('day and month transposed');
    expect(byField.dob!.values).toEqual(['1985-02-07', '1985-07-02']);
    expect(F.dob).toBe(2);
  });
});
