import { existsSync } from 'node:fs';
import { benchConsole } from './console';
import { benchStatusPage } from './pages';
import { benchSidecar } from './sidecar';
import { benchRules } from './rules';
import { benchDigest } from './digest';

/** `npm run bench`: prints figures; nothing here passes or fails on a number. */
async function main(): Promise<void> {
  console.log(`WOOM benchmarks, ${new Date().toISOString()}, node ${process.version}`);
  await benchSidecar();
  await benchStatusPage();
  await benchRules();
  await benchDigest();
  await benchConsole();
  const wordpress = new URL('./wp-hooks.ts', import.meta.url);
  if (existsSync(wordpress)) {
    const { benchWordPressHooks } = (await import(wordpress.href)) as { benchWordPressHooks: () => Promise<void> };
    await benchWordPressHooks();
  }
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
