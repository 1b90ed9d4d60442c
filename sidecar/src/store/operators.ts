import type { Knex } from 'knex';

export type OperatorRole = 'admin' | 'viewer';
export const OPERATOR_ROLES: readonly OperatorRole[] = ['admin', 'viewer'];

export interface OperatorRecord {
  id: number;
  email: string;
  role: OperatorRole;
  passwordHash: string;
  createdAt: Date;
  lastLoginAt: Date | null;
  /** Gets the all-stores digest once a day (docs/digest.md). */
  digestOptIn: boolean;
}

interface OperatorRow {
  id: number;
  email: string;
  role: OperatorRole;
  password_hash: string;
  created_at: Date;
  last_login_at: Date | null;
  digest_opt_in: number | boolean;
}

const toRecord = (row: OperatorRow): OperatorRecord => ({
  id: Number(row.id),
  email: row.email,
  role: row.role,
  passwordHash: row.password_hash,
  createdAt: row.created_at,
  lastLoginAt: row.last_login_at,
  digestOptIn: Boolean(row.digest_opt_in),
});

/** The people who sign in to the console. */
export class OperatorRepository {
  constructor(private readonly db: Knex) {}

  async create(input: { email: string; role: OperatorRole; passwordHash: string }, now = new Date()): Promise<OperatorRecord> {
    const [id] = await this.db('operators').insert({ email: input.email, role: input.role, password_hash: input.passwordHash, created_at: now });
    return { id: Number(id), email: input.email, role: input.role, passwordHash: input.passwordHash, createdAt: now, lastLoginAt: null, digestOptIn: false };
  }

  async findByEmail(email: string): Promise<OperatorRecord | null> {
    const row = await this.db<OperatorRow>('operators').where({ email }).first();
    return row ? toRecord(row) : null;
  }

  async find(id: number): Promise<OperatorRecord | null> {
    const row = await this.db<OperatorRow>('operators').where({ id }).first();
    return row ? toRecord(row) : null;
  }

  async list(): Promise<OperatorRecord[]> {
    return (await this.db<OperatorRow>('operators').orderBy('email')).map(toRecord);
  }

  /** Whether the operator gets the all-stores digest; false when there is no such operator. */
  async setDigestOptIn(email: string, on: boolean): Promise<boolean> {
    return (await this.db('operators').where({ email }).update({ digest_opt_in: on })) > 0;
  }

  /** The addresses of the operators who asked for the all-stores digest. */
  async digestOptedIn(): Promise<string[]> {
    return this.db('operators').where({ digest_opt_in: true }).orderBy('email').pluck('email');
  }

  async setPassword(email: string, passwordHash: string): Promise<boolean> {
    return (await this.db('operators').where({ email }).update({ password_hash: passwordHash })) > 0;
  }

  async remove(email: string): Promise<boolean> {
    return (await this.db('operators').where({ email }).delete()) > 0;
  }

  async countAdmins(): Promise<number> {
    const row = await this.db('operators').where({ role: 'admin' }).count({ n: '*' }).first();
    return Number((row as { n?: number | string } | undefined)?.n ?? 0);
  }

  async recordLogin(id: number, at: Date): Promise<void> {
    await this.db('operators').where({ id }).update({ last_login_at: at });
  }
}

export interface SessionRecord {
  idHash: string;
  operator: OperatorRecord;
  csrfToken: string;
  lastSeenAt: Date;
}

/** Console sessions, server-side: the cookie holds a random id; this table holds only its hash. */
export class SessionRepository {
  constructor(private readonly db: Knex) {}

  async create(idHash: string, operatorId: number, csrfToken: string, now: Date): Promise<void> {
    await this.db('console_sessions').insert({ id_hash: idHash, operator_id: operatorId, csrf_token: csrfToken, created_at: now, last_seen_at: now });
  }

  /** The session and its operator, when it was seen after `idleSince`. */
  async find(idHash: string, idleSince: Date): Promise<SessionRecord | null> {
    const row = await this.db('console_sessions as s')
      .join('operators as o', 'o.id', 's.operator_id')
      .where('s.id_hash', idHash)
      .andWhere('s.last_seen_at', '>', idleSince)
      .first('s.id_hash', 's.csrf_token', 's.last_seen_at', 'o.id', 'o.email', 'o.role', 'o.password_hash', 'o.created_at', 'o.last_login_at');
    if (!row) return null;
    return { idHash: row.id_hash, csrfToken: row.csrf_token, lastSeenAt: row.last_seen_at, operator: toRecord(row as OperatorRow) };
  }

  async touch(idHash: string, now: Date): Promise<void> {
    await this.db('console_sessions').where({ id_hash: idHash }).update({ last_seen_at: now });
  }

  async remove(idHash: string): Promise<void> {
    await this.db('console_sessions').where({ id_hash: idHash }).delete();
  }

  async removeForOperator(operatorId: number): Promise<void> {
    await this.db('console_sessions').where({ operator_id: operatorId }).delete();
  }

  async prune(idleSince: Date): Promise<number> {
    return this.db('console_sessions').where('last_seen_at', '<=', idleSince).delete();
  }
}
