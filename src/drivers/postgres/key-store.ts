/**
 * Access keys and temporary credentials in PostgreSQL (issue 19): the KeyStore of
 * src/keys/key-store.ts over the access_keys and temporary_credentials tables of
 * migrations/001-initial.sql, shared by every node. Each call reads or writes the tables
 * (no cache), so a key made, disabled or deleted through one node holds on every node at
 * its next request.
 *
 * Secrets are sealed with the master key as in the SQLite store; every node must hold the
 * same one (OSSD_MASTER_KEY or --master-key-file, src/keys/master-key.ts sharedMasterKey()).
 */
import type { KeyScope } from '../../protocol/context.js';
import {
  bucketsColumn, type FoundKey, type IssueOptions, KEEP_EXPIRED_MS, type KeyInfo, type KeyStore, narrowScope, newAccessKey,
  newTemporaryIdentity, type NewKey, scopeOf, stsTime, type TemporaryCredentials, TEMPORARY_PREFIX,
} from '../../keys/key-store.js';
import { decryptSecret, encryptSecret, sha256Hex } from '../../keys/master-key.js';
import type { PgDatabase } from './db.js';
import { hasNul } from './nul-text.js';

interface KeyRow { id: string; secret: Buffer; enabled: boolean; buckets: string | null; read_only: boolean; created_ms: number }
interface TempRow { secret: Buffer; token_sha256: string; parent: string | null; parent_enabled: boolean | null; buckets: string | null; read_only: boolean; expires_ms: number }

const TEMP_WITH_PARENT = `SELECT t.*, k.enabled AS parent_enabled FROM temporary_credentials t
  LEFT JOIN access_keys k ON k.id = t.parent WHERE t.id = $1`;

export class PgKeyStore implements KeyStore {
  constructor(
    private readonly db: PgDatabase,
    /** The cluster's master key (32 bytes), the same on every node. */
    private readonly master: Buffer,
    /** Whether close() also closes `db` (the CLI's own connection), or leaves it to its owner (the server's). */
    private readonly ownsDb = false,
  ) {}

  async close(): Promise<void> {
    if (this.ownsDb) await this.db.close();
  }

  async createKey(scope: KeyScope): Promise<NewKey> {
    const { id, secret } = newAccessKey();
    await this.db.query(
      'INSERT INTO access_keys (id, secret, enabled, buckets, read_only, created_ms) VALUES ($1, $2, true, $3, $4, $5)',
      [id, encryptSecret(this.master, id, secret), bucketsColumn(scope.buckets), scope.readOnly, Date.now()],
    );
    return { id, secret, scope };
  }

  async listKeys(): Promise<KeyInfo[]> {
    const r = await this.db.query<KeyRow>('SELECT id, enabled, buckets, read_only, created_ms FROM access_keys ORDER BY created_ms, id');
    return r.rows.map((k) => ({ id: k.id, enabled: k.enabled, scope: scopeOf(k), createdMs: k.created_ms }));
  }

  async setEnabled(id: string, enabled: boolean): Promise<boolean> {
    return (await this.db.query('UPDATE access_keys SET enabled = $2 WHERE id = $1', [id, enabled])).rowCount === 1;
  }

  deleteKey(id: string): Promise<boolean> {
    return this.db.tx(async (c) => {
      await c.query('DELETE FROM temporary_credentials WHERE parent = $1', [id]);
      return (await c.query('DELETE FROM access_keys WHERE id = $1', [id])).rowCount === 1;
    });
  }

  issueTemporary(o: IssueOptions): Promise<TemporaryCredentials> {
    return this.db.tx(async (c) => {
      // The parent row stays as read (FOR SHARE) until the credentials are in: a delete of the
      // parent on another node either comes first (refused here) or takes them with it.
      const parent = o.parent === undefined
        ? undefined
        : (await c.query<KeyRow>('SELECT * FROM access_keys WHERE id = $1 FOR SHARE', [o.parent])).rows[0];
      const { buckets, readOnly } = narrowScope(o, parent && { enabled: parent.enabled, scope: scopeOf(parent) });
      const now = Date.now();
      const { id, secret, token } = newTemporaryIdentity();
      const expires = now + o.durationS * 1000;
      await c.query('DELETE FROM temporary_credentials WHERE expires_ms < $1', [now - KEEP_EXPIRED_MS]);
      await c.query(
        `INSERT INTO temporary_credentials (id, secret, token_sha256, parent, buckets, read_only, created_ms, expires_ms)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
        [id, encryptSecret(this.master, id, secret), sha256Hex(token), o.parent ?? null, bucketsColumn(buckets), readOnly, now, expires],
      );
      return { AccessKeyId: id, AccessKeySecret: secret, SecurityToken: token, Expiration: stsTime(expires) };
    });
  }

  async find(id: string): Promise<FoundKey | undefined> {
    if (hasNul(id)) return undefined; // an id from a request; none stored holds U+0000 (nul-text.ts)
    if (id.startsWith(TEMPORARY_PREFIX)) {
      const t = (await this.db.query<TempRow>(TEMP_WITH_PARENT, [id])).rows[0];
      if (!t || (t.parent !== null && t.parent_enabled !== true)) return undefined;
      return {
        secret: decryptSecret(this.master, id, t.secret), scope: scopeOf(t),
        securityTokenSha256: t.token_sha256, expiresAt: t.expires_ms,
      };
    }
    const k = (await this.db.query<KeyRow>('SELECT * FROM access_keys WHERE id = $1', [id])).rows[0];
    if (!k || !k.enabled) return undefined;
    return { secret: decryptSecret(this.master, id, k.secret), scope: scopeOf(k) };
  }

  async scope(id: string): Promise<KeyScope | undefined> {
    if (hasNul(id)) return undefined;
    if (id.startsWith(TEMPORARY_PREFIX)) {
      const t = (await this.db.query<TempRow>(TEMP_WITH_PARENT, [id])).rows[0];
      return !t || (t.parent !== null && t.parent_enabled !== true) ? undefined : scopeOf(t);
    }
    const k = (await this.db.query<KeyRow>('SELECT enabled, buckets, read_only FROM access_keys WHERE id = $1', [id])).rows[0];
    return k && k.enabled ? scopeOf(k) : undefined;
  }
}
