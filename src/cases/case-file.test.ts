import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import type { Db } from '../db/database.ts';
import { Agent, caseIdFrom, createUser, forms, signIn, testApp, testDb } from '../testing/harness.ts';

describe('joint case file', () => {
  let db: Db;
  let app: FastifyInstance;
  let investigator: Agent;

  beforeAll(async () => {
    db = await testDb();
    ({ app } = await testApp(db));
    await createUser(db, { username: 'hants.inv', organisationId: 'force-hampshire-and-isle-of-wight', roles: ['investigator'] });
    investigator = await signIn(app, 'hants.inv');
  });
  afterAll(async () => {
    await app?.close();
    await db?.close();
  });

  it('opens a case, adds a victim and a suspect, and lists it', async () => {
    const form = await investigator.get('/cases/new');
    expect(form.statusCode).toBe(200);
    const created = await investigator.post('/cases', forms.case());
    const caseId = caseIdFrom(created);
    const page = await investigator.get(`/cases/${caseId}?done=created`);
    expect(page.statusCode).toBe(200);
    expect(page.headers['cache-control']).toBe('no-store');
    expect(page.body).toContain('Case opened');

    await investigator.get(`/cases/${caseId}/victims/new`);
    const v = await investigator.post(`/cases/${caseId}/victims`, forms.victim());
    expect(v.statusCode).toBe(303);
    await investigator.get(`/cases/${caseId}/suspects/new`);
    const s = await investigator.post(`/cases/${caseId}/suspects`, forms.suspect());
    expect(s.statusCode).toBe(303);

    const after = await investigator.get(`/cases/${caseId}`);
    expect(after.body).toContain('Amelia Quintrell');
    expect(after.body).toContain('Robert Hallworth');
    const list = await investigator.get('/cases');
    expect(list.body).toMatch(/HIW-25-\d{6}/);
  });
});
