/**
 * Follow-read wake-ups across nodes over PostgreSQL LISTEN/NOTIFY
 * (src/drivers/postgres/object-changes.ts): two instances on one database stand for two nodes.
 *
 * - A listener on A is woken by a notify on B within 1 s, with the change; a listener of
 *   another key is not. Fails when notify() only wakes local listeners (the pg_notify
 *   removed: checked).
 * - A key too long for the payload travels by hash and still wakes its listener. Fails when
 *   hashed payloads are not delivered (the `hashed` lookup removed: checked).
 * - The LISTEN connection killed: A re-LISTENs, wakes each of its listeners once, and hears
 *   B again. Fails without the wake after reconnecting (checked).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { PgDatabase } from '../../src/drivers/postgres/db.js';
import { PgObjectChanges } from '../../src/drivers/postgres/object-changes.js';
import type { ObjectChange } from '../../src/engine/object-changes.js';
import { type Postgres, postgresSkip, startPostgres } from '../helpers/postgres.js';

let pg: Postgres | undefined;
let dbA: PgDatabase;
let dbB: PgDatabase;
let a: PgObjectChanges;
let b: PgObjectChanges;
const errors: unknown[] = [];

before(async () => {
  if (postgresSkip()) return;
  pg = await startPostgres();
  dbA = new PgDatabase(pg.url, 4);
  dbB = new PgDatabase(pg.url, 4);
  // A payload limit of 200 bytes: long keys (the hash path) are cheap to make here.
  a = await PgObjectChanges.open(dbA, { payloadLimit: 200, onError: (e) => errors.push(e) });
  b = await PgObjectChanges.open(dbB, { payloadLimit: 200, onError: (e) => errors.push(e) });
});

after(async () => {
  await a?.shutdown(100);
  await b?.shutdown(100);
  await dbA?.close();
  await dbB?.close();
  await pg?.stop();
});

/** Resolves with the first change the key's listener on `node` hears, or 'timeout' after `ms`. */
function nextChange(node: PgObjectChanges, bucket: string, key: string, ms = 1000): Promise<ObjectChange | 'shutdown' | 'timeout'> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      stop();
      resolve('timeout');
    }, ms);
    const listener = (change: ObjectChange | 'shutdown'): void => {
      clearTimeout(timer);
      stop();
      resolve(change);
    };
    const stop = (): void => node.unsubscribe(bucket, key, listener);
    node.subscribe(bucket, key, listener);
  });
}

describe('PostgreSQL object changes', { timeout: 60_000, skip: postgresSkip() }, () => {
  test('a listener on A is woken by a notify on B within 1 s; other keys are not', async () => {
    const started = Date.now();
    const heard = nextChange(a, 'bkt', 'log/1');
    const other = nextChange(a, 'bkt', 'log/2', 1500);
    b.notify('bkt', 'log/1', 'appended');
    assert.equal(await heard, 'appended');
    assert.ok(Date.now() - started < 1000, `woken after ${Date.now() - started} ms`);
    assert.equal(await other, 'timeout');
    // Its own notifications reach A's listeners at once, and only once.
    let count = 0;
    const counter = (): void => void count++;
    a.subscribe('bkt', 'log/3', counter);
    const stop = (): void => a.unsubscribe('bkt', 'log/3', counter);
    a.notify('bkt', 'log/3', 'sealed');
    assert.equal(count, 1);
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(count, 1, 'the echo of its own NOTIFY is skipped');
    stop();
    assert.equal(a.listeners, 0);
  });

  test('a key too long for the payload is woken by its hash', async () => {
    const long = `k/${'é'.repeat(300)}`;
    const heard = nextChange(a, 'bkt', long);
    const sibling = nextChange(a, 'bkt', `${long}x`, 1500);
    b.notify('bkt', long, 'replaced');
    assert.equal(await heard, 'replaced');
    assert.equal(await sibling, 'timeout');
  });

  test('a lost LISTEN connection: re-LISTEN, every listener woken once, then B is heard again', async () => {
    const woken: string[] = [];
    const stops = ['x/1', 'x/2'].map((k) => {
      const listener = (c: ObjectChange | 'shutdown'): void => void woken.push(`${k} ${c}`);
      a.subscribe('bkt', k, listener);
      return () => a.unsubscribe('bkt', k, listener);
    });
    const killed = await dbB.query<{ n: number }>(
      "SELECT count(pg_terminate_backend(pid))::int AS n FROM pg_stat_activity WHERE application_name = 'ossd-listen' AND pid <> pg_backend_pid()",
    );
    assert.equal(killed.rows[0]!.n, 2, 'both nodes listen on one connection each');
    const deadline = Date.now() + 10_000;
    while (woken.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(woken.sort(), ['x/1 changed', 'x/2 changed']);
    stops.forEach((s) => s());
    const heard = nextChange(a, 'bkt', 'x/3', 2000);
    b.notify('bkt', 'x/3', 'deleted');
    assert.equal(await heard, 'deleted');
    assert.ok(errors.length > 0, 'the loss was reported');
  });
});
