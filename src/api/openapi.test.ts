import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import type { Db } from '../db/database.ts';
import { testApp, testDb } from '../testing/harness.ts';

const run = promisify(execFile);
const REDOCLY = path.resolve(import.meta.dirname, '../../node_modules/.bin/redocly');

describe('OpenAPI 3.1 document and docs', () => {
  let db: Db;
  let app: FastifyInstance;
  let spec: Record<string, any>;

  beforeAll(async () => {
    db = await testDb();
    ({ app } = await testApp(db));
    const res = await app.inject({ method: 'GET', url: '/api/v1/openapi.json' });
    expect(res.statusCode).toBe(200);
    spec = res.json();
  });
  afterAll(async () => {
    await app?.close();
    await db?.close();
  });

  it('documents every /api/v1 route the server answers, with the request schemas the forms validate with', () => {
    expect(spec.openapi).toBe('3.1.0');
    const documented = Object.entries(spec.paths).flatMap(([p, methods]) => Object.keys(methods as object).map((m) => `${m.toUpperCase()} ${p.replace(/\{(\w+)\}/g, ':$1')}`)).sort();
    const served = documented.filter((d) => {
      const [method, url] = d.split(' ');
      return app.hasRoute({ method: method as 'GET', url: url! });
    });
    expect(served).toEqual(documented);
    expect(documented).toEqual(expect.arrayContaining([
      'POST /api/v1/oauth/token', 'GET /api/v1/cases', 'POST /api/v1/cases', 'GET /api/v1/cases/:caseId', 'PUT /api/v1/cases/:caseId',
      'POST /api/v1/cases/:caseId/victims', 'PUT /api/v1/cases/:caseId/suspects/:personId', 'POST /api/v1/cases/:caseId/early-advice-requests',
      'POST /api/v1/cases/:caseId/charging-submissions', 'GET /api/v1/cases/:caseId/decisions', 'POST /api/v1/webhook-subscriptions',
    ]));
    // The Early Advice body is the form's schema: its priority values come from there.
    expect(spec.components.schemas.EarlyAdviceRequestInput.properties.priority.enum).toEqual(['urgent', 'high', 'standard']);
    expect(spec.components.schemas.CaseInput.properties.reportedDate.anyOf[0]).toMatchObject({ type: 'string', format: 'date' });
    expect(spec.paths['/api/v1/cases/{caseId}'].put.parameters.map((p: { name: string }) => p.name)).toEqual(['caseId', 'Idempotency-Key', 'If-Match']);
    expect(Object.keys(spec.paths['/api/v1/cases'].post.responses)).toEqual(expect.arrayContaining(['201', '400', '401', '403', '409', '415', '422', '429']));
    expect(spec.components.securitySchemes.oauth2.flows.clientCredentials.tokenUrl).toBe('/api/v1/oauth/token');
  });

  it('passes `redocly lint` with no errors (and no warnings)', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tandem-openapi-'));
    const file = path.join(dir, 'openapi.json');
    fs.writeFileSync(file, JSON.stringify(spec, null, 2));
    try {
      const { stdout, stderr } = await run(REDOCLY, ['lint', file, '--format=stylish'], { cwd: dir, env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' } });
      const out = stdout + stderr;
      expect(out).toContain('Your API description is valid');
      expect(out).not.toMatch(/\d+ warnings?\b/);
    } catch (err) {
      throw new Error(`redocly lint failed:\n${(err as { stdout?: string }).stdout ?? ''}${(err as { stderr?: string }).stderr ?? ''}`);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it('renders the docs as a server-side page (no scripts from elsewhere) under the strict CSP', async () => {
    const res = await app.inject({ method: 'GET', url: '/api/v1/docs' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(String(res.headers['content-security-policy'])).toContain("script-src 'self'");
    expect(res.body).toContain('Tandem integration API');
    expect(res.body.match(/data-qa="operation"/g)).toHaveLength(Object.values(spec.paths as Record<string, object>).reduce((n: number, m) => n + Object.keys(m).length, 0));
    expect(res.body).not.toMatch(/<script[^>]+src="https?:/);
    expect(res.body).not.toMatch(/<link[^>]+href="https?:/);
  });
});
