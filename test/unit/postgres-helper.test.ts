/**
 * The throw-away PostgreSQL of test/helpers/postgres.ts (issue 19): it starts an empty
 * cluster on a loopback port, answers SQL through psql with a bytewise (C) collation,
 * runs the server as a non-root user, and stop() ends the server and removes its folder.
 *
 * Fails when stop() no longer removes the folder (its `rmSync` removed: checked), and when
 * the server listens beyond IPv4 loopback (`listen_addresses=127.0.0.1,::1`: checked).
 */
import assert from 'node:assert/strict';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { postgresSkip, psql, startPostgres } from '../helpers/postgres.js';

describe('throw-away PostgreSQL', { timeout: 120_000, skip: postgresSkip() }, () => {
  test('starts, answers SELECT 1 over TCP, then stops and leaves nothing', async () => {
    const pg = await startPostgres();
    let stopped = false;
    try {
      assert.match(pg.url, /^postgres:\/\/ossd@127\.0\.0\.1:\d+\/ossd$/);
      assert.equal((await psql(pg.url, 'SELECT 1')).trim(), '1');
      // Keys will compare bytewise: the database's collation is C.
      assert.equal((await psql(pg.url, 'SHOW lc_collate')).trim(), 'C');
      assert.equal((await psql(pg.url, "SELECT current_setting('listen_addresses')")).trim(), '127.0.0.1');
      if (process.getuid?.() === 0) {
        // initdb refuses root: the cluster belongs to another user.
        assert.notEqual(statSync(join(pg.dir, 'data')).uid, 0);
      }
      await pg.stop();
      stopped = true;
      assert.equal(existsSync(pg.dir), false, 'the cluster folder is removed');
      await assert.rejects(psql(pg.url, 'SELECT 1'), 'nothing answers after stop()');
    } finally {
      if (!stopped) await pg.stop();
    }
  });
});
