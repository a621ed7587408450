import type { Queryable } from '../db/database.ts';
import { hashPassword } from '../platform/auth/passwords.ts';
import type { FieldCipher } from '../platform/crypto.ts';
import { IdentityRepository } from '../platform/identity.ts';
import type { Role } from '../platform/principal.ts';

/** Demo only: everyone shares this password and TOTP secret, printed at start-up. Never used outside --demo. */
export const DEMO_PASSWORD = 'rasso-demo-2026';
export const DEMO_TOTP_SECRET = 'KVKFKRCPNZQUYMLXOVYDSQKJKZDTSRLD';

export interface DemoUser { username: string; displayName: string; organisationId: string; roles: Role[]; enrolled: boolean; note: string }

export const DEMO_ORGANISATIONS = [
  { id: 'isva-wessex-sv', kind: 'isva_service', name: 'Wessex Sexual Violence Support (ISVA service)' },
  { id: 'panel-hampshire', kind: 'panel', name: 'Hampshire and Isle of Wight joint rape scrutiny panel' },
] as const;

export const DEMO_USERS: DemoUser[] = [
  { username: 'investigator', displayName: 'DC Sam Patel', organisationId: 'force-hampshire-and-isle-of-wight', roles: ['investigator'], enrolled: true, note: 'police investigator, Hampshire and Isle of Wight' },
  { username: 'supervisor', displayName: 'DS Alex Morgan', organisationId: 'force-hampshire-and-isle-of-wight', roles: ['police_supervisor'], enrolled: true, note: 'police supervisor, Hampshire and Isle of Wight' },
  { username: 'kent.investigator', displayName: 'DC Jo Fraser', organisationId: 'force-kent', roles: ['investigator'], enrolled: true, note: 'police investigator, Kent (another force)' },
  { username: 'prosecutor', displayName: 'Priya Shah', organisationId: 'rasso-wessex', roles: ['prosecutor'], enrolled: true, note: 'RASSO prosecutor, CPS Wessex' },
  { username: 'dcp', displayName: 'Chris Evans', organisationId: 'rasso-wessex', roles: ['district_crown_prosecutor'], enrolled: true, note: 'District Crown Prosecutor, CPS Wessex' },
  { username: 'paralegal', displayName: 'Lee Turner', organisationId: 'rasso-wessex', roles: ['paralegal'], enrolled: true, note: 'paralegal, CPS Wessex' },
  { username: 'vlo', displayName: 'Morgan Hughes', organisationId: 'rasso-wessex', roles: ['vlo'], enrolled: true, note: 'Victim Liaison Officer, CPS Wessex (worklist, pre-trial meetings, letters)' },
  { username: 'isva', displayName: 'Jordan Reid', organisationId: 'isva-wessex-sv', roles: ['isva'], enrolled: true, note: 'ISVA, Wessex Sexual Violence Support (victims who consented, ISVA mailbox)' },
  { username: 'panel', displayName: 'Casey Lloyd', organisationId: 'panel-hampshire', roles: ['panel_member'], enrolled: true, note: 'community scrutiny panel member' },
  { username: 'analyst', displayName: 'Robin Hall', organisationId: 'national', roles: ['analyst'], enrolled: true, note: 'performance analyst' },
  { username: 'lead', displayName: 'Dana Price', organisationId: 'national', roles: ['national_lead'], enrolled: true, note: 'national lead' },
  { username: 'admin', displayName: 'Taylor Green', organisationId: 'national', roles: ['admin'], enrolled: true, note: 'administrator (audit, reference data)' },
  { username: 'new.starter', displayName: 'DC Ash Kumar', organisationId: 'force-hampshire-and-isle-of-wight', roles: ['investigator'], enrolled: false, note: 'investigator who has not set up an authenticator app (shows enrolment)' },
];

/** Creates the demo organisations and users (idempotent: skips existing usernames). Returns user ids by username. */
export async function createDemoUsers(db: Queryable, cipher: FieldCipher, now: Date): Promise<Record<string, string>> {
  for (const o of DEMO_ORGANISATIONS) {
    await db.query('INSERT INTO organisations (id, kind, name) VALUES ($1,$2,$3) ON CONFLICT (id) DO NOTHING', [o.id, o.kind, o.name]);
  }
  const identity = new IdentityRepository(db);
  const passwordHash = await hashPassword(DEMO_PASSWORD);
  const ids: Record<string, string> = {};
  for (const u of DEMO_USERS) {
    const existing = await identity.findByUsername(u.username);
    if (existing) {
      ids[u.username] = existing.id;
      continue;
    }
    const id = crypto.randomUUID();
    ids[u.username] = await identity.create({
      id, username: u.username, displayName: u.displayName, email: `${u.username}@demo.tandem.invalid`, organisationId: u.organisationId, passwordHash, roles: u.roles,
      totpSecretEnc: u.enrolled ? cipher.encrypt(DEMO_TOTP_SECRET, { table: 'users', column: 'totp_secret', rowId: id }) : null,
      totpEnrolledAt: u.enrolled ? now : null,
    });
  }
  return ids;
}
