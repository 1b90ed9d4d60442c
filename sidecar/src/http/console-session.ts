import { parseCookie, stringifySetCookie } from 'cookie';
import type { Request, Response } from 'express';
import type { OperatorAccounts } from '../services/operator-accounts';
import type { SessionRecord } from '../store/operators';

export const SESSION_COOKIE = 'woom_session';

/** The session cookie the request carries, valid or not. */
function sessionCookieOf(req: Request): string | undefined {
  const header = req.get('Cookie');
  return header ? parseCookie(header)[SESSION_COOKIE] || undefined : undefined;
}

/** The signed-in operator's session behind the request's cookie, if any and not idle too long. */
export async function sessionOf(req: Request, accounts: OperatorAccounts): Promise<{ cookie: string; session: SessionRecord } | null> {
  const cookie = sessionCookieOf(req);
  if (!cookie || cookie.length > 100) return null;
  const session = await accounts.session(cookie);
  return session ? { cookie, session } : null;
}

/** Whether the request carries a session cookie at all (valid or not): "your session ended" needs one. */
export function hasSessionCookie(req: Request): boolean {
  return sessionCookieOf(req) !== undefined;
}

/** HttpOnly, SameSite=Lax, Secure when the console is served over https (PUBLIC_URL). */
export function setSessionCookie(res: Response, value: string, secure: boolean): void {
  res.append('Set-Cookie', stringifySetCookie({ name: SESSION_COOKIE, value, httpOnly: true, sameSite: 'lax', secure, path: '/' }));
}

export function clearSessionCookie(res: Response, secure: boolean): void {
  res.append('Set-Cookie', stringifySetCookie({ name: SESSION_COOKIE, value: '', httpOnly: true, sameSite: 'lax', secure, path: '/', maxAge: 0 }));
}

/** Equal-length, constant-time comparison of a submitted CSRF token with the session's. */
export { signaturesMatch as tokensMatch } from './signature';
