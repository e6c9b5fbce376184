import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { HANDLERS } from '../../src/handlers/index.js';
import { ERROR_CATALOGUE } from '../../src/protocol/errors/catalogue.js';
import { renderErrorsDoc, renderOperationsDoc } from '../../src/protocol/docs.js';
import { OSS_OPERATION_NAMES, OSSD_EXTENSION_NAMES } from '../../src/protocol/oss-operation-names.js';
import { OPERATIONS, route, type OperationRow, type RouteInput } from '../../src/protocol/operations.js';

const ROOT = resolve(fileURLToPath(import.meta.url), '../../../..');

function sample(row: OperationRow, extraQuery: string[] = []): RouteInput {
  const names = new Set([...(row.subresource ? [row.subresource] : []), ...(row.queryEquals ? [row.queryEquals[0]] : []), ...extraQuery]);
  return {
    method: row.method,
    level: row.level,
    queryNames: names,
    queryValue: (n) => (row.queryEquals && n === row.queryEquals[0] ? row.queryEquals[1] : ''),
    hasHeader: (h) => h === row.header,
  };
}

describe('operation table', { timeout: 30_000 }, () => {
  it('every row has a handler and every handler a row', () => {
    for (const row of OPERATIONS) assert.ok(HANDLERS[row.name], `no handler for ${row.name}`);
    for (const name of Object.keys(HANDLERS)) assert.ok(OPERATIONS.some((r) => r.name === name), `handler ${name} has no row`);
  });

  it('a sample request of each row resolves to that row, and to no other', () => {
    for (const row of OPERATIONS) {
      const r = route(sample(row));
      assert.ok('row' in r, `${row.name} did not route: ${JSON.stringify(r)}`);
      assert.equal(r.row, row, `${row.method} ${row.name} routed to ${r.row.name}`);
    }
  });

  it('no two rows are identical in method, level and discriminators', () => {
    const seen = new Set<string>();
    for (const r of OPERATIONS) {
      const sig = JSON.stringify([r.method, r.level, r.subresource, r.queryEquals, r.header]);
      assert.ok(!seen.has(sig), `duplicate row ${sig}`);
      seen.add(sig);
    }
  });

  it('an unhandled operation sub-resource is NotImplemented, modifiers are not', () => {
    const get = OPERATIONS.find((r) => r.name === 'GetObject')!;
    assert.deepEqual(route(sample(get, ['cors'])), { notImplemented: 'cors' });
    assert.deepEqual(route(sample(get, ['x-oss-process'])), { notImplemented: 'x-oss-process' });
    const withModifiers = route(sample(get, ['response-content-type', 'versionId']));
    assert.ok('row' in withModifiers && withModifiers.row.name === 'GetObject');
  });

  it('every row\'s sub-resource is an OSS operation name, or one of ossd\'s extension names (never both)', () => {
    for (const row of OPERATIONS) {
      if (row.subresource) assert.ok(OSS_OPERATION_NAMES.has(row.subresource) || OSSD_EXTENSION_NAMES.has(row.subresource), row.subresource);
    }
    for (const name of OSSD_EXTENSION_NAMES) {
      assert.ok(!OSS_OPERATION_NAMES.has(name), name);
      assert.ok(name.startsWith('x-ossd-'), name);
    }
  });

  it('an implemented operation name at another method or level is NotImplemented, never the base operation', () => {
    const bare = (method: string, level: RouteInput['level'], ...names: string[]): RouteInput => ({
      method, level, queryNames: new Set(names), queryValue: () => '', hasHeader: () => false,
    });
    assert.deepEqual(route(bare('DELETE', 'bucket', 'acl')), { notImplemented: 'acl' });
    assert.deepEqual(route(bare('DELETE', 'bucket', 'responseHeader')), { notImplemented: 'responseHeader' });
    assert.deepEqual(route(bare('GET', 'service', 'regions')), { notImplemented: 'regions' });
    assert.deepEqual(route(bare('PUT', 'object', 'seal')), { notImplemented: 'seal' });
    assert.deepEqual(route(bare('POST', 'bucket', 'seal', 'position')), { notImplemented: 'seal' });
    // An extension name at a level no row handles: not PutObject.
    assert.deepEqual(route(bare('PUT', 'object', 'x-ossd-append-limit')), { notImplemented: 'x-ossd-append-limit' });
    assert.deepEqual(route(bare('HEAD', 'object', 'tagging')), { notImplemented: 'tagging' });
    // Two names, one handled: the other is still refused.
    assert.deepEqual(route(bare('PUT', 'object', 'acl', 'tagging')), { notImplemented: 'tagging' });
  });

  it('names match exactly; other spellings are refused, not routed', () => {
    const put = OPERATIONS.find((r) => r.name === 'PutObject')!;
    assert.deepEqual(route(sample(put, ['ACL'])), { notImplemented: 'ACL' });
    assert.deepEqual(route(sample(put, ['Seal'])), { notImplemented: 'Seal' });
    const del = OPERATIONS.find((r) => r.name === 'DeleteBucket')!;
    assert.deepEqual(route(sample(del, ['RESPONSEHEADER'])), { notImplemented: 'RESPONSEHEADER' });
  });

  it('a method no row has at that level is MethodNotAllowed', () => {
    assert.deepEqual(
      route({ method: 'POST', level: 'object', queryNames: new Set(), queryValue: () => undefined, hasHeader: () => false }),
      { methodNotAllowed: true },
    );
  });
});

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? sourceFiles(p) : p.endsWith('.ts') ? [p] : [];
  });
}

describe('error catalogue', { timeout: 30_000 }, () => {
  it('has every code the source throws', () => {
    const thrown = new Set<string>();
    for (const file of sourceFiles(join(ROOT, 'src'))) {
      for (const m of readFileSync(file, 'utf8').matchAll(/new OssError\(\s*'([A-Za-z]+)'/g)) thrown.add(m[1]!);
    }
    assert.ok(thrown.size > 15, `only found ${thrown.size} codes`);
    for (const code of thrown) assert.ok(ERROR_CATALOGUE[code], `code ${code} is thrown but not in the catalogue`);
  });

  it('maps each code to a 4xx/5xx status and a message', () => {
    for (const [code, e] of Object.entries(ERROR_CATALOGUE)) {
      assert.ok(e.status >= 400 && e.status < 600, code);
      assert.ok(e.message.length > 0, code);
    }
    assert.deepEqual(ERROR_CATALOGUE.PositionNotEqualToLength!.headers!({ nextPosition: '7' }), { 'x-oss-next-append-position': '7' });
  });
});

describe('generated docs', { timeout: 30_000 }, () => {
  it('docs/operations.md and docs/errors.md are up to date (run: node dist/src/cli/main.js docs)', () => {
    assert.equal(readFileSync(join(ROOT, 'docs/operations.md'), 'utf8'), renderOperationsDoc());
    assert.equal(readFileSync(join(ROOT, 'docs/errors.md'), 'utf8'), renderErrorsDoc());
  });
});
