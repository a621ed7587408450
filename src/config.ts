import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { loadOidcSettings, OidcConfigError, type OidcSettings } from './platform/auth/oidc-config.ts';

/** Runtime configuration, read once from the environment. */
export interface Config {
  env: 'production' | 'development' | 'test';
  port: number;
  host: string;
  /** When set, PostgreSQL; otherwise embedded PGlite in dataDir. */
  databaseUrl: string | undefined;
  dataDir: string;
  /** Key ring for application-level encryption of victim identity: id → 32-byte key. The first is used to encrypt. */
  encryptionKeys: { id: string; key: Buffer }[];
  sessionSecret: string;
  idleTimeoutSeconds: number;
  absoluteTimeoutSeconds: number;
  secureCookies: boolean;
  version: string;
  gitCommit: string;
  /** OpenID Connect single sign-on (none configured → local accounts only). */
  oidc: OidcSettings;
}

export class ConfigError extends Error {}

/**
 * TANDEM_ENCRYPTION_KEYS is a comma-separated list of `id:base64key` (32-byte keys); the first encrypts,
 * all decrypt, which is how keys are rotated.
 */
export function parseKeyRing(spec: string): Config['encryptionKeys'] {
  return spec
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((entry) => {
      const [id, b64] = entry.split(':');
      if (!id || !b64 || !/^[A-Za-z0-9_-]{1,16}$/.test(id)) {
        throw new ConfigError('TANDEM_ENCRYPTION_KEYS entries must look like "k1:<base64 32-byte key>"');
      }
      const key = Buffer.from(b64, 'base64');
      if (key.length !== 32) throw new ConfigError(`encryption key "${id}" must be 32 bytes (base64-encoded)`);
      return { id, key };
    });
}

// Development-only key, never valid in production: lets `npm start` run with no set-up.
const DEV_KEY = 'dev:' + Buffer.alloc(32, 7).toString('base64');

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const mode = env.NODE_ENV === 'production' ? 'production' : env.NODE_ENV === 'test' ? 'test' : 'development';
  const production = mode === 'production';
  const keysSpec = env.TANDEM_ENCRYPTION_KEYS ?? (production ? '' : DEV_KEY);
  if (!keysSpec) throw new ConfigError('TANDEM_ENCRYPTION_KEYS is required in production (victim identity is encrypted with it)');
  const encryptionKeys = parseKeyRing(keysSpec);
  if (production && encryptionKeys.some((k) => k.id === 'dev')) throw new ConfigError('the development encryption key must not be used in production');
  const sessionSecret = env.TANDEM_SESSION_SECRET ?? (production ? '' : randomBytes(32).toString('hex'));
  if (!sessionSecret || sessionSecret.length < 32) throw new ConfigError('TANDEM_SESSION_SECRET (32+ characters) is required in production');
  const port = Number(env.PORT ?? 3000);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new ConfigError(`PORT must be a port number, got "${env.PORT}"`);
  let oidc: OidcSettings;
  try {
    oidc = loadOidcSettings(env);
  } catch (err) {
    throw err instanceof OidcConfigError ? new ConfigError(err.message) : err;
  }
  return {
    env: mode,
    port,
    host: env.HOST ?? '0.0.0.0',
    databaseUrl: env.DATABASE_URL || undefined,
    dataDir: path.resolve(env.TANDEM_DATA_DIR ?? './data'),
    encryptionKeys,
    sessionSecret,
    idleTimeoutSeconds: Number(env.TANDEM_IDLE_TIMEOUT_SECONDS ?? 30 * 60),
    absoluteTimeoutSeconds: Number(env.TANDEM_ABSOLUTE_TIMEOUT_SECONDS ?? 12 * 60 * 60),
    secureCookies: env.TANDEM_SECURE_COOKIES ? env.TANDEM_SECURE_COOKIES === 'true' : production,
    version: env.npm_package_version ?? '0.1.0',
    gitCommit: env.GIT_COMMIT ?? '',
    oidc,
  };
}
