/**
 * End-to-end deduplication / linkage of a list of person records:
 * normalise → fit (u, EM) → block → compare and score → cluster.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { generateCandidatePairs, type BlockingOptions, type RuleStat } from './blocking.ts';
import { clusterPairs } from './cluster.ts';
import { activeFields, fitModel, modelFields, Scorer, TermFrequencies, weightFromProbability, type FitOptions, type LinkageModel } from './model.ts';
import { prepareRecords } from './normalise.ts';
import { packRecords } from './record-columns.ts';
import type { ScoreRequest } from './link-worker.ts';
import type { PersonRecord, PreparedRecord } from './types.ts';

export interface LinkOptions extends FitOptions {
  /** fit and score on a second thread as well (default: from 200,000 records, when more than one core) */
  parallel?: boolean;
  blocking?: BlockingOptions;
  /** use this model instead of fitting one */
  model?: LinkageModel;
  /** anti-chaining check when merging groups (default true) */
  guardChaining?: boolean;
  minMeanProbability?: number;
  /** links at least this strong (log2 odds) skip the anti-chaining check */
  unguardedWeight?: number;
  /** also check a single record joining a group of at least this many */
  singletonGuardSize?: number;
  onProgress?: (stage: string, detail?: Record<string, unknown>) => void;
}

export interface LinkResult {
  records: PreparedRecord[];
  model: LinkageModel;
  scorer: Scorer;
  /** candidate pairs with their match weights */
  pairs: { a: Int32Array; b: Int32Array; weight: Float32Array; length: number };
  /** cluster id per input record (index of the cluster's first record) */
  clusterOf: Int32Array;
  blocking: RuleStat[];
  timings: Record<string, number>;
  refusedMerges: number;
}

/** A helper thread that fits the model and scores part of the pairs (see link-worker.ts). */
class Helper {
  private readonly worker: Worker;
  private readonly control: Int32Array;
  private readonly text: Uint8Array;
  constructor(input: readonly PersonRecord[], fit: FitOptions | null, model: LinkageModel | null) {
    const controlBuf = new SharedArrayBuffer(8);
    const textBuf = new SharedArrayBuffer(8 << 20);
    this.control = new Int32Array(controlBuf);
    this.text = new Uint8Array(textBuf);
    // one string per field instead of a million cloned objects (falls back to cloning for odd values)
    const packed = packRecords(input);
    this.worker = new Worker(new URL('./link-worker.mjs', import.meta.url), {
      workerData: { input: packed ? [] : input, packed, control: controlBuf, text: textBuf, fit, model },
    });
    this.worker.unref();
  }
  /** Block until the worker reaches `state` (or fails). */
  private waitFor(state: number): void {
    const deadline = performance.now() + 30 * 60_000;
    for (;;) {
      const s = Atomics.load(this.control, 0);
      if (s === state) return;
      if (s === -1) throw new Error(`linkage worker failed: ${this.message()}`);
      if (performance.now() > deadline) throw new Error('linkage worker did not answer');
      Atomics.wait(this.control, 0, s, 1000);
    }
  }
  private message(): string {
    return new TextDecoder().decode(this.text.slice(0, Atomics.load(this.control, 1)));
  }
  model(): LinkageModel {
    this.waitFor(1);
    return JSON.parse(this.message()) as LinkageModel;
  }
  startScoring(req: ScoreRequest): void {
    Atomics.store(this.control, 0, 0);
    this.worker.postMessage(req);
  }
  finishScoring(): void {
    this.waitFor(2);
  }
  close(): void {
    void this.worker.terminate();
  }
}

