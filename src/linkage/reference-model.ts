/**
 * The reference linkage model: fitted without labels on 50,000 synthetic national person records
 * (bench/fit-reference-model.ts writes reference-model.json). Used while fewer people are on record than EM needs to
 * learn from. Its m and u describe how fields agree for the same / different people and carry over; λ (the prior
 * that two records are one person) does not: each person has about the same number of records wherever they are
 * recorded, so λ scales as 1/N, and it is rescaled to the population being searched (never below 1,000 people, so a
 * near-empty database does not make every weak agreement look likely).
 */
import { readFileSync } from 'node:fs';
import type { LinkageModel } from './engine/model.ts';

const FITTED_ON = 50_000;
let cached: LinkageModel | undefined;

export function referenceModel(population = FITTED_ON): LinkageModel {
  cached ??= JSON.parse(readFileSync(new URL('./reference-model.json', import.meta.url), 'utf8')) as LinkageModel;
  const lambda = Math.min(0.5, (cached.lambda * FITTED_ON) / Math.max(population, 1000));
  return { ...cached, lambda, priorWeight: Math.log2(lambda / (1 - lambda)) };
}
