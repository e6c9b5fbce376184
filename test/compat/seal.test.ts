/**
 * SealAppendObject (issue 17) through the real process: appends, reads and overwrites with
 * ali-oss (which has no seal call: the seal goes raw, V1-signed by test/helpers/raw-v1.ts,
 * and once through ali-oss's own V4 signer as a generic request), checked against the OSS
 * reference: `POST /key?seal&position=n`, 409 PositionNotEqualToLength with
 * `x-oss-next-append-position`, `x-oss-sealed-time` on HEAD and GET, the first seal's time
 * kept, 404 NoSuchKey for a missing key, and an append to a sealed object refused
 * (409 ObjectNotAppendable: OSS says the object "becomes non-appendable").
 *
 * Fails when the sealed check is removed from the append refusal (src/engine/append.ts
 * appendRefusal): checked, "sealed object: appends are refused" and the race fail. Fails
 * when the seal's position check is removed (src/engine/seal.ts sealRefusal): checked, the
 * race finds a seal acknowledged at a length the object then outgrew.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { client, type OssClient } from '../helpers/clients.js';
import { useOssd } from '../helpers/ossd-process.js';
import { raw, type RawResponse } from '../helpers/raw-http.js';
import { contentOf, crcOf, hdr, rejectsWith, sleep } from '../helpers/sdk-fixtures.js';

const ossd = useOssd();
const notAppendable = { code: 'ObjectNotAppendable', status: 409 };

function seal(bucket: string, key: string, position: number | string | undefined): Promise<RawResponse> {
  const q = position === undefined ? 'seal' : `seal&position=${position}`;
  return raw(ossd, { method: 'POST', path: `/${bucket}/${encodeURIComponent(key)}?${q}` });
}

function codeOf(res: RawResponse): string | undefined {
  return /<Code>([^<]*)<\/Code>/.exec(res.text)?.[1];
}

/** An RFC 1123 GMT date, as OSS writes x-oss-sealed-time ("Wed, 07 May 2025 23:00:00 GMT"). */
const GMT = /^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$/;

