import WooCommerceRestApiModule from '@woocommerce/woocommerce-rest-api';
import type { WcOrder } from './order-mapping';

// Imported from ESM, the package's default export may arrive wrapped once more.
const WooCommerceRestApi = ((WooCommerceRestApiModule as unknown as { default?: unknown }).default ??
  WooCommerceRestApiModule) as typeof WooCommerceRestApiModule;

export const PER_PAGE = 100;

export class RestError extends Error {
  constructor(
    message: string,
    /** HTTP status, or null when the store did not answer (time-out, refused, DNS). */
    readonly status: number | null,
  ) {
    super(message);
    this.name = 'RestError';
  }
}

export interface OrdersPage {
  orders: WcOrder[];
  totalPages: number;
}

/** `GET wc/v3/orders` of one store through the official client, read-only. */
export class WooCommerceOrdersApi {
  private readonly api: InstanceType<typeof WooCommerceRestApi>;

  constructor(storeUrl: string, credentials: { consumerKey: string; consumerSecret: string }, timeoutMs = 15_000) {
    this.api = new WooCommerceRestApi({
      url: storeUrl,
      consumerKey: credentials.consumerKey,
      consumerSecret: credentials.consumerSecret,
      version: 'wc/v3',
      timeout: timeoutMs,
    });
  }

  /** One page of the orders modified after `after`, oldest modification first. */
  async modifiedAfter(after: Date, page: number): Promise<OrdersPage> {
    try {
      const response = await this.api.get('orders', {
        modified_after: after.toISOString().replace(/\.\d{3}Z$/, ''),
        dates_are_gmt: 'true',
        orderby: 'modified',
        order: 'asc',
        per_page: String(PER_PAGE),
        page: String(page),
      });
      if (!Array.isArray(response.data)) throw new RestError('the store answered something other than a list of orders', response.status);
      return { orders: response.data as WcOrder[], totalPages: Number(response.headers['x-wp-totalpages'] ?? 1) || 1 };
    } catch (error) {
      throw toRestError(error);
    }
  }
}

function toRestError(error: unknown): RestError {
  if (error instanceof RestError) return error;
  const e = error as { response?: { status?: number; data?: { message?: string; code?: string } }; code?: string; message?: string };
  if (e.response?.status) {
    const detail = e.response.data?.message ?? e.response.data?.code ?? '';
    const hint = e.response.status === 401 ? ' (check the REST consumer key and secret)' : '';
    return new RestError(`WooCommerce REST API answered ${e.response.status}${detail ? `: ${detail}` : ''}${hint}`, e.response.status);
  }
  return new RestError(`WooCommerce REST API did not answer: ${e.code ?? ''} ${e.message ?? String(error)}`.trim(), null);
}
