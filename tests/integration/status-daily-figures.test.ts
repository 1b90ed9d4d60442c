import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { shiftDay } from '../../sidecar/src/domain/daily-figures';
import { startSidecar, type SidecarHandle } from '../helpers/sidecar';
import { signed, type StoreCredentials } from '../helpers/signing';

let sidecar: SidecarHandle;
let shop: StoreCredentials;

// The page reads the real clock: the days are counted back from today in UTC, the store's zone.
const today = new Date().toISOString().slice(0, 10);
const yesterday = shiftDay(today, -1);
const twoDaysAgo = shiftDay(today, -2);
const threeDaysAgo = shiftDay(today, -3);
const nameOf = (day: string) =>
  new Date(`${day}T12:00:00Z`).toLocaleDateString('en-GB', { weekday: 'long', day: 'numeric', month: 'long', timeZone: 'UTC' }).replace(',', '');

beforeAll(async () => {
  sidecar = await startSidecar({ dailyFiguresEveryMs: 3_600_000 });
  shop = await sidecar.addStore({ name: 'Shop', url: 'https://shop.example', timezone: 'UTC' });
  // Orders before registration are baseline only: the store was registered before its history began.
  const since = new Date(`${shiftDay(today, -10)}T00:00:00Z`);
  await sidecar.db('stores').where({ id: shop.id }).update({ created_at: since, first_contact_at: since });
  const orders: Array<[string, string, number]> = [
    [`${threeDaysAgo}T10:00:00Z`, 'processing', 1234.5],
    [`${yesterday}T08:00:00Z`, 'completed', 20.5],
    [`${yesterday}T09:00:00Z`, 'completed', 30],
    [`${yesterday}T10:00:00Z`, 'processing', 10],
    [`${yesterday}T11:00:00Z`, 'failed', 99],
    [`${yesterday}T23:59:00Z`, 'cancelled', 99],
  ];
  await sidecar.db('orders').insert(
    orders.map(([at, status, total], i) => ({
      store_id: shop.id,
      order_id: i + 1,
      status,
      total,
      currency: 'EUR',
      payment_method: 'stripe',
      created_via: 'checkout',
      created_at: new Date(at),
      status_changed_at: new Date(at),
      updated_at: new Date(at),
    })),
  );
  await sidecar.container.rollups.rebuild(shop.id);
});
afterAll(async () => sidecar?.close());

const pagePath = (page: string) => `/v1/stores/${shop.id}/pages/${page}`;

describe('daily figures on the status page', () => {
  it('says before the first roll-up that no whole day is rolled up yet', async () => {
    const res = await signed(sidecar.app, shop, 'GET', pagePath('status'));
    expect(res.status).toBe(200);
    expect(res.text).toContain('No whole day rolled up yet');
  });

  it("shows the last days' orders, successful, failed, revenue and average order in words, newest first, with a link to the CSV", async () => {
    await sidecar.container.dailyFiguresService.rollUp(shop.id);
    const res = await signed(sidecar.app, shop, 'GET', pagePath('status'));
    expect(res.status).toBe(200);
    const html = res.text;
    const list = html.slice(html.indexOf('<ul class="woom-days">'), html.indexOf('</ul>', html.indexOf('<ul class="woom-days">')));
    const items = [...list.matchAll(/<li[^>]*>([\s\S]*?)<\/li>/g)].map((m) => m[1]!.replace(/<[^>]+>/g, ''));
    expect(items).toEqual([
      `${nameOf(yesterday)}: 5 orders: 3 successful, 1 failed, 1 cancelled; revenue 60.50 EUR, average order 20.17 EUR.`,
      `${nameOf(twoDaysAgo)}: no orders.`,
      `${nameOf(threeDaysAgo)}: 1 order: 1 successful, 0 failed; revenue 1,234.50 EUR, average order 1,234.50 EUR.`,
    ]);
    // Today has not ended: it is not among the days.
    expect(list).not.toContain(nameOf(today));
    expect(html).toContain(`href="/v1/stores/${shop.id}/pages/export/daily-figures.csv"`);
  });

  it('links through the host page when embedded in WordPress', async () => {
    const host = 'https://shop.example/wp-admin/admin-post.php?action=woom_page_download&_wpnonce=abc&path=';
    const res = await signed(sidecar.app, shop, 'GET', pagePath('status')).set('X-Woom-Page-Url', host);
    expect(res.status).toBe(200);
    const href = /<a href="([^"]+)">Download the daily figures/.exec(res.text)?.[1]?.replaceAll('&amp;', '&').replaceAll('&#x3D;', '=');
    expect(href).toBe(`${host}export%2Fdaily-figures.csv`);
  });

  it("serves the page's CSV download as the signed endpoint does, and answers a bad period with 400 naming the field", async () => {
    const page = await signed(sidecar.app, shop, 'GET', pagePath('export/daily-figures.csv'));
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toMatch(/text\/csv/);
    const api = await signed(sidecar.app, shop, 'GET', `/v1/stores/${shop.id}/daily-figures.csv`);
    expect(page.text).toBe(api.text);
    expect(page.text).toContain(`${yesterday},5,3,1,1,0,60.5,20.17,5,0,0,EUR`);

    const bad = await signed(sidecar.app, shop, 'GET', `${pagePath('export/daily-figures.csv')}?from=yesterday`);
    expect(bad.status).toBe(400);
    expect(bad.body.errors).toEqual([{ field: 'from', message: 'must be a date as YYYY-MM-DD' }]);
  });
});