export function linkRecords(input: readonly PersonRecord[], options: LinkOptions = {}): LinkResult {
  const progress = options.onProgress ?? (() => {});
  const timings: Record<string, number> = {};
  let t = performance.now();
  const lap = (name: string) => {
    const now = performance.now();
    timings[name] = Math.round(now - t);
    t = now;
  };
  const parallel = options.parallel ?? (input.length >= 200_000 && availableParallelism() > 1);
  const { onProgress: _p, blocking: _b, model: _m, ...fitOptions } = options;
  const helper = parallel ? new Helper(input, options.model ? null : fitOptions, options.model ?? null) : null;
  try {
    progress('normalising', { records: input.length });
    const records = prepareRecords(input);
    lap('normalise');
    const tf = new TermFrequencies(records, options.model ? modelFields(options.model) : activeFields(records, options.fields));
    lap('termFrequencies');
    let model = options.model ?? null;
    if (!model && !helper) {
      progress('fitting');
      model = fitModel(records, { ...options, termFrequencies: tf });
      lap('fit');
    }
    progress('blocking');
    const blocking = generateCandidatePairs(records, { linkOnly: options.linkOnly, ...options.blocking });
    const pairs = blocking.pairs;
    lap('blocking');
    if (!model) {
      progress('fitting (helper thread)');
      model = helper!.model();
      lap('fitWait');
    }
    const s = new Scorer(model, tf);
    s.precompute(records);
    lap('precomputeTf');
    progress('scoring', { candidatePairs: pairs.length });
    let weight: Float32Array;
    let from = 0;
    if (helper) {
      // the helper scores the second half of the pairs into shared memory while this thread scores the first
      weight = new Float32Array(new SharedArrayBuffer(pairs.length * 4));
      from = Math.floor(pairs.length * 0.5);
      const n = pairs.length - from;
      const a = new Int32Array(new SharedArrayBuffer(n * 4));
      const b = new Int32Array(new SharedArrayBuffer(n * 4));
      a.set(pairs.a.subarray(from, pairs.length));
      b.set(pairs.b.subarray(from, pairs.length));
      helper.startScoring({ model, a, b, weights: weight, offset: from });
    } else weight = new Float32Array(pairs.length);
    const end = helper ? from : pairs.length;
    for (let p = 0; p < end; p++) {
      weight[p] = s.weight(records[pairs.a[p]!]!, records[pairs.b[p]!]!);
      if ((p & 0xfffff) === 0xfffff) progress('scoring', { done: p + 1, of: pairs.length });
    }
    if (helper) helper.finishScoring();
    lap('score');
    progress('clustering');
    const thresholdWeight = weightFromProbability(model.threshold);
    const scored = { a: pairs.a, b: pairs.b, weight, length: pairs.length };
    const linkOnly = options.linkOnly ?? false;
    const cl = clusterPairs(records.length, scored, {
      thresholdWeight,
      minMeanProbability: options.minMeanProbability,
      unguardedWeight: options.unguardedWeight,
      singletonGuardSize: options.singletonGuardSize,
      scorePair:
        options.guardChaining === false
          ? undefined
          : (i, j) => (linkOnly && records[i]!.source === records[j]!.source ? thresholdWeight : s.weight(records[i]!, records[j]!)),
    });
    lap('cluster');
    return { records, model, scorer: s, pairs: scored, clusterOf: cl.clusterOf, blocking: blocking.stats, timings, refusedMerges: cl.refusedMerges };
  } finally {
    helper?.close();
  }
}

/** Re-cluster the scored pairs of a run at another match-probability threshold (no re-scoring). */
export function reclusterAt(result: LinkResult, threshold: number, options: Pick<LinkOptions, 'linkOnly' | 'guardChaining' | 'minMeanProbability' | 'unguardedWeight'> = {}): Int32Array {
  const { records, scorer } = result;
  const thresholdWeight = weightFromProbability(threshold);
  return clusterPairs(records.length, result.pairs, {
    thresholdWeight,
    minMeanProbability: options.minMeanProbability,
    unguardedWeight: options.unguardedWeight,
    scorePair:
      options.guardChaining === false
        ? undefined
        : (i, j) => (options.linkOnly && records[i]!.source === records[j]!.source ? thresholdWeight : scorer.weight(records[i]!, records[j]!)),
  }).clusterOf;
}
