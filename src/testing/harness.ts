import { randomUUID } from 'node:crypto';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { buildApp } from '../app.ts';
import { type Config, loadConfig } from '../config.ts';
import { type Db, PgliteDb, PostgresDb } from '../db/database.ts';
import { migrate } from '../db/migrate.ts';
import { hashPassword } from '../platform/auth/passwords.ts';
import { totpCode } from '../platform/auth/totp.ts';
import { type Clock, systemClock } from '../platform/clock.ts';
import { FieldCipher } from '../platform/crypto.ts';
import { IdentityRepository } from '../platform/identity.ts';
import type { Role } from '../platform/principal.ts';
import { createServices, type Services } from '../services.ts';

/**
 * Test support: real services over a real database. PGlite by default (one migrated template per worker, cloned
 * per call); PostgreSQL when the "postgres" Vitest project sets TANDEM_TEST_BACKEND=postgres (one schema per call,
 * dropped on close).
 */
export const TEST_BACKEND: 'pglite' | 'postgres' = process.env.TANDEM_TEST_BACKEND === 'postgres' ? 'postgres' : 'pglite';

let template: Promise<Blob> | undefined;

async function pgliteTemplate(): Promise<Blob> {
  template ??= (async () => {
    const db = await PgliteDb.memory();
    await migrate(db);
    const dump = await db.pglite.dumpDataDir('none');
    await db.close();
    return dump;
  })();
  return template;
}

