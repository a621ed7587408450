import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { loadDemoData } from '../cli/seed.ts';
import type { Db } from '../db/database.ts';
import { totpCode } from '../platform/auth/totp.ts';
import { FieldCipher } from '../platform/crypto.ts';
import { Agent, TEST_KEY, testApp, testDb } from '../testing/harness.ts';
import { DEMO_PASSWORD, DEMO_TOTP_SECRET } from './demo-users.ts';

/** What `npm start` loads: the printed demo sign-ins work and each role lands somewhere useful. */
describe('demo data', () => {
  let db: Db;
  let app: FastifyInstance;
  beforeAll(async () => {
    db = await testDb();
    await loadDemoData(db, new FieldCipher([TEST_KEY]), { cases: 400, seed: 42 });
    ({ app } = await testApp(db));
  });
  afterAll(async () => {
    await app?.close();
    await db?.close();
  });

  async function demoSignIn(username: string) {
    const agent = new Agent(app);
    await agent.get('/sign-in');
    const first = await agent.post('/sign-in', { username, password: DEMO_PASSWORD });
    expect(first.headers.location, username).toBe('/sign-in/code');
    await agent.get('/sign-in/code');
    const second = await agent.post('/sign-in/code', { code: totpCode(DEMO_TOTP_SECRET, new Date()) });
    expect(second.statusCode, username).toBe(303);
    return agent;
  }

  it('signs the demo investigator in with the printed password and TOTP secret, showing only their force’s cases', async () => {
    const agent = await demoSignIn('investigator');
    const list = await agent.get('/cases');
    expect(list.statusCode).toBe(200);
    const refs = [...list.body.matchAll(/data-qa="case-link">([A-Z]+)-/g)].map((m) => m[1]);
    expect(refs.length).toBeGreaterThan(0);
    expect(new Set(refs)).toEqual(new Set(['HIW']));
    const kentCase = await db.query<{ id: string }>(`SELECT id FROM cases WHERE force_id = 'kent' LIMIT 1`);
    expect((await agent.get(`/cases/${kentCase[0]!.id}`)).statusCode).toBe(404);
  });

  it('gives the demo prosecutor the referred cases of CPS Wessex, and the admin the audit log', async () => {
    const prosecutor = await demoSignIn('prosecutor');
    const list = await prosecutor.get('/cases');
    const refs = [...list.body.matchAll(/data-qa="case-link">([A-Z]+)-/g)].map((m) => m[1]);
    expect(refs.length).toBeGreaterThan(0);
    for (const r of refs) expect(['HIW', 'DOR', 'WIL']).toContain(r);
    const admin = await demoSignIn('admin');
    expect((await admin.get('/admin/audit')).statusCode).toBe(200);
  });

  it('sends the demo new starter to authenticator enrolment', async () => {
    const agent = new Agent(app);
    await agent.get('/sign-in');
    const first = await agent.post('/sign-in', { username: 'new.starter', password: DEMO_PASSWORD });
    expect(first.headers.location).toBe('/sign-in/enrol');
  });
});
