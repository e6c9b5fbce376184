/**
 * The access matrix through the real server (auth.md §6.2, src/protocol/authorize.ts,
 * src/protocol/key-scope.ts): anonymous, the root key, another unlimited key, a key limited
 * to the matrix's buckets, a read-only key and a read-only scoped STS credential against
 * every operation family, across bucket ACL
 * private / public-read / public-read-write and object ACL default / private /
 * public-read / public-read-write. The expected allow/deny table is written out below;
 * every answer must be 2xx (allowed) or 403 AccessDenied (denied), and a denied write
 * must have changed nothing. The versionId dimension (old versions, delete markers,
 * presigned URLs naming a version) is in acl-versions.test.ts.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, test } from 'node:test';
import { type Ossd, startOssd } from '../helpers/ossd-process.js';
import type { Creds } from '../helpers/keys.js';
import { KEY_PRINCIPALS, type KeyPrincipal, makeKeys, signedAs } from '../helpers/rel-acl-keys.js';
import { answerProblem, codeOf, errorXml, RelClient, type RelResponse } from '../helpers/rel-http.js';

type BucketAcl = 'private' | 'public-read' | 'public-read-write';
type ObjectAcl = 'default' | BucketAcl;
type Principal = 'anonymous' | 'root' | KeyPrincipal;

const BUCKET_ACLS: BucketAcl[] = ['private', 'public-read', 'public-read-write'];
const OBJECT_ACLS: ObjectAcl[] = ['default', 'private', 'public-read', 'public-read-write'];
const SHORT: Record<ObjectAcl, string> = { default: 'def', private: 'prv', 'public-read': 'pr', 'public-read-write': 'prw' };

// ---- the expected table -----------------------------------------------------------------
//
// The root key may do everything. Anonymous (auth.md §6.2):
//   service, bucket management, object ACL management ... never
//   bucket listing ..................................... bucket ACL public-read or public-read-write
//   object read ........................................ effective object ACL public-read or public-read-write
//   object write / append to an existing object ........ effective object ACL public-read-write
//   object write / append to a new key ................. bucket ACL public-read-write
//   copy ............................................... write on the (new) destination and read on the source
//   delete-multiple .................................... bucket ACL public-read-write and write on every named object
// where the effective object ACL is the object's own, or the bucket's when it is `default`.
//
// The other keys ignore ACLs; their column `keys` (docs/errors.md, choices on access keys) reads
// full / scoped / readOnly / sts, Y allowed, - 403 AccessDenied:
//   full (no limits) ........... everything (the admin endpoint is not in the matrix)
//   scoped (the matrix buckets)  anything inside them; not another bucket (copy sources included),
//                                ListBuckets, PutBucket, DeleteBucket (even of a named bucket)
//   readOnly ................... read and list operations, and owner-level GET/HEAD (ListBuckets,
//                                GetBucketInfo, GetBucketLocation, GetBucketAcl, GetObjectAcl)
//   sts (read-only and scoped) . both limits at once
// `${OTHER}` is a public-read bucket outside the scoped key's and the credential's buckets.
const OTHER = 'acl-other';

const readable = (acl: BucketAcl): boolean => acl === 'public-read' || acl === 'public-read-write';
const writable = (acl: BucketAcl): boolean => acl === 'public-read-write';
const effective = (b: BucketAcl, o: ObjectAcl): BucketAcl => (o === 'default' ? b : o);

interface Op {
  family: string;
  name: string;
  /** Whether anonymous may do it in a bucket with ACL b holding objects with ACL o. */
  anonymous: (b: BucketAcl, o: ObjectAcl) => boolean;
  /** Whether full / scoped / readOnly / sts may do it, in KEY_PRINCIPALS order. */
  keys: string;
  send: (c: Cell, p: Principal) => Promise<RelResponse>;
  /** Objects the operation changes when it succeeds (restored afterwards). */
  touches?: Array<'obj' | 'app' | 'new' | 'copy' | 'bucket'>;
  /** After a refusal: what must still hold (nothing changed). */
  unchanged?: (c: Cell) => Promise<void>;
}

interface Cell { bucket: string; tmpBucket: string; b: BucketAcl; o: ObjectAcl }

let ossd: Ossd;
let client: RelClient;
let creds: Record<KeyPrincipal, Creds>;

const md5 = (b: Buffer | string): string => createHash('md5').update(b).digest('base64');

function as(p: Principal, method: string, path: string, headers: Record<string, string> = {}, body?: Buffer): Promise<RelResponse> {
  if (p === 'root') return client.signed(method, path, headers, body);
  if (p === 'anonymous') return client.anonymous(method, path, { date: new Date().toUTCString(), ...headers }, body);
  return signedAs(client, creds[p], method, path, headers, body);
}

