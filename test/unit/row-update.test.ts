/** ObjectRowUpdates (src/drivers/sqlite/row-update.ts): an UPDATE that assigns only the changed columns, on a real SQLite database. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { ObjectRowUpdates } from '../../src/drivers/sqlite/row-update.js';
import { OBJECT_ROW_COLUMNS, type ObjectRow } from '../../src/drivers/sqlite/rows.js';
import { ADDED_COLUMNS, SCHEMA } from '../../src/drivers/sqlite/schema.js';

function database(): Database.Database {
  const db = new Database(':memory:');
  db.exec(SCHEMA);
  for (const c of ADDED_COLUMNS) if (c.table === 'objects') db.exec(`ALTER TABLE objects ADD COLUMN ${c.column} ${c.decl}`);
  return db;
}

const base: ObjectRow = {
  bucket: 'b',
  key: 'k',
  type: 'Appendable',
  size: 10,
  etag: '"E1"',
  crc: '123',
  blob: '0123456789abcdef0123456789abcdef',
  mtime_ms: 1000,
  content_type: 'text/plain',
  headers: '{}',
  meta: '{"a":"1"}',
  acl: 'default',
  tags: '[]',
  storage_class: 'Standard',
  revision: 1,
  symlink_target: null,
  base_size: 0,
  base_crc: '0',
  version_id: null,
  sealed_ms: null,
};

function insert(db: Database.Database, row: ObjectRow): void {
  const cols = Object.keys(row);
  db.prepare(`INSERT INTO objects (${cols.join(', ')}) VALUES (${cols.map((c) => `@${c}`).join(', ')})`).run(row);
}

const read = (db: Database.Database, key = 'k'): ObjectRow => db.prepare('SELECT * FROM objects WHERE bucket = ? AND key = ?').get('b', key) as ObjectRow;

describe('ObjectRowUpdates', { timeout: 30_000 }, () => {
  it('writes the next row over the current one, whichever columns changed, and leaves other rows alone', () => {
    const db = database();
    const updates = new ObjectRowUpdates(db);
    insert(db, base);
    insert(db, { ...base, key: 'other' });
    const appended: ObjectRow = { ...base, size: 20, etag: '"E2"', crc: '456', mtime_ms: 2000, revision: 2, base_size: 10, base_crc: '123' };
    updates.update(base, appended);
    assert.deepEqual(read(db), appended);
    const replaced: ObjectRow = { ...appended, type: 'Normal', blob: null, headers: '{"x":"y"}', acl: 'private', base_size: null, base_crc: null, revision: 3, version_id: 'v1' };
    updates.update(appended, replaced);
    assert.deepEqual(read(db), replaced);
    assert.deepEqual(read(db, 'other'), { ...base, key: 'other' });
  });

  it('assigns only the changed columns (an append leaves the blob index alone) and nothing when nothing changed', () => {
    const db = database();
    const updates = new ObjectRowUpdates(db);
    insert(db, base);
    const prepared: string[] = [];
    const prepare = db.prepare.bind(db);
    db.prepare = ((sql: string) => (sql.startsWith('UPDATE') && prepared.push(sql), prepare(sql))) as typeof db.prepare;
    updates.update(base, { ...base, size: 20, revision: 2 });
    assert.equal(prepared.length, 1);
    assert.match(prepared[0]!, /^UPDATE objects SET size = @size, revision = @revision WHERE/);
    assert.doesNotMatch(prepared[0]!, /blob/);
    updates.update({ ...base, size: 20, revision: 2 }, { ...base, size: 30, revision: 3 });
    assert.equal(prepared.length, 1, 'the statement for the same columns is reused');
    updates.update(read(db), read(db));
    assert.equal(prepared.length, 1);
    assert.equal(read(db).size, 30);
  });

  it('keeps working past its cache of statements', () => {
    const db = database();
    const updates = new ObjectRowUpdates(db);
    insert(db, base);
    let current = read(db);
    // 2 columns at a time out of 16 (revision always): over 64 distinct sets.
    const others = OBJECT_ROW_COLUMNS.filter((c) => c !== 'revision' && c !== 'type');
    let n = 0;
    for (const a of others) {
      for (const b of others) {
        if (a >= b) continue;
        const next = { ...current, revision: current.revision + 1, [a]: `${a}-${n}`, [b]: `${b}-${n}` } as ObjectRow;
        n++;
        updates.update(current, next);
        assert.deepEqual(read(db), next);
        current = next;
      }
    }
    assert.ok(n > 64);
  });
});
