import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import type { Db } from '../db/database.ts';
import { FixedClock } from '../platform/clock.ts';
import { JobWorker } from '../platform/jobs.ts';
import type { Principal } from '../platform/principal.ts';
import type { Services } from '../services.ts';
import { createUser, signIn, testApp, testDb } from '../testing/harness.ts';
import { addIsvaService, count, idOf } from './test-support.ts';

/** For each of the 14 CPS Areas: a force whose cases it takes (the Met's cases go to London North or London South). */
const AREAS: [area: string, force: string][] = [
  ['cymru-wales', 'south-wales'], ['east-midlands', 'derbyshire'], ['east-of-england', 'essex'], ['london-north', 'metropolitan-police'],
  ['london-south', 'metropolitan-police'], ['mersey-cheshire', 'merseyside'], ['north-east', 'durham'], ['north-west', 'lancashire'],
  ['south-east', 'kent'], ['south-west', 'devon-and-cornwall'], ['thames-and-chiltern', 'thames-valley'], ['wessex', 'dorset'],
  ['west-midlands', 'west-midlands'], ['yorkshire-and-humberside', 'west-yorkshire'],
];

describe('ISVA mailbox', () => {
  let db: Db;
  let app: FastifyInstance;
  let services: Services;
  const clock = new FixedClock(new Date('2026-12-14T09:00:00Z'));
  let isva: Principal;
  const caseRefs: Record<string, string> = {};
  const units: Record<string, Principal> = {};

  const principal = async (id: string) => (await services.identity.principal(id))!;
  const input = (over: Record<string, string>) => ({ caseReference: '', forceId: '', cpsAreaId: '', subject: 'Question', body: 'When will the victim hear?', ...over });

  beforeAll(async () => {
    db = await testDb();
    ({ app, services } = await testApp(db, { clock }));
    await addIsvaService(db, 'isva-a', 'Alpha ISVA service');
    isva = await principal(await createUser(db, { username: 'isva', displayName: 'Isla Adviser', organisationId: 'isva-a', roles: ['isva'] }));
    // one case per Area, each with a victim who has consented to the ISVA
    for (const [area, force] of AREAS) {
      const police = await principal(await createUser(db, { username: `police.${area}`, organisationId: `force-${force}`, roles: ['investigator'] }));
      units[area] = await principal(await createUser(db, { username: `unit.${area}`, organisationId: `rasso-${area}`, roles: ['paralegal'] }));
      const { id, reference } = await services.cases.create(police, { offences: ['SOA2003-s1'], offenceDate: '2026-01-02', reportedDate: '2026-01-05', summary: 'Test', cpsAreaId: area === 'london-south' ? 'london-south' : '' });
      const victimId = await services.cases.addVictim(police, id, {
        givenName: 'Vic', familyName: `Tim${area}`, dateOfBirth: null, ageAtOffence: 30, phone: '', email: '', address: '', vulnerabilities: [], communicationNeeds: '',
        contactMethod: 'phone', mayLeaveMessage: false, safeTimes: '', interviewerSex: 'no_preference', enhancedRights: true,
      });
      await services.victims.recordConsent(police, id, victimId, { isvaUserId: isva.userId, scope: ['key_dates'], givenOn: '2026-01-06', method: 'written' });
      caseRefs[area] = reference;
    }
  });
  afterAll(async () => {
    await app?.close();
    await db?.close();
  });

  it('routes a query with a case reference to the RASSO unit of the case’s Area, for each of the 14 Areas', async () => {
    for (const [area] of AREAS) {
      const id = await services.victims.sendQuery(isva, input({ caseReference: caseRefs[area]!, forceId: 'kent' }), 'test');
      const [q] = await db.query<{ cps_area_id: string; routed_by: string; case_reference: string }>('SELECT cps_area_id, routed_by, case_reference FROM isva_queries WHERE id = $1', [id]);
      expect(q, area).toMatchObject({ cps_area_id: area, routed_by: 'case', case_reference: caseRefs[area] });
      // it is in that unit's inbox and no other
      for (const [other] of AREAS) {
        const inbox = await services.victims.inbox(units[other]!, { status: 'all', sort: 'received', order: 'asc', page: 1 });
        expect(inbox.rows.some((r) => r.id === id), `${area} query in ${other} inbox`).toBe(other === area);
      }
    }
  });

  it('routes a query without a case reference to the Area covering the named force, for each of the 14 Areas', async () => {
    for (const [area, force] of AREAS) {
      const id = await services.victims.sendQuery(isva, input({ forceId: force, cpsAreaId: area === 'london-south' ? 'london-south' : '' }));
      const [q] = await db.query<{ cps_area_id: string; routed_by: string; named_force_id: string; case_id: string | null }>('SELECT cps_area_id, routed_by, named_force_id, case_id FROM isva_queries WHERE id = $1', [id]);
      expect(q, `${force} → ${area}`).toMatchObject({ cps_area_id: area, routed_by: 'force', named_force_id: force, case_id: null });
    }
    // every force goes to its primary Area from the reference data (the Met's default is London North)
    for (const f of await services.reference.forces()) {
      expect((await services.victims.route(isva, { caseReference: '', forceId: f.id, cpsAreaId: '' })).cpsAreaId, f.name).toBe(await services.reference.primaryAreaFor(f.id));
    }
    // an Area that does not take the force's cases is refused
    await expect(services.victims.route(isva, { caseReference: '', forceId: 'kent', cpsAreaId: 'london-south' })).rejects.toThrow('does not take Kent cases');
  });

  it('refuses an incomplete query with the error summary and writes nothing', async () => {
    const agent = await signIn(app, 'isva', clock);
    const before = await count(db, 'SELECT count(*)::int AS n FROM isva_queries');
    await agent.get('/isva/queries/new');
    const res = await agent.post('/isva/queries', { subject: '', body: '' });
    expect(res.statusCode).toBe(400);
    expect(res.body).toContain('There is a problem');
    expect(res.body).toContain('Select the police force, or enter a case reference');
    expect(res.body).toContain('Enter a subject');
    expect(await count(db, 'SELECT count(*)::int AS n FROM isva_queries')).toBe(before);
  });

  it('threads a query: ISVA sends, the unit sees age and target and replies, the ISVA is told once and sees the reply', async () => {
    await db.query('DELETE FROM isva_queries');
    // Wednesday 23 December 2026: three working days on, past Christmas Day and the Boxing Day substitute, is Wednesday 30th
    clock.set(new Date('2026-12-23T10:00:00Z'));
    const isvaAgent = await signIn(app, 'isva', clock);
    await isvaAgent.get('/isva/queries/new');
    const sent = await isvaAgent.post('/isva/queries', { caseReference: caseRefs.wessex!, subject: 'Trial date', body: 'Has a trial date been set for V1?' });
    expect(sent.statusCode).toBe(303);
    const queryId = await idOf(db, 'SELECT id FROM isva_queries');
    expect(sent.headers.location).toBe(`/isva/queries/${queryId}?done=query`);
    const [q] = await db.query<{ target_date: string; reference: string }>('SELECT target_date, reference FROM isva_queries');
    expect(q!.target_date).toBe('2026-12-30');
    const mine = await isvaAgent.get('/isva/queries');
    expect(mine.body).toContain(q!.reference);
    expect(mine.body).toContain('Awaiting reply');

    // New Year's Eve: 4 working days old (24, 29, 30, 31 December) and overdue
    clock.set(new Date('2026-12-31T09:00:00Z'));
    const unit = await signIn(app, 'unit.wessex', clock);
    const inbox = await unit.get('/victim-care/inbox');
    expect(inbox.statusCode).toBe(200);
    expect(inbox.body).toContain(q!.reference);
    expect(inbox.body).toMatch(/data-qa="query-age">4 working days/);
    expect(inbox.body).toContain('data-qa="query-overdue"');
    expect(inbox.body).toContain('30 December 2026');
    // another unit cannot open it
    const other = await signIn(app, 'unit.south-east', clock);
    expect((await other.get(`/victim-care/inbox/${queryId}`)).statusCode).toBe(404);
    expect((await other.get('/victim-care/inbox')).body).not.toContain(q!.reference);

    await unit.get(`/victim-care/inbox/${queryId}`);
    expect((await unit.post(`/victim-care/inbox/${queryId}/replies`, { body: '' })).statusCode).toBe(400);
    expect(await count(db, 'SELECT count(*)::int AS n FROM isva_query_messages')).toBe(1);
    const replied = await unit.post(`/victim-care/inbox/${queryId}/replies`, { body: 'Yes: the trial is listed for 8 March 2027.' });
    expect(replied.statusCode).toBe(303);

    // the ISVA is notified exactly once, however often the job runs
    const worker = new JobWorker(db, clock, services.jobHandlers);
    await worker.runDue();
    await db.query(`UPDATE jobs SET done_at = NULL WHERE kind = 'victims.query-replied'`);
    await worker.runDue();
    const notes = await db.query<{ message: string; link: string }>('SELECT message, link FROM notifications WHERE user_id = $1', [isva.userId]);
    expect(notes).toHaveLength(1);
    expect(notes[0]!.link).toBe(`/isva/queries/${queryId}`);
    expect(notes[0]!.message).not.toMatch(/Tim|Vic/);

    const isvaLater = await signIn(app, 'isva', clock); // a week on: a new session
    const thread = await isvaLater.get(`/isva/queries/${queryId}`);
    expect(thread.body).toContain('the trial is listed for 8 March 2027');
    expect(thread.body).toContain('Replied');
    expect(thread.body).toContain('data-qa="message-cps"');
    expect((await isvaLater.post(`/isva/queries/${queryId}/replies`, { body: 'Thank you. Can V1 visit the court first?' })).statusCode).toBe(303);
    expect((await db.query<{ status: string }>('SELECT status FROM isva_queries'))[0]!.status).toBe('awaiting_reply');

    // closing checks the version: a stale form changes nothing
    const [{ version }] = (await db.query<{ version: number }>('SELECT version FROM isva_queries')) as [{ version: number }];
    await unit.get(`/victim-care/inbox/${queryId}`);
    expect((await unit.post(`/victim-care/inbox/${queryId}/close`, { version: String(version - 1) })).statusCode).toBe(409);
    expect((await unit.post(`/victim-care/inbox/${queryId}/close`, { version: String(version) })).statusCode).toBe(303);
    await isvaLater.get(`/isva/queries/${queryId}`);
    expect((await isvaLater.post(`/isva/queries/${queryId}/replies`, { body: 'One more thing' })).statusCode).toBe(409);

    // response-time statistics per unit: Wessex replied after 191 hours, outside the 3-working-day target
    const stats = await unit.get('/victim-care/inbox/stats');
    expect(stats.statusCode).toBe(200);
    const rows = await services.victims.inboxStats(units.wessex!);
    expect(rows).toHaveLength(14);
    const wessex = rows.find((r) => r.cps_area_id === 'wessex')!;
    expect(wessex).toMatchObject({ received: 1, replied: 1, within_target: 0, open: 0 });
    expect(wessex.medianHours).toBeCloseTo(191, 0);
    expect(stats.body).toContain('data-qa="stats-wessex"');
  });

  it('counts a reply within target, and keeps units and ISVAs out of each other’s mailboxes', async () => {
    clock.set(new Date('2027-01-04T09:00:00Z'));
    const id = await services.victims.sendQuery(isva, input({ forceId: 'kent', subject: 'Support' }));
    clock.set(new Date('2027-01-05T09:00:00Z'));
    await services.victims.unitReply(units['south-east']!, id, 'Here is the answer');
    const se = (await services.victims.inboxStats(units['south-east']!)).find((r) => r.cps_area_id === 'south-east')!;
    expect(se.within_target).toBe(se.replied);
    expect(se.withinTargetRate).toBe(1);
    const unitAgent = await signIn(app, 'unit.south-east', clock);
    expect((await unitAgent.get('/isva/queries')).statusCode).toBe(403);
    expect((await unitAgent.get(`/isva/queries/${id}`)).statusCode).toBe(404);
    const isvaAgent = await signIn(app, 'isva', clock);
    expect((await isvaAgent.get('/victim-care/inbox')).statusCode).toBe(403);
    expect((await isvaAgent.get(`/victim-care/inbox/${id}`)).statusCode).toBe(403);
  });
});
