import { createHash } from 'node:crypto';
import canonicalizeModule from 'canonicalize';

// The package is CommonJS whose typings claim an ES default export; at run time the import is the function itself.
type Canonicalize = (input: unknown) => string | undefined;
const canonicalize: Canonicalize =
  typeof canonicalizeModule === 'function' ? (canonicalizeModule as Canonicalize) : (canonicalizeModule as unknown as { default: Canonicalize }).default;
import type { Db, Queryable } from '../db/database.ts';
import type { Clock } from './clock.ts';

export interface AuditEvent {
  actorUserId?: string | null;
  actorOrganisationId?: string | null;
  action: string;
  outcome: 'allowed' | 'denied' | 'failed';
  entityType?: string | null;
  entityId?: string | null;
  caseId?: string | null;
  /** Never victim identity: ids, field names and reasons only. */
  detail?: Record<string, unknown>;
  requestId?: string | null;
}

export interface AuditRow {
  seq: number;
  at: Date;
  actor_user_id: string | null;
  actor_organisation_id: string | null;
  action: string;
  outcome: string;
  entity_type: string | null;
  entity_id: string | null;
  case_id: string | null;
  detail: Record<string, unknown>;
  request_id: string | null;
  prev_hash: string;
  hash: string;
  /** 1: hashed by the app over the whole row; 2: linked by audit_append() over the app's content digest. */
  hash_version?: number;
}

export const GENESIS_HASH = '0'.repeat(64);

type AuditContent = Omit<AuditRow, 'seq' | 'prev_hash' | 'hash' | 'hash_version'>;

/** A row's content columns, normalised as both hash versions cover them (RFC 8785 orders the keys). */
function contentFields(row: AuditContent) {
  return {
    at: new Date(row.at).toISOString(),
    actor_user_id: row.actor_user_id,
    actor_organisation_id: row.actor_organisation_id,
    action: row.action,
    outcome: row.outcome,
    entity_type: row.entity_type,
    entity_id: row.entity_id,
    case_id: row.case_id,
    detail: row.detail ?? {},
    request_id: row.request_id,
  };
}

/** Version 1: the canonical (RFC 8785 JSON) form of a row that the hash covers: every column but the hash itself. */
export function canonicalEvent(row: Omit<AuditRow, 'hash' | 'hash_version'>): string {
  return canonicalize({ seq: Number(row.seq), ...contentFields(row), prev_hash: row.prev_hash })!;
}

export function chainHash(prevHash: string, canonical: string): string {
  return createHash('sha256').update(prevHash).update(canonical).digest('hex');
}

/** Version 2: the digest of a row's content (RFC 8785 JSON of every column but seq and the chain's own columns). */
export function contentDigest(row: AuditContent): string {
  return createHash('sha256').update(canonicalize(contentFields(row))!).digest('hex');
}

/** Version 2 link, as audit_append() computes it in the database: sha256(prev_hash ':' seq ':' digest). */
export function linkHash(prevHash: string, seq: number, digest: string): string {
  return createHash('sha256').update(`${prevHash}:${seq}:${digest}`).digest('hex');
}

/** The hash a row should carry, by the version it was written with. */
export function expectedHash(row: Omit<AuditRow, 'hash'>): string {
  if (Number(row.hash_version ?? 1) === 2) return linkHash(row.prev_hash, Number(row.seq), contentDigest(row));
  const { hash_version: _v, ...v1 } = row;
  return chainHash(row.prev_hash, canonicalEvent(v1));
}

export class AuditLog {
  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
  ) {}

  /**
   * Appends one event. Pass tx to make the audit row part of the change it records (both commit or neither);
   * otherwise the row is written on its own. audit_append()'s advisory lock serialises writers so the chain never forks.
   */
  async record(event: AuditEvent, tx?: Queryable): Promise<void> {
    // Without tx a single statement is its own transaction: the lock is released as soon as the row is written.
    return this.append(tx ?? this.db, event);
  }

  private async append(tx: Queryable, e: AuditEvent): Promise<void> {
    const row: AuditContent = {
      at: this.clock.now(),
      actor_user_id: e.actorUserId ?? null,
      actor_organisation_id: e.actorOrganisationId ?? null,
      action: e.action,
      outcome: e.outcome,
      entity_type: e.entityType ?? null,
      entity_id: e.entityId ?? null,
      case_id: e.caseId ?? null,
      detail: e.detail ?? {},
      request_id: e.requestId ?? null,
    };
    // One call: the database takes the chain's lock, reads the last row and links this one (migration 0071).
    await tx.query('SELECT audit_append($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11)', [
      row.at, row.actor_user_id, row.actor_organisation_id, row.action, row.outcome, row.entity_type, row.entity_id, row.case_id,
      JSON.stringify(row.detail), row.request_id, contentDigest(row),
    ]);
  }

  /**
   * Walks the whole chain in order, in pages, and reports the first row whose hash or link does not hold.
   */
  async verify(onProgress?: (checked: number) => void): Promise<{ ok: true; checked: number } | { ok: false; checked: number; seq: number; reason: string }> {
    let prevHash = GENESIS_HASH;
    let expectedSeq = 1;
    let checked = 0;
    for (;;) {
      const rows = await this.db.query<AuditRow>('SELECT * FROM audit_log WHERE seq >= $1 ORDER BY seq LIMIT 5000', [expectedSeq]);
      if (rows.length === 0) return { ok: true, checked };
      for (const row of rows) {
        const seq = Number(row.seq);
        if (seq !== expectedSeq) return { ok: false, checked, seq: expectedSeq, reason: `row ${expectedSeq} is missing (next row is ${seq})` };
        if (row.prev_hash !== prevHash) return { ok: false, checked, seq, reason: 'prev_hash does not match the previous row\'s hash' };
        const { hash, ...rest } = row;
        if (expectedHash(rest) !== hash) return { ok: false, checked, seq, reason: 'row contents do not match its hash (altered)' };
        prevHash = hash;
        expectedSeq++;
        checked++;
      }
      onProgress?.(checked);
    }
  }

  async search(filter: { userId?: string; caseId?: string; from?: Date; to?: Date; action?: string }, page: number, pageSize: number) {
    const where: string[] = [];
    const params: unknown[] = [];
    const add = (clause: string, value: unknown) => {
      params.push(value);
      where.push(clause.replace('?', `$${params.length}`));
    };
    if (filter.userId) add('a.actor_user_id = ?', filter.userId);
    if (filter.caseId) add('a.case_id = ?', filter.caseId);
    if (filter.from) add('a.at >= ?', filter.from);
    if (filter.to) add('a.at < ?', filter.to);
    if (filter.action) add('a.action = ?', filter.action);
    const whereSql = where.length ? `WHERE ${where.join(' AND ')}` : '';
    const total = await this.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM audit_log a ${whereSql}`, params);
    const rows = await this.db.query<AuditRow & { username: string | null; case_reference: string | null }>(
      `SELECT a.*, u.username, c.reference AS case_reference
         FROM audit_log a LEFT JOIN users u ON u.id = a.actor_user_id LEFT JOIN cases c ON c.id = a.case_id
         ${whereSql} ORDER BY a.seq DESC LIMIT ${pageSize} OFFSET ${(page - 1) * pageSize}`,
      params,
    );
    return { total: total[0]?.n ?? 0, rows };
  }
}