describe('SealAppendObject', { timeout: 120_000 }, () => {
  const bucket = 'seal-basics';
  let c: OssClient;
  before(async () => {
    c = client(ossd, { mode: 'ip', bucket });
    await c.putBucket(bucket);
  });

  it('seals at the length: 200 with x-oss-sealed-time; HEAD and GET show it; the bytes stay', async () => {
    const a = randomBytes(1000);
    const b = randomBytes(70_000); // past the journaled size: a file-backed append
    await c.append('k1', a);
    await c.append('k1', b, { position: a.length });
    const whole = Buffer.concat([a, b]);

    const wrong = await seal(bucket, 'k1', 1000);
    assert.equal(wrong.status, 409, wrong.text);
    assert.equal(codeOf(wrong), 'PositionNotEqualToLength');
    assert.equal(wrong.headers['x-oss-next-append-position'], String(whole.length));

    const before = Date.now();
    const ok = await seal(bucket, 'k1', whole.length);
    assert.equal(ok.status, 200, ok.text);
    const sealedTime = String(ok.headers['x-oss-sealed-time']);
    assert.match(sealedTime, GMT);
    assert.ok(Math.abs(Date.parse(sealedTime) - before) < 5000, sealedTime);

    const head = await c.head('k1');
    assert.equal(hdr(head.res, 'x-oss-sealed-time'), sealedTime);
    assert.equal(hdr(head.res, 'x-oss-object-type'), 'Appendable');
    assert.equal(hdr(head.res, 'x-oss-hash-crc64ecma'), crcOf(whole));
    const got = await c.get('k1');
    assert.equal(hdr(got.res, 'x-oss-sealed-time'), sealedTime);
    assert.ok(contentOf(got).equals(whole));
    const listed = await c.list({ prefix: 'k1' });
    assert.equal(listed.objects[0].type, 'Appendable');
  });

  it('sealed object: appends are refused with ObjectNotAppendable, at any position, and nothing is appended', async () => {
    const a = randomBytes(100);
    await c.append('k2', a);
    assert.equal((await seal(bucket, 'k2', 100)).status, 200);
    await rejectsWith(c.append('k2', randomBytes(10), { position: 100 }), notAppendable);
    await rejectsWith(c.append('k2', randomBytes(10), { position: 0 }), notAppendable);
    await rejectsWith(c.append('k2', randomBytes(100_000), { position: 100 }), notAppendable);
    assert.ok(contentOf(await c.get('k2')).equals(a));
  });

  it('sealing again keeps the first time; the position is still checked', async () => {
    await c.append('k3', Buffer.from('abc'));
    const first = await seal(bucket, 'k3', 3);
    assert.equal(first.status, 200);
    await sleep(1100); // a later second: a new time would show
    const again = await seal(bucket, 'k3', 3);
    assert.equal(again.status, 200, again.text);
    assert.equal(again.headers['x-oss-sealed-time'], first.headers['x-oss-sealed-time']);
    const wrong = await seal(bucket, 'k3', 4);
    assert.equal(wrong.status, 409);
    assert.equal(codeOf(wrong), 'PositionNotEqualToLength');
    assert.equal(hdr((await c.head('k3')).res, 'x-oss-sealed-time'), first.headers['x-oss-sealed-time']);
  });

  it('a missing key is 404 NoSuchKey; a Normal object 409 ObjectNotAppendable; no position 400 MissingArgument', async () => {
    const missing = await seal(bucket, 'nothing-here', 0);
    assert.equal(missing.status, 404);
    assert.equal(codeOf(missing), 'NoSuchKey');
    await c.put('normal', Buffer.from('hello'));
    const normal = await seal(bucket, 'normal', 5);
    assert.equal(normal.status, 409);
    assert.equal(codeOf(normal), 'ObjectNotAppendable');
    assert.equal(hdr((await c.head('normal')).res, 'x-oss-sealed-time'), undefined);
    await c.append('k4', Buffer.from('x'));
    const noPosition = await seal(bucket, 'k4', undefined);
    assert.equal(noPosition.status, 400);
    assert.equal(codeOf(noPosition), 'MissingArgument');
    const notNumber = await seal(bucket, 'k4', 'one');
    assert.equal(notNumber.status, 400);
    assert.equal(codeOf(notNumber), 'InvalidArgument');
    assert.equal(hdr((await c.head('k4')).res, 'x-oss-sealed-time'), undefined);
  });

  it('an unsealed object has no x-oss-sealed-time; an overwrite of a sealed one is a new, unsealed object', async () => {
    await c.append('k5', Buffer.from('12345'));
    assert.equal(hdr((await c.head('k5')).res, 'x-oss-sealed-time'), undefined);
    assert.equal((await seal(bucket, 'k5', 5)).status, 200);
    await c.put('k5', Buffer.from('normal now'));
    assert.equal(hdr((await c.head('k5')).res, 'x-oss-sealed-time'), undefined);
    await c.delete('k5');
    await c.append('k5', Buffer.from('again'));
    assert.equal(hdr((await c.head('k5')).res, 'x-oss-sealed-time'), undefined);
    await c.append('k5', Buffer.from('!'), { position: 5 });
  });

  it('ACL and tagging changes keep the seal', async () => {
    await c.append('k7', Buffer.from('kept'));
    const sealed = await seal(bucket, 'k7', 4);
    await c.putACL('k7', 'public-read');
    await c.putObjectTagging('k7', { a: '1' });
    assert.equal(hdr((await c.head('k7')).res, 'x-oss-sealed-time'), sealed.headers['x-oss-sealed-time']);
    await rejectsWith(c.append('k7', Buffer.from('!'), { position: 4 }), notAppendable);
  });

  it('V4 through ali-oss\'s own signer (a generic request naming the sub-resources)', async () => {
    const v4 = client(ossd, { mode: 'ip', v4: true, bucket });
    await v4.append('k6', Buffer.from('signed v4'));
    const params = v4._objectRequestParams('POST', 'k6', { subres: { seal: '', position: '9' } });
    params.successStatuses = [200];
    const r = await v4.request(params);
    assert.match(hdr(r.res, 'x-oss-sealed-time') ?? '', GMT);
    await rejectsWith(v4.append('k6', Buffer.from('more'), { position: 9 }), notAppendable);
  });

  it('versioning: the seal changes the current version in place; an archived sealed version stays sealed', async () => {
    const vb = 'seal-versioned';
    const v = client(ossd, { mode: 'ip', bucket: vb });
    await v.putBucket(vb);
    await v.putBucketVersioning(vb, 'Enabled');
    const first = await v.append('log', Buffer.from('one'));
    const versionId = hdr(first.res, 'x-oss-version-id');
    assert.ok(versionId);
    const sealed = await seal(vb, 'log', 3);
    assert.equal(sealed.status, 200);
    const head = await v.head('log');
    assert.equal(hdr(head.res, 'x-oss-version-id'), versionId, 'no new version');
    await v.put('log', Buffer.from('overwritten'));
    const old = await v.head('log', { versionId });
    assert.equal(hdr(old.res, 'x-oss-sealed-time'), sealed.headers['x-oss-sealed-time']);
    assert.equal(hdr((await v.head('log')).res, 'x-oss-sealed-time'), undefined);
  });
});

