/** Debian's Chromium, headless, with nothing that reaches outside 127.0.0.1. Never downloads a browser. */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export async function launchChromium(): Promise<import('playwright-core').Browser> {
  const { chromium } = await import('playwright-core');
  return chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
}

/** A page in a fresh context whose requests to anything but 127.0.0.1 (gravatar, ...) are aborted. */
export async function newLocalPage(browser: import('playwright-core').Browser): Promise<import('playwright-core').Page> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  await context.route(/^(?!https?:\/\/127\.0\.0\.1[:/])/, (route) => route.abort());
  return context.newPage();
}

/**
 * Loads axe-core into the page through the DevTools protocol: the sidecar's pages forbid inline script
 * (Content-Security-Policy), and a script tag would be refused like any other.
 */
export async function injectAxe(page: import('playwright-core').Page, source: string): Promise<void> {
  await page.evaluate(source);
}
