import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signedHeaders } from '../../sidecar/src/http/signature';
import { startSidecar, type SidecarHandle } from '../helpers/sidecar';
import { signed, type StoreCredentials } from '../helpers/signing';

let sidecar: SidecarHandle;
let shop: StoreCredentials;

const rule = { name: 'Daytime revenue', metric: 'revenue', operator: '<', threshold: 50, window_minutes: 60, severity: 'critical' };

beforeAll(async () => {
  sidecar = await startSidecar();
  // Fixed thresholds of 0 never fire: whatever alerts here is the rule.
  shop = await sidecar.addStore({
    name: 'Shop',
    url: 'https://shop.example',
    timezone: 'Europe/Berlin',
    settings: { mode: 'time_based', threshold_peak: 0, threshold_off_peak: 0, alert_emails: ['owner@shop.example'], rules: [rule], renewals_enabled: false },
  });
  await sidecar.db('stores').where({ id: shop.id }).update({ first_contact_at: new Date(Date.now() - 30 * 86_400_000) });
});
afterAll(async () => sidecar?.close());

const insertOrder = (orderId: number, createdAt: Date, status: string, total: number) =>
  sidecar.db('orders').insert({
    store_id: shop.id,
    order_id: orderId,
    status,
    total,
    currency: 'EUR',
    payment_method: 'stripe',
    created_via: 'checkout',
    created_at: createdAt,
    status_changed_at: createdAt,
    updated_at: createdAt,
  });

describe('custom rules, live', () => {
  it('open one alert explained by the rule, are not resolved by an order event, and resolve when the figure recovers', async () => {
    const now = new Date();
    await insertOrder(1, new Date(now.getTime() - 20 * 60_000), 'processing', 20);
    // The new schedule's immediate first run may have opened it already: either way one alert, the rule's.
    const opened = await sidecar.container.checks.run(shop.id, 'manual', now);
    expect(['open', 'hold']).toContain(opened?.decision.action);
    expect(await sidecar.db('alerts').where({ store_id: shop.id }).count({ n: '*' }).first()).toEqual({ n: 1 });
    const alert = await sidecar.db('alerts').where({ id: opened!.alertId }).first();
    expect(alert).toMatchObject({ detector: 'rule', severity: 'critical' });
    const notification = await sidecar.db('notifications').where({ alert_id: opened!.alertId }).first();
    const content = JSON.parse(notification.content);
    expect(content.headline).toBe('Rule "Daytime revenue" fired');
    expect(content.findings[0].summary).toBe('revenue in the last 60 min 20 EUR; rule "Daytime revenue": revenue below 50 EUR in 60 min');

    await insertOrder(2, new Date(now.getTime() - 10 * 60_000), 'processing', 80);
    const event = await sidecar.container.checks.run(shop.id, 'event', new Date(now.getTime() + 1000));
    expect(event?.decision.action).not.toBe('resolve');
    expect((await sidecar.db('alerts').where({ id: opened!.alertId }).first()).resolved_at).toBeNull();
    await sidecar.container.checks.run(shop.id, 'schedule', new Date(now.getTime() + 2000));
    expect((await sidecar.db('alerts').where({ id: opened!.alertId }).first()).resolved_at).not.toBeNull();
  });

  it('previews how often rules would have fired in the last 28 days, naming a bad rule field', async () => {
    const bad = await signed(sidecar.app, shop, 'POST', `/v1/stores/${shop.id}/rules/preview`, { rules: [rule, { ...rule, name: 'x', threshold: -5, window_minutes: 1 }] });
    expect(bad.status).toBe(400);
    expect(bad.body.errors.map((e: { field: string }) => e.field).sort()).toEqual(['rules[1].threshold', 'rules[1].window_minutes']);
    const res = await signed(sidecar.app, shop, 'POST', `/v1/stores/${shop.id}/rules/preview`, { rules: [{ ...rule, name: 'Any order', metric: 'orders', operator: '>=', threshold: 1 }] });
    expect(res.status).toBe(200);
    // Two orders 10 minutes apart, checked every 15 minutes with a 60-minute window: one stretch of firing.
    expect(res.body).toMatchObject({ days: 28, rules: [{ name: 'Any order', firings: 1 }] });
  });

  it('refuses a bad rule in the settings API with the field named, changing nothing', async () => {
    const res = await signed(sidecar.app, shop, 'PUT', `/v1/stores/${shop.id}/settings`, { rules: [rule, { ...rule, name: 'c', threshold: 'lots' }] });
    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual([{ field: 'rules[1].threshold', message: 'must be a number' }]);
    const twice = await signed(sidecar.app, shop, 'PUT', `/v1/stores/${shop.id}/settings`, { rules: [rule, rule] });
    expect(twice.body.errors.map((e: { field: string }) => e.field)).toEqual(['rules[1].name']);
    expect((await signed(sidecar.app, shop, 'GET', `/v1/stores/${shop.id}/settings`)).body.settings.rules).toHaveLength(1);
  });

  it('shows the rules on the settings page with their 28-day count, and previews typed rules without saving them', async () => {
    const path = `/v1/stores/${shop.id}/pages/settings`;
    const page = await request(sidecar.app).get(path).set(signedHeaders(shop, 'GET', path, ''));
    expect(page.status).toBe(200);
    expect(page.text).toContain('revenue below 50 EUR in 60 min');
    expect(page.text).toMatch(/Would have fired in the last 28 days/);
    const typed = JSON.stringify([{ name: 'Quiet hour', metric: 'successful_orders', operator: '<', threshold: 1, window_minutes: 60 }]);
    const form = new URLSearchParams({ rules_json: typed, preview_rules: '1', enabled: '1', mode: 'time_based' }).toString();
    const posted = await request(sidecar.app).post(path).set(signedHeaders(shop, 'POST', path, form)).set('Content-Type', 'application/x-www-form-urlencoded').send(form);
    expect(posted.status).toBe(200);
    expect(posted.text).toContain('successful orders below 1 in 60 min');
    expect(posted.text).toMatch(/\d+ times?/);
    const settings = (await signed(sidecar.app, shop, 'GET', `/v1/stores/${shop.id}/settings`)).body.settings;
    expect(settings.rules.map((r: { name: string }) => r.name)).toEqual(['Daytime revenue']);
  });
});
