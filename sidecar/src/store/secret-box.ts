import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import type { Knex } from 'knex';

const PREFIX = 'enc:v1:';

export class SecretKeyError extends Error {}

/** WOOM_SECRET_KEY and friends: base64 of exactly 32 bytes (`openssl rand -base64 32`). */
export function parseSecretKey(base64: string): Buffer {
  const key = Buffer.from(base64, 'base64');
  if (key.length !== 32) throw new SecretKeyError('must be 32 random bytes in base64, e.g. the output of: openssl rand -base64 32');
  return key;
}

const keyId = (key: Buffer) => createHash('sha256').update(key).digest('hex').slice(0, 8);

/**
 * Secrets at rest (WooCommerce consumer secrets, webhook signing keys): AES-256-GCM under a key from the
 * environment, stored as `enc:v1:<key id>:<iv>:<tag>:<ciphertext>`. The row's `context` (table, column
 * and row) is authenticated with it, so a sealed value copied into another row does not open. Old keys
 * open values until `woom secrets rotate-key` has re-sealed them under the current one. Without a key,
 * values are kept as they are (development), and a sealed value cannot be read.
 */
export class SecretBox {
  private readonly keys = new Map<string, Buffer>();
  private readonly currentId: string | null;

  constructor(
    private readonly current: Buffer | null,
    previous: Buffer[] = [],
  ) {
    for (const key of [...previous, ...(current ? [current] : [])]) this.keys.set(keyId(key), key);
    this.currentId = current ? keyId(current) : null;
  }

  static fromEnvironment(config: { WOOM_SECRET_KEY?: string; WOOM_SECRET_KEY_PREVIOUS?: string }): SecretBox {
    const current = config.WOOM_SECRET_KEY ? parseSecretKey(config.WOOM_SECRET_KEY) : null;
    const previous = (config.WOOM_SECRET_KEY_PREVIOUS ?? '').split(/[\s,]+/).filter(Boolean).map(parseSecretKey);
    return new SecretBox(current, previous);
  }

  get encrypts(): boolean {
    return this.current !== null;
  }

  seal(plain: string, context: string): string {
    if (!this.current) return plain;
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.current, iv).setAAD(Buffer.from(context));
    const data = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    return `${PREFIX}${this.currentId}:${iv.toString('base64url')}:${cipher.getAuthTag().toString('base64url')}:${data.toString('base64url')}`;
  }

  open(stored: string, context: string): string {
    if (!stored.startsWith(PREFIX)) return stored;
    const [id, iv, tag, data] = stored.slice(PREFIX.length).split(':');
    const key = id ? this.keys.get(id) : undefined;
    if (!key || !iv || !tag || data === undefined) {
      throw new SecretKeyError(`A secret is sealed with key ${id ?? '?'}, which is neither WOOM_SECRET_KEY nor in WOOM_SECRET_KEY_PREVIOUS`);
    }
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url')).setAAD(Buffer.from(context));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(data, 'base64url')), decipher.final()]).toString('utf8');
  }

  /** True when `stored` is plain text or sealed under another key than the current one. */
  needsReseal(stored: string): boolean {
    return this.current !== null && !stored.startsWith(`${PREFIX}${this.currentId}:`);
  }
}

export const restSecretContext = (storeId: string) => `store_rest_credentials.consumer_secret:${storeId}`;
export const channelSecretContext = (channelId: number) => `notification_channels.secret:${channelId}`;

/**
 * Seals every secret still in plain text or under an old key with the current key (`mode: 'seal'`,
 * run at every start, so existing rows are encrypted once a key is set, and by `woom secrets rotate-key`),
 * or writes them all back in plain text (`'plain'`: `woom secrets decrypt`, before migrating down or
 * giving up the key). A row is updated only if it still holds what was read, so two sidecars starting at
 * once cannot clash.
 */
export async function rewriteSecrets(db: Knex, box: SecretBox, mode: 'seal' | 'plain'): Promise<{ rewritten: number }> {
  if (mode === 'seal' && !box.encrypts) return { rewritten: 0 };
  const rewrite = (stored: string, context: string): string | null => {
    if (mode === 'seal') return box.needsReseal(stored) ? box.seal(box.open(stored, context), context) : null;
    const plain = box.open(stored, context);
    return plain === stored ? null : plain;
  };
  let rewritten = 0;
  for (const row of await db('store_rest_credentials').select('store_id', 'consumer_secret')) {
    const next = rewrite(row.consumer_secret, restSecretContext(row.store_id));
    if (next !== null) rewritten += await db('store_rest_credentials').where({ store_id: row.store_id, consumer_secret: row.consumer_secret }).update({ consumer_secret: next });
  }
  for (const row of await db('notification_channels').whereNotNull('secret').select('id', 'secret')) {
    const next = rewrite(row.secret, channelSecretContext(Number(row.id)));
    if (next !== null) rewritten += await db('notification_channels').where({ id: row.id, secret: row.secret }).update({ secret: next });
  }
  return { rewritten };
}
