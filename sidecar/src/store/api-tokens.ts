import type { Knex } from 'knex';

export type TokenScope = 'read' | 'write';

export interface ApiTokenRecord {
  id: number;
  name: string;
  scope: TokenScope;
  storeId: string | null;
  hint: string;
  createdBy: string;
  createdAt: Date;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
}

interface TokenRow {
  id: number;
  name: string;
  scope: TokenScope;
  store_id: string | null;
  hint: string;
  created_by: string;
  created_at: Date;
  last_used_at: Date | null;
  revoked_at: Date | null;
}

const toRecord = (row: TokenRow): ApiTokenRecord => ({
  id: Number(row.id),
  name: row.name,
  scope: row.scope,
  storeId: row.store_id,
  hint: row.hint,
  createdBy: row.created_by,
  createdAt: row.created_at,
  lastUsedAt: row.last_used_at,
  revokedAt: row.revoked_at,
});

const COLUMNS = ['id', 'name', 'scope', 'store_id', 'hint', 'created_by', 'created_at', 'last_used_at', 'revoked_at'];

/** API tokens, stored as the SHA-256 of the token: the token itself is shown once and never kept. */
export class ApiTokenRepository {
  constructor(private readonly db: Knex) {}

  async create(input: { name: string; scope: TokenScope; storeId: string | null; tokenHash: string; hint: string; createdBy: string }, now = new Date()): Promise<ApiTokenRecord> {
    const row = { name: input.name, scope: input.scope, store_id: input.storeId, token_hash: input.tokenHash, hint: input.hint, created_by: input.createdBy, created_at: now };
    const [id] = await this.db('api_tokens').insert(row);
    return toRecord({ ...row, id: Number(id), last_used_at: null, revoked_at: null });
  }

  async findActiveByHash(tokenHash: string): Promise<ApiTokenRecord | null> {
    const row: TokenRow | undefined = await this.db('api_tokens').where({ token_hash: tokenHash }).whereNull('revoked_at').first(COLUMNS);
    return row ? toRecord(row) : null;
  }

  async list(): Promise<ApiTokenRecord[]> {
    const rows: TokenRow[] = await this.db('api_tokens').orderBy('id').select(COLUMNS);
    return rows.map(toRecord);
  }

  async revoke(id: number, now = new Date()): Promise<boolean> {
    return (await this.db('api_tokens').where({ id }).whereNull('revoked_at').update({ revoked_at: now })) > 0;
  }

  /** At most once a minute per token, so a busy integration does not write on every request. */
  async touch(id: number, now: Date): Promise<void> {
    await this.db('api_tokens')
      .where({ id })
      .andWhere((q) => q.whereNull('last_used_at').orWhere('last_used_at', '<', new Date(now.getTime() - 60_000)))
      .update({ last_used_at: now });
  }
}
