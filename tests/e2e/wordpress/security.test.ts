/**
 * Who may change the Order Monitor: a user without manage_woocommerce, a post without or with a wrong
 * nonce, and a forged request from outside a session all get 403, and nothing changes in WordPress or
 * in the sidecar.
 */
import type { APIRequestContext, Browser, Page } from 'playwright-core';
import { request as playwrightRequest } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSidecar, type SidecarHandle } from '../../helpers/sidecar';
import { signed } from '../../helpers/signing';
import { startTestSmtp, type TestSmtp } from '../../helpers/smtp';
import { TAB_PATH, launchChromium, logIn, newLocalPage, startWordPress, type WordPressHandle } from '../../helpers/wordpress';

describe('the Order Monitor tab refuses what it must', () => {
  let smtp: TestSmtp;
  let sidecar: SidecarHandle;
  let wp: WordPressHandle;
  let browser: Browser;
  let adminPage: Page;
  let editorPage: Page;
  let store: { id: string; secret: string };
  /** Hidden fields of the admin's own embedded settings form: a valid nonce, for the admin only. */
  let adminFields: Record<string, string>;
  /** The admin's whole embedded form as the browser would post it (nonce included). */
  let adminForm: URLSearchParams;

  const adminPost = (api: APIRequestContext, form: Record<string, string> | URLSearchParams) =>
    api.post(`${wp.url}/wp-admin/admin-post.php`, {
      data: new URLSearchParams(form).toString(),
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      maxRedirects: 0,
      failOnStatusCode: false,
    });
  /** The full settings form with a new peak threshold; `drop` removes fields (the nonce, say). */
  const settingsForm = (threshold: string, changes: Record<string, string | null> = {}): URLSearchParams => {
    const form = new URLSearchParams(adminForm);
    form.set('threshold_peak', threshold);
    for (const [key, value] of Object.entries(changes)) {
      if (value === null) form.delete(key);
      else form.set(key, value);
    }
    return form;
  };

  const snapshot = async () => {
    const res = await signed(sidecar.app, store, 'GET', `/v1/stores/${store.id}/settings`);
    const [history] = await sidecar.db('settings_history').where({ store_id: store.id }).count({ n: '*' });
    const options = await wp.php(`echo wp_json_encode([get_option('woom_sidecar_url'), get_option('woom_store_id'), get_option('woom_secret')]);`);
    return { settings: (res.body as { settings: unknown }).settings, history: Number(history?.n), options, mails: smtp.messages.length };
  };

  beforeAll(async () => {
    smtp = await startTestSmtp();
    sidecar = await startSidecar({ smtpPort: smtp.port });
    store = await sidecar.addStore({ name: 'guarded store', url: 'http://127.0.0.1/', timezone: 'UTC', settings: { alert_emails: ['owner@store.test'] } });
    wp = await startWordPress();
    await wp.connectBridge({ sidecarUrl: sidecar.url, storeId: store.id, secret: store.secret });
    browser = await launchChromium();
    adminPage = await newLocalPage(browser);
    editorPage = await newLocalPage(browser);
    await logIn(adminPage, wp, wp.admin);
    await logIn(editorPage, wp, wp.editor);
    // The tab opens on the shop's state; the embedded settings form is a section of its own.
    await adminPage.goto(`${wp.url}${TAB_PATH}&section=settings`);
    const form = adminPage.locator('#woom-settings-page form');
    adminFields = {
      _wpnonce: await form.locator('input[name=_wpnonce]').inputValue(),
      action: await form.locator('input[name=action]').inputValue(),
    };
    expect(adminFields.action).toBe('woom_settings_page');
    adminForm = new URLSearchParams(
      // The browser's own serialisation of the form (a string: the project's TypeScript has no DOM types).
      await adminPage.evaluate<string>(
        "new URLSearchParams([...new FormData(document.querySelector('#woom-settings-page form'))].map(([k, v]) => [k, String(v)])).toString()",
      ),
    );
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    await wp?.stop();
    await sidecar?.close();
    await smtp?.close();
  });

  it('lets the admin save with the right nonce (the control case)', async () => {
    const before = await snapshot();
    const res = await adminPost(adminPage.context().request, settingsForm('12'));
    expect(res.status()).toBe(302);
    const after = await snapshot();
    expect((after.settings as { threshold_peak: number }).threshold_peak).toBe(12);
    expect(after.history).toBe(before.history + 1);
  });

  it('refuses a user without manage_woocommerce: the tab, the embedded form, the buttons and the connection save', async () => {
    const before = await snapshot();
    const tab = await editorPage.goto(`${wp.url}${TAB_PATH}`);
    expect(tab?.status()).toBe(403);
    expect(await editorPage.content()).not.toContain(store.id);

    const api = editorPage.context().request;
    const settings = await adminPost(api, settingsForm('99'));
    expect(settings.status()).toBe(403);
    // Even a nonce valid for the editor's own session does not open it: the capability is checked too.
    const cookie = (await editorPage.context().cookies()).find((c) => c.name.startsWith('wordpress_logged_in_'));
    expect(cookie).toBeDefined();
    const editorNonce = (
      await wp.php(
        `$_COOKIE[LOGGED_IN_COOKIE] = urldecode(${JSON.stringify(cookie!.value)}); wp_set_current_user(get_user_by('login', ${JSON.stringify(wp.editor.login)})->ID); echo wp_create_nonce('woom_settings_page');`,
      )
    ).trim();
    expect(editorNonce).toMatch(/^[0-9a-f]{10}$/);
    expect((await adminPost(api, settingsForm('99', { _wpnonce: editorNonce }))).status()).toBe(403);
    for (const action of ['woom_test_notification', 'woom_run_check', 'woom_test_connection', 'woom_send_now', 'woom_discard_dead', 'woom_rest_keys']) {
      const res = await adminPost(api, { action, _wpnonce: adminFields._wpnonce! });
      expect(res.status(), action).toBe(403);
    }
    const download = await api.get(`${wp.url}/wp-admin/admin-post.php?action=woom_page_download&_wpnonce=${adminFields._wpnonce!}&path=export%2Falerts.csv`, { failOnStatusCode: false });
    expect(download.status()).toBe(403);
    const connection = await api.post(`${wp.url}${TAB_PATH}`, {
      form: { save: 'Save changes', woom_sidecar_url: 'http://127.0.0.1:9', woom_store_id: 'st_evil', woom_secret: 'evil' },
      maxRedirects: 0,
      failOnStatusCode: false,
    });
    expect(connection.status()).toBe(403);
    await editorPage.screenshot({ path: 'test-artifacts/wordpress/10-editor-refused.png' });
    expect(await snapshot()).toEqual(before);
  });

  it('refuses the admin\'s own post without a nonce or with a wrong one', async () => {
    const before = await snapshot();
    const api = adminPage.context().request;
    expect((await adminPost(api, settingsForm('99', { _wpnonce: null }))).status()).toBe(403);
    expect((await adminPost(api, settingsForm('99', { _wpnonce: 'abcdef1234' }))).status()).toBe(403);
    expect((await adminPost(api, { action: 'woom_test_notification', _wpnonce: adminFields._wpnonce! })).status()).toBe(403);
    const connection = await api.post(`${wp.url}${TAB_PATH}`, {
      form: { save: 'Save changes', woom_sidecar_url: 'http://127.0.0.1:9', woom_store_id: 'st_evil', woom_secret: 'evil' },
      maxRedirects: 0,
      failOnStatusCode: false,
    });
    expect(connection.status()).toBe(403);
    expect(await snapshot()).toEqual(before);
  });

  it('refuses a forged request from outside any session, even carrying a real nonce', async () => {
    const before = await snapshot();
    const anonymous = await playwrightRequest.newContext();
    try {
      const settings = await adminPost(anonymous, settingsForm('99'));
      expect(settings.status()).toBe(403);
      const test = await adminPost(anonymous, { action: 'woom_test_notification', _wpnonce: adminFields._wpnonce! });
      expect(test.status()).toBe(403);
      const bare = await anonymous.post(`${wp.url}/wp-admin/admin-post.php?action=woom_settings_page`, { data: 'threshold_peak=99', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, maxRedirects: 0, failOnStatusCode: false });
      expect(bare.status()).toBe(403);
    } finally {
      await anonymous.dispose();
    }
    await new Promise((r) => setTimeout(r, 300));
    expect(await snapshot()).toEqual(before);
  });
});