export async function testDb(): Promise<Db> {
  if (TEST_BACKEND === 'postgres') {
    const url = process.env.TEST_DATABASE_URL;
    if (!url) throw new Error('TEST_DATABASE_URL must be set for the postgres test project');
    const schema = `t_${randomUUID().replace(/-/g, '').slice(0, 16)}`;
    const admin = PostgresDb.connect(url, { max: 1 });
    await admin.exec(`CREATE SCHEMA ${schema}`);
    await admin.close();
    const db = PostgresDb.connect(url, { schema, max: 4 });
    await migrate(db);
    const close = db.close.bind(db);
    let closed = false;
    db.close = async () => {
      if (closed) return;
      closed = true;
      await close();
      const a = PostgresDb.connect(url, { max: 1 });
      await a.exec(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await a.close();
    };
    return db;
  }
  return PgliteDb.memory(await pgliteTemplate());
}

export const TEST_KEY = { id: 'test', key: Buffer.alloc(32, 9) };

export function testConfig(overrides: Partial<Config> = {}): Config {
  return {
    ...loadConfig({ NODE_ENV: 'test', TANDEM_ENCRYPTION_KEYS: `test:${TEST_KEY.key.toString('base64')}`, TANDEM_SESSION_SECRET: 'x'.repeat(40) }),
    ...overrides,
  };
}

export async function testApp(db: Db, opts: { clock?: Clock; config?: Partial<Config> } = {}): Promise<{ app: FastifyInstance; services: Services; config: Config }> {
  const config = testConfig(opts.config);
  const services = createServices(db, config, opts.clock ?? systemClock);
  const app = await buildApp({ config, services });
  await app.ready();
  return { app, services, config };
}

export const TEST_PASSWORD = 'correct horse battery staple';
export const TEST_TOTP_SECRET = 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP';
let cachedHash: Promise<string> | undefined;

export async function createUser(db: Db, user: { username: string; organisationId: string; roles: Role[]; enrolled?: boolean; displayName?: string }): Promise<string> {
  cachedHash ??= hashPassword(TEST_PASSWORD);
  const id = randomUUID();
  const cipher = new FieldCipher([TEST_KEY]);
  const enrolled = user.enrolled ?? true;
  return new IdentityRepository(db).create({
    id, username: user.username, displayName: user.displayName ?? user.username, email: `${user.username}@test.invalid`, organisationId: user.organisationId,
    passwordHash: await cachedHash, roles: user.roles,
    totpSecretEnc: enrolled ? cipher.encrypt(TEST_TOTP_SECRET, { table: 'users', column: 'totp_secret', rowId: id }) : null,
    totpEnrolledAt: enrolled ? new Date() : null,
  });
}

/** A browser-like client over app.inject: keeps cookies, and fills in the CSRF token from the last page it fetched. */
export class Agent {
  private cookies = new Map<string, string>();
  csrf = '';
  constructor(readonly app: FastifyInstance) {}

  private cookieHeader() {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  private absorb(res: LightMyRequestResponse) {
    for (const c of res.cookies) {
      if (c.value === '' || (c.expires && c.expires.getTime() < Date.now())) this.cookies.delete(c.name);
      else this.cookies.set(c.name, c.value);
    }
    const m = /name="_csrf" value="([^"]+)"/.exec(res.body);
    if (m) this.csrf = m[1]!;
  }

  async get(url: string, headers: Record<string, string> = {}) {
    const res = await this.app.inject({ method: 'GET', url, headers: { cookie: this.cookieHeader(), accept: 'text/html', ...headers } });
    this.absorb(res);
    return res;
  }

  /** Posts a form. Arrays become repeated fields, as a browser sends checkboxes. */
  async post(url: string, form: Record<string, string | string[] | number | undefined> = {}, opts: { csrf?: boolean; headers?: Record<string, string> } = {}) {
    const body = new URLSearchParams();
    if (opts.csrf !== false) body.append('_csrf', this.csrf);
    for (const [k, v] of Object.entries(form)) {
      if (v === undefined) continue;
      for (const item of Array.isArray(v) ? v : [v]) body.append(k, String(item));
    }
    const res = await this.app.inject({
      method: 'POST', url, payload: body.toString(),
      headers: { cookie: this.cookieHeader(), 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html', ...opts.headers },
    });
    this.absorb(res);
    return res;
  }

  hasCookie(name: string) {
    return this.cookies.has(name);
  }

  /** A copy of this browser (its cookies and CSRF token now) talking to another app instance: tests of several processes. */
  on(app: FastifyInstance): Agent {
    const other = new Agent(app);
    other.cookies = new Map(this.cookies);
    other.csrf = this.csrf;
    return other;
  }
}

/** Signs in through the real pages (password, then TOTP code) and returns the agent. */
export async function signIn(app: FastifyInstance, username: string, clock: Clock = systemClock, credentials = { password: TEST_PASSWORD, totpSecret: TEST_TOTP_SECRET }): Promise<Agent> {
  const agent = new Agent(app);
  await agent.get('/sign-in');
  const first = await agent.post('/sign-in', { username, password: credentials.password });
  if (first.statusCode !== 303 || first.headers.location !== '/sign-in/code') throw new Error(`password step failed for ${username}: ${first.statusCode}`);
  await agent.get('/sign-in/code');
  const second = await agent.post('/sign-in/code', { code: totpCode(credentials.totpSecret, clock.now()) });
  if (second.statusCode !== 303) throw new Error(`code step failed for ${username}: ${second.statusCode} ${second.body.slice(0, 300)}`);
  await agent.get('/cases');
  return agent;
}

/** Valid form bodies for the case file, for tests that need a case quickly. */
export const forms = {
  case: (over: Record<string, string | string[]> = {}) => ({
    offences: ['SOA2003-s1'], 'offenceDate-day': '3', 'offenceDate-month': '2', 'offenceDate-year': '2025',
    'reportedDate-day': '10', 'reportedDate-month': '2', 'reportedDate-year': '2025', summary: 'V1 reports rape by an acquaintance after a night out.', ...over,
  }),
  victim: (over: Record<string, string | string[]> = {}) => ({
    givenName: 'Amelia', familyName: 'Quintrell', 'dateOfBirth-day': '14', 'dateOfBirth-month': '6', 'dateOfBirth-year': '1998', ageAtOffence: '26',
    phone: '07700 900123', email: 'victim@example.invalid', address: '1 Test Street, Southampton SO14 1AA', vulnerabilities: ['mental_health'],
    communicationNeeds: '', contactMethod: 'phone', mayLeaveMessage: 'no', safeTimes: 'after 6pm', interviewerSex: 'female', enhancedRights: 'yes', ...over,
  }),
  suspect: (over: Record<string, string | string[]> = {}) => ({
    givenName: 'Robert', familyName: 'Hallworth', aliases: 'Bob Hallworth\nRob Halworth', 'dateOfBirth-day': '2', 'dateOfBirth-month': '11', 'dateOfBirth-year': '1987',
    addresses: '22 Harbour Road, Portsmouth PO1 3AB', phones: '07700 900456', emails: 'rob.h@example.invalid', onlineIdentifiers: 'snapchat:robh87', vehicles: 'HX15 ABC', ...over,
  }),
};

/** The location of a 303 redirect to a case page, as its id. */
export function caseIdFrom(res: LightMyRequestResponse): string {
  const m = /^\/cases\/([0-9a-f-]{36})/.exec(String(res.headers.location));
  if (!m) throw new Error(`expected a redirect to a case, got ${res.statusCode} ${res.headers.location} ${res.body.slice(0, 500)}`);
  return m[1]!;
}
