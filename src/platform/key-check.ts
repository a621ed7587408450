import type { Queryable } from '../db/database.ts';
import type { FieldCipher } from './crypto.ts';

const PROBE = 'tandem-encryption-key-check';
const context = (keyId: string) => ({ table: 'encryption_key_checks', column: 'probe', rowId: keyId });

/** The configured key ring cannot read what this database holds. Start-up stops with this message. */
export class KeyRingMismatchError extends Error {}

/**
 * Checks TANDEM_ENCRYPTION_KEYS against the database before serving: every key the database was written with must be
 * in the ring with the same key material. Then records a probe for the ring's current key, so a later change is caught.
 */
export async function checkKeyRing(db: Queryable, cipher: FieldCipher, now: Date): Promise<void> {
  const rows = await db.query<{ key_id: string; probe: string }>('SELECT key_id, probe FROM encryption_key_checks ORDER BY key_id');
  const missing: string[] = [];
  const different: string[] = [];
  for (const row of rows) {
    if (!cipher.hasKey(row.key_id)) {
      missing.push(row.key_id);
      continue;
    }
    let plain: string | undefined;
    try {
      plain = cipher.decrypt(row.probe, context(row.key_id));
    } catch {
      // GCM authentication fails: the same id names a different key
    }
    if (plain !== PROBE) different.push(row.key_id);
  }
  if (missing.length || different.length) {
    const parts = [
      ...(missing.length ? [`key(s) ${missing.map((k) => `"${k}"`).join(', ')} used to encrypt data in this database are not in TANDEM_ENCRYPTION_KEYS`] : []),
      ...(different.length ? [`key(s) ${different.map((k) => `"${k}"`).join(', ')} in TANDEM_ENCRYPTION_KEYS are not the keys this database was encrypted with`] : []),
    ];
    throw new KeyRingMismatchError(
      `${parts.join('; ')}.\nVictim identity and sign-in secrets could not be read. Start Tandem with the key ring this database was written with ` +
        '(add a new key in front of the old ones to rotate; never drop an old key while data still uses it).',
    );
  }
  const current = cipher.currentKeyId;
  await db.query('INSERT INTO encryption_key_checks (key_id, probe, created_at) VALUES ($1, $2, $3) ON CONFLICT (key_id) DO NOTHING', [
    current, cipher.encrypt(PROBE, context(current)), now,
  ]);
}
