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
}

export const GENESIS_HASH = '0'.repeat(64);
const AUDIT_LOCK = 7406002;

/** The canonical (RFC 8785 JSON) form of a row that the hash covers: every column but the hash itself. */
export function canonicalEvent(row: Omit<AuditRow, 'hash'>): string {
  return canonicalize({
    seq: Number(row.seq),
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
    prev_hash: row.prev_hash,
  })!;
}

export function chainHash(prevHash: string, canonical: string): string {
  return createHash('sha256').update(prevHash).update(canonical).digest('hex');
}

export class AuditLog {
  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
  ) {}

  /**
   * Appends one event. Pass tx to make the audit row part of the change it records (both commit or neither);
   * otherwise a transaction of its own is used. The advisory lock serialises writers so the chain never forks.
   */
  async record(event: AuditEvent, tx?: Queryable): Promise<void> {
    if (tx) return this.append(tx, event);
    await this.db.transaction((t) => this.append(t, event));
  }

  private async append(tx: Queryable, e: AuditEvent): Promise<void> {
    await tx.query('SELECT pg_advisory_xact_lock($1)', [AUDIT_LOCK]);
    const last = await tx.query<{ seq: number; hash: string }>('SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1');
    const row: Omit<AuditRow, 'hash'> = {
      seq: (last[0] ? Number(last[0].seq) : 0) + 1,
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
      prev_hash: last[0]?.hash ?? GENESIS_HASH,
    };
    const hash = chainHash(row.prev_hash, canonicalEvent(row));
    await tx.query(
      `INSERT INTO audit_log (seq, at, actor_user_id, actor_organisation_id, action, outcome, entity_type, entity_id,
         case_id, detail, request_id, prev_hash, hash)
       VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13)`,
      [row.seq, row.at, row.actor_user_id, row.actor_organisation_id, row.action, row.outcome, row.entity_type,
        row.entity_id, row.case_id, JSON.stringify(row.detail), row.request_id, row.prev_hash, hash],
    );
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
        if (chainHash(row.prev_hash, canonicalEvent(rest)) !== hash) return { ok: false, checked, seq, reason: 'row contents do not match its hash (altered)' };
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
