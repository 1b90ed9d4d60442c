/**
 * The tests' door to a real WordPress with the real WooCommerce: the starter itself lives in
 * scripts/lib/wordpress.ts (the demo and the hook benchmark use it too); the browser and polling helpers
 * the WordPress tests share are added here.
 */
import type { WordPressHandle } from '../../scripts/lib/wordpress';

export * from '../../scripts/lib/wordpress';
export { CHROMIUM_ARGS, launchChromium, newLocalPage } from './browser';

/**
 * Logs a user in through wp-login.php, the way its form posts, on the page's own context: the context
 * keeps the cookies, so the page is signed in. The form is posted without rendering the dashboard it
 * redirects to: WooCommerce's dashboard and its scripts made this step the slowest of a busy run (a CI run
 * once waited 90 s for it), and no test looks at that dashboard without opening it itself.
 */
export async function logIn(page: import('playwright-core').Page, wp: WordPressHandle, user: { login: string; password: string }): Promise<void> {
  const api = page.context().request;
  // wp-login.php refuses a post that comes without its test cookie ("Cookies are blocked"); a GET sets it.
  const form = await api.get(`${wp.url}/wp-login.php`, { timeout: 120_000 });
  if (form.status() !== 200) throw new Error(`wp-login.php answered ${form.status()}`);
  const res = await api.post(`${wp.url}/wp-login.php`, {
    form: { log: user.login, pwd: user.password, 'wp-submit': 'Log In', redirect_to: `${wp.url}/wp-admin/`, testcookie: '1' },
    maxRedirects: 0,
    failOnStatusCode: false,
    timeout: 120_000,
  });
  const location = res.headers()['location'] ?? '';
  if (res.status() !== 302 || !location.includes('/wp-admin/')) {
    const error = /<div id="login_error"[^>]*>([\s\S]*?)<\/div>/.exec(await res.text())?.[1]?.replace(/<[^>]+>/g, '').trim();
    throw new Error(`logging in as ${user.login} failed: ${res.status()} ${location} ${error ?? ''}`);
  }
  const cookies = await page.context().cookies(wp.url);
  if (!cookies.some((c) => c.name.startsWith('wordpress_logged_in_'))) throw new Error(`logging in as ${user.login} set no logged-in cookie`);
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
