/** Public API of the person-linkage engine (pure functions, no database). */
export type { PersonRecord, PreparedRecord, NameForm } from './types.ts';
export { prepareRecord, prepareRecords, normaliseDob, normalisePostcode, normalisePhone } from './normalise.ts';
export { FIELDS, SPECS, type FieldName, type ComparisonSpec } from './comparisons.ts';
export { BLOCKING_RULES, generateCandidatePairs, type BlockingRule, type BlockingOptions, type RuleStat } from './blocking.ts';
export {
  fitModel,
  Scorer,
  TermFrequencies,
  probabilityFromWeight,
  weightFromProbability,
  type LinkageModel,
  type ComparisonParams,
  type LevelParams,
  type Explanation,
  type FieldContribution,
  type FitOptions,
} from './model.ts';
export { runEm, PatternAccumulator, type EmResult } from './em.ts';
export { clusterPairs, type ClusterOptions, type ClusterResult } from './cluster.ts';
export { linkRecords, reclusterAt, type LinkOptions, type LinkResult } from './link.ts';
export { LinkageIndex, type IndexOptions, type QueryOptions, type QueryMatch, type QueryResult } from './linkage-index.ts';
