import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import type { Db } from '../db/database.ts';
import { createUser, signIn, testApp, testDb } from '../testing/harness.ts';
import { systemClock } from './clock.ts';
import { notify } from './jobs.ts';

describe('in-app notifications', () => {
  let db: Db;
  let app: FastifyInstance;
  let alice: string;
  beforeAll(async () => {
    db = await testDb();
    ({ app } = await testApp(db));
    alice = await createUser(db, { username: 'alice', organisationId: 'force-kent', roles: ['investigator'] });
    await createUser(db, { username: 'bob', organisationId: 'force-kent', roles: ['investigator'] });
  });
  afterAll(async () => {
    await app?.close();
    await db?.close();
  });

  it('shows the unread count, opens a notification at its link and marks it read; nobody else can touch it', async () => {
    await db.transaction((tx) => notify(tx, systemClock, { userId: alice, kind: 'reminder', message: 'Line of enquiry due tomorrow on KEN-25-000001', link: '/cases', dedupeKey: 'n1' }));
    const agent = await signIn(app, 'alice');
    const page = await agent.get('/notifications');
    expect(page.body).toContain('Notifications (1)');
    expect(page.body).toContain('Line of enquiry due tomorrow');
    const id = /action="\/notifications\/([0-9a-f-]{36})\/read"/.exec(page.body)![1]!;

    const bob = await signIn(app, 'bob');
    expect((await bob.post(`/notifications/${id}/read`)).statusCode).toBe(404);
    expect((await bob.get('/notifications')).body).not.toContain('Line of enquiry due');

    const open = await agent.post(`/notifications/${id}/read`);
    expect(open.headers.location).toBe('/cases');
    const after = await agent.get('/notifications');
    expect(after.body).toContain('You have no unread notifications');
    expect((await agent.get('/notifications?show=all')).body).toContain('Line of enquiry due tomorrow');
  });
});
