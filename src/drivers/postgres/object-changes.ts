/**
 * Follow-read wake-ups across the nodes of a cluster (issue 19, docs/storage.md "Waking
 * followers across nodes"): the ObjectChanges of src/engine/object-changes.ts over
 * PostgreSQL LISTEN/NOTIFY. Neither the engine nor the followers change.
 *
 * - notify() wakes this node's listeners at once (as the in-process implementation does),
 *   then runs `pg_notify('ossd_objects', payload)` through the pool, which every node's
 *   LISTEN connection receives. The engine calls notify() after the commit is durable, so
 *   a woken listener on another node reads the committed row.
 * - The payload is JSON `[sender, change, bucket, key]`. NOTIFY payloads are limited to
 *   8000 bytes; a key may be 1,023 bytes of UTF-8 that JSON escaping can grow six-fold, so
 *   a payload over PAYLOAD_LIMIT is sent as `[sender, change, null, sha256(bucket \0 key)]`
 *   and wakes the local listeners of keys with that hash.
 * - One dedicated connection per node LISTENs (not a pooled one: a pooled connection is
 *   handed to other queries and loses its LISTEN). Its own notifications (same sender)
 *   are skipped: they were delivered locally already.
 * - When that connection is lost it reconnects (backing off up to 2 s), LISTENs again,
 *   and then wakes every local listener once with `changed`: a commit made while nobody
 *   listened is then seen by the re-read the wake causes. A lost wake-up costs at most a
 *   delay; listeners never wait on a dead connection.
 */
import { createHash, randomBytes } from 'node:crypto';
import pg from 'pg';
import { type ChangeListener, LocalObjectChanges, type ObjectChange, type ObjectChanges } from '../../engine/object-changes.js';
import type { PgDatabase } from './db.js';

export const CHANNEL = 'ossd_objects';
/** Below PostgreSQL's 8000-byte NOTIFY payload limit, with room to spare. */
export const PAYLOAD_LIMIT = 7900;

const CHANGES = new Set<string>(['appended', 'sealed', 'replaced', 'deleted', 'changed']);

function keyHash(bucket: string, key: string): string {
  return createHash('sha256').update(`${bucket}\0${key}`, 'utf8').digest('hex');
}

interface KeyEntry {
  bucket: string;
  key: string;
  count: number;
}

export interface PgObjectChangesOptions {
  /** Payloads longer than this are sent by key hash (tests lower it). */
  payloadLimit?: number;
  /** A failed NOTIFY or a lost LISTEN connection (logged by the server; never thrown). */
  onError?: (e: unknown) => void;
}

export class PgObjectChanges implements ObjectChanges {
  private readonly local = new LocalObjectChanges();
  /** This instance's name in payloads, so its own notifications are not delivered twice. */
  private readonly sender = randomBytes(8).toString('hex');
  /** Keys with local listeners, with their listener counts (woken all at once after a reconnect). */
  private readonly keys = new Map<string, KeyEntry>();
  /** Those of them whose notifications travel by hash: hash → keys. */
  private readonly hashed = new Map<string, Set<KeyEntry>>();
  private listener: pg.Client | undefined;
  private closed = false;
  private reconnecting: Promise<void> | undefined;
  private readonly payloadLimit: number;
  private readonly onError: (e: unknown) => void;

  private constructor(
    private readonly db: PgDatabase,
    options: PgObjectChangesOptions,
  ) {
    this.payloadLimit = options.payloadLimit ?? PAYLOAD_LIMIT;
    this.onError = options.onError ?? (() => undefined);
  }

  /** Starts listening; resolves once the LISTEN connection is up. */
  static async open(db: PgDatabase, options: PgObjectChangesOptions = {}): Promise<PgObjectChanges> {
    const changes = new PgObjectChanges(db, options);
    try {
      await changes.listen();
    } catch (e) {
      changes.closed = true; // no reconnecting in the background for a store that never opened
      throw e;
    }
    return changes;
  }

