/**
 * Linkage benchmark: `npm run bench:linkage [-- --only febrl3,fake_1000] [--max-records N] [--queries N]`
 *
 * One JSON line per dataset on stdout: records, candidate_pairs, seconds, peak_mb, pairwise precision / recall / F1,
 * the same for an exact-match baseline (normalised given + family + dob), and for the 1M synthetic set the latency
 * of single-record queries against a warm LinkageIndex. Each dataset runs in its own child process so that
 * peak_mb is that dataset's own peak RSS. Labels are read only for scoring, never for fitting.
 */
import { fork } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { linkRecords, reclusterAt, type LinkResult } from '../src/linkage/engine/link.ts';
import { LinkageIndex } from '../src/linkage/engine/linkage-index.ts';
import { nameTokens, normaliseDob } from '../src/linkage/engine/normalise.ts';
import type { PersonRecord } from '../src/linkage/engine/types.ts';
import { mapColumns, readCsvFile, rowsToRecords } from '../src/linkage/csv.ts';
import { mulberry32 } from '../src/linkage/engine/random.ts';
import { labelledPairScore, pairwiseScore } from './lib/linkage-metrics.ts';
import { generateNationalPersons } from './lib/synthetic-persons.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const DATA = process.env.LINKAGE_DATA ?? path.resolve(here, '../../shared/benchdata/linkage');

interface Dataset {
  records: PersonRecord[];
  truth: (string | number)[] | Int32Array;
  /** link two files: only cross-source pairs count */
  linkOnly?: boolean;
  labelled?: { l: string; r: string; match: boolean }[];
}

/** stricter operating points reported beside the default (0.5), fixed in advance */
const HIGH_PRECISION_THRESHOLDS = [0.99, 0.999];

const febrlEntity = (id: string) => /^rec-(\d+)/.exec(id)?.[1] ?? id;

function loadCsv(file: string, labelColumn?: string): { records: PersonRecord[]; labels: string[] } {
  const table = readCsvFile(path.join(DATA, file));
  const map = mapColumns(table.header);
  const records = rowsToRecords(table, map);
  const li = labelColumn ? table.header.indexOf(labelColumn) : -1;
  const labels = li >= 0 ? table.rows.map((r) => r[li] ?? '') : records.map((r) => febrlEntity(r.id));
  return { records, labels };
}

function truncate(ds: Dataset, max: number | undefined): Dataset {
  if (!max || ds.records.length <= max) return ds;
  return { ...ds, records: ds.records.slice(0, max), truth: Array.from(ds.truth).slice(0, max) };
}

const DATASETS: Record<string, (max?: number) => Dataset> = {
  febrl1: () => {
    const d = loadCsv('febrl/dataset1.csv');
    return { records: d.records, truth: d.labels };
  },
  febrl2: () => {
    const d = loadCsv('febrl/dataset2.csv');
    return { records: d.records, truth: d.labels };
  },
  febrl3: () => {
    const d = loadCsv('febrl/dataset3.csv');
    return { records: d.records, truth: d.labels };
  },
  febrl4: () => {
    const a = loadCsv('febrl/dataset4a.csv');
    const b = loadCsv('febrl/dataset4b.csv');
    for (const r of a.records) r.source = 'a';
    for (const r of b.records) r.source = 'b';
    return { records: [...a.records, ...b.records], truth: [...a.labels, ...b.labels], linkOnly: true };
  },
  fake_1000: () => {
    const d = loadCsv('splink_datasets/fake_1000.csv', 'cluster');
    const lt = readCsvFile(path.join(DATA, 'splink_datasets/fake_1000_labels.csv'));
    const [il, ir, is] = ['unique_id_l', 'unique_id_r', 'clerical_match_score'].map((c) => lt.header.indexOf(c));
    const labelled = lt.rows.map((r) => ({ l: r[il!]!, r: r[ir!]!, match: Number(r[is!]) >= 0.5 }));
    return { records: d.records, truth: d.labels, labelled };
  },
  historical_50k: () => {
    const d = loadCsv('splink_datasets/historical_figures_with_errors_50k.csv', 'cluster');
    return { records: d.records, truth: d.labels };
  },
  synthetic_100k: (max) => {
    const g = generateNationalPersons(max ?? 100_000, { seed: 100 });
    return { records: g.records, truth: g.truth };
  },
  synthetic_1m: (max) => {
    const g = generateNationalPersons(max ?? 1_000_000, { seed: 1000 });
    return { records: g.records, truth: g.truth };
  },
};

