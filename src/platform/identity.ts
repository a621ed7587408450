import { randomUUID } from 'node:crypto';
import type { Queryable } from '../db/database.ts';
import type { OrganisationKind, Principal, Role } from './principal.ts';

export interface UserRecord {
  id: string;
  username: string;
  display_name: string;
  email: string;
  organisation_id: string;
  password_hash: string;
  totp_secret_enc: string | null;
  totp_enrolled_at: Date | null;
  failed_attempts: number;
  locked_until: Date | null;
  active: boolean;
}

/** Users, their organisations and roles. */
export class IdentityRepository {
  constructor(private readonly db: Queryable) {}

  async findByUsername(username: string): Promise<UserRecord | undefined> {
    const rows = await this.db.query<UserRecord>('SELECT * FROM users WHERE lower(username) = lower($1)', [username]);
    return rows[0];
  }

  async findById(id: string): Promise<UserRecord | undefined> {
    const rows = await this.db.query<UserRecord>('SELECT * FROM users WHERE id = $1', [id]);
    return rows[0];
  }

  async principal(userId: string): Promise<Principal | undefined> {
    const rows = await this.db.query<{
      id: string; username: string; display_name: string; active: boolean;
      org_id: string; org_kind: OrganisationKind; org_name: string; force_id: string | null; cps_area_id: string | null;
      roles: Role[] | null;
    }>(
      `SELECT u.id, u.username, u.display_name, u.active, o.id AS org_id, o.kind AS org_kind, o.name AS org_name,
              o.force_id, o.cps_area_id,
              (SELECT array_agg(r.role ORDER BY r.role) FROM user_roles r WHERE r.user_id = u.id) AS roles
         FROM users u JOIN organisations o ON o.id = u.organisation_id
        WHERE u.id = $1`,
      [userId],
    );
    const r = rows[0];
    if (!r || !r.active) return undefined;
    return {
      userId: r.id,
      username: r.username,
      displayName: r.display_name,
      organisation: { id: r.org_id, kind: r.org_kind, name: r.org_name, forceId: r.force_id, cpsAreaId: r.cps_area_id },
      roles: r.roles ?? [],
    };
  }

  async create(user: {
    id?: string; username: string; displayName: string; email: string; organisationId: string; passwordHash: string;
    roles: Role[]; totpSecretEnc?: string | null; totpEnrolledAt?: Date | null;
  }): Promise<string> {
    const id = user.id ?? randomUUID();
    await this.db.query(
      `INSERT INTO users (id, username, display_name, email, organisation_id, password_hash, totp_secret_enc, totp_enrolled_at)
       VALUES ($1,$2,$3,$4,$5,$6,$7,$8)`,
      [id, user.username, user.displayName, user.email, user.organisationId, user.passwordHash, user.totpSecretEnc ?? null, user.totpEnrolledAt ?? null],
    );
    for (const role of user.roles) await this.db.query('INSERT INTO user_roles (user_id, role) VALUES ($1,$2)', [id, role]);
    return id;
  }

  async setTotp(userId: string, secretEnc: string, at: Date): Promise<void> {
    await this.db.query('UPDATE users SET totp_secret_enc = $2, totp_enrolled_at = $3, version = version + 1 WHERE id = $1', [userId, secretEnc, at]);
  }

  async recordFailure(userId: string, lockAfter: number, lockUntil: Date): Promise<{ locked: boolean }> {
    const rows = await this.db.query<{ failed_attempts: number }>(
      `UPDATE users SET failed_attempts = failed_attempts + 1,
              locked_until = CASE WHEN failed_attempts + 1 >= $2 THEN $3::timestamptz ELSE locked_until END
        WHERE id = $1 RETURNING failed_attempts`,
      [userId, lockAfter, lockUntil],
    );
    return { locked: (rows[0]?.failed_attempts ?? 0) >= lockAfter };
  }

  async clearFailures(userId: string): Promise<void> {
    await this.db.query('UPDATE users SET failed_attempts = 0, locked_until = NULL WHERE id = $1', [userId]);
  }

  /** People who can be put on a case team: police of the force and CPS staff of the Area. */
  async teamCandidates(forceId: string, cpsAreaId: string) {
    return this.db.query<{ id: string; display_name: string; username: string; organisation_name: string; roles: Role[] }>(
      `SELECT u.id, u.display_name, u.username, o.name AS organisation_name,
              (SELECT array_agg(r.role ORDER BY r.role) FROM user_roles r WHERE r.user_id = u.id) AS roles
         FROM users u JOIN organisations o ON o.id = u.organisation_id
        WHERE u.active AND ((o.kind = 'force' AND o.force_id = $1) OR (o.kind = 'rasso_unit' AND o.cps_area_id = $2))
          AND EXISTS (SELECT 1 FROM user_roles r WHERE r.user_id = u.id
                       AND r.role IN ('investigator','police_supervisor','prosecutor','district_crown_prosecutor','paralegal','vlo'))
        ORDER BY o.kind, u.display_name`,
      [forceId, cpsAreaId],
    );
  }

  async listUsers() {
    return this.db.query<{ id: string; username: string; display_name: string }>('SELECT id, username, display_name FROM users ORDER BY username');
  }
}