async function rootOk(method: string, path: string, headers: Record<string, string> = {}, body?: Buffer): Promise<void> {
  const res = await client.signed(method, path, headers, body);
  assert.ok(res.status >= 200 && res.status < 300, `${method} ${path}: ${res.status} ${res.text.slice(0, 300)}`);
}

async function content(bucket: string, key: string): Promise<string> {
  const res = await client.signed('GET', `/${bucket}/${key}`);
  return res.status === 200 ? res.text : `status ${res.status}`;
}

const deleteXml = (keys: string[]): Buffer => Buffer.from(`<Delete><Quiet>false</Quiet>${keys.map((k) => `<Object><Key>${k}</Key></Object>`).join('')}</Delete>`);

const OPS: Op[] = [
  { family: 'service', name: 'ListBuckets', keys: 'Y-Y-', anonymous: () => false, send: (_c, p) => as(p, 'GET', '/') },

  { family: 'bucket management', name: 'GetBucketInfo', keys: 'YYYY', anonymous: () => false, send: (c, p) => as(p, 'GET', `/${c.bucket}/?bucketInfo`) },
  { family: 'bucket management', name: 'GetBucketLocation', keys: 'YYYY', anonymous: () => false, send: (c, p) => as(p, 'GET', `/${c.bucket}/?location`) },
  { family: 'bucket management', name: 'GetBucketAcl', keys: 'YYYY', anonymous: () => false, send: (c, p) => as(p, 'GET', `/${c.bucket}/?acl`) },
  {
    family: 'bucket management', name: 'PutBucketAcl', keys: 'YY--', anonymous: () => false,
    send: (c, p) => as(p, 'PUT', `/${c.bucket}/?acl`, { 'x-oss-acl': 'public-read-write' }),
    touches: ['bucket'],
    unchanged: async (c) => assert.match((await client.signed('GET', `/${c.bucket}/?acl`)).text, new RegExp(`<Grant>${c.b}</Grant>`)),
  },
  {
    family: 'bucket management', name: 'PutBucket', keys: 'Y---', anonymous: () => false,
    send: async (c, p) => {
      const res = await as(p, 'PUT', `/${c.bucket}-n/`);
      if (res.status === 200) await rootOk('DELETE', `/${c.bucket}-n/`);
      return res;
    },
    unchanged: async (c) => assert.equal((await client.signed('GET', `/${c.bucket}-n/?bucketInfo`)).status, 404),
  },
  {
    family: 'bucket management', name: 'DeleteBucket (empty)', keys: 'Y---', anonymous: () => false,
    send: async (c, p) => {
      const res = await as(p, 'DELETE', `/${c.tmpBucket}/`);
      if (res.status === 204) await rootOk('PUT', `/${c.tmpBucket}/`, { 'x-oss-acl': c.b });
      return res;
    },
    unchanged: async (c) => assert.equal((await client.signed('GET', `/${c.tmpBucket}/?bucketInfo`)).status, 200),
  },

  { family: 'bucket list', name: 'ListObjects', keys: 'YYYY', anonymous: (b) => readable(b), send: (c, p) => as(p, 'GET', `/${c.bucket}/`) },
  { family: 'bucket list', name: 'ListObjectsV2', keys: 'YYYY', anonymous: (b) => readable(b), send: (c, p) => as(p, 'GET', `/${c.bucket}/?list-type=2`) },

  { family: 'object read', name: 'GetObject', keys: 'YYYY', anonymous: (b, o) => readable(effective(b, o)), send: (c, p) => as(p, 'GET', `/${c.bucket}/obj`) },
  { family: 'object read', name: 'HeadObject', keys: 'YYYY', anonymous: (b, o) => readable(effective(b, o)), send: (c, p) => as(p, 'HEAD', `/${c.bucket}/obj`) },
  { family: 'object read', name: 'GetObjectMeta', keys: 'YYYY', anonymous: (b, o) => readable(effective(b, o)), send: (c, p) => as(p, 'HEAD', `/${c.bucket}/obj?objectMeta`) },
  { family: 'object read', name: 'GetObject (appendable)', keys: 'YYYY', anonymous: (b, o) => readable(effective(b, o)), send: (c, p) => as(p, 'GET', `/${c.bucket}/app`) },
  { family: 'object read', name: 'GetObject (range)', keys: 'YYYY', anonymous: (b, o) => readable(effective(b, o)), send: (c, p) => as(p, 'GET', `/${c.bucket}/obj`, { range: 'bytes=0-1' }) },

  {
    family: 'object write', name: 'PutObject (overwrite)', keys: 'YY--', anonymous: (b, o) => writable(effective(b, o)),
    send: (c, p) => as(p, 'PUT', `/${c.bucket}/obj`, {}, Buffer.from('overwritten')), touches: ['obj'],
    unchanged: async (c) => assert.equal(await content(c.bucket, 'obj'), 'data'),
  },
  {
    family: 'object write', name: 'PutObject (new key)', keys: 'YY--', anonymous: (b) => writable(b),
    send: (c, p) => as(p, 'PUT', `/${c.bucket}/new`, {}, Buffer.from('new')), touches: ['new'],
    unchanged: async (c) => assert.equal(await content(c.bucket, 'new'), 'status 404'),
  },
  {
    family: 'object write', name: 'DeleteObject', keys: 'YY--', anonymous: (b, o) => writable(effective(b, o)),
    send: (c, p) => as(p, 'DELETE', `/${c.bucket}/obj`), touches: ['obj'],
    unchanged: async (c) => assert.equal(await content(c.bucket, 'obj'), 'data'),
  },
  { family: 'object ACL', name: 'GetObjectAcl', keys: 'YYYY', anonymous: () => false, send: (c, p) => as(p, 'GET', `/${c.bucket}/obj?acl`) },
  {
    family: 'object ACL', name: 'PutObjectAcl', keys: 'YY--', anonymous: () => false,
    send: (c, p) => as(p, 'PUT', `/${c.bucket}/obj?acl`, { 'x-oss-object-acl': 'public-read-write' }), touches: ['obj'],
    unchanged: async (c) => assert.match((await client.signed('GET', `/${c.bucket}/obj?acl`)).text, new RegExp(`<Grant>${c.o}</Grant>`)),
  },

  {
    family: 'append', name: 'AppendObject (existing)', keys: 'YY--', anonymous: (b, o) => writable(effective(b, o)),
    send: (c, p) => as(p, 'POST', `/${c.bucket}/app?append&position=5`, {}, Buffer.from('world')), touches: ['app'],
    unchanged: async (c) => assert.equal(await content(c.bucket, 'app'), 'hello'),
  },
  {
    family: 'append', name: 'AppendObject (new key)', keys: 'YY--', anonymous: (b) => writable(b),
    send: (c, p) => as(p, 'POST', `/${c.bucket}/new?append&position=0`, {}, Buffer.from('fresh')), touches: ['new'],
    unchanged: async (c) => assert.equal(await content(c.bucket, 'new'), 'status 404'),
  },

  {
    family: 'copy', name: 'CopyObject (to a new key)', keys: 'YY--', anonymous: (b, o) => writable(b) && readable(effective(b, o)),
    send: (c, p) => as(p, 'PUT', `/${c.bucket}/copy`, { 'x-oss-copy-source': `/${c.bucket}/obj` }), touches: ['copy'],
    unchanged: async (c) => assert.equal(await content(c.bucket, 'copy'), 'status 404'),
  },
  {
    family: 'copy', name: 'CopyObject (onto the object)', keys: 'YY--', anonymous: (b, o) => writable(effective(b, o)) && readable(effective(b, o)),
    send: (c, p) => as(p, 'PUT', `/${c.bucket}/obj`, { 'x-oss-copy-source': `/${c.bucket}/obj`, 'x-oss-metadata-directive': 'REPLACE', 'x-oss-meta-x': 'y' }),
    touches: ['obj'],
    unchanged: async (c) => assert.equal((await client.signed('HEAD', `/${c.bucket}/obj`)).headers['x-oss-meta-x'], undefined),
  },

  { family: 'other bucket', name: 'GetObject (other bucket)', keys: 'Y-Y-', anonymous: () => true, send: (_c, p) => as(p, 'GET', `/${OTHER}/obj`) },
  { family: 'other bucket', name: 'ListObjects (other bucket)', keys: 'Y-Y-', anonymous: () => true, send: (_c, p) => as(p, 'GET', `/${OTHER}/`) },
  {
    family: 'other bucket', name: 'CopyObject (source in the other bucket)', keys: 'Y---', anonymous: (b) => writable(b),
    send: (c, p) => as(p, 'PUT', `/${c.bucket}/copy`, { 'x-oss-copy-source': `/${OTHER}/obj` }), touches: ['copy'],
    unchanged: async (c) => assert.equal(await content(c.bucket, 'copy'), 'status 404'),
  },

  {
    family: 'delete-multiple', name: 'DeleteMultipleObjects', keys: 'YY--', anonymous: (b, o) => writable(b) && writable(effective(b, o)),
    send: (c, p) => {
      const body = deleteXml(['obj']);
      return as(p, 'POST', `/${c.bucket}/?delete`, { 'content-md5': md5(body) }, body);
    },
    touches: ['obj'],
    unchanged: async (c) => assert.equal(await content(c.bucket, 'obj'), 'data'),
  },
  {
    family: 'delete-multiple', name: 'DeleteMultipleObjects (absent key only)', keys: 'YY--', anonymous: (b) => writable(b),
    send: (c, p) => {
      const body = deleteXml(['never-existed']);
      return as(p, 'POST', `/${c.bucket}/?delete`, { 'content-md5': md5(body) }, body);
    },
  },
];