/**
 * Seals and appends racing on one object (issue 17 "Done when"): writers append at the
 * length they last learned (retrying on PositionNotEqualToLength), sealers seal at the
 * length they read. Linearizable means: every acknowledged append's bytes are in the
 * final object at its position, the object is exactly the acknowledged appends in order
 * (nothing unacknowledged, nothing after the seal), every acknowledged seal names the
 * final length, and all of them the same time.
 */
describe('seals racing appends', { timeout: 180_000 }, () => {
  const bucket = 'seal-race';
  let c: OssClient;
  before(async () => {
    c = client(ossd, { mode: 'ip', bucket });
    await c.putBucket(bucket);
  });

  /** Writers stopped by a seal, over the rounds: the seal must have come mid-run at least once. */
  let stoppedBySeal = 0;
  after(() => assert.ok(stoppedBySeal > 0, 'in no round did the seal land while writers were still appending'));

  for (const round of [0, 1, 2]) {
    it(`round ${round}: 6 writers, 3 sealers on one object`, async () => {
      const key = `race-${round}`;
      const acked = new Map<number, Buffer>();
      const seals: Array<{ position: number; time: string }> = [];
      let refusedBySeal = 0;
      // Each writer stops at its 40th append or at the seal; small pauses let the sealers in.
      const writer = async (w: number): Promise<void> => {
        let position = 0;
        for (let i = 0; i < 40; i++) {
          // Mixed sizes: journaled (small) and file-backed (large) appends.
          const body = randomBytes(i % 5 === 4 ? 80_000 : 50 + w);
          try {
            const r = await c.append(key, body, { position });
            acked.set(position, body);
            position = Number(r.nextAppendPosition);
          } catch (e) {
            const code = (e as { code?: string }).code;
            if (code === 'ObjectNotAppendable') return void refusedBySeal++;
            assert.equal(code, 'PositionNotEqualToLength', String(e));
            // ali-oss keeps no headers on its errors: learn the length from a HEAD.
            position = Number((await c.head(key)).res.headers['content-length']);
          }
          await sleep(Math.random() * 4);
        }
      };
      // Each sealer tries until one of its seals is acknowledged (at the latest once the writers are done).
      const sealer = async (s: number): Promise<void> => {
        // Once a few appends are in (a seal of a 1-append object would test little), then staggered.
        while (acked.size < 5) await sleep(5);
        await sleep(20 * s);
        let length = Number((await c.head(key).catch(() => undefined))?.res.headers['content-length'] ?? 0);
        for (;;) {
          const r = await seal(bucket, key, length);
          if (r.status === 200) {
            seals.push({ position: length, time: String(r.headers['x-oss-sealed-time']) });
            return;
          }
          if (r.status === 404) {
            length = 0;
          } else {
            assert.equal(r.status, 409, r.text);
            assert.equal(codeOf(r), 'PositionNotEqualToLength', r.text);
            // Retry at once at the length the refusal names (as a client would).
            length = Number(r.headers['x-oss-next-append-position']);
          }
        }
      };
      await Promise.all([...[0, 1, 2, 3, 4, 5].map(writer), ...[0, 1, 2].map(sealer)]);

      assert.ok(seals.length > 0, 'no seal succeeded');
      const got = contentOf(await c.get(key));
      for (const s of seals) {
        assert.equal(s.position, got.length, 'a seal was acknowledged at a length the object then outgrew');
        assert.equal(s.time, seals[0]!.time, 'every seal answers the first seal\'s time');
      }
      // The acknowledged appends tile the object exactly, in position order.
      let at = 0;
      for (const position of [...acked.keys()].sort((a, b) => a - b)) {
        assert.equal(position, at, `acknowledged append at ${position}, expected one at ${at}`);
        const body = acked.get(position)!;
        assert.ok(got.subarray(position, position + body.length).equals(body), `bytes of the append at ${position}`);
        at += body.length;
      }
      assert.equal(at, got.length, 'bytes in the object that no acknowledged append wrote');
      assert.ok(acked.size > 3, `only ${acked.size} appends`);
      stoppedBySeal += refusedBySeal;
      // How often the seal came mid-run (writers refused by it), for the record.
      console.log(`round ${round}: ${acked.size} appends acknowledged, ${refusedBySeal} writers stopped by the seal, ${got.length} bytes`);
      await rejectsWith(c.append(key, Buffer.from('late'), { position: got.length }), notAppendable);
    });
  }
});
