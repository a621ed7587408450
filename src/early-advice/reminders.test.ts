import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../db/database.ts';
import { victimSchema } from '../cases/schemas.ts';
import { FixedClock } from '../platform/clock.ts';
import { JobWorker } from '../platform/jobs.ts';
import type { Principal } from '../platform/principal.ts';
import { nestDates, validateForm } from '../platform/validation.ts';
import { createServices, type Services } from '../services.ts';
import { createUser, forms, testConfig, testDb } from '../testing/harness.ts';
import { LOE_REMINDER, TARGET_REMINDER } from './jobs.ts';

/**
 * Deadlines in England and Wales working days (weekends and bank holidays from reference data, Europe/London), and
 * reminders that survive a crash: each is delivered exactly once, by case reference only.
 */
describe('Early Advice deadlines and reminders', () => {
  let db: Db;
  let services: Services;
  const clock = new FixedClock(new Date('2026-04-02T09:00:00Z')); // Thursday 2 April 2026, 10:00 BST; Easter is 3–6 April
  const ids: Record<string, string> = {};
  const principal = async (key: string): Promise<Principal> => (await services.identity.principal(ids[key]!))!;

  const openCase = async (summary = 'V1 reports rape by an acquaintance.') =>
    (await services.cases.create(await principal('inv'), { offences: ['SOA2003-s1'], offenceDate: '2026-03-01', reportedDate: '2026-03-02', summary, cpsAreaId: '' })).id;
  const request = async (caseId: string, priority: 'urgent' | 'high' | 'standard') =>
    services.earlyAdvice.request(await principal('inv'), caseId, { caseSummary: 'Summary', questions: 'Questions', strategy: 'Strategy', priority });

  beforeAll(async () => {
    db = await testDb();
    services = createServices(db, testConfig(), clock);
    ids.inv = await createUser(db, { username: 'hants.inv', organisationId: 'force-hampshire-and-isle-of-wight', roles: ['investigator'] });
    ids.pros = await createUser(db, { username: 'wessex.pros', organisationId: 'rasso-wessex', roles: ['prosecutor'] });
    ids.dcp = await createUser(db, { username: 'wessex.dcp', organisationId: 'rasso-wessex', roles: ['district_crown_prosecutor'] });
  });
  afterAll(async () => db?.close());

  it('sets the response target in working days across weekends and bank holidays (Easter, early May, Christmas)', async () => {
    // Thursday 2 April: Good Friday 3 April and Easter Monday 6 April are not working days
    expect((await request(await openCase(), 'urgent')).targetDate).toBe('2026-04-13'); // 7, 8, 9, 10, 13 April
    expect((await request(await openCase(), 'high')).targetDate).toBe('2026-04-20'); // 7–10, 13–17, 20 April
    expect((await request(await openCase(), 'standard')).targetDate).toBe('2026-05-05'); // …Friday 1 May; Monday 4 May is a bank holiday
    const saved = await db.query<{ target_date: string; target_working_days: number }>('SELECT target_date, target_working_days FROM ea_requests ORDER BY target_date');
    expect(saved).toEqual([{ target_date: '2026-04-13', target_working_days: 5 }, { target_date: '2026-04-20', target_working_days: 10 }, { target_date: '2026-05-05', target_working_days: 20 }]);

    // the reminder times: 09:00 London two working days before the target (BST here), and the first moment after it
    const urgent = (await db.query<{ id: string }>(`SELECT id FROM ea_requests WHERE priority = 'urgent'`))[0]!.id;
    const jobs = await db.query<{ dedupe_key: string; run_at: Date }>(`SELECT dedupe_key, run_at FROM jobs WHERE payload->>'requestId' = $1 ORDER BY run_at`, [urgent]);
    expect(jobs.map((j) => [j.dedupe_key, j.run_at.toISOString()])).toEqual([
      [`ea-target:${urgent}:due-soon`, '2026-04-09T08:00:00.000Z'], // Thursday 9 April, 09:00 BST
      [`ea-target:${urgent}:overdue`, '2026-04-13T23:00:00.000Z'], // midnight at the end of Monday 13 April, BST
    ]);

    // over Christmas, in GMT: Thursday 24 December 2026, 17:00; 25 and 28 December and 1 January are bank holidays
    clock.set(new Date('2026-12-24T17:00:00Z'));
    expect((await request(await openCase(), 'urgent')).targetDate).toBe('2027-01-05'); // 29, 30, 31 December, 4, 5 January
    clock.set(new Date('2026-04-02T09:00:00Z'));
  });

  it('delivers each reminder exactly once across a crashed worker and a restart, and never names the victim', async () => {
    await db.exec(`DELETE FROM jobs; DELETE FROM notifications;`);
    // Case A: advice given with two lines of enquiry (one is done before its reminder); case B: allocated, no advice yet
    const caseA = await openCase('Case A');
    const victim = validateForm(victimSchema(() => clock.now()), nestDates(forms.victim(), ['dateOfBirth']));
    if (!victim.ok) throw new Error('bad victim form');
    await services.cases.addVictim(await principal('inv'), caseA, victim.value);
    const a = await request(caseA, 'standard');
    await services.earlyAdvice.allocate(await principal('dcp'), a.id, { prosecutorId: ids.pros!, version: 1 });
    await services.earlyAdvice.giveAdvice(await principal('pros'), caseA, a.id, {
      conversation: { heldAt: new Date('2026-04-02T08:30:00Z'), channel: 'in_person', participantUserIds: [ids.inv!], otherParticipants: [] }, advice: 'Advice', version: 2,
      linesOfEnquiry: [
        { description: 'Obtain CCTV', category: 'general', rationale: '', ownerUserId: ids.inv!, dueDate: '2026-04-08' },
        { description: 'Request counselling notes', category: 'third_party_material', rationale: 'Only notes of the disclosure on 3 March; necessary because…', ownerUserId: ids.pros!, dueDate: '2026-04-08' },
      ],
    });
    const caseB = await openCase('Case B');
    const b = await request(caseB, 'urgent');
    await services.earlyAdvice.allocate(await principal('dcp'), b.id, { prosecutorId: ids.pros!, version: 1 });
    const [, loe2] = await db.query<{ id: string }>('SELECT id FROM ea_lines_of_enquiry WHERE case_id = $1 ORDER BY number', [caseA]);
    await services.earlyAdvice.updateLoe(await principal('pros'), caseA, loe2!.id, { status: 'done', note: 'Notes received', version: 1 });
    const refA = (await services.cases.summary(caseA)).reference;
    const refB = (await services.cases.summary(caseB)).reference;
    expect(await db.query(`SELECT 1 FROM jobs WHERE kind IN ($1, $2)`, [TARGET_REMINDER, LOE_REMINDER])).toHaveLength(8);

    const reminders = () => db.query<{ user_id: string; kind: string; message: string; dedupe_key: string }>(
      `SELECT user_id, kind, message, dedupe_key FROM notifications WHERE kind IN ('ea-target', 'loe-due') ORDER BY dedupe_key`);
    /** A worker process that claimed every due job and was killed before finishing any: its claims are left behind. */
    const crashAfterClaiming = () => db.query(
      `UPDATE jobs SET locked_until = $2, locked_by = 'dead-worker', attempts = attempts + 1 WHERE done_at IS NULL AND run_at <= $1`,
      [clock.now(), new Date(clock.now().getTime() + 60_000)],
    );
    /** A fresh process: new services (and handlers) over the same database, and a new worker. */
    const restart = () => new JobWorker(db, clock, createServices(db, testConfig(), clock).jobHandlers, { leaseMs: 60_000 });

    // Tuesday 7 April 09:00 BST: both lines of enquiry are due tomorrow
    clock.set(new Date('2026-04-07T08:00:01Z'));
    await crashAfterClaiming();
    let worker = restart();
    expect(await worker.runDue()).toBe(0); // the dead worker's lease still holds
    clock.advance(61_000);
    expect(await worker.runDue()).toBe(2);
    expect(await worker.runDue()).toBe(0);
    expect((await reminders()).map((n) => n.message)).toEqual([`Line of enquiry 1 on case ${refA} is due on 8 April 2026.`]); // LOE 2 was done: nothing

    // Tuesday 14 April: LOE 1 is overdue, case B's advice was due yesterday (and its "due soon" reminder never ran)
    clock.set(new Date('2026-04-14T07:00:00Z'));
    await crashAfterClaiming();
    worker = restart();
    expect(await worker.runDue()).toBe(0);
    clock.advance(61_000);
    expect(await worker.runDue()).toBe(4); // LOE 1 and 2 overdue, case B due soon and overdue
    // a crash that lost the "done" marks after the reminders committed: the jobs run again but deliver nothing new
    await db.query(`UPDATE jobs SET done_at = NULL, locked_until = NULL WHERE kind IN ($1, $2) AND done_at IS NOT NULL`, [TARGET_REMINDER, LOE_REMINDER]);
    worker = restart();
    expect(await worker.runDue()).toBe(6);
    expect(await restart().runDue()).toBe(0);

    // and after case A's own target date, its reminders find the advice given and send nothing
    clock.set(new Date('2026-05-06T08:00:00Z'));
    expect(await restart().runDue()).toBe(2);

    const sent = await reminders();
    expect(sent.map((n) => [n.kind, n.user_id, n.message])).toEqual([
      ['ea-target', ids.pros, `Early Advice on case ${refB} is due by 13 April 2026.`],
      ['ea-target', ids.pros, `Early Advice on case ${refB} is overdue: it was due by 13 April 2026.`],
      ['loe-due', ids.inv, `Line of enquiry 1 on case ${refA} is due on 8 April 2026.`],
      ['loe-due', ids.inv, `Line of enquiry 1 on case ${refA} is overdue: it was due on 8 April 2026.`],
    ]);
    expect(sent.map((n) => n.dedupe_key)).toEqual([...new Set(sent.map((n) => n.dedupe_key))]);
    const pending = await db.query(`SELECT 1 FROM jobs WHERE kind IN ($1, $2) AND (done_at IS NULL OR failed_at IS NOT NULL)`, [TARGET_REMINDER, LOE_REMINDER]);
    expect(pending).toHaveLength(0);
    const all = await db.query<{ message: string }>('SELECT message FROM notifications');
    for (const n of all) for (const secret of ['Amelia', 'Quintrell', '07700 900123']) expect(n.message).not.toContain(secret);
  });
});
