// Query parameters that name an OSS operation (issue 15, hole 2). Every name on OSS's
// operation list, with every method at service, bucket and object level, must either be
// handled by an operation ossd implements or be answered 501 NotImplemented with an OSS
// XML body, and change nothing. Before the fix `DELETE /bucket?responseHeader` deleted the
// bucket, `GET /?regions` listed the buckets and `PUT /key?<unknown>` overwrote the object.
//
// The names are literals taken from OSS's API reference (the list lives here on purpose,
// not imported from src/: a name the server forgets must fail this test). Sources: the
// "API overview" / "List of operations by function" pages and each operation's request
// syntax (alibabacloud.com/help/en/oss/developer-reference/...), cross-checked with the
// query parameters the official SDKs send (alibabacloud-oss-go-sdk-v2 oss/api_op_*.go,
// alibabacloud-oss-python-sdk-v2 operations/*.py, aliyun-oss-go-sdk v1 signKeyList).
//
// Fails on the code before the fix: checked (2026-12-05, 544 of 1278 requests fell
// through, e.g. `DELETE /subres-empty/?responseHeader` → 204 and the bucket gone,
// `GET /?regions` → 200 ListAllMyBucketsResult, `PUT /subres-full/obj.txt?seal` → 200 and
// the object overwritten, `POST /subres-full/obj.txt?seal` → 405). Fails when any name is
// removed from the server's list (src/protocol/oss-operation-names.ts): checked with
// `responseHeader` and `seal`. SealAppendObject (`POST /key?seal`) is implemented since
// issue 17 (test/compat/seal.test.ts); every other method and level of `seal` stays 501.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { strictXml, type Answer, useKeepAliveOssd } from '../helpers/raw-keepalive.js';

/** OSS API reference groups → the query parameter that selects each operation. */
const OSS_OPERATION_NAMES: Record<string, string[]> = {
  'service and region': ['regions', 'regionList', 'cloudboxes'],
  'bucket basics': ['bucketInfo', 'location', 'stat'],
  'retention policy (WORM)': ['worm', 'wormId', 'wormExtend'],
  'object WORM': ['objectWorm', 'retention', 'legalHold'],
  acl: ['acl'],
  lifecycle: ['lifecycle'],
  'transfer acceleration': ['transferAcceleration'],
  versioning: ['versioning', 'versions'],
  replication: ['replication', 'replicationLocation', 'replicationProgress', 'rtc'],
  policy: ['policy', 'policyStatus'],
  inventory: ['inventory'],
  logging: ['logging', 'userDefinedLogFieldsConfig', 'userDefineLogFieldsConfig'],
  website: ['website'],
  referer: ['referer'],
  tags: ['tagging'],
  encryption: ['encryption'],
  'request payment': ['requestPayment'],
  cors: ['cors'],
  'access monitor': ['accessmonitor'],
  'data indexing': ['metaQuery'],
  'data pipeline': ['dataPipeline'],
  'resource group': ['resourceGroup'],
  cname: ['cname', 'comp'],
  'image styles': ['style'],
  'TLS version (https config)': ['httpsConfig'],
  'Anti-DDoS': ['antiDDos', 'bucketAntiDDos'],
  'access points': ['accessPoint', 'accessPointPolicy'],
  'object FC access points': [
    'accessPointForObjectProcess', 'accessPointConfigForObjectProcess', 'accessPointPolicyForObjectProcess',
    'x-oss-write-get-object-response',
  ],
  'block public access': ['publicAccessBlock'],
  'archive direct read': ['bucketArchiveDirectRead'],
  'redundancy transition': ['redundancyTransition'],
  'overwrite config': ['overwriteConfig'],
  'response header': ['responseHeader'],
  'OSS accelerator': ['dataAccelerator'],
  'QoS and resource pools': [
    'qos', 'qosInfo', 'requesterQosInfo', 'resourcePool', 'resourcePoolInfo', 'resourcePoolBuckets',
    'resourcePoolBucketGroup', 'priorityQos', 'requesterPriorityQos',
  ],
  'async fetch': ['asyncFetch'],
  'objects: basics': ['delete', 'objectMeta', 'append', 'seal', 'restore', 'cleanRestoredObject', 'symlink', 'objectInfo'],
  'objects: processing and select': ['x-oss-process', 'x-oss-async-process', 'img', 'udf', 'udfImage', 'udfApplication', 'udfApplicationLog', 'udfImageDesc', 'select', 'callback'],
  multipart: ['uploads', 'uploadId'],
  'live channel': ['live', 'vod', 'status'],
  // Not OSS: ossd's own extension sub-resource (docs/extensions.md), refused at every other method and level too.
  'ossd extensions': ['x-ossd-append-limit'],
};

