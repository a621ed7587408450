import type { FastifyInstance } from 'fastify';
import type { AddressInfo } from 'node:net';
import type { Config } from '../../src/config.ts';
import type { Db } from '../../src/db/database.ts';
import type { Services } from '../../src/services.ts';
import { createUser, testApp, testDb } from '../../src/testing/harness.ts';

/** The people every browser test can sign in as. All share TEST_PASSWORD; the enrolled ones TEST_TOTP_SECRET. */
export const USERS = {
  hampshire: { username: 'hants.investigator', displayName: 'DC Priya Lal', organisationId: 'force-hampshire-and-isle-of-wight', organisationName: 'Hampshire and Isle of Wight Police' },
  kent: { username: 'kent.investigator', displayName: 'DC Jo Fraser', organisationId: 'force-kent', organisationName: 'Kent Police' },
  newStarter: { username: 'new.starter', displayName: 'DC Ash Kumar', organisationId: 'force-hampshire-and-isle-of-wight', organisationName: 'Hampshire and Isle of Wight Police' },
} as const;

export interface TestServer {
  /** http://localhost:<port>: a host name, not an IP, so the browser keeps cookies as it would in use. */
  baseUrl: string;
  app: FastifyInstance;
  db: Db;
  services: Services;
  config: Config;
  close(): Promise<void>;
}

/** Starts the real app (real services over a cloned, migrated PGlite) on an ephemeral port, with the test users. */
export async function startServer(opts: { config?: Partial<Config> } = {}): Promise<TestServer> {
  const db = await testDb();
  try {
    await createUser(db, { ...USERS.hampshire, roles: ['investigator'] });
    await createUser(db, { ...USERS.kent, roles: ['investigator'] });
    await createUser(db, { ...USERS.newStarter, roles: ['investigator'], enrolled: false });
    const { app, services, config } = await testApp(db, { config: opts.config });
    await app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = app.server.address() as AddressInfo;
    return {
      baseUrl: `http://localhost:${port}`, app, db, services, config,
      close: async () => {
        await app.close();
        await db.close();
      },
    };
  } catch (error) {
    await db.close();
    throw error;
  }
}
