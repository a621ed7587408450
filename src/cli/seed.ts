import { parseArgs } from 'node:util';
import cliProgress from 'cli-progress';
import { loadConfig } from '../config.ts';
import { type Db, openDatabase } from '../db/database.ts';
import { migrate } from '../db/migrate.ts';
import { FieldCipher } from '../platform/crypto.ts';
import { createDemoUsers } from '../synthetic/demo-users.ts';
import { generateNational } from '../synthetic/generator.ts';
import { seedScrutinyDemo } from '../scrutiny/demo.ts';
import { seedVictimCare } from '../victims/synthetic.ts';
import { seedEarlyAdviceAndCharging } from '../charging/synthetic.ts';

/**
 * Loads demo users and a synthetic national picture. Demo users are put on case teams of their own force/Area so
 * that every role has something to look at.
 */
export async function loadDemoData(db: Db, cipher: FieldCipher, opts: { cases: number; seed: number; until?: string; progress?: boolean }) {
  const ids = await createDemoUsers(db, cipher, new Date());
  const bar = opts.progress ? new cliProgress.SingleBar({ format: 'synthetic cases [{bar}] {percentage}% {value}/{total} ETA {eta}s', hideCursor: true }, cliProgress.Presets.shades_classic) : undefined;
  bar?.start(opts.cases, 0);
  const summary = await generateNational(db, cipher, {
    cases: opts.cases, seed: opts.seed, until: opts.until,
    onProgress: (done) => bar?.update(done),
    teamUserIds: {
      byForce: { 'hampshire-and-isle-of-wight': [ids.investigator!], kent: [ids['kent.investigator']!] },
      byArea: { wessex: [ids.prosecutor!] },
    },
  });
  bar?.stop();
  await syncReferenceSequence(db);
  // Early Advice, conferences, charging decisions, police outcomes and review requests along each case's timeline.
  await seedEarlyAdviceAndCharging(db, {
    seed: opts.seed, until: opts.until, now: new Date(),
    demo: { forceId: 'hampshire-and-isle-of-wight', areaId: 'wessex', investigator: ids.investigator!, prosecutor: ids.prosecutor!, dcp: ids.dcp!, otherPolice: { kent: ids['kent.investigator']! } },
  });
  // Victim care over the demo force's cases: consents, ISVA queries, duties met on time and late, meetings, special measures.
  await seedVictimCare(db, { seed: opts.seed, now: new Date(), users: { police: ids.investigator!, prosecutor: ids.prosecutor!, vlo: ids.vlo!, isva: ids.isva! }, cipher });
  // A scrutiny panel with a released, redacted pack for the Hampshire / Wessex demo users (after the NFA decisions exist).
  await seedScrutinyDemo(db, cipher, ids);
  return summary;
}

/** Case references made by the generator share the sequence the app uses: move it past them. */
export async function syncReferenceSequence(db: Db) {
  await db.query(`SELECT setval('case_reference_seq', GREATEST(1, coalesce((SELECT max(substring(reference from '([0-9]+)$')::bigint) FROM cases), 1)))`);
}

export async function seedCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { cases: { type: 'string' }, seed: { type: 'string', default: '42' }, until: { type: 'string' }, 'demo-users': { type: 'boolean', default: false } },
  });
  const cases = Number(values.cases);
  const seed = Number(values.seed);
  if (!Number.isInteger(cases) || cases < 1) {
    console.error('tandem seed: --cases must be a whole number of at least 1, for example --cases 5000');
    return 2;
  }
  if (!Number.isInteger(seed)) {
    console.error('tandem seed: --seed must be a whole number');
    return 2;
  }
  if (values.until && !/^\d{4}-\d{2}-\d{2}$/.test(values.until)) {
    console.error('tandem seed: --until must be a date like 2026-09-30');
    return 2;
  }
  const config = loadConfig();
  const db = await openDatabase(config);
  try {
    await migrate(db);
    const cipher = new FieldCipher(config.encryptionKeys);
    const started = performance.now();
    let summary;
    if (values['demo-users']) {
      summary = await loadDemoData(db, cipher, { cases, seed, until: values.until, progress: true });
    } else {
      const bar = new cliProgress.SingleBar({ format: 'synthetic cases [{bar}] {percentage}% {value}/{total} ETA {eta}s' }, cliProgress.Presets.shades_classic);
      bar.start(cases, 0);
      summary = await generateNational(db, cipher, { cases, seed, until: values.until, onProgress: (done) => bar.update(done) });
      bar.stop();
      await syncReferenceSequence(db);
    }
    console.log(JSON.stringify({ ...summary, byForce: undefined, seconds: Math.round((performance.now() - started) / 100) / 10 }));
    return 0;
  } finally {
    await db.close();
  }
}
