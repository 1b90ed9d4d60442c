/**
 * A stand-in for WooCommerce's REST API (`/wp-json/wc/v3/orders`), the one part of WooCommerce the
 * sidecar calls. Written from ../shared/woocommerce.md and WooCommerce's REST documentation:
 * WooCommerce's field names (with the `*_gmt` dates as ISO 8601 without an offset), `per_page` at most
 * 100, `page`, `modified_after`/`modified_before`/`after`/`before` with `dates_are_gmt`, `orderby` and
 * `order`, the `X-WP-Total` and `X-WP-TotalPages` headers, and authentication as WooCommerce does it:
 * HTTP Basic only over HTTPS, so over plain HTTP an OAuth 1.0a signature (HMAC-SHA1 or HMAC-SHA256) in
 * the query, a timestamp within 15 minutes and a nonce used once.
 */
import { createHmac } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface StandinRestOrder {
  id: number;
  status: string;
  currency: string;
  total: string;
  payment_method: string;
  payment_method_title: string;
  created_via: string;
  /** Instants; shown in WooCommerce's formats on the way out. */
  created: Date;
  modified: Date;
}

export interface WooCommerceRestStandin {
  url: string;
  consumerKey: string;
  consumerSecret: string;
  orders: StandinRestOrder[];
  addOrder(o: Partial<StandinRestOrder> & { created: Date }): StandinRestOrder;
  /** Changes an order's status now, as WooCommerce would (its modification time moves). */
  setStatus(id: number, status: string, at?: Date): void;
  /**
   * The next `count` requests fail: with that HTTP status, never answered ('timeout'), or answered 200
   * with something that is not a list of orders: an object ('not_a_list'), a WordPress error page as
   * HTML ('html'), or a list holding entries that are not orders ('bad_entries').
   */
  failNext(count: number, how: Failure): void;
  /** Runs before each request is answered (after authentication), e.g. to change orders between pages. */
  beforeAnswer: ((query: URLSearchParams) => void) | null;
  requests: URLSearchParams[];
  close(): Promise<void>;
}

type Failure = number | 'timeout' | 'not_a_list' | 'html' | 'bad_entries';

const KEY = `ck_${'a1b2c3d4e5'.repeat(4)}`;
const SECRET = `cs_${'f6e7d8c9b0'.repeat(4)}`;
const ORDERBY = new Set(['date', 'id', 'include', 'title', 'slug', 'modified']);

const rfc3986 = (value: string) => encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
/** "2026-11-23T19:02:11", WooCommerce's REST date format (its *_gmt fields are UTC). */
const wcDate = (instant: Date) => instant.toISOString().slice(0, 19);

