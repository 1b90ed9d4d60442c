import { createHmac } from 'node:crypto';
import type { Request } from 'express';
import type { StoreRecord } from '../store/stores';
import { signaturesMatch } from './signature';

/** Where a page's host puts its hidden form fields (README, "Store endpoints"; wp-bridge TabView). */
export const FORM_FIELDS_MARKER = '<!--woom:form-fields-->';
export const CSRF_FIELD = '_csrf';

/**
 * The development pages are opened without a signature, so a form posted from another site in the
 * developer's browser would otherwise change the store's settings. Each form carries this token, which a
 * page elsewhere cannot read; it is derived from the store's secret, so it needs no storage.
 */
export function devCsrfToken(store: StoreRecord): string {
  return createHmac('sha256', store.secret).update(`woom-dev-pages-csrf:${store.id}`).digest('base64url');
}

export function hasDevCsrfToken(req: Request, store: StoreRecord): boolean {
  const given = new URLSearchParams(req.rawBody ?? '').get(CSRF_FIELD) ?? '';
  return signaturesMatch(devCsrfToken(store), given);
}

/** The hidden field the sidecar, as the pages' host in development, puts in every form. */
export function devCsrfField(token: string): string {
  return `<input type="hidden" name="${CSRF_FIELD}" value="${token}">`;
}
