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
  it('signs in, turns a store critical without a reload within 5 s of its failed orders, back to OK when paid orders end the problem, and resolves with the console\'s own button', async () => {
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
    // A reload would lose this mark: finding it at the end proves the page changed in place.
    await page.evaluate(() => ((globalThis as unknown as { woomNoReload: boolean }).woomNoReload = true));
    const row = `#store-${shop.id}`;

    // Three failed orders: the event check of the rolling average (3 of 3 failed) opens a critical alert.
    await signed(sidecar.app, shop, 'POST', '/v1/events', { store: shop.id, events: [1, 2, 3].map(() => orderEvent({ to: 'failed' })) }).expect(202);
    await page.waitForSelector(`${row}[data-state="critical"]`, { timeout: 5_000 });
    await page.screenshot({ path: join(ARTIFACTS, 'overview-critical.png'), fullPage: true });

    // Seven paid orders: the next event check finds 3 of the last 10 failed (under 70%) and resolves the
    // alert itself, the way a shop recovers; the row turns OK, still without a reload.
    await signed(sidecar.app, shop, 'POST', '/v1/events', { store: shop.id, events: Array.from({ length: 7 }, () => orderEvent({ to: 'completed' })) }).expect(202);
    await page.waitForSelector(`${row}[data-state="ok"]`, { timeout: 5_000 });
    expect(await page.textContent(`${row}`)).toMatch(/OK/);
    expect(await page.evaluate(() => (globalThis as unknown as { woomNoReload?: boolean }).woomNoReload)).toBe(true);
    const resolved = await sidecar.db('alerts').where({ store_id: shop.id }).first();
    expect(resolved).toMatchObject({ state: 'resolved', resolved_by: null });
    await page.screenshot({ path: join(ARTIFACTS, 'overview-back-to-ok.png'), fullPage: true });

    // A second problem, reported by a tool through the API (the alert cooldown holds the checks' own for
    // two hours); this time the operator resolves it on the store page with a note.
    const token = (await sidecar.container.apiTokens.create({ name: 'monitoring', scope: 'write', createdBy: 'test' })).token;
    await request(sidecar.app).post('/api/v1/alerts').set('Authorization', `Bearer ${token}`).send({ store_id: shop.id, severity: 'critical', message: 'Payment provider reports an outage' }).expect(201);
    await page.waitForSelector(`${row}[data-state="critical"]`, { timeout: 5_000 });
    await page.click(`${row} a`);
    await page.waitForSelector('#overview button');
    const alertId = (await sidecar.db('alerts').where({ store_id: shop.id, state: 'open' }).first('id')).id as number;
    await page.fill(`#note-${alertId}`, 'Payment provider fixed, checked by hand');
    // The console reloads the page 600 ms after an action succeeds: wait for that, or the goto below races it.
    const reloaded = page.waitForEvent('load', { timeout: 15_000 });
    await page.click(`form[data-api="POST /api/v1/alerts/${alertId}/resolve"] button[type=submit]`);
    await reloaded;
    // Not the 5 s of the issue (that is for failed orders): a loaded machine gets longer for the resolve.
    await page.waitForSelector('text=No open alert.', { timeout: 15_000 });
    await page.waitForSelector('#store-state:not([data-state="critical"])', { timeout: 15_000 });
    await page.screenshot({ path: join(ARTIFACTS, 'store-390.png'), fullPage: true });
    expect(await sidecar.db('alerts').where({ id: alertId }).first()).toMatchObject({ state: 'resolved', resolved_by: 'admin@example.com', resolution_note: 'Payment provider fixed, checked by hand' });
    await page.goto(`${sidecar.url}/console`);
    await page.waitForSelector(`${row}[data-state="ok"]`, { timeout: 5_000 });
  }, 120_000);
});