  notify(bucket: string, key: string, change: ObjectChange): void {
    this.local.notify(bucket, key, change);
    let payload = JSON.stringify([this.sender, change, bucket, key]);
    if (Buffer.byteLength(payload) > this.payloadLimit) payload = JSON.stringify([this.sender, change, null, keyHash(bucket, key)]);
    this.db.query('SELECT pg_notify($1, $2)', [CHANNEL, payload]).catch(this.onError);
  }

  subscribe(bucket: string, key: string, listener: ChangeListener): void {
    const before = this.local.listeners;
    this.local.subscribe(bucket, key, listener);
    if (this.local.listeners === before) return; // already subscribed
    const k = `${bucket}\0${key}`;
    const entry = this.keys.get(k) ?? { bucket, key, count: 0 };
    if (entry.count++ > 0) return;
    this.keys.set(k, entry);
    if (this.needsHash(bucket, key)) {
      const hash = keyHash(bucket, key);
      let sameHash = this.hashed.get(hash);
      if (!sameHash) this.hashed.set(hash, (sameHash = new Set()));
      sameHash.add(entry);
    }
  }

  unsubscribe(bucket: string, key: string, listener: ChangeListener): void {
    const before = this.local.listeners;
    this.local.unsubscribe(bucket, key, listener);
    if (this.local.listeners === before) return; // not subscribed (idempotent)
    const k = `${bucket}\0${key}`;
    const entry = this.keys.get(k);
    if (!entry || --entry.count > 0) return;
    this.keys.delete(k);
    if (this.needsHash(bucket, key)) {
      const hash = keyHash(bucket, key);
      const sameHash = this.hashed.get(hash);
      sameHash?.delete(entry);
      if (sameHash?.size === 0) this.hashed.delete(hash);
    }
  }

  get listeners(): number {
    return this.local.listeners;
  }

  async shutdown(waitMs: number): Promise<void> {
    await this.local.shutdown(waitMs);
    this.closed = true;
    const client = this.listener;
    this.listener = undefined;
    await client?.end().catch(() => undefined);
  }

  /** Whether notifications of this key travel by hash (the same test notify() applies). */
  private needsHash(bucket: string, key: string): boolean {
    return Buffer.byteLength(JSON.stringify([this.sender, 'appended', bucket, key])) > this.payloadLimit;
  }

  private async listen(): Promise<void> {
    const client = new pg.Client({ connectionString: this.db.url, application_name: 'ossd-listen' });
    client.on('notification', (n) => this.deliver(n.payload));
    // Lost: reconnect (errors first, then end; whichever comes first starts it once).
    const lost = (e?: unknown): void => {
      if (e) this.onError(e);
      if (this.listener === client) this.listener = undefined;
      if (!this.closed) this.reconnect();
    };
    client.on('error', lost);
    client.on('end', () => lost());
    await client.connect();
    await client.query(`LISTEN ${CHANNEL}`);
    if (this.closed) {
      await client.end();
      return;
    }
    this.listener = client;
  }

  private reconnect(): void {
    this.reconnecting ??= (async () => {
      for (let delay = 50; !this.closed; delay = Math.min(delay * 2, 2000)) {
        try {
          await this.listen();
          // Whatever was committed while nobody listened: every listener looks once.
          for (const { bucket, key } of [...this.keys.values()]) this.local.notify(bucket, key, 'changed');
          return;
        } catch (e) {
          this.onError(e);
          await new Promise((r) => setTimeout(r, delay));
        }
      }
    })().finally(() => {
      this.reconnecting = undefined;
    });
  }

  private deliver(payload: string | undefined): void {
    let parsed: unknown;
    try {
      parsed = JSON.parse(payload ?? '');
    } catch {
      return; // not ours
    }
    if (!Array.isArray(parsed) || parsed.length !== 4) return;
    const [sender, change, bucket, key] = parsed as unknown[];
    if (sender === this.sender || typeof change !== 'string' || !CHANGES.has(change) || typeof key !== 'string') return;
    if (typeof bucket === 'string') {
      this.local.notify(bucket, key, change as ObjectChange);
      return;
    }
    for (const k of [...(this.hashed.get(key) ?? [])]) this.local.notify(k.bucket, k.key, change as ObjectChange);
  }
}
