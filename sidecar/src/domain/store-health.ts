import { z } from 'zod';

/** The health snapshot a heartbeat carries (README: "Health snapshot"); unknown parts are ignored. */
const page = z.object({ set: z.boolean(), published: z.boolean(), url: z.string().nullable().optional() });
export const healthSnapshotSchema = z.object({
  wordpress_version: z.string().nullish(),
  woocommerce_version: z.string().nullish(),
  gateways_enabled: z.array(z.string()).optional(),
  gateways_available: z.array(z.string()).optional(),
  pages: z.object({ shop: page.optional(), cart: page.optional(), checkout: page.optional() }).optional(),
  fatal_errors: z.number().int().min(0).optional(),
  /** The REST API's root as WordPress builds it (`/wp-json/`, or `/?rest_route=/` without pretty permalinks). */
  rest_url: z.string().nullish(),
  wp_cron_late_seconds: z.number().min(0).nullish(),
  action_scheduler_late_seconds: z.number().min(0).nullish(),
});

export type HealthSnapshot = z.infer<typeof healthSnapshotSchema>;

export interface HealthProblem {
  key: 'no_payment_method' | 'checkout_page_unset' | 'checkout_page_unpublished' | 'fatal_errors';
  message: string;
}

/**
 * What in a snapshot means checkout cannot work, in store terms. Pure: the caller passes the snapshot.
 * A part the bridge did not report (an older bridge) raises nothing.
 */
export function healthProblems(snapshot: HealthSnapshot): HealthProblem[] {
  const problems: HealthProblem[] = [];
  if (snapshot.gateways_available && snapshot.gateways_available.length === 0) {
    const enabled = snapshot.gateways_enabled ?? [];
    problems.push({
      key: 'no_payment_method',
      message:
        enabled.length > 0
          ? `No payment method is available at checkout: customers cannot pay (enabled but not offered: ${enabled.join(', ')})`
          : 'No payment method is enabled: customers cannot pay (WooCommerce → Settings → Payments)',
    });
  }
  const checkout = snapshot.pages?.checkout;
  if (checkout && !checkout.set) {
    problems.push({ key: 'checkout_page_unset', message: 'The checkout page is not set (WooCommerce → Settings → Advanced → Page setup)' });
  } else if (checkout && !checkout.published) {
    problems.push({ key: 'checkout_page_unpublished', message: 'The checkout page is not published: customers cannot reach it' });
  }
  if ((snapshot.fatal_errors ?? 0) > 0) {
    const n = snapshot.fatal_errors!;
    problems.push({
      key: 'fatal_errors',
      message: `${n} PHP fatal ${n === 1 ? 'error was' : 'errors were'} logged since the last heartbeat (WooCommerce → Status → Logs, source fatal-errors)`,
    });
  }
  return problems;
}