// ---- running it -----------------------------------------------------------------------

async function restore(c: Cell, what: Op['touches'] = ['obj', 'app', 'new', 'copy', 'bucket']): Promise<void> {
  for (const t of what) {
    if (t === 'bucket') await rootOk('PUT', `/${c.bucket}/?acl`, { 'x-oss-acl': c.b });
    if (t === 'obj') await rootOk('PUT', `/${c.bucket}/obj`, { 'x-oss-object-acl': c.o }, Buffer.from('data'));
    if (t === 'app') {
      await rootOk('DELETE', `/${c.bucket}/app`);
      await rootOk('POST', `/${c.bucket}/app?append&position=0`, { 'x-oss-object-acl': c.o }, Buffer.from('hello'));
    }
    if (t === 'new') await rootOk('DELETE', `/${c.bucket}/new`);
    if (t === 'copy') await rootOk('DELETE', `/${c.bucket}/copy`);
  }
}

before(async () => {
  ossd = await startOssd();
  client = new RelClient(ossd, 32);
});

after(async () => {
  client.close();
  await ossd.stop();
  ossd.cleanup();
});

function expected(op: Op, p: Principal, c: Cell): boolean {
  if (p === 'root') return true;
  if (p === 'anonymous') return op.anonymous(c.b, c.o);
  const mark = op.keys[KEY_PRINCIPALS.indexOf(p)];
  assert.ok(op.keys.length === KEY_PRINCIPALS.length && (mark === 'Y' || mark === '-'), `bad keys column for ${op.name}: ${op.keys}`);
  return mark === 'Y';
}

