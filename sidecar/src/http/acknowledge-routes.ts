import { Router, type Response } from 'express';
import { alertLabel } from '../domain/detectors';
import { formatLocal } from '../domain/time';
import type { Acknowledgements } from '../services/acknowledgements';
import type { AlertRecord } from '../store/alerts';
import type { SettingsRepository } from '../store/settings';
import type { StoreRecord } from '../store/stores';
import type { TemplateSet } from '../templates';

export interface AcknowledgeRouteDeps {
  acknowledgements: Acknowledgements;
  settings: SettingsRepository;
  pages: TemplateSet;
}

/**
 * The acknowledge link of an alert e-mail, mounted at /acknowledge (no API signature: the signed token
 * in the path is the credential). GET only shows what would be acknowledged and a button, because mail
 * scanners and link previews fetch links; the POST of that button acknowledges.
 */
export function acknowledgeRoutes(deps: AcknowledgeRouteDeps): Router {
  const router = Router();

  const page = (res: Response, status: number, context: object) => {
    // The token is a credential: keep it out of caches, referrers and search engines.
    res.set({ 'Cache-Control': 'no-store', 'Referrer-Policy': 'no-referrer', 'X-Robots-Tag': 'noindex' });
    res.status(status).type('html').send(deps.pages.render('layout', { title: 'Acknowledge an Order Monitor alert', body: deps.pages.render('acknowledge', context) }));
  };

  const describe = async (store: StoreRecord, alert: AlertRecord) => {
    const timezone = (await deps.settings.get(store.id))?.timezone ?? 'UTC';
    const local = (d: Date) => formatLocal(d, timezone);
    const findings = Array.isArray(alert.details.findings) ? (alert.details.findings as Array<{ summary?: unknown }>) : [];
    return {
      store: store.name,
      detector: alertLabel(alert.detector),
      severity: alert.severity,
      openedAt: local(alert.openedAt),
      summaries: findings.map((f) => (typeof f.summary === 'string' ? f.summary : '')).filter(Boolean),
      state: (a: AlertRecord): string | null =>
        a.acknowledgedAt
          ? `This alert was already acknowledged by ${a.acknowledgedBy ?? 'someone'} at ${local(a.acknowledgedAt)}.`
          : a.state === 'resolved' && a.resolvedAt
            ? `This alert is already resolved (at ${local(a.resolvedAt)}); there is nothing to acknowledge.`
            : null,
    };
  };

  router.get('/:token', async (req, res) => {
    const checked = await deps.acknowledgements.check(req.params.token);
    if (!checked.ok) return page(res, checked.status, { error: checked.reason });
    const { state, ...view } = await describe(checked.store, checked.alert);
    const notice = state(checked.alert);
    page(res, 200, { ...view, notice, canAcknowledge: notice === null });
  });

  router.post('/:token', async (req, res) => {
    const checked = await deps.acknowledgements.check(req.params.token);
    if (!checked.ok) return page(res, checked.status, { error: checked.reason });
    const outcome = await deps.acknowledgements.byStore(checked.store.id, checked.alert.id, checked.claims.recipient);
    if (outcome.result === 'not_found') return page(res, 404, { error: 'This alert no longer exists.' });
    const { state, ...view } = await describe(checked.store, outcome.alert);
    const acknowledged = outcome.result === 'acknowledged';
    const notice = acknowledged ? 'Acknowledged. Reminders and escalation for this alert have stopped; you will still hear when it is resolved.' : state(outcome.alert);
    page(res, 200, { ...view, notice, success: acknowledged, canAcknowledge: false });
  });

  return router;
}
