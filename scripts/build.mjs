#!/usr/bin/env node
// `npm run build`: the sidecar and its command-line tools as JavaScript in dist/, so `npm start` and the
// CLI start in well under a second instead of compiling TypeScript at every start (tsx stays for
// development and the tests). esbuild, not tsc: our sources import without file extensions, which Node's
// ES modules cannot resolve; a bundle per entry point has no relative imports left. Types are checked by
// `npm run typecheck`. Skipped when dist/ is newer than every source, so `prestart` costs nothing then.
import { build } from 'esbuild';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const entryPoints = ['sidecar/src/index.ts', 'sidecar/src/cli/woom.ts', 'sidecar/src/cli/migrate.ts', 'sidecar/src/cli/backtest.ts'];
const stamp = join(root, 'dist', '.built');

function newest(path) {
  const info = statSync(path);
  if (!info.isDirectory()) return info.mtimeMs;
  return Math.max(info.mtimeMs, ...readdirSync(path).map((name) => newest(join(path, name))));
}

const sources = ['sidecar/src', 'migrations', 'package.json', 'package-lock.json', 'scripts/build.mjs'].map((p) => join(root, p));
if (!process.argv.includes('--force') && existsSync(stamp) && statSync(stamp).mtimeMs >= Math.max(...sources.map(newest))) process.exit(0);

await build({
  absWorkingDir: root,
  entryPoints,
  outbase: 'sidecar/src',
  outdir: 'dist',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  // node_modules stay where npm put them: only our own code is bundled.
  packages: 'external',
  sourcemap: true,
  logLevel: 'warning',
});
const { writeFileSync } = await import('node:fs');
writeFileSync(stamp, new Date().toISOString());
