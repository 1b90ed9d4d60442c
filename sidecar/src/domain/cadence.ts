import type { Baseline } from './baseline';
import { checkCadenceMinutes, type Settings } from './settings';

/**
 * How often an adaptive store's scheduled check runs, from its volume. A check can only change the answer
 * as fast as a stop can be detected at all: never before about STOP_EVIDENCE_ORDERS orders were expected
 * and none came, at the store's busiest hour. A store that sells a hundred an hour can be seen to stop in
 * minutes and is checked every minute; one that sells ten a day needs hours of silence before any budget
 * lets it speak, and checking it every 15 minutes delays that by under a tenth. Order events still bring
 * an immediate check (the failure test), and the fixed modes keep their own check_interval_minutes.
 */
export const STOP_EVIDENCE_ORDERS = 3;

/** Check every minute while the fastest possible stop detection takes under this many minutes... */
const EVERY_MINUTE_BELOW = 60;
/** ...else the largest of these steps that is at most a twelfth of it. */
const STEPS = [5, 10, 15] as const;
const SHARE_OF_DETECTION = 12;

/** Minutes of silence at the busiest hour before a stop could first be told from chance. */
export function minimumStopDetectionMinutes(baseline: Pick<Baseline, 'ratePerHour'>): number {
  let peak = 0;
  for (const rate of baseline.ratePerHour) peak = Math.max(peak, rate);
  return peak > 0 ? (60 * STOP_EVIDENCE_ORDERS) / peak : Number.POSITIVE_INFINITY;
}

/**
 * Minutes between scheduled checks, given minimumStopDetectionMinutes of the store's baseline (null: no
 * baseline built yet, so every minute until the first check has learnt the volume).
 */
export function volumeCadenceMinutes(settings: Pick<Settings, 'mode' | 'check_interval_minutes'>, detection: number | null): number {
  const configured = checkCadenceMinutes(settings);
  if (settings.mode !== 'adaptive' || detection === null) return configured;
  if (detection < EVERY_MINUTE_BELOW) return configured;
  const wanted = Math.max(...STEPS.filter((step) => step * SHARE_OF_DETECTION <= detection), STEPS[0]);
  // check_interval_minutes stays an upper bound an admin can set.
  return Math.max(configured, Math.min(wanted, settings.check_interval_minutes));
}

/**
 * How far past the edge between two cadences a store's detection time must be before its schedule moves.
 * A store of about ten orders a day sits near the 10/15-minute edge, and its baseline is rebuilt every
 * hour: without a margin its schedule (and the silence calibration that depends on it) could change back
 * and forth every hour.
 */
export const CADENCE_MARGIN = 1.15;

/**
 * The detection time a store's schedule should follow, given the one it follows (`followed`, undefined
 * when never measured) and the one its newest baseline gives: the new one when its cadence differs and it
 * is more than CADENCE_MARGIN past the edge next to the cadence followed, else the one followed.
 */
export function followedDetection(settings: Pick<Settings, 'mode' | 'check_interval_minutes'>, followed: number | undefined, detection: number): number {
  if (followed === undefined) return detection;
  const current = volumeCadenceMinutes(settings, followed);
  const next = volumeCadenceMinutes(settings, detection);
  if (next === current) return followed;
  // Pulled back towards the cadence followed by the margin, it must still land on another cadence.
  const pulledBack = next > current ? detection / CADENCE_MARGIN : detection * CADENCE_MARGIN;
  return volumeCadenceMinutes(settings, pulledBack) === current ? followed : detection;
}

/** The sentence the settings and status pages show. */
export function cadenceSentence(minutes: number, mode: Settings['mode']): string {
  const every = minutes === 1 ? 'every minute' : `every ${minutes} minutes`;
  if (mode !== 'adaptive') return `Checked ${every} (the check interval), and right after new orders.`;
  return minutes === 1
    ? 'Checked every minute: at this store’s volume a stop can show within the hour. New orders bring a check at once.'
    : `Checked ${every}: at this store’s volume a stop takes hours to tell from a quiet spell, so checking more often would not find it sooner. New orders bring a check at once.`;
}
