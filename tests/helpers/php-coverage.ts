/**
 * vitest's global set-up: when the run measures coverage (`npm test`), the bridge's PHP is measured too.
 * It points WOOM_PHP_COVERAGE_DIR at an empty folder before the test files start (the test sites' PHP
 * inherits it, see scripts/lib/wordpress.ts), and at the end adds up what every PHP process wrote there:
 * a line counts as covered when any request ran it. It prints the figure and writes the per-file table to
 * test-artifacts/coverage/php-coverage.txt. Without Debian's php-pcov nothing is written and it says so.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { TestProject } from 'vitest/node';

const REPO = join(import.meta.dirname, '..', '..');
const OUT = join(REPO, 'test-artifacts', 'coverage');
const RAW = join(OUT, 'php-raw');

/** Every PHP file of the bridge, so that a file no test loaded counts as not covered rather than vanishing. */
function bridgeFiles(dir = join(REPO, 'wp-bridge')): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? bridgeFiles(join(dir, entry.name)) : entry.name.endsWith('.php') ? [join(dir, entry.name)] : [],
  );
}

export function summarisePhpCoverage(rawDir: string): { lines: Map<string, Map<number, boolean>>; files: number } {
  const lines = new Map<string, Map<number, boolean>>();
  let files = 0;
  for (const name of existsSync(rawDir) ? readdirSync(rawDir) : []) {
    let data: Record<string, Record<string, number>>;
    try {
      data = JSON.parse(readFileSync(join(rawDir, name), 'utf8')) as Record<string, Record<string, number>>;
    } catch {
      continue; // a process killed while writing: its lines are lost, the figure is a little low
    }
    files += 1;
    for (const [file, hits] of Object.entries(data)) {
      const seen = lines.get(file) ?? new Map<number, boolean>();
      for (const [line, hit] of Object.entries(hits)) seen.set(Number(line), seen.get(Number(line)) === true || hit > 0);
      lines.set(file, seen);
    }
  }
  return { lines, files };
}

export default function setup(project: TestProject): (() => void) | undefined {
  if (!project.config.coverage.enabled) return undefined;
  rmSync(RAW, { recursive: true, force: true });
  mkdirSync(RAW, { recursive: true });
  process.env.WOOM_PHP_COVERAGE_DIR = RAW;
  return () => {
    const { lines, files } = summarisePhpCoverage(RAW);
    if (files === 0) {
      console.log('\nPHP coverage of wp-bridge/: not measured (no PHP test ran, or php-pcov is not installed)');
      return;
    }
    let covered = 0;
    let total = 0;
    const rows: string[] = [];
    for (const file of bridgeFiles()) {
      const seen = lines.get(file);
      const n = seen ? seen.size : 0;
      const c = seen ? [...seen.values()].filter(Boolean).length : 0;
      covered += c;
      total += n;
      rows.push(`${relative(REPO, file).padEnd(48)} ${seen ? `${((100 * c) / Math.max(n, 1)).toFixed(1).padStart(5)}% (${c}/${n})` : 'never loaded'}`);
    }
    // pcov knows a file's lines only once it is loaded: files no test loaded are named, not counted.
    const unloaded = rows.filter((row) => row.endsWith('never loaded')).length;
    const summary =
      `PHP coverage of wp-bridge/: lines ${((100 * covered) / Math.max(total, 1)).toFixed(2)}% (${covered}/${total}) of the files loaded, ` +
      `${unloaded} of ${rows.length} files never loaded, from ${files} PHP processes`;
    writeFileSync(join(OUT, 'php-coverage.txt'), `${summary}\n\n${rows.join('\n')}\n`);
    rmSync(RAW, { recursive: true, force: true });
    console.log(`\n${summary} (per file: test-artifacts/coverage/php-coverage.txt)`);
  };
}
