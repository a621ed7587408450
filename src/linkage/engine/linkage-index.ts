/**
 * LinkageIndex: the warm in-memory index behind the live suspect check. Holds the blocking structures of every
 * record on file plus the fitted model; `query` gathers candidates from the blocks a new record falls into
 * (strongest rules first), scores them within a time budget and returns the likely matches with explanations.
 */
import { Arena } from './arena.ts';
import { BLOCKING_RULES, computeRuleKeys, findBlock, persistRuleKeys, ruleHashes, type BlockingRule, type RuleKeys } from './blocking.ts';
import type { LinkResult } from './link.ts';
import { fitModel, modelFields, probabilityFromWeight, Scorer, TermFrequencies, type Explanation, type FitOptions, type LinkageModel } from './model.ts';
import { prepareRecord, prepareRecords } from './normalise.ts';
import type { PersonRecord, PreparedRecord } from './types.ts';

export interface IndexOptions {
  model?: LinkageModel;
  fit?: FitOptions;
  rules?: readonly BlockingRule[];
  /** blocks larger than this are not searched (default 1000) */
  maxBlockSize?: number;
}

export interface QueryOptions {
  /** stop scoring candidates after this many milliseconds (default 20) */
  budgetMs?: number;
  /** report matches at or above this probability (default: the model's threshold) */
  minProbability?: number;
  /** at most this many matches (default 20) */
  limit?: number;
  /** skip these record ids (e.g. the record itself when re-checking an edit) */
  excludeIds?: ReadonlySet<string>;
  /** attach per-field explanations (default true) */
  explain?: boolean;
  /** stop gathering candidates after this many (strongest rules come first; default 2500) */
  maxCandidates?: number;
}

export interface QueryMatch {
  id: string;
  /** position of the matched record in the index */
  index: number;
  probability: number;
  weight: number;
  explanation?: Explanation;
}

export interface QueryResult {
  matches: QueryMatch[];
  /** distinct candidates gathered from the blocks */
  candidates: number;
  /** candidates scored before the budget ran out */
  scored: number;
  /** true when the budget ran out before every candidate was scored */
  truncated: boolean;
  elapsedMs: number;
}

export class LinkageIndex {
  private readonly records: PreparedRecord[];
  private readonly ruleKeys: RuleKeys[];
  /** records added after the index was built: per rule, key hash → record indexes */
  private readonly added: Map<number, number[]>[];
  private readonly scorer: Scorer;
  private readonly tf: TermFrequencies;
  private readonly fields: number[];
  private stamp: Int32Array;
  private queryNo = 0;
  readonly maxBlockSize: number;

  private constructor(records: PreparedRecord[], readonly model: LinkageModel, tf: TermFrequencies, rules: readonly BlockingRule[], maxBlockSize: number) {
    this.records = records;
    this.maxBlockSize = maxBlockSize;
    const scratch = new Arena(Math.max(16 << 20, records.length * 48));
    const keep = new Arena(Math.max(16 << 20, records.length * 64));
    this.ruleKeys = rules.map((r) => {
      scratch.reset();
      return persistRuleKeys(computeRuleKeys(records, r, maxBlockSize, scratch), keep);
    });
    this.added = rules.map(() => new Map());
    this.fields = modelFields(model);
    this.tf = tf;
    this.scorer = new Scorer(model, tf);
    this.stamp = new Int32Array(records.length);
  }

  /** Build an index over records, fitting a model on them unless one is given. */
  static build(input: readonly PersonRecord[], options: IndexOptions = {}): LinkageIndex {
    const records = prepareRecords(input);
    const model = options.model ?? fitModel(records, options.fit);
    const tf = new TermFrequencies(records, modelFields(model));
    return new LinkageIndex(records, model, tf, options.rules ?? BLOCKING_RULES, options.maxBlockSize ?? 1000);
  }

