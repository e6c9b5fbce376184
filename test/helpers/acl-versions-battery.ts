/**
 * The versionId × ACL battery of test/security/acl-versions.test.ts (embedded default) and
 * test/faults/batteries-cluster.test.ts (a PostgreSQL + S3 node): see acl-versions.test.ts for what it
 * checks and what it found. One body for both, so the drivers are held to one standard.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Creds } from './keys.js';
import { createKey } from './keys.js';
import type { Ossd } from './ossd-process.js';
import { signedAs } from './rel-acl-keys.js';
import { answerProblem, codeOf, errorXml, pool, RelClient, type RelResponse } from './rel-http.js';
import { md5Base64, presignV1 } from './raw-http.js';
import { presignV4 } from './raw-v4.js';
import { versioningXml } from './versioning.js';

export interface AclVersionsOptions {
  start(): Promise<Ossd>;
  /** Added to the describe's name. */
  title?: string;
  skip?: string | false;
  /**
   * The ways a request is made in the reads matrix (default: all nine). A sample keeps the
   * privacy cells (anonymous) and one of each kind; signing is the protocol's, not the driver's.
   */
  means?: readonly string[];
}

export function aclVersionsBattery(o: AclVersionsOptions): void {
  type BucketAcl = 'private' | 'public-read' | 'public-read-write';
  type ObjectAcl = 'default' | BucketAcl;
  type Current = ObjectAcl | 'marker';

  const BUCKET_ACLS: BucketAcl[] = ['private', 'public-read', 'public-read-write'];
  const OLD_ACLS: ObjectAcl[] = ['default', 'private', 'public-read'];
  const CURRENTS: Current[] = ['default', 'private', 'public-read', 'marker'];
  const SHORT: Record<Current, string> = { default: 'def', private: 'prv', 'public-read': 'pr', 'public-read-write': 'prw', marker: 'dm' };
  /** The one bucket the outsider key may use: none of the matrix's. */
  const OUTSIDE = 'aclv-outside';

  const readable = (acl: BucketAcl): boolean => acl === 'public-read' || acl === 'public-read-write';
  const effective = (b: BucketAcl, o: ObjectAcl): BucketAcl => (o === 'default' ? b : o);

  interface Cell {
    bucket: string;
    b: BucketAcl;
    old: ObjectAcl;
    current: Current;
    key: string;
    oldId: string;
    /** The current version's id, or the delete marker's. */
    currentId: string;
  }

  interface Target { name: 'old' | 'current' | 'delete marker'; versionId: string; acl: ObjectAcl; marker: boolean }

  const READS = [
    { name: 'GetObject', method: 'GET', query: '' },
    { name: 'HeadObject', method: 'HEAD', query: '' },
    { name: 'GetObjectMeta', method: 'HEAD', query: 'objectMeta&' },
    { name: 'GetObjectTagging', method: 'GET', query: 'tagging&' },
  ] as const;

  const MEANS = ['anonymous', 'scoped', 'outsider', 'presigned V1', 'presigned V4', 'outsider presigned V1', 'outsider presigned V4', 'tampered V1', 'tampered V4'] as const;
  type Means = (typeof MEANS)[number];

  let ossd: Ossd;
  let client: RelClient;
  let scoped: Creds;
  let outsider: Creds;
  let root: Creds;

  async function rootOk(method: string, path: string, headers: Record<string, string> = {}, body?: Buffer): Promise<RelResponse> {
    const res = await client.signed(method, path, headers, body);
    assert.ok(res.status >= 200 && res.status < 300, `${method} ${path}: ${res.status} ${res.text.slice(0, 300)}`);
    return res;
  }

  function versionIdOf(res: RelResponse, what: string): string {
    const id = res.headers['x-oss-version-id'];
    assert.ok(typeof id === 'string' && id !== '' && id !== 'null', `${what}: a real version id (got ${String(id)})`);
    return id;
  }

  const aclHeader = (acl: ObjectAcl): Record<string, string> => (acl === 'default' ? {} : { 'x-oss-object-acl': acl });
  const qs = (versionId: string): string => `versionId=${encodeURIComponent(versionId)}`;
  const expiresIn = (s: number): number => Math.floor(Date.now() / 1000) + s;

  async function makeVersionedBucket(name: string, acl: BucketAcl): Promise<void> {
    await rootOk('PUT', `/${name}/`, { 'x-oss-acl': acl });
    await rootOk('PUT', `/${name}/?versioning`, {}, Buffer.from(versioningXml('Enabled')));
  }

  /** Two versions of a key: the old one with ACL `old`, then a current one with ACL `current`, or a delete marker. */
  async function makeVersions(bucket: string, key: string, old: ObjectAcl, current: Current): Promise<{ oldId: string; currentId: string }> {
    const oldId = versionIdOf(await rootOk('PUT', `/${bucket}/${key}`, aclHeader(old), Buffer.from(`old ${key}`)), `old ${key}`);
    const last = current === 'marker'
      ? await rootOk('DELETE', `/${bucket}/${key}`)
      : await rootOk('PUT', `/${bucket}/${key}`, aclHeader(current), Buffer.from(`current ${key}`));
    return { oldId, currentId: versionIdOf(last, `current ${key}`) };
  }

  function send(means: Means, method: string, bucket: string, key: string, query: string, versionId: string): Promise<RelResponse> {
    const path = `/${bucket}/${key}?${query}${qs(versionId)}`;
    switch (means) {
      case 'anonymous': return client.anonymous(method, path, { date: new Date().toUTCString() });
      case 'scoped': return signedAs(client, scoped, method, path);
      case 'outsider': return signedAs(client, outsider, method, path);
      case 'presigned V1': return client.send({ method, path: presignV1(root, method, path, expiresIn(300)), headers: {} });
      case 'presigned V4': return client.send({ method, path: presignV4(root, method, path), headers: {} });
      case 'outsider presigned V1': return client.send({ method, path: presignV1(outsider, method, path, expiresIn(300)), headers: {} });
      case 'outsider presigned V4': return client.send({ method, path: presignV4(outsider, method, path), headers: {} });
      // Signed for the key without versionId (the current version), then pointed at another version.
      case 'tampered V1': {
        const unversioned = query === '' ? `/${bucket}/${key}` : `/${bucket}/${key}?${query.slice(0, -1)}`;
        return client.send({ method, path: `${presignV1(root, method, unversioned, expiresIn(300))}&${qs(versionId)}`, headers: {} });
      }
      case 'tampered V4': {
        const unversioned = query === '' ? `/${bucket}/${key}` : `/${bucket}/${key}?${query.slice(0, -1)}`;
        return client.send({ method, path: `${presignV4(root, method, unversioned)}&${qs(versionId)}`, headers: {} });
      }
    }
  }

  /** The expected answer: allowed, or the one error code (403 AccessDenied / SignatureDoesNotMatch). */
  function expectedRefusal(means: Means, c: Cell, t: Target): 'AccessDenied' | 'SignatureDoesNotMatch' | undefined {
    switch (means) {
      case 'anonymous': return readable(effective(c.b, t.acl)) ? undefined : 'AccessDenied';
      case 'scoped':
      case 'presigned V1':
      case 'presigned V4': return undefined;
      case 'outsider':
      case 'outsider presigned V1':
      case 'outsider presigned V4': return 'AccessDenied';
      case 'tampered V1':
      case 'tampered V4': return 'SignatureDoesNotMatch';
    }
  }

  before(async () => {
    if (o.skip) return;
    ossd = await o.start();
    client = new RelClient(ossd, 24);
    root = { id: ossd.accessKeyId, secret: ossd.accessKeySecret };
  });

  after(async () => {
    client?.close();
    await ossd?.stop();
    ossd?.cleanup();
  });

  describe(`versionId: authorized with the addressed version's ACL${o.title ?? ''}`, { skip: o.skip, timeout: 300_000 }, () => {
    test('reads: anonymous, scoped and outside keys, presigned V1/V4 × old/current/delete marker × bucket ACL × version ACLs', async (t) => {
      const buckets = BUCKET_ACLS.map((b) => ({ b, bucket: `aclv-${SHORT[b]}` }));
      for (const { b, bucket } of buckets) await makeVersionedBucket(bucket, b);
      await rootOk('PUT', `/${OUTSIDE}/`, { 'x-oss-acl': 'public-read' });
      // One after another: each `ossd keys` run opens the server's meta.db.
      scoped = await createKey(ossd, ['--read-only', ...buckets.flatMap(({ bucket }) => ['--bucket', bucket])]);
      outsider = await createKey(ossd, ['--bucket', OUTSIDE]);

      const cells: Cell[] = [];
      for (const { b, bucket } of buckets) {
        for (const old of OLD_ACLS) {
          for (const current of CURRENTS) {
            const key = `o-${SHORT[old]}-c-${SHORT[current]}`;
            cells.push({ bucket, b, old, current, key, ...(await makeVersions(bucket, key, old, current)) });
          }
        }
      }

      const jobs: Array<{ c: Cell; t: Target; read: (typeof READS)[number]; means: Means }> = [];
      for (const c of cells) {
        const targets: Target[] = [{ name: 'old', versionId: c.oldId, acl: c.old, marker: false }];
        if (c.current === 'marker') targets.push({ name: 'delete marker', versionId: c.currentId, acl: 'default', marker: true });
        else targets.push({ name: 'current', versionId: c.currentId, acl: c.current, marker: false });
        for (const tg of targets) for (const read of READS) for (const means of MEANS) if (!o.means || o.means.includes(means)) jobs.push({ c, t: tg, read, means });
      }

      const mismatches: string[] = [];
      await pool(jobs, 16, async ({ c, t: tg, read, means }) => {
        const res = await send(means, read.method, c.bucket, c.key, read.query, tg.versionId);
        const where = `${means} ${read.name} of the ${tg.name} version (bucket ${c.b}, old ${c.old}, current ${c.current === 'marker' ? 'delete marker' : c.current})`;
        const problem = answerProblem(read.method, res);
        if (problem) mismatches.push(`${where}: ${problem}`);
        const code = codeOf(errorXml(read.method, res));
        const refusal = expectedRefusal(means, c, tg);
        if (refusal !== undefined) {
          if (!(res.status === 403 && code === refusal)) mismatches.push(`${where}: expected 403 ${refusal}, got ${res.status} ${String(code)}`);
        } else if (tg.marker) {
          if (!(res.status === 405 && code === 'MethodNotAllowed')) mismatches.push(`${where}: expected 405 MethodNotAllowed, got ${res.status} ${String(code)}`);
        } else if (res.status !== 200) {
          mismatches.push(`${where}: expected 200, got ${res.status} ${String(code)}`);
        } else if (read.name === 'GetObject' && res.text !== `${tg.name} ${c.key}`) {
          mismatches.push(`${where}: served ${JSON.stringify(res.text.slice(0, 40))}, not the ${tg.name} version`);
        }
      });
      t.diagnostic(`${jobs.length} (means, read, addressed version, bucket ACL, version ACLs) combinations checked`);
      mismatches.sort();
      assert.equal(mismatches.length, 0, `${mismatches.length} mismatches, the first 40:\n${mismatches.slice(0, 40).join('\n')}`);
    });

    test('writes with versionId: the addressed version\'s ACL decides, and a refusal changes nothing', async () => {
      const W = 'aclv-writes';
      await makeVersionedBucket(W, 'public-read-write');
      const anon = (method: string, path: string, headers: Record<string, string> = {}, body?: Buffer): Promise<RelResponse> =>
        client.anonymous(method, path, { date: new Date().toUTCString(), ...headers }, body);
      const refused = (res: RelResponse, method: string, what: string): void => {
        assert.equal(res.status, 403, `${what}: ${res.status} ${res.text.slice(0, 200)}`);
        assert.equal(codeOf(errorXml(method, res)), 'AccessDenied', what);
      };
      const oldBody = async (key: string, id: string): Promise<string> => {
        const res = await client.signed('GET', `/${W}/${key}?${qs(id)}`);
        return `${res.status} ${res.text}`;
      };
      const tagsOf = async (key: string, id: string): Promise<string> => (await client.signed('GET', `/${W}/${key}?tagging&${qs(id)}`)).text;

      // A private old version under a current version anyone may write (default in a public-read-write bucket).
      const a = await makeVersions(W, 'private-old', 'private', 'default');
      refused(await anon('DELETE', `/${W}/private-old?${qs(a.oldId)}`), 'DELETE', 'anonymous DeleteObject of a private old version');
      const tagging = Buffer.from('<Tagging><TagSet><Tag><Key>k</Key><Value>v</Value></Tag></TagSet></Tagging>');
      refused(await anon('PUT', `/${W}/private-old?tagging&${qs(a.oldId)}`, {}, tagging), 'PUT', 'anonymous PutObjectTagging of a private old version');
      refused(await anon('DELETE', `/${W}/private-old?tagging&${qs(a.oldId)}`), 'DELETE', 'anonymous DeleteObjectTagging of a private old version');
      refused(await anon('PUT', `/${W}/private-old?acl&${qs(a.oldId)}`, { 'x-oss-object-acl': 'public-read' }), 'PUT', 'anonymous PutObjectAcl of an old version');
      const multi = Buffer.from(`<Delete><Quiet>false</Quiet><Object><Key>private-old</Key><VersionId>${a.oldId}</VersionId></Object></Delete>`);
      refused(await anon('POST', `/${W}/?delete`, { 'content-md5': md5Base64(multi) }, multi), 'POST', 'anonymous DeleteMultipleObjects naming a private old version');
      refused(
        await anon('PUT', `/${W}/copied`, { 'x-oss-copy-source': `/${W}/private-old?${qs(a.oldId)}` }),
        'PUT',
        'anonymous CopyObject from a private old version',
      );
      assert.equal(await oldBody('private-old', a.oldId), '200 old private-old', 'the private old version is intact');
      assert.doesNotMatch(await tagsOf('private-old', a.oldId), /<Key>k<\/Key>/, 'its tags are unchanged');
      assert.match((await client.signed('GET', `/${W}/private-old?acl&${qs(a.oldId)}`)).text, /<Grant>private<\/Grant>/, 'its ACL is unchanged');
      assert.equal((await client.signed('GET', `/${W}/copied`)).status, 404, 'nothing was copied');
      const init = await anon('POST', `/${W}/mp?uploads`);
      assert.equal(init.status, 200, `anonymous InitiateMultipartUpload in a public-read-write bucket: ${init.text}`);
      const uploadId = /<UploadId>([^<]+)<\/UploadId>/.exec(init.text)?.[1] ?? '';
      refused(
        await anon('PUT', `/${W}/mp?partNumber=1&uploadId=${encodeURIComponent(uploadId)}`, { 'x-oss-copy-source': `/${W}/private-old?${qs(a.oldId)}` }),
        'PUT',
        'anonymous UploadPartCopy from a private old version',
      );
      await rootOk('DELETE', `/${W}/mp?uploadId=${encodeURIComponent(uploadId)}`);

      // The read-only scoped key changes nothing either, whatever the version.
      const readOnly = await createKey(ossd, ['--read-only', '--bucket', W]);
      refused(await signedAs(client, readOnly, 'DELETE', `/${W}/private-old?${qs(a.oldId)}`), 'DELETE', 'read-only key DeleteObject by versionId');
      refused(await signedAs(client, readOnly, 'PUT', `/${W}/private-old?tagging&${qs(a.oldId)}`, {}, tagging), 'PUT', 'read-only key PutObjectTagging by versionId');
      assert.equal(await oldBody('private-old', a.oldId), '200 old private-old');

      // The other way round: an old version anyone may write under a private current one.
      const b = await makeVersions(W, 'open-old', 'default', 'private');
      const tagged = await anon('PUT', `/${W}/open-old?tagging&${qs(b.oldId)}`, {}, tagging);
      assert.equal(tagged.status, 200, `anonymous PutObjectTagging of a public-read-write old version: ${tagged.text}`);
      assert.match(await tagsOf('open-old', b.oldId), /<Key>k<\/Key>/);
      refused(await anon('DELETE', `/${W}/open-old`), 'DELETE', 'anonymous DeleteObject of the private current version');
      const gone = await anon('DELETE', `/${W}/open-old?${qs(b.oldId)}`);
      assert.equal(gone.status, 204, `anonymous DeleteObject of a public-read-write old version: ${gone.text}`);
      assert.equal((await client.signed('GET', `/${W}/open-old?${qs(b.oldId)}`)).status, 404, 'that version is gone');
      assert.equal((await client.signed('GET', `/${W}/open-old`)).text, 'current open-old', 'the current version stays');

      // A delete marker addressed by versionId in a public-read-write bucket: it has no ACL of its own, the bucket's applies.
      const m = await makeVersions(W, 'marked', 'private', 'marker');
      const unmarked = await anon('DELETE', `/${W}/marked?${qs(m.currentId)}`);
      assert.equal(unmarked.status, 204, `anonymous DeleteObject of a delete marker: ${unmarked.text}`);
      assert.equal(unmarked.headers['x-oss-delete-marker'], 'true');
      refused(await anon('GET', `/${W}/marked`), 'GET', 'the private old version is current again, and still private');
      assert.equal((await client.signed('GET', `/${W}/marked`)).text, 'old marked');
    });

    test('GetSymlink and GetObject through a symlink: the addressed link version\'s ACL', async () => {
      const S = 'aclv-links';
      await makeVersionedBucket(S, 'private');
      await rootOk('PUT', `/${S}/target`, { 'x-oss-object-acl': 'public-read' }, Buffer.from('target'));
      const link = (acl: ObjectAcl): Promise<RelResponse> => rootOk('PUT', `/${S}/link?symlink`, { 'x-oss-symlink-target': 'target', ...aclHeader(acl) });
      const oldId = versionIdOf(await link('private'), 'old link');
      const currentId = versionIdOf(await link('public-read'), 'current link');
      const anon = (path: string): Promise<RelResponse> => client.anonymous('GET', path, { date: new Date().toUTCString() });
      const status = async (path: string): Promise<string> => {
        const res = await anon(path);
        return `${res.status} ${String(codeOf(errorXml('GET', res)))}`;
      };
      assert.equal(await status(`/${S}/link?symlink&${qs(oldId)}`), '403 AccessDenied', 'GetSymlink of the private old link');
      assert.equal(await status(`/${S}/link?${qs(oldId)}`), '403 AccessDenied', 'GetObject through the private old link');
      assert.equal(await status(`/${S}/link?symlink&${qs(currentId)}`), '200 undefined', 'GetSymlink of the public-read current link');
      assert.equal((await anon(`/${S}/link?${qs(currentId)}`)).text, 'target', 'GetObject through the public-read current link');
    });
  });
}
