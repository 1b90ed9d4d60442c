import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { parseCookie, stringifySetCookie } from 'cookie';
import { stringify } from 'csv-stringify';
import express, { Router, type NextFunction, type Request, type Response } from 'express';
import type { StoreStateKind } from '../../domain/store-state';
import { ago } from '../../domain/store-state';
import type { ApiTokens } from '../../services/api-tokens';
import type { LiveEvents, LiveEvent } from '../../services/live-events';
import { windowView, type MaintenanceWindows } from '../../services/maintenance-windows';
import { OperatorError, oneTimePassword, type OperatorAccounts } from '../../services/operator-accounts';
import { sortProblemsFirst, totals, type OverviewRow, type OverviewService } from '../../services/overview';
import type { StatusService } from '../../services/status-service';
import { RegistrationError, type StoreRegistry } from '../../services/store-registry';
import type { AlertRepository } from '../../store/alerts';
import type { ChannelRepository } from '../../store/channels';
import type { SessionRecord } from '../../store/operators';
import type { SettingsRepository } from '../../store/settings';
import type { StoreRepository } from '../../store/stores';
import { TEMPLATES_DIR, type TemplateSet } from '../../templates';
import { apiAlert } from '../api/routes';
import { clearSessionCookie, hasSessionCookie, sessionOf, setSessionCookie, tokensMatch } from '../console-session';
import { FORM_FIELDS_MARKER } from '../dev-csrf';
import type { SettingsForm } from '../page-routes';
import { readForm } from '../settings-form';
import { urlHint } from '../store-routes';

export interface ConsoleDeps {
  consolePages: TemplateSet;
  operatorAccounts: OperatorAccounts;
  apiTokens: ApiTokens;
  overview: OverviewService;
  stores: StoreRepository;
  settings: SettingsRepository;
  status: StatusService;
  alerts: AlertRepository;
  channels: ChannelRepository;
  maintenanceService: MaintenanceWindows;
  registry: StoreRegistry;
  live: LiveEvents;
  /** The settings form and its save, shared with the store's own pages (the WordPress tab). */
  settingsForm: SettingsForm;
  publicUrl?: string;
}

const LOGIN_CSRF = 'woom_login_csrf';
const STATE_LABELS: Record<StoreStateKind, string> = { ok: 'OK', learning: 'Learning', warning: 'Warning', critical: 'Critical', silent: 'WordPress silent', probe_failing: 'Probe failing', maintenance: 'Maintenance', paused: 'Paused' };
const TONES: Record<StoreStateKind, string> = { ok: 'green', learning: 'blue', warning: 'amber', critical: 'red', silent: 'red', probe_failing: 'amber', maintenance: 'blue', paused: 'grey' };

declare module 'express-serve-static-core' {
  interface Request {
    consoleSession?: { cookie: string; session: SessionRecord };
  }
}

/** 24 values as an SVG polyline in a 96×24 box. */
function sparkline(values: number[]): string {
  const max = Math.max(1, ...values);
  return values.map((v, i) => `${(i * 96) / 23},${(22 - (v / max) * 20).toFixed(1)}`).join(' ');
}

function rowView(row: OverviewRow, now: Date) {
  return {
    ...row,
    stateLabel: STATE_LABELS[row.state.kind],
    spark: sparkline(row.hourly_orders),
    sparkTotal: row.hourly_orders.reduce((a, b) => a + b, 0),
    alertAge: row.open_alert ? ago(new Date(row.open_alert.opened_at), now, row.timezone) : null,
  };
}

