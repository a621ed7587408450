/**
 * Dashboard benchmark: `npm run bench:dashboard [-- --pg-cases 1000000 --pglite-cases 100000 --skip-pg --skip-pglite]`
 *
 * Seeds synthetic cases (10 journey events each) with bulk generate_series SQL into PostgreSQL (its own schema in
 * BENCH_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/test) and into an in-memory PGlite, builds the
 * summary tables with the same refresh the job runs, then prints one JSON line per backend:
 *  - cold_ms: the national quarterly dashboard query set on a fresh connection (first run),
 *  - warm_ms / warm_p95_ms: the same, median and 95th percentile of the following runs,
 *  - full_scan_ms: the same figures computed straight from the case records (what a dashboard without summary
 *    tables would do per request), and the ratio full_scan_ms / warm_ms,
 *  - seed_ms, refresh_ms (a full rebuild of every force) and the machine's load average.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { type Db, PgliteDb, PostgresDb, type Queryable } from '../src/db/database.ts';
import { migrate } from '../src/db/migrate.ts';
import { AuditLog } from '../src/platform/audit.ts';
import { FixedClock } from '../src/platform/clock.ts';
import { PerformanceRepository } from '../src/performance/repository.ts';
import { PerformanceService } from '../src/performance/service.ts';
import { ReferenceService } from '../src/reference/service.ts';

const { values } = parseArgs({
  options: {
    'pg-cases': { type: 'string', default: '1000000' },
    'pglite-cases': { type: 'string', default: '100000' },
    'skip-pg': { type: 'boolean', default: false },
    'skip-pglite': { type: 'boolean', default: false },
    runs: { type: 'string', default: '15' },
  },
});

const NOW = new Date('2026-01-15T09:00:00Z');
const QUERY = { group: 'adult_rape' as const, from: '2022Q1', to: '2025Q4', baseline: '2021Q1' };
const EVENTS_PER_CASE = 10;

/**
 * One statement per chunk of cases: cases reported 2019–2025 across all 43 forces (each in its primary Area), a rape
 * or sexual assault offence, a victim aged 12–71, and ten events: report, ISVA offer, arrest, interview, then Early
 * Advice, a charging file, a decision (charge, CPS NFA, administrative finalisation or police NFA) and court steps
 * for a share of cases, with routine notes filling the rest.
 */
async function seedChunk(db: Queryable, from: number, to: number): Promise<void> {
  const caseRows = `
    SELECT i, (lpad(to_hex(i), 32, '0'))::uuid AS id, f.force_id, f.cps_area_id,
           (date '2019-01-01' + ((i::bigint * 7919) % 2555)::integer) AS reported, ((i::bigint * 2654435761) % 1000003)::integer AS h
      FROM generate_series(${from}, ${to}) i
      JOIN (SELECT row_number() OVER (ORDER BY force_id) - 1 AS k, force_id, cps_area_id FROM force_area_map WHERE is_primary) f ON f.k = i % 43`;
  await db.query(
    `INSERT INTO cases (id, reference, force_id, cps_area_id, stage, offence_date, reported_at, created_at, updated_at)
     SELECT id, 'BENCH/' || i, force_id, cps_area_id, 'investigation', reported - 3, reported, reported::timestamptz, reported::timestamptz FROM (${caseRows}) c`,
  );
  await db.query(
    `INSERT INTO case_offences (case_id, force_id, offence_code)
     SELECT id, force_id, CASE WHEN h % 10 < 6 THEN 'SOA2003-s1' ELSE 'SOA2003-s3' END FROM (${caseRows}) c`,
  );
  await db.query(
    `INSERT INTO victims (id, case_id, force_id, label, name_enc, age_at_offence, created_at, updated_at)
     SELECT (lpad(to_hex(i), 31, '0') || 'f')::uuid, id, force_id, 'V1', 'bench:x', 12 + (h % 60), reported::timestamptz, reported::timestamptz FROM (${caseRows}) c`,
  );
  await db.query(
    `INSERT INTO case_events (id, case_id, force_id, occurred_at, recorded_at, kind, summary, data)
     SELECT (lpad(to_hex(i), 24, '0') || lpad(to_hex(s), 8, '0'))::uuid, id, force_id, at, at, kind, kind,
            CASE WHEN kind = 'nfa' THEN jsonb_build_object('by', by, 'outcomeCode', code) WHEN kind = 'verdict' THEN jsonb_build_object('result', CASE WHEN h % 5 < 3 THEN 'convicted' ELSE 'acquitted' END) ELSE '{}'::jsonb END
       FROM (
         SELECT c.*, s, reported + make_interval(days => s * (5 + (h % 30)), hours => 10) AS at,
                CASE s
                  WHEN 1 THEN 'reported' WHEN 2 THEN 'isva_referral_offered' WHEN 3 THEN 'suspect_arrested' WHEN 4 THEN 'interview_under_caution'
                  WHEN 5 THEN CASE WHEN h % 10 < 4 THEN 'early_advice_requested' ELSE 'note' END
                  WHEN 6 THEN CASE WHEN h % 10 < 4 THEN 'early_advice_given' ELSE 'note' END
                  WHEN 7 THEN CASE WHEN h % 20 < 7 THEN 'referred_for_charge' ELSE 'note' END
                  WHEN 8 THEN CASE WHEN h % 20 < 3 THEN 'charged' WHEN h % 20 < 6 THEN 'nfa' WHEN h % 20 < 7 THEN 'administratively_finalised'
                                   WHEN h % 20 < 15 THEN 'nfa' ELSE 'note' END
                  WHEN 9 THEN CASE WHEN h % 20 < 3 AND h % 3 = 0 THEN 'guilty_plea' WHEN h % 20 < 3 THEN 'trial_listed' ELSE 'note' END
                  ELSE CASE WHEN h % 20 < 3 AND h % 3 <> 0 THEN 'verdict' ELSE 'note' END
                END AS kind,
                CASE WHEN h % 20 < 7 THEN 'cps' ELSE 'police' END AS by,
                CASE WHEN h % 20 < 7 THEN CASE WHEN h % 7 = 0 THEN 9 ELSE 15 END ELSE CASE WHEN h % 3 = 0 THEN 16 ELSE 14 END END AS code
           FROM (${caseRows}) c CROSS JOIN generate_series(1, ${EVENTS_PER_CASE}) s) e`,
  );
}

