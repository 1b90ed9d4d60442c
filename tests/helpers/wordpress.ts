/**
 * The tests' door to a real WordPress with the real WooCommerce: the starter itself lives in
 * scripts/lib/wordpress.ts (the demo and the hook benchmark use it too); the browser and polling helpers
 * the WordPress tests share are added here.
 */
import type { WordPressHandle } from '../../scripts/lib/wordpress';

export * from '../../scripts/lib/wordpress';
export { CHROMIUM_ARGS, launchChromium, newLocalPage } from './browser';

/** Logs a user in through wp-login.php; the page's context keeps the cookies. */
export async function logIn(page: import('playwright-core').Page, wp: WordPressHandle, user: { login: string; password: string }): Promise<void> {
  await page.goto(`${wp.url}/wp-login.php`);
  await page.fill('#user_login', user.login);
  await page.fill('#user_pass', user.password);
  // WooCommerce's dashboard is heavy on a busy 2-core machine: the page counts as there once its DOM is.
  await Promise.all([page.waitForURL(/\/wp-admin\//, { timeout: 90_000, waitUntil: 'domcontentloaded' }), page.click('#wp-submit')]);
}

/** Polls `check` until it returns a value (not undefined), at most `timeoutMs`; `poke` runs between tries. */
export async function eventually<T>(
  what: string,
  check: () => Promise<T | undefined>,
  o: { timeoutMs?: number; intervalMs?: number; poke?: () => Promise<unknown> } = {},
): Promise<T> {
  const deadline = Date.now() + (o.timeoutMs ?? 30_000);
  let last: unknown;
  for (let attempt = 0; Date.now() < deadline && attempt < 10_000; attempt++) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    if (o.poke) await o.poke().catch((error: unknown) => (last = error));
    await new Promise((r) => setTimeout(r, o.intervalMs ?? 250));
  }
  throw new Error(`Timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
}