/** Exact-match baseline: same normalised given name + family name + date of birth (all known). */
function exactBaseline(records: readonly PersonRecord[], linkOnly: boolean) {
  const t0 = performance.now();
  const groups = new Map<string, number>();
  const clusterOf = new Int32Array(records.length);
  const sizes = new Map<number, number>();
  for (let i = 0; i < records.length; i++) {
    const r = records[i]!;
    const g = nameTokens(r.givenName ?? '').join('');
    const f = nameTokens(r.familyName ?? '').join('');
    const d = normaliseDob(r.dob);
    clusterOf[i] = i;
    if (!g || !f || !d) continue;
    const key = `${g}|${f}|${d}`;
    const c = groups.get(key);
    if (c === undefined) groups.set(key, i);
    else clusterOf[i] = c;
    sizes.set(clusterOf[i]!, (sizes.get(clusterOf[i]!) ?? 0) + 1);
  }
  let pairs = 0;
  for (const s of sizes.values()) pairs += (s * (s - 1)) / 2;
  void linkOnly;
  return { clusterOf, seconds: (performance.now() - t0) / 1000, candidatePairs: pairs };
}

const round = (x: number, d = 4) => Math.round(x * 10 ** d) / 10 ** d;
const peakMb = () => Math.round(process.resourceUsage().maxRSS / 1024);

function runQueries(result: LinkResult, records: PersonRecord[], truth: ArrayLike<string | number>, count: number, budgetMs: number) {
  const t0 = performance.now();
  const index = LinkageIndex.fromLinkResult(result);
  const buildSeconds = (performance.now() - t0) / 1000;
  const rng = mulberry32(99);
  const times: number[] = [];
  let found = 0;
  // warm the index (JIT, and the collection that follows building it) before measuring
  for (let q = 0; q < 200; q++) index.query({ ...records[Math.floor(rng() * records.length)]!, id: `warm-${q}` }, { budgetMs });
  for (let q = 0; q < count; q++) {
    const src = records[Math.floor(rng() * records.length)]!;
    // a "new suspect": an existing person's record re-keyed, with the id changed so it is not trivially itself
    const probe: PersonRecord = { ...src, id: `probe-${q}` };
    const t = performance.now();
    const res = index.query(probe, { budgetMs });
    times.push(performance.now() - t);
    if (res.matches.length) found++;
  }
  // live-check recall: a record of a person with other records, its own record hidden — is another record of the
  // same person among the matches?
  const bySubject = new Map<string | number, number>();
  for (let i = 0; i < truth.length; i++) bySubject.set(truth[i]!, (bySubject.get(truth[i]!) ?? 0) + 1);
  let asked = 0;
  let hit = 0;
  for (let i = 0; asked < count && i < records.length * 4; i++) {
    const k = Math.floor(rng() * records.length);
    if ((bySubject.get(truth[k]!) ?? 0) < 2) continue;
    asked++;
    const res = index.query({ ...records[k]!, id: `repeat-${i}` }, { budgetMs, excludeIds: new Set([records[k]!.id]), explain: false });
    if (res.matches.some((m) => truth[m.index] === truth[k])) hit++;
  }
  times.sort((a, b) => a - b);
  const pct = (p: number) => round(times[Math.min(times.length - 1, Math.floor(p * times.length))]!, 3);
  return { query_count: count, query_ms_p50: pct(0.5), query_ms_p99: pct(0.99), query_ms_max: round(times[times.length - 1]!, 3), index_build_seconds: round(buildSeconds, 2), queries_with_matches: found, live_check_recall: round(hit / Math.max(asked, 1)) };
}