/** /console: the operator console, server-rendered; its script keeps it live and calls /api/v1 for actions. */
export function consoleRoutes(deps: ConsoleDeps): Router {
  const router = Router();
  const secure = (deps.publicUrl ?? '').startsWith('https:');
  const form = express.urlencoded({ extended: false, limit: '100kb' });
  router.use('/static', express.static(join(TEMPLATES_DIR, 'console', 'static'), { index: false, maxAge: '1h' }));

  const page = (res: Response, req: Request, status: number, name: string, title: string, context: Record<string, unknown>) => {
    const session = req.consoleSession?.session;
    const common = { csrf: session?.csrfToken ?? '', operator: session?.operator, admin: session?.operator.role === 'admin', publicUrl: deps.publicUrl };
    const body = deps.consolePages.render(name, { ...common, ...context });
    res.status(status).type('html').set('Cache-Control', 'no-store').send(deps.consolePages.render('layout', { ...common, title, body }));
  };

  const loginPage = (req: Request, res: Response, status: number, context: Record<string, unknown>) => {
    const token = randomBytes(18).toString('base64url');
    res.append('Set-Cookie', stringifySetCookie({ name: LOGIN_CSRF, value: token, httpOnly: true, sameSite: 'strict', secure, path: '/console/login' }));
    page(res, req, status, 'login', 'Sign in', { loginCsrf: token, ...context });
  };

  router.get('/login', (req, res) => loginPage(req, res, 200, { notice: req.query.bye ? 'You are signed out.' : req.query.expired ? 'Your session ended; sign in again.' : undefined }));

  router.post('/login', form, async (req, res, next) => {
    try {
      const body = req.body as Record<string, string | undefined>;
      const expected = parseCookie(req.get('Cookie') ?? '')[LOGIN_CSRF] ?? '';
      if (!expected || !tokensMatch(expected, body._csrf ?? '')) return loginPage(req, res, 403, { error: 'The form expired; please sign in again.', email: body.email });
      const result = await deps.operatorAccounts.login(body.email ?? '', body.password ?? '', req.ip ?? req.socket.remoteAddress ?? 'unknown');
      if (!result.ok) {
        if (result.reason === 'locked') {
          res.set('Retry-After', String(result.retryAfterSeconds));
          return loginPage(req, res, 429, { error: result.message, email: body.email });
        }
        return loginPage(req, res, 401, { error: 'Wrong e-mail or password.', email: body.email });
      }
      const { cookie } = await deps.operatorAccounts.startSession(result.operator);
      setSessionCookie(res, cookie, secure);
      res.redirect(303, '/console');
    } catch (error) {
      next(error);
    }
  });

  // Everything below needs a session; every POST its CSRF token.
  router.use(async (req: Request, res: Response, next: NextFunction) => {
    try {
      const found = await sessionOf(req, deps.operatorAccounts);
      if (!found) {
        // A browser that never signed in is sent to the form plainly; "your session ended" is for one whose
        // cookie no longer opens a session.
        if (req.method === 'GET' && req.accepts('html') && !req.path.startsWith('/fragment') && req.path !== '/events') {
          return res.redirect(303, hasSessionCookie(req) ? '/console/login?expired=1' : '/console/login');
        }
        return res.status(401).json({ error: 'unauthorized', message: 'Sign in at /console/login' });
      }
      req.consoleSession = found;
      next();
    } catch (error) {
      next(error);
    }
  });
  const csrf = (req: Request, res: Response, next: NextFunction) => {
    const token = (req.body as Record<string, string | undefined>)?._csrf ?? req.get('X-CSRF-Token') ?? '';
    if (!tokensMatch(req.consoleSession!.session.csrfToken, token)) return res.status(403).type('text').send('The form expired (CSRF token missing or wrong): go back, reload the page and try again.');
    next();
  };
  const adminOnly = (req: Request, res: Response, next: NextFunction) => {
    if (req.consoleSession!.session.operator.role !== 'admin') return res.status(403).type('text').send('Only an admin can do this.');
    next();
  };

  router.post('/logout', form, csrf, async (req, res) => {
    await deps.operatorAccounts.endSession(req.consoleSession!.cookie);
    clearSessionCookie(res, secure);
    res.redirect(303, '/console/login?bye=1');
  });

  const overviewContext = async (req: Request) => {
    const q = typeof req.query.q === 'string' ? req.query.q.trim().toLowerCase() : '';
    const state = typeof req.query.state === 'string' ? req.query.state : '';
    const now = new Date();
    const all = sortProblemsFirst(await deps.overview.rows(await deps.stores.summaries(), now));
    const rows = all.filter((r) => (!q || `${r.name} ${r.url} ${r.id}`.toLowerCase().includes(q)) && (!state || r.state.kind === state));
    const params = new URLSearchParams({ ...(q ? { q } : {}), ...(state ? { state } : {}) }).toString();
    return {
      q,
      query: params ? `?${params}` : '',
      rows: rows.map((r) => rowView(r, now)),
      totals: totals(all).map((t) => ({ ...t, tone: TONES[t.kind] })),
      storeCount: all.length,
      admin: req.consoleSession!.session.operator.role === 'admin',
      stateOptions: [{ value: '', label: 'any', selected: !state }, ...Object.entries(STATE_LABELS).map(([value, label]) => ({ value, label, selected: value === state }))],
    };
  };

  router.get('/', async (req, res) => page(res, req, 200, 'overview', 'Stores', await overviewContext(req)));
  router.get('/fragment/overview', async (req, res) => {
    res.type('html').set('Cache-Control', 'no-store').send(deps.consolePages.render('overview-fragment', await overviewContext(req)));
  });

  const storeContext = async (req: Request, storeId: string) => {
    const store = await deps.stores.find(storeId);
    if (!store) return null;
    const settings = (await deps.settings.get(store.id))!;
    const now = new Date();
    const [status, channels, windows] = await Promise.all([deps.status.status(store, settings), deps.channels.list(store.id), deps.maintenanceService.currentAndUpcoming(store.id, now)]);
    return {
      store,
      settings,
      status,
      stateLabel: STATE_LABELS[status.state.kind],
      paused: !settings.enabled,
      canWrite: req.consoleSession!.session.operator.role === 'admin',
      openAlerts: status.open_alerts.map((a) => ({ ...a, opened: ago(new Date(a.opened_at), now, settings.timezone) })),
      windows: windows.map((w) => windowView(w, now)),
      channels: channels.map((c) => ({ id: c.id, type: c.type, url_hint: urlHint(c.url), salesFeed: c.salesFeedSince !== null })),
      settingsList: Object.entries(settings).map(([name, value]) => ({ name, value: Array.isArray(value) ? value.join(', ') : typeof value === 'object' && value !== null ? JSON.stringify(value) : String(value) })),
    };
  };
  /** The settings form of the WordPress tab, its hidden fields the session's CSRF token; posted back to the store page. */
  const withCsrf = (req: Request, html: string) => html.replaceAll(FORM_FIELDS_MARKER, `<input type="hidden" name="_csrf" value="${req.consoleSession!.session.csrfToken}">`);
  const storePage = async (req: Request, res: Response, status: number, settingsHtml?: string) => {
    const context = await storeContext(req, String(req.params.id));
    if (!context) return res.status(404).type('text').send('No such store.');
    const { store, settings, canWrite } = context;
    // Admins edit; viewers read the same settings as a list.
    const form = canWrite ? withCsrf(req, settingsHtml ?? (await deps.settingsForm.render(store, settings, null, [], false, { part: 'all', siteTimezone: null }))) : null;
    page(res, req, status, 'store', store.name, { ...context, settingsForm: form });
  };
  router.get('/stores/:id', (req, res) => storePage(req, res, 200));
  // The settings form posts here: the same reading, validation and save as the WordPress tab's form.
  router.post('/stores/:id', express.text({ type: 'application/x-www-form-urlencoded', limit: '100kb' }), async (req, res) => {
    const form = readForm(typeof req.body === 'string' ? req.body : '');
    const token = typeof form._csrf === 'string' ? form._csrf : '';
    if (!tokensMatch(req.consoleSession!.session.csrfToken, token)) return res.status(403).type('text').send('The form expired (CSRF token missing or wrong): go back, reload the page and try again.');
    if (req.consoleSession!.session.operator.role !== 'admin') return res.status(403).type('text').send('Only an admin can do this.');
    const store = await deps.stores.find(String(req.params.id));
    if (!store) return res.status(404).type('text').send('No such store.');
    delete form._csrf;
    const answer = await deps.settingsForm.post(store, form, req.consoleSession!.session.operator.email, { siteTimezone: null });
    if (answer.saved) deps.live.storeChanged(store.id);
    await storePage(req, res, answer.status, answer.html);
  });
  router.get('/fragment/store/:id', async (req, res) => {
    const context = await storeContext(req, req.params.id);
    if (!context) return res.status(404).end();
    res.type('html').set('Cache-Control', 'no-store').send(deps.consolePages.render('store-fragment', context));
  });

  const alertQuery = async (req: Request) => {
    const store = typeof req.query.store === 'string' && req.query.store ? req.query.store : undefined;
    const state = req.query.state === 'open' || req.query.state === 'resolved' ? req.query.state : undefined;
    const before = Number(req.query.cursor);
    return { store, state, before: Number.isSafeInteger(before) && before > 0 ? before : undefined };
  };
  router.get('/alerts', async (req, res) => {
    const q = await alertQuery(req);
    const [alerts, stores] = await Promise.all([deps.alerts.listAcross({ storeIds: q.store ? [q.store] : undefined, state: q.state, beforeId: q.before }, 100), deps.stores.names()]);
    const names = new Map(stores.map((s) => [s.id, s.name]));
    const params = new URLSearchParams({ ...(q.store ? { store: q.store } : {}), ...(q.state ? { state: q.state } : {}) });
    const next = alerts.length === 100 ? `?${new URLSearchParams({ ...Object.fromEntries(params), cursor: String(alerts[99]!.id) })}` : null;
    page(res, req, 200, 'alerts', 'Alerts', {
      alerts: alerts.map((a) => ({ ...apiAlert(a), storeName: names.get(a.storeId) ?? a.storeId })),
      stores: stores.map((s) => ({ id: s.id, name: s.name, selected: s.id === q.store })),
      state: q.state ?? '',
      query: params.toString() ? `?${params}` : '',
      next,
    });
  });
  router.get('/alerts.csv', async (req, res) => {
    const q = await alertQuery(req);
    const names = new Map((await deps.stores.names()).map((s) => [s.id, s.name]));
    res.type('text/csv').attachment('woom-alerts.csv');
    const csv = stringify({ header: true, columns: ['alert_id', 'store_id', 'store', 'detector', 'severity', 'state', 'opened_at', 'resolved_at', 'acknowledged_by', 'resolved_by', 'resolution_note', 'summary'] });
    csv.pipe(res);
    let before = q.before;
    for (;;) {
      const page = await deps.alerts.listAcross({ storeIds: q.store ? [q.store] : undefined, state: q.state, beforeId: before }, 1000);
      for (const a of page.map(apiAlert)) {
        csv.write([a.id, a.store_id, names.get(a.store_id) ?? '', a.detector, a.severity, a.state, a.opened_at, a.resolved_at ?? '', a.acknowledged_by ?? '', a.resolved_by ?? '', a.resolution_note ?? '', a.summary ?? '']);
      }
      if (page.length < 1000) break;
      before = page[page.length - 1]!.id;
    }
    csv.end();
  });

  router.get('/register', adminOnly, (req, res) => page(res, req, 200, 'register', 'Register a store', {}));
  router.post('/register', form, csrf, adminOnly, async (req, res) => {
    const body = req.body as Record<string, string | undefined>;
    try {
      const store = await deps.registry.add({ name: body.name ?? '', url: body.url ?? '', timezone: body.timezone ?? '' });
      deps.live.storeChanged(store.id);
      page(res, req, 201, 'register', 'Register a store', { created: { id: store.id, secret: store.secret, name: store.name } });
    } catch (error) {
      if (!(error instanceof RegistrationError)) throw error;
      page(res, req, 400, 'register', 'Register a store', { error: error.message.replace(/--(\w+)/g, '$1'), form: body });
    }
  });

  const tokensPage = async (req: Request, res: Response, status: number, context: Record<string, unknown>) => {
    const tokens = await deps.apiTokens.list();
    page(res, req, status, 'tokens', 'API tokens', {
      tokens: tokens.map((t) => ({ ...t, store: t.storeId ?? 'every store', lastUsed: t.lastUsedAt?.toISOString() ?? 'never', revoked: t.revokedAt !== null })),
      ...context,
    });
  };
  router.get('/tokens', adminOnly, (req, res) => tokensPage(req, res, 200, {}));
  router.post('/tokens', form, csrf, adminOnly, async (req, res) => {
    const body = req.body as Record<string, string | undefined>;
    try {
      const { token, record } = await deps.apiTokens.create({ name: body.name ?? '', scope: body.scope ?? '', storeId: body.store_id || null, createdBy: req.consoleSession!.session.operator.email });
      await tokensPage(req, res, 201, { created: { token, name: record.name } });
    } catch (error) {
      if (!(error instanceof OperatorError)) throw error;
      await tokensPage(req, res, 400, { error: `${error.field} ${error.message}` });
    }
  });
  router.post('/tokens/:id/revoke', form, csrf, adminOnly, async (req, res) => {
    await deps.apiTokens.revoke(Number(req.params.id));
    res.redirect(303, '/console/tokens');
  });

  const operatorsPage = async (req: Request, res: Response, status: number, context: Record<string, unknown>) => {
    const operators = await deps.operatorAccounts.list();
    page(res, req, status, 'operators', 'Operators', { operators: operators.map((o) => ({ ...o, lastLogin: o.lastLoginAt?.toISOString() ?? 'never' })), ...context });
  };
  router.get('/operators', adminOnly, (req, res) => operatorsPage(req, res, 200, {}));
  router.post('/operators', form, csrf, adminOnly, async (req, res) => {
    const body = req.body as Record<string, string | undefined>;
    const password = oneTimePassword();
    try {
      const operator = await deps.operatorAccounts.add({ email: body.email ?? '', role: body.role ?? 'viewer', password });
      await operatorsPage(req, res, 201, { created: { email: operator.email, password } });
    } catch (error) {
      if (!(error instanceof OperatorError)) throw error;
      await operatorsPage(req, res, 400, { error: `${error.field} ${error.message}` });
    }
  });

  // The all-stores digest: an admin turns it on or off for an operator (the CLI does the same).
  router.post('/operators/digest', form, csrf, adminOnly, async (req, res) => {
    const body = req.body as Record<string, string | undefined>;
    try {
      if (body.digest !== 'on' && body.digest !== 'off') throw new OperatorError('must be on or off', 'digest');
      await deps.operatorAccounts.setDigestOptIn(body.email ?? '', body.digest === 'on');
      res.redirect(303, '/console/operators');
    } catch (error) {
      if (!(error instanceof OperatorError)) throw error;
      await operatorsPage(req, res, 400, { error: `${error.field} ${error.message}` });
    }
  });

  // Live: Server-Sent Events from every sidecar (Redis pub/sub); Last-Event-ID resumes after a reconnect.
  router.get('/events', async (req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-store', Connection: 'keep-alive', 'X-Accel-Buffering': 'no' });
    res.write('retry: 2000\n\n');
    const send = (event: LiveEvent) => res.write(`id: ${event.id}\nevent: ${event.type}\ndata: ${JSON.stringify({ storeId: event.storeId })}\n\n`);
    const lastId = req.get('Last-Event-ID');
    const queued: LiveEvent[] = [];
    let replaying = Boolean(lastId);
    const unsubscribe = await deps.live.subscribe((event) => (replaying ? queued.push(event) : send(event)));
    if (lastId) {
      const missed = await deps.live.since(lastId);
      for (const event of missed) send(event);
      const lastSent = missed[missed.length - 1]?.id ?? lastId;
      for (const event of queued) if (event.id > lastSent) send(event);
      replaying = false;
    }
    const keepAlive = setInterval(() => res.write(': keep-alive\n\n'), 25_000);
    req.on('close', () => {
      clearInterval(keepAlive);
      unsubscribe();
    });
  });

  return router;
}
