import { createHash, randomBytes } from 'node:crypto';
import { hash, verify } from '@node-rs/argon2';
import type { Redis } from 'ioredis';
import type { FieldError } from '../domain/settings';
import { OPERATOR_ROLES, type OperatorRecord, type OperatorRepository, type OperatorRole, type SessionRecord, type SessionRepository } from '../store/operators';

export class OperatorError extends Error {
  constructor(
    message: string,
    readonly field: string,
  ) {
    super(message);
  }
}

export const MIN_PASSWORD_LENGTH = 12;
/** A session unused this long is over; the next request asks to sign in again. */
export const SESSION_IDLE_MS = 30 * 60_000;

/** OWASP's argon2id floor (19 MiB, 2 passes), the binding's default, named so a reader sees the choice. */
// 2 = Algorithm.Argon2id (a const enum, which isolated modules cannot read).
const ARGON2 = { algorithm: 2 as const, memoryCost: 19_456, timeCost: 2, parallelism: 1 };

/** What an operator's (or a digest recipient's) address must look like. */
export const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export const sha256 = (value: string): string => createHash('sha256').update(value).digest('hex');
export const oneTimePassword = (): string => randomBytes(15).toString('base64url');

export function checkPassword(password: string): void {
  if (password.length < MIN_PASSWORD_LENGTH) throw new OperatorError(`must be at least ${MIN_PASSWORD_LENGTH} characters`, 'password');
  if (password.length > 1000) throw new OperatorError('must be at most 1000 characters', 'password');
}

/** Limits for failed sign-ins, counted in Redis so every sidecar sees the same count. */
export interface LoginLimits {
  perAccount: number;
  perIp: number;
  windowSeconds: number;
}
export const LOGIN_LIMITS: LoginLimits = { perAccount: 5, perIp: 20, windowSeconds: 15 * 60 };

export type LoginResult =
  | { ok: true; operator: OperatorRecord }
  | { ok: false; reason: 'invalid' }
  | { ok: false; reason: 'locked'; message: string; retryAfterSeconds: number };

/** Operator accounts: adding, listing, removing, passwords (argon2id) and signing in with a lockout. */
export class OperatorAccounts {
  constructor(
    private readonly deps: {
      operators: OperatorRepository;
      sessions: SessionRepository;
      redis: Redis;
      keyPrefix: string;
      limits?: LoginLimits;
      idleMs?: number;
    },
  ) {}

  private get limits(): LoginLimits {
    return this.deps.limits ?? LOGIN_LIMITS;
  }

  async add(input: { email: string; role: string; password: string }): Promise<OperatorRecord> {
    const email = input.email.trim().toLowerCase();
    if (!EMAIL.test(email) || email.length > 320) throw new OperatorError(`must be an e-mail address (got "${input.email}")`, 'email');
    if (!OPERATOR_ROLES.includes(input.role as OperatorRole)) throw new OperatorError(`must be admin or viewer (got "${input.role}")`, 'role');
    checkPassword(input.password);
    if (await this.deps.operators.findByEmail(email)) throw new OperatorError(`${email} is already an operator`, 'email');
    return this.deps.operators.create({ email, role: input.role as OperatorRole, passwordHash: await hash(input.password, ARGON2) });
  }

  list(): Promise<OperatorRecord[]> {
    return this.deps.operators.list();
  }

  /** Refuses to remove the last admin: nobody could manage operators or tokens any more. */
  async remove(email: string): Promise<void> {
    const operator = await this.deps.operators.findByEmail(email.trim().toLowerCase());
    if (!operator) throw new OperatorError(`No operator ${email}`, 'email');
    if (operator.role === 'admin' && (await this.deps.operators.countAdmins()) <= 1) {
      throw new OperatorError('is the last admin: add another admin first', 'email');
    }
    await this.deps.operators.remove(operator.email);
  }