async function seed(db: Db, cases: number, log: (m: string) => void): Promise<number> {
  const started = performance.now();
  const chunk = db.kind === 'postgres' ? 100_000 : 25_000;
  for (let from = 1; from <= cases; from += chunk) {
    const to = Math.min(cases, from + chunk - 1);
    await db.transaction((tx) => seedChunk(tx, from, to));
    log(`seeded ${to}/${cases} cases`);
  }
  for (const t of ['cases', 'case_events', 'victims', 'case_offences']) await db.exec(db.kind === 'postgres' ? `VACUUM ANALYZE ${t}` : `ANALYZE ${t}`);
  return performance.now() - started;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const p95 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil(xs.length * 0.95) - 1)]!;

async function measure(backend: 'postgres' | 'pglite', db: Db, reopen: () => Promise<Db>, cases: number, seedMs: number, log: (m: string) => void) {
  const clock = new FixedClock(NOW);
  const service = (d: Db) => new PerformanceService(d, new AuditLog(d, clock), clock, new ReferenceService(d, new AuditLog(d, clock)));
  let started = performance.now();
  await service(db).refreshNow({ full: true });
  const refreshMs = performance.now() - started;
  log(`summary tables built in ${Math.round(refreshMs)} ms`);
  const [{ n: summaryRows }] = (await db.query<{ n: number }>('SELECT count(*)::int AS n FROM perf_counts')) as [{ n: number }];

  // Cold: a new connection (PostgreSQL: new pool and backend; PGlite: the database reopened from its data).
  const fresh = await reopen();
  const run = (d: Db) => service(d).figures(QUERY, {}, 'area');
  started = performance.now();
  const first = await run(fresh);
  const coldMs = performance.now() - started;
  const warm: number[] = [];
  for (let i = 0; i < Number(values.runs); i++) {
    started = performance.now();
    await run(fresh);
    warm.push(performance.now() - started);
  }
  // Full scan: the same counters straight from the case records, inside a transaction that is rolled back.
  started = performance.now();
  await fresh.transaction(async (tx) => {
    await new PerformanceRepository(tx).scanCounters(NOW, QUERY.group, QUERY.baseline, QUERY.to);
    throw new RollBack();
  }).catch((e) => { if (!(e instanceof RollBack)) throw e; });
  const fullScanMs = performance.now() - started;
  const referrals = first.rows.find((r) => r.measure.id === 'referrals')!;
  const warmMs = median(warm);
  const target = backend === 'postgres' ? 300 : 2000;
  const result = {
    backend, cases, events: cases * EVENTS_PER_CASE, summary_rows: summaryRows, quarters: first.quarters.length,
    seed_ms: Math.round(seedMs), refresh_ms: Math.round(refreshMs),
    cold_ms: +coldMs.toFixed(1), warm_ms: +warmMs.toFixed(1), warm_p95_ms: +p95(warm).toFixed(1), full_scan_ms: Math.round(fullScanMs),
    full_scan_to_warm_ratio: Math.round(fullScanMs / warmMs), target_warm_ms: target, target_met: warmMs < target,
    sample: { latest_adult_rape_referrals: referrals.latest, change: referrals.changeText },
    loadavg: os.loadavg().map((l) => +l.toFixed(2)), cpus: os.cpus().length,
  };
  console.log(JSON.stringify(result));
  await fresh.close();
}

class RollBack extends Error {}

async function main() {
  const log = (m: string) => process.stderr.write(`${m}\n`);
  if (!values['skip-pg']) {
    const url = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
    const schema = 'bench_dashboard';
    const admin = PostgresDb.connect(url, { max: 1 });
    await admin.exec(`DROP SCHEMA IF EXISTS ${schema} CASCADE; CREATE SCHEMA ${schema}`);
    await admin.close();
    const db = PostgresDb.connect(url, { schema, max: 4 });
    try {
      await migrate(db);
      const cases = Number(values['pg-cases']);
      log(`PostgreSQL: seeding ${cases} cases (${cases * EVENTS_PER_CASE} events) into schema ${schema}`);
      const seedMs = await seed(db, cases, log);
      await measure('postgres', db, async () => PostgresDb.connect(url, { schema, max: 4 }), cases, seedMs, log);
    } finally {
      await db.close();
      const a = PostgresDb.connect(url, { max: 1 });
      await a.exec(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await a.close();
    }
  }
  if (!values['skip-pglite']) {
    // On disk, so that "cold" is a real reopen: empty caches, no plans.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tandem-bench-'));
    let db: PgliteDb | undefined = await PgliteDb.open(dir);
    try {
      await migrate(db);
      const cases = Number(values['pglite-cases']);
      log(`PGlite: seeding ${cases} cases (${cases * EVENTS_PER_CASE} events) in ${dir}`);
      const seedMs = await seed(db, cases, log);
      const reopen = async () => {
        await db!.close();
        db = undefined;
        return PgliteDb.open(dir);
      };
      await measure('pglite', db, reopen, cases, seedMs, log);
    } finally {
      await db?.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
