import { Router } from 'express';
import type { RulePreview } from '../services/rule-preview';
import { PREVIEW_DAYS } from '../services/rule-preview';
import type { SettingsRepository } from '../store/settings';
import { parseJson } from './body';
import { sendInvalid } from './errors';

export interface RulesRouteDeps {
  settings: SettingsRepository;
  rulePreview: RulePreview;
}

/** Mounted at /v1/stores/:id behind the signature: how often rules would have fired, before saving them. */
export function rulesRoutes(deps: RulesRouteDeps): Router {
  const router = Router({ mergeParams: true });
  router.post('/rules/preview', async (req, res) => {
    const parsed = parseJson(req.rawBody ?? '');
    if (!parsed.ok) return sendInvalid(res, [{ field: '(body)', message: parsed.message }]);
    const body = parsed.value as { rules?: unknown } | null;
    if (!body || typeof body !== 'object' || !('rules' in body)) return sendInvalid(res, [{ field: 'rules', message: 'must be a list of rules' }]);
    const settings = (await deps.settings.get(req.store!.id))!;
    const result = await deps.rulePreview.preview(req.store!, settings, body.rules);
    if (!result.ok) return sendInvalid(res, result.errors);
    res.json({ days: PREVIEW_DAYS, rules: result.firings.map((f) => ({ name: f.name, firings: f.firings, firing_checks: f.firingChecks, checks: f.checks })) });
  });
  return router;
}
