/**
 * A cell a spreadsheet would read as a formula (OWASP "CSV injection") gets a leading quote: an order's
 * payment method or a status name comes from the store, and an export is opened in Excel by someone else.
 */
export function neutraliseCell<T>(cell: T): T | string {
  if (typeof cell !== 'string') return cell;
  return /^[=+\-@\t\r]/.test(cell) ? `'${cell}` : cell;
}
