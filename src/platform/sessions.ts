import { createHash, randomBytes } from 'node:crypto';
import type { Db } from '../db/database.ts';
import type { Clock } from './clock.ts';

export type SessionStage = 'second_factor' | 'enrol' | 'active';

export interface Session {
  idHash: string;
  userId: string;
  stage: SessionStage;
  createdAt: Date;
  lastSeenAt: Date;
  expiresAt: Date;
  pendingTotpSecretEnc: string | null;
}

const hashId = (id: string) => createHash('sha256').update(id).digest('hex');

/**
 * Server-side sessions in the database (any app process can serve any request). The cookie holds a random id;
 * the table holds only its hash.
 */
export class SessionStore {
  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    readonly idleSeconds: number,
    readonly absoluteSeconds: number,
  ) {}

  async create(userId: string, stage: SessionStage, pendingTotpSecretEnc: string | null = null): Promise<{ id: string; session: Session }> {
    const id = randomBytes(32).toString('base64url');
    const now = this.clock.now();
    const session: Session = {
      idHash: hashId(id), userId, stage, createdAt: now, lastSeenAt: now,
      expiresAt: new Date(now.getTime() + this.absoluteSeconds * 1000), pendingTotpSecretEnc,
    };
    await this.db.query(
      `INSERT INTO sessions (id_hash, user_id, stage, created_at, last_seen_at, expires_at, pending_totp_secret_enc)
       VALUES ($1,$2,$3,$4,$5,$6,$7)`,
      [session.idHash, userId, stage, now, now, session.expiresAt, pendingTotpSecretEnc],
    );
    return { id, session };
  }

  /** The live session for a cookie value, or why there is none. Expired sessions are deleted on sight. */
  async find(id: string): Promise<{ session: Session } | { expired: boolean }> {
    const rows = await this.db.query<{
      id_hash: string; user_id: string; stage: SessionStage; created_at: Date; last_seen_at: Date; expires_at: Date; pending_totp_secret_enc: string | null;
    }>('SELECT * FROM sessions WHERE id_hash = $1', [hashId(id)]);
    const r = rows[0];
    if (!r) return { expired: false };
    const session: Session = {
      idHash: r.id_hash, userId: r.user_id, stage: r.stage, createdAt: r.created_at, lastSeenAt: r.last_seen_at,
      expiresAt: r.expires_at, pendingTotpSecretEnc: r.pending_totp_secret_enc,
    };
    if (this.clock.now() >= this.idleExpiry(session) || this.clock.now() >= session.expiresAt) {
      await this.db.query('DELETE FROM sessions WHERE id_hash = $1', [r.id_hash]);
      return { expired: true };
    }
    return { session };
  }

  idleExpiry(session: Session): Date {
    return new Date(Math.min(session.lastSeenAt.getTime() + this.idleSeconds * 1000, session.expiresAt.getTime()));
  }

  async touch(session: Session): Promise<void> {
    const now = this.clock.now();
    session.lastSeenAt = now;
    await this.db.query('UPDATE sessions SET last_seen_at = $2 WHERE id_hash = $1', [session.idHash, now]);
  }

  async setPendingTotp(session: Session, secretEnc: string): Promise<void> {
    session.pendingTotpSecretEnc = secretEnc;
    await this.db.query('UPDATE sessions SET pending_totp_secret_enc = $2 WHERE id_hash = $1', [session.idHash, secretEnc]);
  }

  /** Sign-in completes: the pre-authentication session is destroyed and a new id issued (no session fixation). */
  async rotateToActive(session: Session): Promise<string> {
    await this.destroy(session.idHash);
    const { id } = await this.create(session.userId, 'active');
    return id;
  }

  async destroy(idHash: string): Promise<void> {
    await this.db.query('DELETE FROM sessions WHERE id_hash = $1', [idHash]);
  }
}
