import { existsSync } from 'node:fs';
import { benchSidecar } from './sidecar';

/** `npm run bench`: prints figures; nothing here passes or fails on a number. */
async function main(): Promise<void> {
  console.log(`WOOM benchmarks, ${new Date().toISOString()}, node ${process.version}`);
  await benchSidecar();
  if (existsSync(new URL('./wp-hooks.ts', import.meta.url))) {
    const { benchWordPressHooks } = (await import('./wp-hooks')) as { benchWordPressHooks: () => Promise<void> };
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