  /** Whether the operator gets the all-stores digest once a day (docs/digest.md). */
  async setDigestOptIn(email: string, on: boolean): Promise<void> {
    if (!(await this.deps.operators.setDigestOptIn(email.trim().toLowerCase(), on))) throw new OperatorError(`No operator ${email}`, 'email');
  }

  /** A new password ends every session of the operator. */
  async resetPassword(email: string, password: string): Promise<void> {
    const operator = await this.deps.operators.findByEmail(email.trim().toLowerCase());
    if (!operator) throw new OperatorError(`No operator ${email}`, 'email');
    checkPassword(password);
    await this.deps.operators.setPassword(operator.email, await hash(password, ARGON2));
    await this.deps.sessions.removeForOperator(operator.id);
  }

  /**
   * Checks the lockout before the password, so a locked account reveals nothing about a guess. Each
   * failure counts against the account and the address; a success clears the account's count.
   */
  async login(emailInput: string, password: string, ip: string, now = new Date()): Promise<LoginResult> {
    const email = emailInput.trim().toLowerCase().slice(0, 320);
    const accountKey = `${this.deps.keyPrefix}:login:account:${sha256(email)}`;
    const ipKey = `${this.deps.keyPrefix}:login:ip:${ip}`;
    const [account, address] = await this.deps.redis.mget(accountKey, ipKey);
    const locked = async (key: string, what: string): Promise<LoginResult> => {
      const ttl = Math.max(1, await this.deps.redis.ttl(key));
      const minutes = Math.ceil(ttl / 60);
      return { ok: false, reason: 'locked', retryAfterSeconds: ttl, message: `Too many failed sign-ins ${what}. Try again in ${minutes} ${minutes === 1 ? 'minute' : 'minutes'}.` };
    };
    if (Number(account ?? 0) >= this.limits.perAccount) return locked(accountKey, 'for this account');
    if (Number(address ?? 0) >= this.limits.perIp) return locked(ipKey, 'from your address');
    const operator = await this.deps.operators.findByEmail(email);
    const valid = operator ? await verify(operator.passwordHash, password) : await hash(password, ARGON2).then(() => false);
    if (!operator || !valid) {
      await this.deps.redis
        .multi()
        .incr(accountKey)
        .expire(accountKey, this.limits.windowSeconds, 'NX')
        .incr(ipKey)
        .expire(ipKey, this.limits.windowSeconds, 'NX')
        .exec();
      return { ok: false, reason: 'invalid' };
    }
    await this.deps.redis.del(accountKey);
    await this.deps.operators.recordLogin(operator.id, now);
    return { ok: true, operator };
  }

  /** A new session: the cookie's value (only its hash is stored) and the session's CSRF token. */
  async startSession(operator: OperatorRecord, now = new Date()): Promise<{ cookie: string; csrfToken: string }> {
    const cookie = randomBytes(32).toString('base64url');
    const csrfToken = randomBytes(24).toString('base64url');
    await this.deps.sessions.create(sha256(cookie), operator.id, csrfToken, now);
    return { cookie, csrfToken };
  }

  /** The session behind a cookie, if not idle too long; each use moves its idle clock on (once a minute at most). */
  async session(cookie: string, now = new Date()): Promise<SessionRecord | null> {
    const idleMs = this.deps.idleMs ?? SESSION_IDLE_MS;
    const found = await this.deps.sessions.find(sha256(cookie), new Date(now.getTime() - idleMs));
    if (!found) return null;
    if (now.getTime() - found.lastSeenAt.getTime() > Math.min(60_000, idleMs / 4)) await this.deps.sessions.touch(found.idHash, now);
    return found;
  }

  async endSession(cookie: string): Promise<void> {
    await this.deps.sessions.remove(sha256(cookie));
  }

  async pruneSessions(now = new Date()): Promise<number> {
    return this.deps.sessions.prune(new Date(now.getTime() - (this.deps.idleMs ?? SESSION_IDLE_MS)));
  }
}

export const fieldError = (error: OperatorError): FieldError => ({ field: error.field, message: error.message });
