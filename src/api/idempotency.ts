import { createHash } from 'node:crypto';
import canonicalizeModule from 'canonicalize';
import type { Db } from '../db/database.ts';
import type { Clock } from '../platform/clock.ts';
import { HttpError } from '../platform/errors.ts';

type Canonicalize = (input: unknown) => string | undefined;
const canonicalize: Canonicalize =
  typeof canonicalizeModule === 'function' ? (canonicalizeModule as Canonicalize) : (canonicalizeModule as unknown as { default: Canonicalize }).default;

/** A stored response, replayed for a retry. */
export interface StoredResponse {
  status: number;
  headers: Record<string, string>;
  body: unknown;
}

/** After this long an unfinished record is taken to belong to a request that died (process killed) and may be retried. */
const ABANDONED_MS = 60_000;
export const IDEMPOTENCY_KEY = /^[A-Za-z0-9_.:-]{8,200}$/;

/** The same request is the same method, path and body (RFC 8785 canonical JSON, so key order and spacing do not matter). */
export function requestHash(method: string, path: string, body: unknown): string {
  return createHash('sha256').update(`${method} ${path}\n`).update(canonicalize(body ?? null) ?? '').digest('hex');
}

/**
 * Idempotency-Key handling (draft-ietf-httpapi-idempotency-key-header): the first request under a key reserves it;
 * a retry of the same request gets the stored response; a different request under the key is refused (422); a
 * retry while the first is still running is refused (409). A request that fails releases the key, so a corrected
 * retry can use it; nothing was written, so there is nothing to replay.
 */
export class IdempotencyStore {
  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
  ) {}

  async begin(clientId: string, key: string, hash: string): Promise<{ kind: 'new' } | { kind: 'replay'; response: StoredResponse }> {
    if (!IDEMPOTENCY_KEY.test(key)) throw new HttpError(400, 'Bad Idempotency-Key', 'An Idempotency-Key must be 8 to 200 letters, digits or the characters _ . : -');
    const now = this.clock.now();
    const inserted = await this.db.query(
      `INSERT INTO api_idempotency (client_id, key, request_hash, started_at) VALUES ($1,$2,$3,$4)
       ON CONFLICT (client_id, key) DO UPDATE SET request_hash = EXCLUDED.request_hash, started_at = EXCLUDED.started_at
         WHERE api_idempotency.completed_at IS NULL AND api_idempotency.started_at < $5
       RETURNING key`,
      [clientId, key, hash, now, new Date(now.getTime() - ABANDONED_MS)],
    );
    if (inserted.length) return { kind: 'new' };
    const [row] = await this.db.query<{ request_hash: string; completed_at: Date | null; response_status: number; response_headers: Record<string, string>; response_body: unknown }>(
      'SELECT request_hash, completed_at, response_status, response_headers, response_body FROM api_idempotency WHERE client_id = $1 AND key = $2',
      [clientId, key],
    );
    if (!row) return this.begin(clientId, key, hash); // released between our insert and select: try again
    if (!row.completed_at) throw new HttpError(409, 'Request in progress', 'A request with this Idempotency-Key is still being processed. Retry after it completes.');
    if (row.request_hash !== hash) {
      throw new HttpError(422, 'Idempotency-Key already used', 'This Idempotency-Key was used for a different request. Use a new key for a new request.');
    }
    return { kind: 'replay', response: { status: row.response_status, headers: row.response_headers ?? {}, body: row.response_body } };
  }

  async complete(clientId: string, key: string, response: StoredResponse): Promise<void> {
    await this.db.query(
      'UPDATE api_idempotency SET completed_at = $3, response_status = $4, response_headers = $5, response_body = $6 WHERE client_id = $1 AND key = $2',
      [clientId, key, this.clock.now(), response.status, JSON.stringify(response.headers), JSON.stringify(response.body ?? null)],
    );
  }

  async release(clientId: string, key: string): Promise<void> {
    await this.db.query('DELETE FROM api_idempotency WHERE client_id = $1 AND key = $2 AND completed_at IS NULL', [clientId, key]);
  }
}
