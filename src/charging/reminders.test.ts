import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import type { Db } from '../db/database.ts';
import { FixedClock } from '../platform/clock.ts';
import { JobWorker } from '../platform/jobs.ts';
import type { Services } from '../services.ts';
import { type Agent, caseIdFrom, createUser, forms, signIn, testApp, testDb } from '../testing/harness.ts';

/**
 * Victims' Right to Review reminders run from the durable job table, enqueued in the decision's transaction. A
 * worker killed mid-job leaves its claim behind; after a restart each reminder is delivered exactly once.
 */
describe('Victims’ Right to Review reminders', () => {
  let db: Db;
  let app: FastifyInstance;
  let services: Services;
  const clock = new FixedClock(new Date('2025-12-19T16:00:00Z')); // Friday before Christmas
  let oic: Agent;
  let pros: Agent;
  const ids: Record<string, string> = {};
  const notes = (userId: string, kind: string) => db.query<{ message: string; link: string }>('SELECT message, link FROM notifications WHERE user_id = $1 AND kind = $2', [userId, kind]);

  beforeAll(async () => {
    db = await testDb();
    ({ app, services } = await testApp(db, { clock }));
    ids.oic = await createUser(db, { username: 'oic', organisationId: 'force-hampshire-and-isle-of-wight', roles: ['investigator'] });
    ids.pros = await createUser(db, { username: 'pros', organisationId: 'rasso-wessex', roles: ['prosecutor'] });
    oic = await signIn(app, 'oic', clock);
    pros = await signIn(app, 'pros', clock);

    // a CPS NFA: the CPS window's normal deadline is Wednesday 7 January 2026
    await oic.get('/cases/new');
    ids.cpsCase = caseIdFrom(await oic.post('/cases', forms.case()));
    await oic.get(`/cases/${ids.cpsCase}/charging/file`);
    await oic.post(`/cases/${ids.cpsCase}/charging/file`, { provided: ['mg3', 'mg5'], summary: 'File.' });
    await pros.get(`/cases/${ids.cpsCase}/charging/meeting`);
    await pros.post(`/cases/${ids.cpsCase}/charging/meeting`, { 'heldOn-day': '19', 'heldOn-month': '12', 'heldOn-year': '2025', format: 'in_person', attendees: 'Prosecutor\nOfficer in case' });
    const form = await pros.get(`/cases/${ids.cpsCase}/charging/decision/nfa_evidential`);
    const version = /name="version" value="(\d+)"/.exec(form.body)![1]!;
    expect((await pros.post(`/cases/${ids.cpsCase}/charging/decision/nfa_evidential`, { version, evidentialReasons: 'Insufficient evidence.' })).statusCode).toBe(303);

    // a police NFA with a review request received the same day: acknowledge by 7 January, complete by 4 February
    await oic.get('/cases/new');
    ids.policeCase = caseIdFrom(await oic.post('/cases', forms.case()));
    await oic.get(`/cases/${ids.policeCase}/charging/police-outcome`);
    expect((await oic.post(`/cases/${ids.policeCase}/charging/police-outcome`, { outcomeTypeCode: '15', reasons: 'Evidential difficulties.', suspectInterviewed: 'yes', eaNotSoughtReason: 'Victim asked for no further contact with the CPS.' })).statusCode).toBe(303);
    const [w] = await db.query<{ id: string }>('SELECT id FROM vrr_windows WHERE case_id = $1', [ids.policeCase]);
    await oic.get(`/cases/${ids.policeCase}/charging/vrr`);
    expect((await oic.post(`/cases/${ids.policeCase}/charging/vrr`, { windowId: w!.id, 'requestedOn-day': '19', 'requestedOn-month': '12', 'requestedOn-year': '2025' })).statusCode).toBe(303);
    const [r] = await db.query<{ id: string; version: number }>('SELECT id, version FROM vrr_requests WHERE case_id = $1', [ids.policeCase]);
    ids.vrr = r!.id;
    await oic.get(`/cases/${ids.policeCase}/charging/vrr/${r!.id}`);
    expect((await oic.post(`/cases/${ids.policeCase}/charging/vrr/${r!.id}/acknowledge`, { 'acknowledgedOn-day': '19', 'acknowledgedOn-month': '12', 'acknowledgedOn-year': '2025', version: String(r!.version) })).statusCode).toBe(303);
  });
  afterAll(async () => {
    await app?.close();
    await db?.close();
  });

  it('schedules the reminders in the decision’s transaction, at 08:00 London time on the due dates', async () => {
    const jobs = await db.query<{ kind: string; run_at: Date; payload: Record<string, unknown> }>(`SELECT kind, run_at, payload FROM jobs WHERE kind LIKE 'charging.%' ORDER BY run_at`);
    expect(jobs.map((j) => [j.kind, j.run_at.toISOString(), j.payload.duty ?? null])).toEqual([
      ['charging.vrr-window-closing', '2026-01-07T08:00:00.000Z', null], // CPS: normal window closes
      ['charging.vrr-due', '2026-01-07T08:00:00.000Z', 'acknowledge'],
      ['charging.vrr-due', '2026-02-04T08:00:00.000Z', 'complete'],
      ['charging.vrr-window-closing', '2026-03-12T08:00:00.000Z', null], // police: a week before the 3 months end
    ]);
    // nothing in the payloads that identifies a victim
    expect(JSON.stringify(jobs)).not.toMatch(/Quintrell|Amelia/);
  });

  it('delivers the CPS window reminder exactly once across a worker crash and restart', async () => {
    clock.set(new Date('2026-01-07T07:59:00Z'));
    expect(await new JobWorker(db, clock, services.jobHandlers).runDue()).toBe(0); // not yet due

    // a worker claimed the due jobs and was killed before finishing: its claims are left behind
    clock.set(new Date('2026-01-07T08:00:01Z'));
    await db.query(`UPDATE jobs SET locked_until = $1, locked_by = 'dead', attempts = attempts + 1 WHERE done_at IS NULL AND run_at <= $2`, [new Date(clock.now().getTime() + 60_000), clock.now()]);
    const restarted = new JobWorker(db, clock, services.jobHandlers, { leaseMs: 60_000 });
    expect(await restarted.runDue()).toBe(0); // the dead worker's lease still holds
    clock.advance(61_000);
    expect(await restarted.runDue()).toBe(2); // the CPS window reminder, and the (already met) acknowledgement duty
    expect(await restarted.runDue()).toBe(0);

    const sent = await notes(ids.pros!, 'vrr_window');
    expect(sent).toHaveLength(1);
    expect(sent[0]!.message).toMatch(/normal window for a Victims’ Right to Review of the CPS decision closes at the end of 7 January 2026/);
    expect(sent[0]!.link).toBe(`/cases/${ids.cpsCase}/charging#vrr`);
    expect(await notes(ids.oic!, 'vrr_window')).toHaveLength(0); // the police are not the decision makers here
    expect(await notes(ids.oic!, 'vrr_due')).toHaveLength(0); // acknowledged in time: no reminder

    // the reminder's effect committed but its completion was lost: re-running it does not notify again
    await db.query(`UPDATE jobs SET done_at = NULL WHERE kind = 'charging.vrr-window-closing' AND run_at = '2026-01-07T08:00:00Z'`);
    expect(await new JobWorker(db, clock, services.jobHandlers).runDue()).toBe(1);
    expect(await notes(ids.pros!, 'vrr_window')).toHaveLength(1);
  });

  it('reminds the police the review must be completed, once, and stays quiet where a request was made', async () => {
    clock.set(new Date('2026-02-04T08:30:00Z'));
    expect(await new JobWorker(db, clock, services.jobHandlers).runDue()).toBe(1);
    const due = await notes(ids.oic!, 'vrr_due');
    expect(due).toHaveLength(1);
    expect(due[0]!.message).toContain('must be completed by the end of 4 February 2026');
    expect(await new JobWorker(db, clock, services.jobHandlers).runDue()).toBe(0);

    // the police window's reminder: the victim has already asked, so nobody is reminded
    clock.set(new Date('2026-03-12T09:00:00Z'));
    expect(await new JobWorker(db, clock, services.jobHandlers).runDue()).toBe(1);
    expect(await notes(ids.oic!, 'vrr_window')).toHaveLength(0);
    expect((await db.query(`SELECT 1 FROM jobs WHERE done_at IS NULL AND kind LIKE 'charging.%'`)).length).toBe(0);
  });
});