/** ossd's operation table (docs/operations.md): `METHOD level name` for each row with a sub-resource. */
const IMPLEMENTED = new Set([
  'GET service regionList',
  'GET service tagging',
  'GET bucket bucketInfo', 'GET bucket location', 'GET bucket acl', 'PUT bucket acl', 'POST bucket delete',
  'GET bucket uploads', 'PUT bucket cors', 'GET bucket cors', 'DELETE bucket cors', 'PUT bucket versioning',
  'GET bucket versioning', 'GET bucket versions', 'GET bucket live', 'PUT bucket tagging', 'GET bucket tagging',
  'DELETE bucket tagging', 'PUT bucket x-ossd-append-limit', 'GET bucket x-ossd-append-limit', 'DELETE bucket x-ossd-append-limit',
  'POST object append', 'POST object uploads', 'PUT object uploadId', 'POST object uploadId', 'DELETE object uploadId',
  'GET object uploadId', 'POST object seal', 'HEAD object objectMeta', 'GET object objectMeta', 'PUT object acl', 'GET object acl',
  'PUT object symlink', 'GET object symlink', 'PUT object tagging', 'GET object tagging', 'DELETE object tagging',
]);

const METHODS = ['GET', 'HEAD', 'PUT', 'POST', 'DELETE'] as const;
const LEVELS = ['service', 'bucket', 'object'] as const;
const FULL = 'subres-full';
const EMPTY = 'subres-empty';
const KEY = 'obj.txt';
const CONTENT = 'the original bytes';
/** What a PUT or POST that fell through to PutObject / AppendObject / PostObject would store. */
const JUNK = 'junk that must never be stored';

const { client } = useKeepAliveOssd(async () => {
  await restore();
});
const send = (method: string, path: string, body?: string): Promise<Answer> => client.send(method, path, { body });

/** '' when the answer is the expected 501 NotImplemented, else what was wrong with it. */
function notImplementedProblem(method: string, res: Answer): string {
  if (res.status !== 501) return `${res.status} ${res.text.slice(0, 200)}`;
  if (method === 'HEAD') return res.text === '' ? '' : 'HEAD answer with a body';
  if (!/^application\/xml\b/.test(String(res.headers['content-type']))) return `content-type ${String(res.headers['content-type'])}`;
  try {
    const e = strictXml(res.text);
    if (e.Code?.[0] !== 'NotImplemented') return `code ${e.Code?.[0]}`;
    if (e.RequestId?.[0] !== res.headers['x-oss-request-id']) return 'RequestId differs from x-oss-request-id';
  } catch (err) {
    return `not well-formed XML: ${(err as Error).message}`;
  }
  return '';
}

function pathFor(level: (typeof LEVELS)[number], method: string, query: string): string {
  if (level === 'service') return `/?${query}`;
  // DELETE goes to the empty bucket: DeleteBucket would succeed there.
  if (level === 'bucket') return `/${method === 'DELETE' ? EMPTY : FULL}/?${query}`;
  return `/${FULL}/${KEY}?${query}`;
}

/** The state a request must not change: the bucket list, the full bucket's listing, the object's bytes and ETag. */
async function snapshot(): Promise<string> {
  const buckets = await send('GET', '/');
  const listing = await send('GET', `/${FULL}/`);
  const object = await send('GET', `/${FULL}/${KEY}`);
  const names = (xml: string, tag: string): string[] => [...xml.matchAll(new RegExp(`<${tag}>([^<]*)</${tag}>`, 'g'))].map((m) => m[1]!);
  return JSON.stringify({
    buckets: names(buckets.text, 'Name'),
    keys: names(listing.text, 'Key'),
    object: [object.status, object.text, object.headers.etag],
  });
}

/** Puts back what a fall-through destroyed, so that one failure does not hide the others. */
async function restore(): Promise<void> {
  await send('PUT', `/${FULL}/`);
  await send('PUT', `/${EMPTY}/`);
  for (const k of (await send('GET', `/${FULL}/`)).text.matchAll(/<Key>([^<]*)<\/Key>/g)) {
    if (k[1] !== KEY) await send('DELETE', `/${FULL}/${k[1]}`);
  }
  await send('PUT', `/${FULL}/${KEY}`, CONTENT);
}

