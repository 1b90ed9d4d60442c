import type { AdaptiveDetectorName, AnyDetectorName, Mode, Settings } from './settings';
import { enabledDetectors } from './settings';

/** Where a check run comes from: the store's schedule, new order events, or a person pressing a button. */
export type CheckTrigger = 'schedule' | 'event' | 'manual';

/**
 * Which detectors a run evaluates. An event can only move the failure tests (the order-flow and
 * time-based verdicts are the schedule's business); the fixed modes evaluate both specification
 * detectors on the schedule, as they always did, so the status shows both sets of numbers.
 */
export function detectorsToRun(mode: Mode, trigger: CheckTrigger): AnyDetectorName[] {
  if (mode === 'adaptive') return trigger === 'event' ? ['failure_rate'] : ['order_flow', 'failure_rate'];
  return trigger === 'event' ? ['rolling_average'] : ['time_based', 'rolling_average'];
}

/** Whether an event-triggered run could change anything for this mode at all. */
export function eventRunUseful(mode: Mode): boolean {
  const enabled = enabledDetectors(mode);
  return detectorsToRun(mode, 'event').some((name) => enabled.includes(name));
}

export const isAdaptiveDetector = (name: AnyDetectorName): name is AdaptiveDetectorName => name === 'order_flow' || name === 'failure_rate';

/** Orders an admin typed in or a subscription renewal created: never a customer checking out. */
export const NON_CUSTOMER_CHANNELS: readonly string[] = ['admin', 'subscription'];

export const isCustomerOrder = (order: { createdVia?: string | null }): boolean =>
  !order.createdVia || !NON_CUSTOMER_CHANNELS.includes(order.createdVia);

/** The detectors beside the mode's: the store's custom rules (all as one) and the renewal runs. */
export type ExtraDetectorName = 'rule' | 'renewals';
export type EngineDetectorName = AnyDetectorName | ExtraDetectorName;

/**
 * Every detector the alert policy waits for before it resolves: the mode's, the custom rules when one is
 * enabled, the renewal detector when on. Rules and renewals run on the schedule (and by hand), not after
 * each order event: their windows are minutes to days long, an event moves them little.
 */
export function activeDetectors(settings: Pick<Settings, 'mode' | 'rules' | 'renewals_enabled'>): EngineDetectorName[] {
  const extra: ExtraDetectorName[] = [];
  if (settings.rules.some((rule) => rule.enabled)) extra.push('rule');
  if (settings.renewals_enabled) extra.push('renewals');
  return [...enabledDetectors(settings.mode), ...extra];
}

export function engineDetectorsToRun(settings: Pick<Settings, 'mode' | 'rules' | 'renewals_enabled'>, trigger: CheckTrigger): EngineDetectorName[] {
  const base: EngineDetectorName[] = detectorsToRun(settings.mode, trigger);
  if (trigger === 'event') return base;
  return [...base, ...activeDetectors(settings).filter(isExtraDetector)];
}

export const isExtraDetector = (name: string): name is ExtraDetectorName => name === 'rule' || name === 'renewals';
