/**
 * Writes src/linkage/reference-model.json: the linkage model fitted (without labels) on 50,000 synthetic national
 * person records. The live check uses it while fewer people are on record than EM needs to learn from (a new
 * deployment, a test database). Deterministic: `node --import tsx bench/fit-reference-model.ts`.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { fitModel } from '../src/linkage/engine/model.ts';
import { prepareRecords } from '../src/linkage/engine/normalise.ts';
import { generateNationalPersons } from './lib/synthetic-persons.ts';

const out = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../src/linkage/reference-model.json');
const { records } = generateNationalPersons(50_000, { seed: 2026 });
const model = fitModel(prepareRecords(records));
const round = (x: number) => Number(x.toPrecision(6));
const compact = {
  ...model,
  lambda: round(model.lambda),
  priorWeight: round(model.priorWeight),
  comparisons: model.comparisons.map((c) => ({ ...c, levels: c.levels.map((l) => ({ ...l, m: round(l.m), u: round(l.u), weight: round(l.weight) })) })),
};
writeFileSync(out, JSON.stringify(compact, null, 1) + '\n');
console.log(`wrote ${out}: ${model.comparisons.map((c) => c.field).join(', ')}; lambda ${model.lambda}`);
