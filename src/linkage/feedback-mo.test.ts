import { describe, expect, it } from 'vitest';
import { refineWithFeedback, PRIOR_PAIRS } from './feedback.ts';
import { featureWeights, moFeatures, moSchema, similarity } from './mo.ts';
import { referenceModel } from './reference-model.ts';
import { splitPostcode, suspectToPerson } from './records.ts';

describe('feedback refines the model', () => {
  it('moves m towards the levels of confirmed links, as if the EM estimate were PRIOR_PAIRS labelled pairs', () => {
    const model = referenceModel();
    const dob = model.comparisons.find((c) => c.field === 'dob')!;
    const transposed = dob.levels.findIndex((l) => /transposed/.test(l.label));
    const before = dob.levels[transposed]!.m;
    const confirmed = Array.from({ length: 10 }, () => ({ decision: 'confirmed' as const, levels: { dob: transposed } }));
    const { model: after, summary } = refineWithFeedback(model, [...confirmed, { decision: 'rejected', levels: { dob: 1 } }]);
    const m = after.comparisons.find((c) => c.field === 'dob')!.levels[transposed]!;
    expect(m.m).toBeCloseTo((before * PRIOR_PAIRS + 10) / (PRIOR_PAIRS + 10), 10);
    expect(m.weight).toBeCloseTo(Math.log2(m.m / m.u), 10);
    // the observed levels still sum to 1, missing stays neutral
    const levels = after.comparisons.find((c) => c.field === 'dob')!.levels;
    expect(levels.slice(1).reduce((s, l) => s + l.m, 0)).toBeCloseTo(1, 6);
    expect(levels[0]!.weight).toBe(0);
    expect(summary).toEqual({ confirmed: 10, rejected: 1, fields: ['dob'] });
  });

  it('leaves the model alone when nothing was confirmed (rejections are not a random sample of non-matches)', () => {
    const model = referenceModel();
    expect(refineWithFeedback(model, [{ decision: 'rejected', levels: { dob: 1 } }]).model).toBe(model);
  });

  it('rescales the reference prior to the population searched', () => {
    expect(referenceModel(100_000).lambda).toBeCloseTo(referenceModel(50_000).lambda / 2, 12);
    expect(referenceModel(10).lambda).toBe(referenceModel(1000).lambda);
  });
});

describe('suspect records for the engine', () => {
  it('splits the postcode from a recorded address and treats "Unknown" names as missing', () => {
    expect(splitPostcode('22 Harbour Road, Portsmouth PO1 3AB')).toEqual({ address: '22 Harbour Road, Portsmouth', postcode: 'PO1 3AB' });
    expect(splitPostcode('flat 2, the old mill')).toEqual({ address: 'flat 2, the old mill', postcode: null });
    const p = suspectToPerson({ id: 'x', force_id: 'force-kent', given_name: 'Unknown', family_name: 'Hallworth', aliases: [], date_of_birth: null, addresses: [], phones: ['07700 900456'], emails: [], online_identifiers: [], vehicles: [] });
    expect(p.givenName).toBe('');
    expect(p.phone).toBe('07700 900456');
  });
});

describe('behavioural similarity', () => {
  const mo = (over: Partial<Parameters<typeof moFeatures>[0]> = {}) =>
    moFeatures({ approach: ['taxi'], facilitation: ['alcohol'], victim_incapacitated: true, location_type: 'vehicle', time_of_day: 'night', violence: [], escort_home: true, ...over });

  it('is plain Jaccard without weights: shared features over features of either', () => {
    const a = mo();
    const b = mo({ location_type: 'victim_home' });
    // 6 features each, 5 shared, 7 in the union
    expect(similarity(a, b).score).toBeCloseTo(5 / 7, 10);
    expect(similarity(a, a).score).toBe(1);
    expect(similarity(a, new Set()).score).toBe(0);
  });

  it('gives rare shared features more weight than common ones', () => {
    const common = mo({ approach: ['nte_venue'], escort_home: null, location_type: null, victim_incapacitated: null });
    const population = [...Array.from({ length: 20 }, () => common), mo(), mo()];
    const w = featureWeights(population);
    expect(w.get('approach:taxi')!).toBeGreaterThan(w.get('facilitation:alcohol')!);
    // two taxi cases are more alike under IDF weights than two cases sharing only the common features
    const taxiPair = similarity(mo(), mo({ violence: ['restraint'] }), w).score;
    const plainPair = similarity(mo(), mo({ violence: ['restraint'] })).score;
    expect(taxiPair).toBeGreaterThan(0);
    expect(plainPair).toBeCloseTo(6 / 7, 10);
  });

  it('validates the MO form: unknown codes are refused, "not known" is null', () => {
    expect(moSchema.safeParse({ locationType: 'moon' }).success).toBe(false);
    const ok = moSchema.parse({ approach: 'taxi', victimIncapacitated: 'unknown', escortHome: 'yes', locationType: '' });
    expect(ok).toEqual({ approach: ['taxi'], facilitation: [], victimIncapacitated: null, locationType: null, timeOfDay: null, violence: [], escortHome: true });
  });
});