async function runOne(name: string, maxRecords: number | undefined, queries: number): Promise<Record<string, unknown>> {
  const tLoad = performance.now();
  const ds = truncate(DATASETS[name]!(maxRecords), maxRecords);
  const loadSeconds = (performance.now() - tLoad) / 1000;
  const verbose = process.env.LINKAGE_VERBOSE === '1';
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const result = linkRecords(ds.records, {
    linkOnly: ds.linkOnly,
    ...(process.env.LINKAGE_OPTS ? (JSON.parse(process.env.LINKAGE_OPTS) as object) : {}),
    onProgress: verbose ? (stage, detail) => process.stderr.write(`[${name}] ${stage} ${detail ? JSON.stringify(detail) : ''}\n`) : undefined,
  });
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  const sources = ds.linkOnly ? ds.records.map((r) => r.source ?? '') : undefined;
  const score = pairwiseScore(result.clusterOf, ds.truth, sources);
  const base = exactBaseline(ds.records, ds.linkOnly ?? false);
  const baseScore = pairwiseScore(base.clusterOf, ds.truth, sources);
  const out: Record<string, unknown> = {
    dataset: name,
    records: ds.records.length,
    candidate_pairs: result.pairs.length,
    seconds: round(seconds, 2),
    cpu_seconds: round(cpuSeconds, 2),
    peak_mb: peakMb(),
    precision: round(score.precision),
    recall: round(score.recall),
    f1: round(score.f1),
    true_pairs: score.truePairs,
    predicted_pairs: score.predictedPairs,
    baseline: {
      candidate_pairs: base.candidatePairs,
      seconds: round(base.seconds, 2),
      precision: round(baseScore.precision),
      recall: round(baseScore.recall),
      f1: round(baseScore.f1),
    },
    load_seconds: round(loadSeconds, 2),
    timings_ms: result.timings,
    lambda: result.model.lambda,
  };
  // a stricter operating point, fixed in advance (no labels used to choose it)
  for (const t of HIGH_PRECISION_THRESHOLDS) {
    const strict = pairwiseScore(reclusterAt(result, t, { linkOnly: ds.linkOnly }), ds.truth, sources);
    out[`at_probability_${String(t).replace('.', '_')}`] = { precision: round(strict.precision), recall: round(strict.recall), f1: round(strict.f1) };
  }
  if (ds.labelled) {
    const idx = new Map(ds.records.map((r, i) => [r.id, result.clusterOf[i]!]));
    const ls = labelledPairScore((id) => idx.get(id), ds.labelled);
    out.labelled_pairs = { precision: round(ls.precision), recall: round(ls.recall), fp: ls.fp, fn: ls.fn };
  }
  if (verbose) {
    process.stderr.write(JSON.stringify(result.blocking) + '\n');
    process.stderr.write(JSON.stringify(result.model.comparisons.map((c) => [c.field, c.levels.map((l) => [l.label, round(l.m, 4), round(l.u, 6), round(l.weight, 2)])])) + '\n');
    process.stderr.write(JSON.stringify(result.model.training) + '\n');
  }
  if (queries > 0) Object.assign(out, runQueries(result, ds.records, ds.truth, queries, 20));
  out.peak_mb = peakMb();
  return out;
}

async function main() {
  const { values } = parseArgs({
    options: {
      only: { type: 'string' },
      'max-records': { type: 'string' },
      queries: { type: 'string' },
      child: { type: 'string' },
      'in-process': { type: 'boolean' },
    },
  });
  const max = values['max-records'] ? Number(values['max-records']) : undefined;
  if (values.child) {
    const name = values.child;
    const q = values.queries !== undefined ? Number(values.queries) : name === 'synthetic_1m' ? 1000 : 0;
    console.log(JSON.stringify(await runOne(name, max, q)));
    return;
  }
  const names = values.only ? values.only.split(',').map((s) => s.trim()) : Object.keys(DATASETS);
  for (const n of names) if (!DATASETS[n]) throw new Error(`unknown dataset ${n} (${Object.keys(DATASETS).join(', ')})`);
  if (!existsSync(DATA)) process.stderr.write(`warning: ${DATA} not found (set LINKAGE_DATA)\n`);
  for (const name of names) {
    const args = ['--child', name];
    if (max) args.push('--max-records', String(max));
    if (values.queries !== undefined) args.push('--queries', values.queries);
    if (values['in-process']) {
      console.log(JSON.stringify(await runOne(name, max, Number(values.queries ?? (name === 'synthetic_1m' ? 1000 : 0)))));
      continue;
    }
    await new Promise<void>((resolve, reject) => {
      const child = fork(fileURLToPath(import.meta.url), args, {
        execArgv: [...process.execArgv, '--max-old-space-size=12000', '--max-semi-space-size=64'],
        stdio: 'inherit',
      });
      child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${name} exited with ${code}`))));
    });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
