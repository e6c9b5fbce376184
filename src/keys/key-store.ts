/**
 * Access keys besides the root, and temporary (STS-shaped) credentials: the KeyStore
 * interface, the rules every store shares (ids, scopes, durations), and the SQLite store in
 * the data folder's meta.db. The PostgreSQL store of a cluster is
 * src/drivers/postgres/key-store.ts, over the same tables.
 *
 * The `ossd keys` / `ossd sts` commands and a running server each open their own
 * connection: WAL lets both work at once, and the server reads the tables on every
 * request (no cache), so a disabled or deleted key is refused at once.
 *
 * Secrets are sealed with the master key (master-key.ts explains why not hashed);
 * security tokens are kept as SHA-256 only.
 */
import Database from 'better-sqlite3';
import { randomBytes, randomInt } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { KeyScope } from '../protocol/context.js';
import { decryptSecret, encryptSecret, loadMasterKey, sha256Hex } from './master-key.js';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS access_keys (
  id TEXT PRIMARY KEY,
  secret BLOB NOT NULL,
  enabled INTEGER NOT NULL,
  buckets TEXT,
  read_only INTEGER NOT NULL,
  created_ms INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS temporary_credentials (
  id TEXT PRIMARY KEY,
  secret BLOB NOT NULL,
  token_sha256 TEXT NOT NULL,
  parent TEXT,
  buckets TEXT,
  read_only INTEGER NOT NULL,
  created_ms INTEGER NOT NULL,
  expires_ms INTEGER NOT NULL
) WITHOUT ROWID;
`;

/** Temporary credential ids start with this, as Alibaba Cloud STS's do. */
export const TEMPORARY_PREFIX = 'STS.';
/** Longest temporary credential, as STS AssumeRole allows (12 h); the shortest is 1 s (tests). */
export const MAX_DURATION_S = 43_200;
/** Expired temporary credentials are kept this long, so they are refused as expired rather than unknown. */
export const KEEP_EXPIRED_MS = 24 * 3600 * 1000;

export interface KeyInfo { id: string; enabled: boolean; scope: KeyScope; createdMs: number }

export interface NewKey { id: string; secret: string; scope: KeyScope }

/** The JSON shape of STS AssumeRole's `Credentials`. */
export interface TemporaryCredentials { AccessKeyId: string; AccessKeySecret: string; SecurityToken: string; Expiration: string }

/** What the server needs to verify a request signed with a stored key. */
export interface FoundKey {
  secret: string;
  scope: KeyScope;
  securityTokenSha256?: string;
  expiresAt?: number;
}

export interface IssueOptions {
  durationS: number;
  buckets?: readonly string[];
  readOnly: boolean;
  /** A stored key to issue under (its limits apply too); undefined: root authority. */
  parent?: string;
}

export class KeyStoreError extends Error {}

/**
 * Where access keys and temporary credentials are kept. Asynchronous: a cluster's store is
 * a database across the network. Every call reads or writes the store itself (no cache), so
 * a key made, disabled or deleted through one node holds on every node at its next request.
 */
export interface KeyStore {
  createKey(scope: KeyScope): Promise<NewKey>;
  listKeys(): Promise<KeyInfo[]>;
  /** False when there is no such key. */
  setEnabled(id: string, enabled: boolean): Promise<boolean>;
  /** Deletes the key and the temporary credentials issued under it; false when there is no such key. */
  deleteKey(id: string): Promise<boolean>;
  /** Temporary credentials; under a parent key, within its limits (narrowScope()). */
  issueTemporary(o: IssueOptions): Promise<TemporaryCredentials>;
  /**
   * The enabled key or temporary credentials with this id, for the verifier. Expired
   * temporary credentials are returned (the verifier refuses them as expired); ones whose
   * parent key is disabled or deleted are not.
   */
  find(id: string): Promise<FoundKey | undefined>;
  /** The limits of an enabled key or live-parented temporary credentials (no decryption). */
  scope(id: string): Promise<KeyScope | undefined>;
  close(): Promise<void>;
}

interface ScopeRow { buckets: string | null; read_only: number }
interface KeyRow extends ScopeRow { id: string; secret: Buffer; enabled: number; created_ms: number }
interface TempRow extends ScopeRow { secret: Buffer; token_sha256: string; parent: string | null; parent_enabled: number | null; expires_ms: number }

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

export function randomAlnum(n: number): string {
  let out = '';
  for (let i = 0; i < n; i++) out += ALNUM[randomInt(ALNUM.length)];
  return out;
}

/** `read_only`: SQLite's 0/1 or PostgreSQL's boolean. */
export function scopeOf(row: { buckets: string | null; read_only: number | boolean }): KeyScope {
  const scope: KeyScope = { readOnly: row.read_only === 1 || row.read_only === true };
  if (row.buckets !== null) scope.buckets = JSON.parse(row.buckets) as string[];
  return scope;
}

/** The buckets column: JSON of the distinct names, NULL for every bucket. */
export function bucketsColumn(buckets: readonly string[] | undefined): string | null {
  return buckets === undefined ? null : JSON.stringify([...new Set(buckets)]);
}

/** A new access key id and secret (`LTAI` and 20 characters, as Alibaba Cloud's). */
export function newAccessKey(): { id: string; secret: string } {
  return { id: `LTAI${randomAlnum(20)}`, secret: randomAlnum(30) };
}

/**
 * Checks an issue request and gives the scope its credentials get: under a parent key they
 * can only narrow its limits (named buckets must be among the parent's, and a read-only
 * parent gives read-only credentials). `parent`: the stored parent key, if o.parent names one.
 */
export function narrowScope(o: IssueOptions, parent: { enabled: boolean; scope: KeyScope } | undefined): { buckets: string[] | undefined; readOnly: boolean } {
  if (!Number.isInteger(o.durationS) || o.durationS < 1 || o.durationS > MAX_DURATION_S) {
    throw new KeyStoreError(`duration must be a whole number of seconds from 1 to ${MAX_DURATION_S}`);
  }
  let buckets = o.buckets === undefined ? undefined : [...new Set(o.buckets)];
  let readOnly = o.readOnly;
  if (o.parent !== undefined) {
    if (!parent || !parent.enabled) throw new KeyStoreError(`no enabled access key ${o.parent}`);
    const limits = parent.scope;
    readOnly ||= limits.readOnly;
    if (limits.buckets !== undefined) {
      const outside = buckets?.find((b) => !limits.buckets!.includes(b));
      if (outside !== undefined) throw new KeyStoreError(`access key ${o.parent} may not access bucket ${outside}`);
      buckets ??= [...limits.buckets];
    }
  }
  return { buckets, readOnly };
}

/** A new temporary identity: id (`STS.` …), secret and security token. */
export function newTemporaryIdentity(): { id: string; secret: string; token: string } {
  return { id: `${TEMPORARY_PREFIX}${randomAlnum(24)}`, secret: randomAlnum(40), token: `CAIS${randomBytes(96).toString('base64url')}` };
}

/** STS's Expiration format: ISO 8601 UTC without milliseconds. */
export function stsTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export class SqliteKeyStore implements KeyStore {
  private readonly db: Database.Database;
  private master: Buffer | undefined;
  private readonly stmt;

  constructor(private readonly dataDir: string) {
    mkdirSync(dataDir, { recursive: true });
    this.db = new Database(join(dataDir, 'meta.db'));
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    this.db.pragma('busy_timeout = 5000');
    this.db.exec(SCHEMA);
    const db = this.db;
    this.stmt = {
      insertKey: db.prepare('INSERT INTO access_keys (id, secret, enabled, buckets, read_only, created_ms) VALUES (?, ?, 1, ?, ?, ?)'),
      getKey: db.prepare('SELECT * FROM access_keys WHERE id = ?'),
      listKeys: db.prepare('SELECT id, enabled, buckets, read_only, created_ms FROM access_keys ORDER BY created_ms, id'),
      setEnabled: db.prepare('UPDATE access_keys SET enabled = ? WHERE id = ?'),
      deleteKey: db.prepare('DELETE FROM access_keys WHERE id = ?'),
      deleteChildren: db.prepare('DELETE FROM temporary_credentials WHERE parent = ?'),
      insertTemp: db.prepare(
        'INSERT INTO temporary_credentials (id, secret, token_sha256, parent, buckets, read_only, created_ms, expires_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
      ),
      getTemp: db.prepare(
        `SELECT t.*, k.enabled AS parent_enabled FROM temporary_credentials t
         LEFT JOIN access_keys k ON k.id = t.parent WHERE t.id = ?`,
      ),
      purgeTemp: db.prepare('DELETE FROM temporary_credentials WHERE expires_ms < ?'),
    };
  }

  async close(): Promise<void> {
    this.db.close();
  }

  private masterKey(): Buffer {
    this.master ??= loadMasterKey(this.dataDir);
    return this.master;
  }

  async createKey(scope: KeyScope): Promise<NewKey> {
    const { id, secret } = newAccessKey();
    this.stmt.insertKey.run(id, encryptSecret(this.masterKey(), id, secret), bucketsColumn(scope.buckets), scope.readOnly ? 1 : 0, Date.now());
    return { id, secret, scope };
  }

  async listKeys(): Promise<KeyInfo[]> {
    return (this.stmt.listKeys.all() as KeyRow[]).map((r) => ({ id: r.id, enabled: r.enabled === 1, scope: scopeOf(r), createdMs: r.created_ms }));
  }

  async setEnabled(id: string, enabled: boolean): Promise<boolean> {
    return this.stmt.setEnabled.run(enabled ? 1 : 0, id).changes > 0;
  }

  async deleteKey(id: string): Promise<boolean> {
    return this.db.transaction(() => {
      this.stmt.deleteChildren.run(id);
      return this.stmt.deleteKey.run(id).changes > 0;
    })();
  }

  async issueTemporary(o: IssueOptions): Promise<TemporaryCredentials> {
    const parent = o.parent === undefined ? undefined : (this.stmt.getKey.get(o.parent) as KeyRow | undefined);
    const { buckets, readOnly } = narrowScope(o, parent && { enabled: parent.enabled === 1, scope: scopeOf(parent) });
    const now = Date.now();
    const { id, secret, token } = newTemporaryIdentity();
    const expires = now + o.durationS * 1000;
    this.stmt.purgeTemp.run(now - KEEP_EXPIRED_MS);
    this.stmt.insertTemp.run(
      id, encryptSecret(this.masterKey(), id, secret), sha256Hex(token), o.parent ?? null,
      bucketsColumn(buckets), readOnly ? 1 : 0, now, expires,
    );
    return { AccessKeyId: id, AccessKeySecret: secret, SecurityToken: token, Expiration: stsTime(expires) };
  }

  async find(id: string): Promise<FoundKey | undefined> {
    if (id.startsWith(TEMPORARY_PREFIX)) {
      const t = this.stmt.getTemp.get(id) as TempRow | undefined;
      if (!t || (t.parent !== null && t.parent_enabled !== 1)) return undefined;
      return {
        secret: decryptSecret(this.masterKey(), id, t.secret), scope: scopeOf(t),
        securityTokenSha256: t.token_sha256, expiresAt: t.expires_ms,
      };
    }
    const k = this.stmt.getKey.get(id) as KeyRow | undefined;
    if (!k || k.enabled !== 1) return undefined;
    return { secret: decryptSecret(this.masterKey(), id, k.secret), scope: scopeOf(k) };
  }

  async scope(id: string): Promise<KeyScope | undefined> {
    if (id.startsWith(TEMPORARY_PREFIX)) {
      const t = this.stmt.getTemp.get(id) as TempRow | undefined;
      return !t || (t.parent !== null && t.parent_enabled !== 1) ? undefined : scopeOf(t);
    }
    const k = this.stmt.getKey.get(id) as KeyRow | undefined;
    return k && k.enabled === 1 ? scopeOf(k) : undefined;
  }
}
