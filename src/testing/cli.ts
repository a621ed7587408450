import { spawn } from 'node:child_process';
import path from 'node:path';

/** bin/tandem.mjs, the command operators run. */
export const TANDEM_BIN = path.resolve(import.meta.dirname, '../../bin/tandem.mjs');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs `tandem <args>` in its own process, as an operator would, and collects what it prints. The environment is the
 * test's own with NODE_ENV=development, then `env` on top (pass DATABASE_URL: '' to force the embedded database).
 */
export function runTandem(args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [TANDEM_BIN, ...args], { env: { ...process.env, NODE_ENV: 'development', ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}
