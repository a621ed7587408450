import { describe, expect, it } from 'vitest';
import { isDatabaseUnavailable } from './unavailable.ts';

// Which errors the app answers with 503 + Retry-After (the database is away; retry shortly) rather than a 500.
// The end-to-end proof is src/faults/db-restart.faults.ts (a real PostgreSQL stopped under load).
describe('isDatabaseUnavailable', () => {
  const err = (message: string, code?: string) => Object.assign(new Error(message), code ? { code } : {});

  it('recognises a database that is down, restarting or cutting connections', () => {
    expect(isDatabaseUnavailable(err('connect ECONNREFUSED 127.0.0.1:5432', 'ECONNREFUSED'))).toBe(true);
    expect(isDatabaseUnavailable(err('read ECONNRESET', 'ECONNRESET'))).toBe(true);
    expect(isDatabaseUnavailable(err('terminating connection due to administrator command', '57P01'))).toBe(true);
    expect(isDatabaseUnavailable(err('the database system is shutting down', '57P03'))).toBe(true);
    expect(isDatabaseUnavailable(err('sorry, too many clients already', '53300'))).toBe(true);
    expect(isDatabaseUnavailable(err('Connection terminated unexpectedly'))).toBe(true);
    expect(isDatabaseUnavailable(err('timeout exceeded when trying to connect'))).toBe(true);
    expect(isDatabaseUnavailable(Object.assign(new Error('query failed'), { cause: err('x', 'ECONNREFUSED') }))).toBe(true);
  });

  it('leaves real faults as faults: constraint violations, SQL errors, serialization failures, plain bugs', () => {
    expect(isDatabaseUnavailable(err('duplicate key value violates unique constraint', '23505'))).toBe(false);
    expect(isDatabaseUnavailable(err('syntax error at or near "SELEC"', '42601'))).toBe(false);
    expect(isDatabaseUnavailable(err('could not serialize access', '40001'))).toBe(false);
    expect(isDatabaseUnavailable(new TypeError("Cannot read properties of undefined (reading 'id')"))).toBe(false);
    expect(isDatabaseUnavailable(undefined)).toBe(false);
    expect(isDatabaseUnavailable('ECONNREFUSED')).toBe(false);
  });
});