describe('operation sub-resources', { timeout: 300_000 }, () => {
  test('every OSS operation name, every method and level: handled by a row, or 501 NotImplemented and nothing changed', async () => {
    const original = await snapshot();
    const problems: string[] = [];
    let sent = 0;
    for (const name of Object.values(OSS_OPERATION_NAMES).flat()) {
      for (const level of LEVELS) {
        for (const method of METHODS) {
          if (IMPLEMENTED.has(`${method} ${level} ${name}`)) continue;
          const path = pathFor(level, method, encodeURIComponent(name));
          const res = await send(method, path, method === 'PUT' || method === 'POST' ? JUNK : undefined);
          sent++;
          const problem = notImplementedProblem(method, res);
          if (problem) problems.push(`${method} ${path}: ${problem}`);
        }
      }
      const now = await snapshot();
      if (now !== original) {
        problems.push(`after the requests naming ${name}: state changed to ${now}`);
        await restore();
      }
    }
    assert.ok(sent > 1000, `only ${sent} requests`);
    assert.deepEqual(problems, [], `${problems.length} of ${sent} requests fell through:\n${problems.join('\n')}`);
  });

  test('a name is matched as sent; other spellings of an operation name are refused too, never run as the base operation', async () => {
    const original = await snapshot();
    for (const [method, path] of [
      ['DELETE', `/${EMPTY}/?ResponseHeader`],
      ['DELETE', `/${EMPTY}/?ACL`],
      ['PUT', `/${FULL}/${KEY}?Seal`],
      ['GET', '/?REGIONS'],
      ['GET', `/${FULL}/${KEY}?Tagging`],
    ] as const) {
      const res = await send(method, path, method === 'PUT' ? JUNK : undefined);
      assert.equal(notImplementedProblem(method, res), '', `${method} ${path}`);
    }
    assert.equal(await snapshot(), original);
  });

  test('parameters that only modify an operation keep working (what ali-oss and the other SDKs send)', async () => {
    const get = await send('GET', `/${FULL}/${KEY}?response-content-type=text%2Fplain&response-cache-control=no-cache&x-oss-traffic-limit=819200`);
    assert.equal(get.status, 200, get.text);
    assert.equal(get.text, CONTENT);
    assert.equal(get.headers['content-type'], 'text/plain');
    // A cache-busting parameter no operation uses is ignored, as OSS does.
    assert.equal((await send('GET', `/${FULL}/${KEY}?t=12345`)).status, 200);
    const v2 = await send('GET', `/${FULL}/?list-type=2&prefix=&max-keys=10&encoding-type=url&fetch-owner=true&start-after=a`);
    assert.equal(v2.status, 200, v2.text);
    assert.match(v2.text, /<Key>obj.txt<\/Key>/);
    const v1 = await send('GET', `/${FULL}/?prefix=o&marker=&delimiter=%2F&max-keys=5`);
    assert.equal(v1.status, 200, v1.text);
    const versions = await send('GET', `/${FULL}/?versions&key-marker=&version-id-marker=&max-keys=5&encoding-type=url`);
    assert.equal(versions.status, 200, versions.text);
    const byVersion = await send('GET', `/${FULL}/${KEY}?versionId=null`);
    assert.equal(byVersion.status, 200, byVersion.text);
    const append = await send('POST', `/${FULL}/appended?append&position=0`, 'abc');
    assert.equal(append.status, 200, append.text);
    const init = await send('POST', `/${FULL}/mp?uploads&encoding-type=url`);
    assert.equal(init.status, 200, init.text);
    const uploadId = /<UploadId>([^<]+)<\/UploadId>/.exec(init.text)![1]!;
    const part = await send('PUT', `/${FULL}/mp?partNumber=1&uploadId=${encodeURIComponent(uploadId)}`, 'part');
    assert.equal(part.status, 200, part.text);
    const parts = await send('GET', `/${FULL}/mp?uploadId=${encodeURIComponent(uploadId)}&max-parts=10&part-number-marker=0&encoding-type=url`);
    assert.equal(parts.status, 200, parts.text);
    assert.equal((await send('DELETE', `/${FULL}/mp?uploadId=${encodeURIComponent(uploadId)}`)).status, 204);
    const uploads = await send('GET', `/${FULL}/?uploads&max-uploads=10&key-marker=&upload-id-marker=&encoding-type=url&prefix=&delimiter=%2F`);
    assert.equal(uploads.status, 200, uploads.text);
    assert.equal((await send('DELETE', `/${FULL}/appended`)).status, 204);
  });
});
