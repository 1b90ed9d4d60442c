import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signedHeaders } from '../../sidecar/src/http/signature';
import { startSidecar, type SidecarHandle } from '../helpers/sidecar';
import { signed, type StoreCredentials } from '../helpers/signing';

let sidecar: SidecarHandle;
let shop: StoreCredentials;
let other: StoreCredentials;

beforeAll(async () => {
  sidecar = await startSidecar();
  shop = await sidecar.addStore({ name: 'Shop', url: 'https://shop.example', timezone: 'Europe/Berlin' });
  other = await sidecar.addStore({ name: 'Other', url: 'https://other.example', timezone: 'UTC' });
});
afterAll(async () => sidecar?.close());

const pagePath = (id: string, page: string) => `/v1/stores/${id}/pages/${page}`;
function postForm(store: StoreCredentials, form: string) {
  const path = pagePath(store.id, 'settings');
  return request(sidecar.app).post(path).set(signedHeaders(store, 'POST', path, form)).set('Content-Type', 'application/x-www-form-urlencoded').send(form);
}
const validForm = (change: Record<string, string> = {}) => {
  const fields: Record<string, string> = {
    enabled: '1',
    mode: 'hybrid',
    check_interval_minutes: '15',
    timezone: 'Europe/Berlin',
    peak_start: '09:00',
    peak_end: '18:00',
    threshold_peak: '10',
    threshold_off_peak: '2',
    success_statuses: 'processing, completed',
    rad_window_size: '10',
    rad_failure_threshold_pct: '70',
    rad_min_orders: '3',
    cooldown_minutes: '120',
    max_alerts_per_day: '6',
    alert_emails: 'owner@shop.example',
    ...change,
  };
  const params = new URLSearchParams(fields);
  for (const day of ['1', '2', '3', '4', '5']) params.append('peak_weekdays[]', day);
  params.append('failure_statuses[]', 'failed');
  return params.toString();
};

describe('settings and status pages for embedding', () => {
  it('serves the settings form as a WordPress-admin fragment with the host placeholder', async () => {
    const res = await signed(sidecar.app, shop, 'GET', pagePath(shop.id, 'settings'));
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/text\/html/);
    expect(res.text).not.toMatch(/<html/);
    expect(res.text).toContain('<!--woom:form-fields-->');
    expect(res.text).toContain('class="form-table"');
    expect(res.text).toMatch(/<label for="woom-threshold_peak">/);
    expect(res.text).toMatch(/id="woom-threshold_peak" name="threshold_peak" value="10"/);
  });

  it('saves a valid form, says so, and the settings API has the new values', async () => {
    const res = await postForm(shop, validForm({ threshold_peak: '4', alert_emails: 'a@shop.example\nb@shop.example' }));
    expect(res.status).toBe(200);
    expect(res.text).toContain('Settings saved.');
    const settings = (await signed(sidecar.app, shop, 'GET', `/v1/stores/${shop.id}/settings`)).body.settings;
    expect(settings).toMatchObject({ threshold_peak: 4, peak_weekdays: [1, 2, 3, 4, 5], failure_statuses: ['failed'], alert_emails: ['a@shop.example', 'b@shop.example'] });
  });

  it('refuses a bad value with the error beside the field, keeps what was typed, and changes nothing', async () => {
    const before = (await signed(sidecar.app, shop, 'GET', `/v1/stores/${shop.id}/settings`)).body.settings;
    const res = await postForm(shop, validForm({ threshold_peak: '-3', peak_start: '25:99', cooldown_minutes: 'soon' }));
    expect(res.status).toBe(400);
    expect(res.text).toContain('Nothing was saved');
    expect(res.text).toMatch(/id="woom-cooldown_minutes" name="cooldown_minutes" value="soon"/);
    expect(res.text).toMatch(/name="cooldown_minutes"[^>]*>\s*<p class="woom-field-error" id="woom-cooldown_minutes-error">must be a number<\/p>/);
    const after = (await signed(sidecar.app, shop, 'GET', `/v1/stores/${shop.id}/settings`)).body.settings;
    expect(after).toEqual(before);
    const schemaErrors = await postForm(shop, validForm({ threshold_peak: '-3', peak_start: '25:99' }));
    expect(schemaErrors.status).toBe(400);
    expect(schemaErrors.text).toMatch(/name="peak_start" value="25:99"[^>]*>\s*<p class="woom-field-error" id="woom-peak_start-error">must be a time of day as HH:MM/);
    expect(schemaErrors.text).toMatch(/name="threshold_peak" value="-3"[^>]*>\s*<p class="woom-field-error" id="woom-threshold_peak-error">/);
  });

  it('serves the status page', async () => {
    const res = await signed(sidecar.app, shop, 'GET', pagePath(shop.id, 'status'));
    expect(res.status).toBe(200);
    expect(res.text).toContain('Order Monitor status for Shop');
  });

  it('gives nothing to an unsigned request or to one signed for another store', async () => {
    for (const page of ['settings', 'status']) {
      const unsigned = await request(sidecar.app).get(pagePath(shop.id, page));
      expect(unsigned.status).toBe(401);
      expect(unsigned.text).not.toContain('form-table');
      const foreign = await signed(sidecar.app, other, 'GET', pagePath(shop.id, page));
      expect(foreign.status).toBe(403);
      expect(foreign.text).not.toContain('form-table');
    }
    const before = (await signed(sidecar.app, shop, 'GET', `/v1/stores/${shop.id}/settings`)).body.settings;
    const path = pagePath(shop.id, 'settings');
    const forged = await request(sidecar.app).post(path).set(signedHeaders(other, 'POST', path, validForm({ threshold_peak: '1' }))).send(validForm({ threshold_peak: '1' }));
    expect(forged.status).toBe(403);
    expect((await signed(sidecar.app, shop, 'GET', `/v1/stores/${shop.id}/settings`)).body.settings).toEqual(before);
  });

  it('opens pages without a signature only with the development flag', async () => {
    const dev = await startSidecar({ devPages: true });
    try {
      const store = await dev.addStore({ name: 'Dev', url: 'https://dev.example', timezone: 'UTC' });
      const res = await request(dev.app).get(pagePath(store.id, 'settings'));
      expect(res.status).toBe(200);
      expect(res.text).toMatch(/^<!doctype html>/);
      // The flag opens the pages only, never the API.
      expect((await request(dev.app).get(`/v1/stores/${store.id}/settings`)).status).toBe(401);
    } finally {
      await dev.close();
    }
  });
});
