import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/**
 * Application-level field encryption for victim identity: AES-256-GCM (Node's OpenSSL), a fresh 96-bit IV per
 * value, and the table/column/row id bound as additional authenticated data, so a ciphertext copied to another
 * row or column fails to decrypt. Stored form: "<key id>:<base64(iv ‖ tag ‖ ciphertext)>"; the key id prefix lets
 * old values be read after the key ring is rotated.
 */
export interface FieldContext {
  table: string;
  column: string;
  rowId: string;
}

export class FieldCipher {
  private readonly keys: Map<string, Buffer>;
  private readonly current: { id: string; key: Buffer };

  constructor(keyRing: { id: string; key: Buffer }[]) {
    const first = keyRing[0];
    if (!first) throw new Error('at least one encryption key is required');
    this.current = first;
    this.keys = new Map(keyRing.map((k) => [k.id, k.key]));
  }

  /** Whether the ring holds a key with this id (it may still be a different key under the same id). */
  hasKey(id: string): boolean {
    return this.keys.has(id);
  }

  /** The id of the key new values are encrypted with (the first in the ring). */
  get currentKeyId(): string {
    return this.current.id;
  }

  encrypt(plaintext: string, ctx: FieldContext): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.current.key, iv);
    cipher.setAAD(aad(ctx));
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return `${this.current.id}:${Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64')}`;
  }

  decrypt(stored: string, ctx: FieldContext): string {
    const sep = stored.indexOf(':');
    const key = sep > 0 ? this.keys.get(stored.slice(0, sep)) : undefined;
    if (!key) throw new Error(`no key for encrypted value in ${ctx.table}.${ctx.column} (key id "${stored.slice(0, Math.max(sep, 0))}")`);
    const raw = Buffer.from(stored.slice(sep + 1), 'base64');
    const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, 12));
    decipher.setAAD(aad(ctx));
    decipher.setAuthTag(raw.subarray(12, 28));
    return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8');
  }

  encryptJson(value: unknown, ctx: FieldContext): string {
    return this.encrypt(JSON.stringify(value), ctx);
  }

  decryptJson<T>(stored: string, ctx: FieldContext): T {
    return JSON.parse(this.decrypt(stored, ctx)) as T;
  }

  /** True when the value was written with an older key and should be re-encrypted (key rotation). */
  needsRotation(stored: string): boolean {
    return !stored.startsWith(`${this.current.id}:`);
  }
}

function aad(ctx: FieldContext): Buffer {
  return Buffer.from(`${ctx.table}\u0000${ctx.column}\u0000${ctx.rowId}`, 'utf8');
}