export async function startWooCommerceRest(): Promise<WooCommerceRestStandin> {
  const nonces = new Set<string>();
  const failures: Failure[] = [];
  const hanging: ServerResponse[] = [];
  let nextId = 1;
  let port = 0;

  const standin: WooCommerceRestStandin = {
    url: '',
    consumerKey: KEY,
    consumerSecret: SECRET,
    orders: [],
    beforeAnswer: null,
    requests: [],
    addOrder(o) {
      const order: StandinRestOrder = {
        id: o.id ?? nextId,
        status: o.status ?? 'processing',
        currency: o.currency ?? 'EUR',
        total: o.total ?? '25.00',
        payment_method: o.payment_method ?? 'stripe',
        payment_method_title: o.payment_method_title ?? 'Credit card (Stripe)',
        created_via: o.created_via ?? 'checkout',
        created: o.created,
        modified: o.modified ?? o.created,
      };
      nextId = Math.max(nextId, order.id) + 1;
      standin.orders.push(order);
      return order;
    },
    setStatus(id, status, at = new Date()) {
      const order = standin.orders.find((o) => o.id === id);
      if (!order) throw new Error(`no order ${id}`);
      order.status = status;
      order.modified = new Date(Math.floor(at.getTime() / 1000) * 1000);
    },
    failNext(count, how) {
      for (let i = 0; i < count; i += 1) failures.push(how);
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const res of hanging) res.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };

  const error = (res: ServerResponse, status: number, code: string, message: string) => {
    res.writeHead(status, { 'Content-Type': 'application/json; charset=UTF-8' });
    res.end(JSON.stringify({ code, message, data: { status } }));
  };

  /** WooCommerce's OAuth 1.0a check for plain-HTTP requests (WC_REST_Authentication::perform_oauth_authentication). */
  function authenticated(req: IncomingMessage, url: URL): boolean {
    const q = url.searchParams;
    if (q.get('oauth_consumer_key') !== KEY) return false;
    const method = q.get('oauth_signature_method');
    if (method !== 'HMAC-SHA1' && method !== 'HMAC-SHA256') return false;
    const timestamp = Number(q.get('oauth_timestamp'));
    if (!Number.isFinite(timestamp) || Math.abs(Date.now() / 1000 - timestamp) > 15 * 60) return false;
    const nonce = `${q.get('oauth_nonce')}:${timestamp}`;
    if (!q.get('oauth_nonce') || nonces.has(nonce)) return false;
    // PHP's $_GET keeps the last of repeated names (the official client repeats its query in the OAuth params).
    const single = new Map(q.entries());
    const params = [...single.entries()].filter(([k]) => k !== 'oauth_signature').map(([k, v]) => [rfc3986(k), rfc3986(v)] as const);
    params.sort(([ak, av], [bk, bv]) => (ak === bk ? (av < bv ? -1 : 1) : ak < bk ? -1 : 1));
    const base = [req.method ?? 'GET', rfc3986(`http://${req.headers.host}${url.pathname}`), rfc3986(params.map(([k, v]) => `${k}=${v}`).join('&'))].join('&');
    const expected = createHmac(method === 'HMAC-SHA1' ? 'sha1' : 'sha256', `${rfc3986(SECRET)}&`).update(base).digest('base64');
    if (expected !== q.get('oauth_signature')) return false;
    nonces.add(nonce);
    return true;
  }

  function listOrders(url: URL, res: ServerResponse) {
    const q = url.searchParams;
    const perPage = Number(q.get('per_page') ?? 10);
    if (!Number.isInteger(perPage) || perPage < 1 || perPage > 100) {
      return error(res, 400, 'rest_invalid_param', 'Invalid parameter(s): per_page');
    }
    const page = Number(q.get('page') ?? 1);
    if (!Number.isInteger(page) || page < 1) return error(res, 400, 'rest_invalid_param', 'Invalid parameter(s): page');
    const orderby = q.get('orderby') ?? 'date';
    if (!ORDERBY.has(orderby)) return error(res, 400, 'rest_invalid_param', 'Invalid parameter(s): orderby');
    // With dates_are_gmt the filters are UTC; without it, the site's time zone, which here is UTC too.
    const bound = (name: string) => {
      const value = q.get(name);
      if (value === null) return null;
      return Date.parse(/[zZ]|[+-]\d\d:?\d\d$/.test(value) ? value : `${value}Z`);
    };
    const filters = { modified_after: bound('modified_after'), modified_before: bound('modified_before'), after: bound('after'), before: bound('before') };
    for (const [name, value] of Object.entries(filters)) {
      if (Number.isNaN(value)) return error(res, 400, 'rest_invalid_param', `Invalid parameter(s): ${name}`);
    }
    const statuses = q.get('status')?.split(',').filter(Boolean);
    // WordPress's date queries are exclusive: "after" means strictly after.
    let list = standin.orders.filter(
      (o) =>
        (filters.modified_after === null || o.modified.getTime() > filters.modified_after) &&
        (filters.modified_before === null || o.modified.getTime() < filters.modified_before) &&
        (filters.after === null || o.created.getTime() > filters.after) &&
        (filters.before === null || o.created.getTime() < filters.before) &&
        (!statuses || statuses.includes('any') || statuses.includes(o.status)),
    );
    const key = (o: StandinRestOrder) => (orderby === 'modified' ? o.modified.getTime() : orderby === 'id' ? o.id : o.created.getTime());
    const direction = q.get('order') === 'asc' ? 1 : -1;
    list = [...list].sort((a, b) => (key(a) - key(b)) * direction || (a.id - b.id) * direction);
    const total = list.length;
    const totalPages = Math.ceil(total / perPage);
    if (page > 1 && page > totalPages) return error(res, 400, 'rest_post_invalid_page_number', 'The page number requested is larger than the number of pages available.');
    const body = list.slice((page - 1) * perPage, page * perPage).map((o) => ({
      id: o.id,
      parent_id: 0,
      status: o.status,
      currency: o.currency,
      version: '9.4.0',
      prices_include_tax: false,
      date_created: wcDate(o.created),
      date_modified: wcDate(o.modified),
      discount_total: '0.00',
      shipping_total: '0.00',
      total: o.total,
      total_tax: '0.00',
      customer_id: 0,
      payment_method: o.payment_method,
      payment_method_title: o.payment_method_title,
      transaction_id: '',
      created_via: o.created_via,
      date_paid: o.status === 'processing' || o.status === 'completed' ? wcDate(o.modified) : null,
      date_paid_gmt: o.status === 'processing' || o.status === 'completed' ? wcDate(o.modified) : null,
      date_completed: o.status === 'completed' ? wcDate(o.modified) : null,
      date_completed_gmt: o.status === 'completed' ? wcDate(o.modified) : null,
      date_created_gmt: wcDate(o.created),
      date_modified_gmt: wcDate(o.modified),
      line_items: [],
    }));
    res.writeHead(200, { 'Content-Type': 'application/json; charset=UTF-8', 'X-WP-Total': String(total), 'X-WP-TotalPages': String(totalPages) });
    res.end(JSON.stringify(body));
  }

  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', `http://${req.headers.host}`);
    if (req.method !== 'GET' || url.pathname !== '/wp-json/wc/v3/orders') return error(res, 404, 'rest_no_route', 'No route was found matching the URL and request method.');
    if (!authenticated(req, url)) return error(res, 401, 'woocommerce_rest_cannot_view', 'Sorry, you cannot list resources.');
    standin.requests.push(url.searchParams);
    const failure = failures.shift();
    if (failure === 'timeout') {
      hanging.push(res);
      return;
    }
    if (failure === 'not_a_list' || failure === 'bad_entries') {
      res.writeHead(200, { 'Content-Type': 'application/json; charset=UTF-8', 'X-WP-Total': '2', 'X-WP-TotalPages': '1' });
      res.end(JSON.stringify(failure === 'not_a_list' ? { orders: 'none', code: 'unexpected' } : [null, { id: 'seven', status: 42 }]));
      return;
    }
    if (failure === 'html') {
      res.writeHead(200, { 'Content-Type': 'text/html; charset=UTF-8' });
      res.end('<html><body><p>There has been a critical error on this website.</p></body></html>');
      return;
    }
    if (failure !== undefined) return error(res, failure, 'internal_server_error', 'There has been a critical error on this website.');
    standin.beforeAnswer?.(url.searchParams);
    listOrders(url, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  port = (server.address() as AddressInfo).port;
  standin.url = `http://127.0.0.1:${port}`;
  return standin;
}
