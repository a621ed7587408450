/**
 * Whether an error means the database cannot be reached right now (restarting, failing over, refusing
 * connections), as opposed to a fault in the request or the code. Such a request is answered 503 with Retry-After:
 * the client should try again shortly, and the app recovers by itself when the database is back (the pool opens
 * new connections), with no restart.
 */
const UNAVAILABLE_CODES = new Set([
  // the socket: refused while the server is down, reset or cut when it goes down mid-query
  'ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN',
  // PostgreSQL: admin_shutdown, crash_shutdown, cannot_connect_now (starting up / shutting down), too_many_connections
  '57P01', '57P02', '57P03', '53300',
  // PostgreSQL class 08: connection exceptions
  '08000', '08001', '08003', '08004', '08006',
]);

const UNAVAILABLE_MESSAGES = /^(Connection terminated|Connection terminated unexpectedly|timeout exceeded when trying to connect|Client has encountered a connection error and is not queryable|Client was closed and is not queryable)/;

export const DATABASE_RETRY_AFTER_SECONDS = 5;

export function isDatabaseUnavailable(err: unknown): boolean {
  for (let e = err as { code?: unknown; message?: unknown; cause?: unknown } | undefined, depth = 0; e && depth < 3; e = e.cause as typeof e, depth++) {
    if (typeof e.code === 'string' && UNAVAILABLE_CODES.has(e.code)) return true;
    if (typeof e.message === 'string' && UNAVAILABLE_MESSAGES.test(e.message)) return true;
  }
  return false;
}
