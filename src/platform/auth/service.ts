import type { Db } from '../../db/database.ts';
import type { AuditLog } from '../audit.ts';
import type { Clock } from '../clock.ts';
import type { FieldCipher } from '../crypto.ts';
import { IdentityRepository } from '../identity.ts';
import type { Session, SessionStore } from '../sessions.ts';
import { dummyHash, verifyPassword } from './passwords.ts';
import { newTotpSecret, verifyTotp } from './totp.ts';

/** Consecutive failures (password or code) before an account is locked, and for how long. */
export const LOCK_AFTER_FAILURES = 5;
export const LOCK_MINUTES = 15;
/** Sign-in attempts allowed from one client address in an hour, whatever the account. */
export const CLIENT_ATTEMPTS_PER_HOUR = 100;

export type SignInResult =
  | { ok: true; sessionId: string; next: 'second_factor' | 'enrol' }
  | { ok: false; reason: 'invalid' | 'locked' | 'rate_limited' };

const totpContext = (userId: string) => ({ table: 'users', column: 'totp_secret', rowId: userId });

export class AuthService {
  private readonly identity: IdentityRepository;
  constructor(
    private readonly db: Db,
    private readonly sessions: SessionStore,
    private readonly cipher: FieldCipher,
    private readonly audit: AuditLog,
    private readonly clock: Clock,
  ) {
    this.identity = new IdentityRepository(db);
  }

  private async clientLimited(client: string): Promise<boolean> {
    const since = new Date(this.clock.now().getTime() - 3600_000);
    const rows = await this.db.query<{ n: number }>('SELECT count(*)::int AS n FROM sign_in_attempts WHERE client = $1 AND at > $2', [client, since]);
    return (rows[0]?.n ?? 0) >= CLIENT_ATTEMPTS_PER_HOUR;
  }

  private async noteAttempt(username: string, client: string, succeeded: boolean) {
    await this.db.query('INSERT INTO sign_in_attempts (username, client, at, succeeded) VALUES ($1,$2,$3,$4)', [username.toLowerCase(), client, this.clock.now(), succeeded]);
  }

  private async fail(userId: string | undefined, username: string, client: string, stage: string): Promise<SignInResult> {
    await this.noteAttempt(username, client, false);
    let locked = false;
    if (userId) {
      const lockUntil = new Date(this.clock.now().getTime() + LOCK_MINUTES * 60_000);
      locked = (await this.identity.recordFailure(userId, LOCK_AFTER_FAILURES, lockUntil)).locked;
    }
    await this.audit.record({ actorUserId: userId ?? null, action: 'sign-in', outcome: 'failed', detail: { stage, locked } });
    return { ok: false, reason: locked ? 'locked' : 'invalid' };
  }

  private isLocked(user: { locked_until: Date | null }): boolean {
    return !!user.locked_until && user.locked_until > this.clock.now();
  }

  /** First factor. On success a pre-authentication session that can only complete the second factor. */
  async signIn(username: string, password: string, client: string): Promise<SignInResult> {
    if (await this.clientLimited(client)) return { ok: false, reason: 'rate_limited' };
    const user = await this.identity.findByUsername(username);
    if (!user || !user.active) {
      await verifyPassword(await dummyHash(), password);
      return this.fail(undefined, username, client, 'password');
    }
    if (this.isLocked(user)) {
      await this.noteAttempt(username, client, false);
      await this.audit.record({ actorUserId: user.id, action: 'sign-in', outcome: 'denied', detail: { stage: 'password', reason: 'locked' } });
      return { ok: false, reason: 'locked' };
    }
    if (!(await verifyPassword(user.password_hash, password))) return this.fail(user.id, username, client, 'password');
    const next = user.totp_enrolled_at && user.totp_secret_enc ? 'second_factor' : 'enrol';
    const { id } = await this.sessions.create(user.id, next);
    return { ok: true, sessionId: id, next };
  }

  /** Second factor. On success the session is rotated to a new, fully signed-in one. */
  async verifySecondFactor(session: Session, code: string, client: string): Promise<SignInResult | { ok: true; sessionId: string }> {
    const user = await this.identity.findById(session.userId);
    if (!user || !user.active || !user.totp_secret_enc) return { ok: false, reason: 'invalid' };
    if (await this.clientLimited(client)) return { ok: false, reason: 'rate_limited' };
    if (this.isLocked(user)) {
      await this.sessions.destroy(session.idHash);
      return { ok: false, reason: 'locked' };
    }
    const secret = this.cipher.decrypt(user.totp_secret_enc, totpContext(user.id));
    if (!verifyTotp(secret, code, this.clock)) {
      const r = await this.fail(user.id, user.username, client, 'second_factor');
      if (!r.ok && r.reason === 'locked') await this.sessions.destroy(session.idHash);
      return r;
    }
    return this.complete(session, user.id, user.username, client);
  }

  private async complete(session: Session, userId: string, username: string, client: string) {
    await this.noteAttempt(username, client, true);
    await this.identity.clearFailures(userId);
    const sessionId = await this.sessions.rotateToActive(session);
    await this.audit.record({ actorUserId: userId, action: 'sign-in', outcome: 'allowed' });
    return { ok: true as const, sessionId };
  }

  /** The secret being enrolled lives, encrypted, on the pre-authentication session until a code proves it. */
  async enrolmentSecret(session: Session): Promise<string> {
    if (session.pendingTotpSecretEnc) return this.cipher.decrypt(session.pendingTotpSecretEnc, { table: 'sessions', column: 'pending_totp_secret', rowId: session.idHash });
    const secret = newTotpSecret();
    await this.sessions.setPendingTotp(session, this.cipher.encrypt(secret, { table: 'sessions', column: 'pending_totp_secret', rowId: session.idHash }));
    return secret;
  }

  async completeEnrolment(session: Session, code: string, client: string): Promise<SignInResult | { ok: true; sessionId: string }> {
    const user = await this.identity.findById(session.userId);
    if (!user || !user.active) return { ok: false, reason: 'invalid' };
    if (this.isLocked(user)) return { ok: false, reason: 'locked' };
    const secret = await this.enrolmentSecret(session);
    if (!verifyTotp(secret, code, this.clock)) return this.fail(user.id, user.username, client, 'enrol');
    await this.identity.setTotp(user.id, this.cipher.encrypt(secret, totpContext(user.id)), this.clock.now());
    await this.audit.record({ actorUserId: user.id, action: 'totp-enrolled', outcome: 'allowed' });
    return this.complete(session, user.id, user.username, client);
  }

  encryptTotpSecret(userId: string, secret: string): string {
    return this.cipher.encrypt(secret, totpContext(userId));
  }
}
