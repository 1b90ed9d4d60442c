/** `php -l` on every PHP file of the bridge and of the WooCommerce stand-in. */
import { execFile } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { BRIDGE_DIR, REPO_ROOT, STANDIN_DIR } from '../helpers/wordpress';

const run = promisify(execFile);

async function phpFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries.filter((e) => e.isFile() && e.name.endsWith('.php')).map((e) => join(e.parentPath, e.name));
}

describe('php -l', () => {
  it('finds no syntax error in wp-bridge/ or the WooCommerce stand-in', async () => {
    const files = [...(await phpFiles(BRIDGE_DIR)), ...(await phpFiles(STANDIN_DIR))];
    expect(files.length).toBeGreaterThan(10);
    const failures: string[] = [];
    for (const file of files) {
      try {
        await run('php', ['-d', 'display_errors=1', '-l', file]);
      } catch (error) {
        const e = error as { stdout?: string; stderr?: string; message: string };
        failures.push(`${relative(REPO_ROOT, file)}: ${(e.stdout ?? '') + (e.stderr ?? '') || e.message}`);
      }
    }
    expect(failures).toEqual([]);
  });

  it('declares strict types in every bridge source file and keeps classes in the Woom\\Bridge namespace', async () => {
    const { readFile } = await import('node:fs/promises');
    const problems: string[] = [];
    for (const file of await phpFiles(join(BRIDGE_DIR, 'src'))) {
      const source = await readFile(file, 'utf8');
      if (!source.includes('declare(strict_types=1);')) problems.push(`${relative(REPO_ROOT, file)}: no strict_types`);
      if (!/^namespace Woom\\Bridge(\\[A-Za-z]+)?;$/m.test(source)) problems.push(`${relative(REPO_ROOT, file)}: not in Woom\\Bridge`);
    }
    expect(problems).toEqual([]);
  });
});
