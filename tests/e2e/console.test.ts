import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { injectAxe, launchChromium, newLocalPage } from '../helpers/browser';
import { signed, orderEvent } from '../helpers/signing';
import { startSidecar, type SidecarHandle } from '../helpers/sidecar';

const ARTIFACTS = join(process.cwd(), 'test-artifacts', 'console');
const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
let sidecar: SidecarHandle;
let browser: Browser;

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  sidecar = await startSidecar();
  await sidecar.container.operatorAccounts.add({ email: 'admin@example.com', role: 'admin', password: 'a long enough password' });
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  await sidecar?.close();
});

async function seriousViolations(page: Page): Promise<string[]> {
  await injectAxe(page, AXE);
  const result = (await page.evaluate(async () => (globalThis as unknown as { axe: { run(): Promise<unknown> } }).axe.run())) as { violations: Array<{ id: string; impact: string }> };
  return result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => v.id);
}

describe('console in Chromium', () => {
  it('signs in, turns a store critical without a reload within 5 s of its failed orders, and back to OK', async () => {
    const shop = await sidecar.addStore({ name: 'Browser Shop', url: 'https://browser.example', timezone: 'UTC', settings: { mode: 'rolling_average', check_interval_minutes: 1440 } });
    await sidecar.addStore({ name: 'Calm Shop', url: 'https://calm.example', timezone: 'UTC' });
    const page = await newLocalPage(browser);
    await page.goto(`${sidecar.url}/console`);
    await page.fill('#email', 'admin@example.com');
    await page.fill('#password', 'a long enough password');
    await page.click('button[type=submit]');
    await page.waitForSelector('#stores');
    expect(await seriousViolations(page)).toEqual([]);
    for (const [name, width] of [['overview-1280', 1280], ['overview-390', 390]] as const) {
      await page.setViewportSize({ width, height: 900 });
      await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
    }
    await page.waitForFunction(() => (globalThis as unknown as { document: { getElementById(id: string): { textContent: string | null } | null } }).document.getElementById('live')?.textContent === 'Live');
    const failed = [1, 2, 3].map(() => orderEvent({ to: 'failed' }));
    await signed(sidecar.app, shop, 'POST', '/v1/events', { store: shop.id, events: failed }).expect(202);
    await page.waitForSelector(`#store-${shop.id}[data-state="critical"]`, { timeout: 5_000 });
    await page.screenshot({ path: join(ARTIFACTS, 'overview-critical.png'), fullPage: true });
    const alertId = (await sidecar.db('alerts').where({ store_id: shop.id, state: 'open' }).first('id')).id;
    const token = (await sidecar.container.apiTokens.create({ name: 'b', scope: 'write', createdBy: 'test' })).token;
    await request(sidecar.app).post(`/api/v1/alerts/${alertId}/resolve`).set('Authorization', `Bearer ${token}`).send({ note: 'checked' }).expect(200);
    await page.waitForSelector(`#store-${shop.id}:not([data-state="critical"])`, { timeout: 5_000 });
  }, 120_000);
});