  /** Reuse the normalised records, model and term frequencies of a batch linkage run. */
  static fromLinkResult(result: LinkResult, options: Omit<IndexOptions, 'model' | 'fit'> = {}): LinkageIndex {
    return new LinkageIndex(result.records, result.model, result.scorer.tf, options.rules ?? BLOCKING_RULES, options.maxBlockSize ?? 1000);
  }

  get size(): number {
    return this.records.length;
  }

  recordAt(index: number): PreparedRecord {
    return this.records[index]!;
  }

  /** Add a record (e.g. a newly recorded suspect) so later queries find it. */
  add(input: PersonRecord): number {
    const index = this.records.length;
    const rec = prepareRecord(input, index);
    this.records.push(rec);
    this.tf.add(rec);
    for (let r = 0; r < this.ruleKeys.length; r++) {
      for (const h of ruleHashes(this.ruleKeys[r]!.rule, rec)) {
        const list = this.added[r]!.get(h);
        if (list) list.push(index);
        else this.added[r]!.set(h, [index]);
      }
    }
    if (this.stamp.length < this.records.length) {
      const s = new Int32Array(Math.ceil(this.records.length * 1.25));
      s.set(this.stamp);
      this.stamp = s;
    }
    return index;
  }

  /** Candidate record indexes for a prepared query record, strongest rules first, each once. */
  private gather(q: PreparedRecord, maxCandidates: number, excludeIds?: ReadonlySet<string>): number[] {
    const stampNo = ++this.queryNo;
    const stamp = this.stamp;
    const out: number[] = [];
    const push = (i: number) => {
      if (stamp[i] === stampNo) return;
      stamp[i] = stampNo;
      if (excludeIds && excludeIds.has(this.records[i]!.id)) return;
      out.push(i);
    };
    for (let r = 0; r < this.ruleKeys.length && out.length < maxCandidates; r++) {
      const rk = this.ruleKeys[r]!;
      // "at least one of the pair" rules: when the query does not qualify, only qualifying records count
      const needFlag = rk.rule.oneOf !== undefined && !rk.rule.oneOf(q);
      for (const h of ruleHashes(rk.rule, q)) {
        const b = findBlock(rk, h);
        if (b >= 0) {
          const s = rk.memberOffsets[b]!;
          const e = rk.memberOffsets[b + 1]!;
          if (e - s <= this.maxBlockSize) {
            for (let p = s; p < e; p++) {
              const m = rk.members[p]!;
              if (!needFlag || rk.flag![m]) push(m);
            }
          }
        }
        const extra = this.added[r]!.get(h);
        if (extra) for (const i of extra) if (!needFlag || rk.rule.oneOf!(this.records[i]!)) push(i);
      }
    }
    return out;
  }

  query(input: PersonRecord, options: QueryOptions = {}): QueryResult {
    const t0 = performance.now();
    const budget = options.budgetMs ?? 20;
    const minP = options.minProbability ?? this.model.threshold;
    const limit = options.limit ?? 20;
    const q = prepareRecord(input, -1);
    const candidates = this.gather(q, options.maxCandidates ?? 2500, options.excludeIds);
    const hits: QueryMatch[] = [];
    let scored = 0;
    let truncated = false;
    for (let c = 0; c < candidates.length; c++) {
      if ((c & 31) === 31 && performance.now() - t0 > budget) {
        truncated = true;
        break;
      }
      const i = candidates[c]!;
      const w = this.scorer.weight(q, this.records[i]!, true);
      scored++;
      const p = probabilityFromWeight(w);
      if (p >= minP) hits.push({ id: this.records[i]!.id, index: i, probability: p, weight: w });
    }
    hits.sort((a, b) => b.weight - a.weight);
    const matches = hits.slice(0, limit);
    if (options.explain !== false) for (const m of matches) m.explanation = this.scorer.explain(q, this.records[m.index]!, true);
    return { matches, candidates: candidates.length, scored, truncated, elapsedMs: performance.now() - t0 };
  }

  /** Explain the match between a (new) record and an indexed one. */
  explain(input: PersonRecord, index: number): Explanation {
    return this.scorer.explain(prepareRecord(input, -1), this.records[index]!, true);
  }
}
