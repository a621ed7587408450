import { describe, expect, it } from 'vitest';
import { parseKeyRing, loadConfig, ConfigError } from '../config.ts';
import { FieldCipher } from './crypto.ts';

const k1 = { id: 'k1', key: Buffer.alloc(32, 1) };
const k2 = { id: 'k2', key: Buffer.alloc(32, 2) };
const at = { table: 'victims', column: 'name', rowId: 'row-1' };

describe('victim identity encryption', () => {
  it('round-trips, prefixes the key id, and uses a fresh IV each time', () => {
    const c = new FieldCipher([k1]);
    const a = c.encrypt('Amelia', at);
    expect(a.startsWith('k1:')).toBe(true);
    expect(a).not.toBe(c.encrypt('Amelia', at));
    expect(c.decrypt(a, at)).toBe('Amelia');
  });

  it('refuses a ciphertext moved to another row or column (AAD binding) or tampered with', () => {
    const c = new FieldCipher([k1]);
    const a = c.encrypt('Amelia', at);
    expect(() => c.decrypt(a, { ...at, rowId: 'row-2' })).toThrow();
    expect(() => c.decrypt(a, { ...at, column: 'contact' })).toThrow();
    const raw = Buffer.from(a.slice(3), 'base64');
    raw[raw.length - 1]! ^= 1;
    expect(() => c.decrypt(`k1:${raw.toString('base64')}`, at)).toThrow();
  });

  it('reads values written under an old key after rotation and flags them for re-encryption', () => {
    const old = new FieldCipher([k1]).encrypt('Amelia', at);
    const rotated = new FieldCipher([k2, k1]);
    expect(rotated.decrypt(old, at)).toBe('Amelia');
    expect(rotated.needsRotation(old)).toBe(true);
    expect(rotated.needsRotation(rotated.encrypt('x', at))).toBe(false);
    expect(() => new FieldCipher([k2]).decrypt(old, at)).toThrow(/no key/);
  });

  it('fails fast in production without a key, or with the development key', () => {
    expect(() => loadConfig({ NODE_ENV: 'production', TANDEM_SESSION_SECRET: 'x'.repeat(40) })).toThrow(ConfigError);
    expect(() => loadConfig({ NODE_ENV: 'production', TANDEM_SESSION_SECRET: 'x'.repeat(40), TANDEM_ENCRYPTION_KEYS: `dev:${Buffer.alloc(32).toString('base64')}` })).toThrow(/development encryption key/);
    expect(() => parseKeyRing('k1:c2hvcnQ=')).toThrow(/32 bytes/);
    const ok = loadConfig({ NODE_ENV: 'production', TANDEM_SESSION_SECRET: 'x'.repeat(40), TANDEM_ENCRYPTION_KEYS: `k9:${Buffer.alloc(32, 3).toString('base64')}` });
    expect(ok.encryptionKeys[0]!.id).toBe('k9');
    expect(ok.secureCookies).toBe(true);
  });
});
