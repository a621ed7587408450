import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as sass from 'sass';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const BUILD_DIR = path.join(ROOT, 'public/build');
const MANIFEST = path.join(BUILD_DIR, 'manifest.json');

const SOURCES = {
  'app.css': path.join(ROOT, 'src/platform/assets/app.scss'),
  'app.mjs': path.join(ROOT, 'src/platform/assets/app.mjs'),
};

export type AssetManifest = Record<string, string>;

function fingerprint(name: string, content: string | Buffer): string {
  const hash = createHash('sha256').update(content).digest('hex').slice(0, 10);
  const ext = path.extname(name);
  return `${path.basename(name, ext)}-${hash}${ext}`;
}

function stale(): boolean {
  if (!fs.existsSync(MANIFEST)) return true;
  const built = fs.statSync(MANIFEST).mtimeMs;
  return Object.values(SOURCES).some((src) => fs.statSync(src).mtimeMs > built);
}

/** Compiles styles and copies scripts into public/build with content-hashed names (long-cacheable). */
export function buildAssets(opts: { force?: boolean } = {}): AssetManifest {
  if (!opts.force && !stale()) return readManifest();
  fs.rmSync(BUILD_DIR, { recursive: true, force: true });
  fs.mkdirSync(BUILD_DIR, { recursive: true });
  const css = sass.compile(SOURCES['app.css'], { loadPaths: [ROOT], style: 'compressed', quietDeps: true, silenceDeprecations: ['import'] }).css;
  const js = fs.readFileSync(SOURCES['app.mjs'], 'utf8');
  const manifest: AssetManifest = {};
  for (const [name, content] of [['app.css', css], ['app.mjs', js]] as const) {
    const file = fingerprint(name, content);
    fs.writeFileSync(path.join(BUILD_DIR, file), content);
    manifest[name] = `/build/${file}`;
  }
  fs.writeFileSync(MANIFEST, JSON.stringify(manifest, null, 2));
  return manifest;
}

export function readManifest(): AssetManifest {
  return JSON.parse(fs.readFileSync(MANIFEST, 'utf8')) as AssetManifest;
}