test('ACL matrix: anonymous, root and limited keys × every operation family × bucket ACL × object ACL', async (t) => {
  const cells: Cell[] = [];
  for (const b of BUCKET_ACLS) for (const o of OBJECT_ACLS) cells.push({ bucket: `acl-${SHORT[b]}-${SHORT[o]}`, tmpBucket: `acl-${SHORT[b]}-${SHORT[o]}-tmp`, b, o });
  await rootOk('PUT', `/${OTHER}/`, { 'x-oss-acl': 'public-read' });
  await rootOk('PUT', `/${OTHER}/obj`, {}, Buffer.from('other'));
  creds = await makeKeys(ossd, cells.flatMap((c) => [c.bucket, c.tmpBucket]));
  const mismatches: string[] = [];
  let checked = 0;
  await Promise.all(
    cells.map(async (c) => {
      await rootOk('PUT', `/${c.bucket}/`, { 'x-oss-acl': c.b });
      await rootOk('PUT', `/${c.tmpBucket}/`, { 'x-oss-acl': c.b });
      await restore(c);
      for (const op of OPS) {
        for (const p of ['anonymous', 'root', ...KEY_PRINCIPALS] as const) {
          const allowed = expected(op, p, c);
          const res = await op.send(c, p);
          checked++;
          const where = `${p} ${op.family}/${op.name} in bucket ${c.b}, object ${c.o}`;
          const problem = answerProblem(op.name.startsWith('Head') || op.name === 'GetObjectMeta' ? 'HEAD' : 'GET', res);
          if (problem) mismatches.push(`${where}: ${problem}`);
          const code = codeOf(errorXml(op.name.startsWith('Head') || op.name === 'GetObjectMeta' ? 'HEAD' : 'GET', res));
          const ok = res.status >= 200 && res.status < 300;
          if (allowed && !ok) mismatches.push(`${where}: expected allowed, got ${res.status} ${String(code)}`);
          if (!allowed && !(res.status === 403 && code === 'AccessDenied')) mismatches.push(`${where}: expected 403 AccessDenied, got ${res.status} ${String(code)}`);
          if (!allowed && op.unchanged) {
            try {
              await op.unchanged(c);
            } catch (e) {
              mismatches.push(`${where}: the refused request changed something: ${(e as Error).message.split('\n')[0]}`);
            }
          }
          if (ok && op.touches) await restore(c, op.touches);
        }
      }
    }),
  );
  t.diagnostic(`${checked} (principal, operation, bucket ACL, object ACL) combinations checked`);
  assert.deepEqual(mismatches, []);
});
