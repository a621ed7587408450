import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import type { Db } from '../db/database.ts';
import { testApp, testDb } from '../testing/harness.ts';

describe('health endpoints', () => {
  let db: Db;
  let app: FastifyInstance;
  beforeAll(async () => {
    db = await testDb();
    ({ app } = await testApp(db, { config: { version: '1.2.3', gitCommit: 'abc1234' } }));
  });
  afterAll(async () => {
    await app?.close();
    await db?.close();
  });

  it('reports UP with a database check, and answers /ping and /info', async () => {
    const res = await app.inject('/health');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ status: 'UP', components: { database: { status: 'UP' } } });
    expect((await app.inject('/ping')).json()).toEqual({ status: 'UP' });
    expect((await app.inject('/info')).json()).toMatchObject({ version: '1.2.3', git: { commit: 'abc1234' } });
  });

  it('answers unknown pages with a GOV.UK 404 page and the API with problem+json', async () => {
    const page = await app.inject({ url: '/no-such-page', headers: { accept: 'text/html' } });
    expect(page.statusCode).toBe(404);
    expect(page.body).toContain('Page not found');
    const api = await app.inject({ url: '/api/v1/nothing' });
    expect(api.statusCode).toBe(404);
    expect(api.headers['content-type']).toContain('application/problem+json');
    expect(api.json()).toMatchObject({ status: 404, title: 'Page not found' });
  });

  it('reports DOWN with 503 when the database is unavailable', async () => {
    await db.close();
    const res = await app.inject('/health');
    expect(res.statusCode).toBe(503);
    expect(res.json()).toMatchObject({ status: 'DOWN', components: { database: { status: 'DOWN' } } });
  });
});
