/**
 * The byte sweep battery of test/faults/byte-sweep.test.ts (embedded default) and
 * test/faults/batteries-cluster.test.ts (a PostgreSQL + S3 node): see byte-sweep.test.ts for what it
 * checks and which faults it found. One body for both, so the drivers are held to one standard.
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import fc from 'fast-check';
import { md5Base64 } from './raw-http.js';
import type { Ossd } from './ossd-process.js';
import { answerProblem, exchange, LONG, pool, RelClient, type RelResponse, wireProblems } from './rel-http.js';
import { wireBytes } from './raw-wire.js';
import { deleteRules, requestRules, xmlProblem } from './xml-check.js';

/** Starts the node for the file (like useOssd) and runs `setup` on it in the same hook. */
export type UseNode = (setup: (o: Ossd) => Promise<void>) => Ossd;

export interface ByteSweepOptions {
  /** Added to the describe's name (e.g. " (pg+s3)"). */
  title?: string;
  skip?: string | false;
  /** Cases of the random XML damage property in a normal run (default 250). */
  randomRuns?: number;
  /**
   * The bytes swept where the protocol layer alone decides (response-* values, XML bodies);
   * default all 256. Keys, metadata values, listings and ids always get every byte.
   */
  protocolBytes?: readonly number[];
}

export function byteSweepBattery(useNode: UseNode, o: ByteSweepOptions = {}): void {
  const B = 'byte-sweep';
  let client: RelClient;
  const ossd = useNode(async (node) => {
    client = new RelClient(node, 2 * PARALLEL);
    assert.equal((await client.signed('PUT', `/${B}/`)).status, 200);
  });
  after(() => client?.close());

  const BYTES = Array.from({ length: 256 }, (_, b) => b);
  /** Bytes swept side by side; each byte works on keys of its own. */
  const PARALLEL = 8;

  /** Runs `check` for every byte and fails once, listing every byte that broke a rule. */
  async function sweep(run: (b: number) => Promise<void>, bytes: readonly number[] = BYTES): Promise<void> {
    const problems: string[] = [];
    await pool([...bytes], PARALLEL, async (b) => {
      try {
        await run(b);
      } catch (e) {
        problems.push(`0x${hex(b)}: ${(e as Error).message.split('\n')[0]}`);
      }
    });
    assert.deepEqual(problems.sort(), [], `${problems.length} of ${bytes.length} bytes broke a rule`);
  }
  const hex = (b: number): string => b.toString(16).toUpperCase().padStart(2, '0');
  /** Bytes Node's HTTP client lets into a header value. */
  const clientSendable = (b: number): boolean => b === 0x09 || (b >= 0x20 && b !== 0x7f);

  type Answer = { status: number; headers: Record<string, string | string[] | undefined>; body: Buffer };

  /** The fuzz invariants plus a well-formed <Error> document for every error. */
  function check(what: string, method: string, res: Answer): void {
    const problem = answerProblem(method, res);
    assert.equal(problem, undefined, `${what}: ${problem}`);
    if (res.status >= 400) {
      const err = res.headers['x-oss-err'];
      const xml = method !== 'HEAD' && res.body.length > 0 ? res.body : Buffer.from(typeof err === 'string' ? err : '', 'base64');
      const bad = xmlProblem(xml, { root: 'Error' });
      assert.equal(bad, undefined, `${what}: error answer ${res.status}: ${bad}`);
    }
  }

  const signed = (method: string, path: string, headers: Record<string, string> = {}, body?: Buffer): Promise<RelResponse> =>
    client.signed(method, path, headers, body);

  async function putVictim(key: string): Promise<string> {
    const res = await signed('PUT', `/${B}/${key}`, {}, Buffer.from(`bytes of ${key}`));
    assert.equal(res.status, 200, res.text);
    return String(res.headers.etag);
  }

  async function etagOf(key: string): Promise<string | undefined> {
    const res = await signed('HEAD', `/${B}/${key}`);
    return res.status === 200 ? String(res.headers.etag) : undefined;
  }

  function deleteMultiple(body: Buffer): Promise<RelResponse> {
    return signed('POST', `/${B}/?delete`, { 'content-md5': md5Base64(body) }, body);
  }

  /** A multi-delete naming `victim` and one more key; refused: victim stays; accepted: the body was well-formed. */
  async function deleteAround(what: string, victim: string, etag: string, second: Buffer): Promise<string> {
    const body = Buffer.concat([Buffer.from(`<Delete><Quiet>true</Quiet><Object><Key>${victim}</Key></Object><Object><Key>x`), second, Buffer.from('y</Key></Object></Delete>')]);
    const res = await deleteMultiple(body);
    check(what, 'POST', res);
    if (res.status >= 400) {
      assert.equal(await etagOf(victim), etag, `${what}: refused (${res.status}) but ${victim} changed`);
      return etag;
    }
    assert.equal(xmlProblem(body, deleteRules), undefined, `${what}: accepted a body that is not well-formed`);
    return putVictim(victim);
  }

  describe(`every byte value, in every place${o.title ?? ''}`, { skip: o.skip, timeout: LONG ? 600_000 : 180_000 }, () => {
    test('response-* values: each byte percent-encoded answers without 5xx and with well-formed XML', async () => {
      await putVictim('obj');
      await sweep(async (b) => {
        for (const name of ['response-content-type', 'response-content-disposition', 'response-cache-control']) {
          check(name, 'GET', await signed('GET', `/${B}/obj?${name}=a%${hex(b)}b`));
        }
      }, o.protocolBytes);
    });

    test('keys: each byte percent-encoded in the path is stored exactly or refused with nothing stored', async () => {
      await sweep(async (b) => {
        const path = `/${B}/k%${hex(b)}k`;
        const put = await signed('PUT', path, {}, Buffer.from('v'));
        check('PUT', 'PUT', put);
        if (put.status === 200) {
          const got = await signed('GET', path);
          assert.equal(got.status, 200, `stored but not read back: ${got.text}`);
          assert.equal(got.text, 'v');
          assert.equal((await signed('DELETE', path)).status, 204);
        }
        // The listing names the raw bytes; only this byte's key can match the prefix.
        const listing = await signed('GET', `/${B}/?prefix=k%${hex(b)}&max-keys=10&encoding-type=url`);
        check('listing', 'GET', listing);
        assert.doesNotMatch(listing.text, /<Contents>/, `something stored after ${put.status}`);
      });
    });

    test('metadata values: each byte (raw socket where Node will not send it) is stored or refused with nothing changed', async () => {
      await sweep(async (b) => {
        const key = `meta-${hex(b)}`;
        const etag = await putVictim(key);
        const what = 'x-oss-meta-s';
        const value = `a${String.fromCharCode(b)}b`;
        let status: number;
        if (clientSendable(b)) {
          const res = await signed('PUT', `/${B}/${key}`, { 'x-oss-meta-s': value }, Buffer.from('m'));
          check(what, 'PUT', res);
          status = res.status;
        } else {
          const bytes = wireBytes(ossd, { method: 'PUT', path: `/${B}/${key}`, headers: { date: new Date().toUTCString(), 'x-oss-meta-s': value, 'content-length': '1' }, body: 'm' });
          const { data } = await exchange(ossd, bytes, 5000);
          const { responses, problems } = wireProblems('PUT', data);
          assert.deepEqual(problems, [], what);
          assert.ok(responses.length <= 1, what);
          for (const r of responses) check(what, 'PUT', r);
          status = responses[0]?.status ?? 0; // 0: the connection was closed without an answer
        }
        if (status !== 200) {
          const after = await signed('HEAD', `/${B}/${key}`);
          assert.equal(after.headers.etag, etag, `${what}: refused (${status}) but the object changed`);
          assert.equal(after.headers['x-oss-meta-s'], undefined, `${what}: refused (${status}) but its metadata changed`);
        }
      });
    });

    test('XML bodies: each byte raw and as a character reference; a refusal deletes nothing', async () => {
      await sweep(async (b) => {
        const victim = `victim-${hex(b)}`;
        let etag = await putVictim(victim);
        etag = await deleteAround('raw byte', victim, etag, Buffer.from([b]));
        etag = await deleteAround(`reference &#x${hex(b)};`, victim, etag, Buffer.from(`&#x${hex(b)};`));
        await deleteAround(`reference &#${b};`, victim, etag, Buffer.from(`&#${b};`));
      }, o.protocolBytes);
      let etag = await putVictim('victim');
      for (const cp of [0xd800, 0xdfff, 0xfffe, 0xffff, 0x110000, 0x1f600, 0x10ffff]) {
        etag = await deleteAround(`reference &#x${cp.toString(16)};`, 'victim', etag, Buffer.from(`&#x${cp.toString(16)};`));
      }
    });

    // Added for the PostgreSQL + S3 node (issue 19): its text columns cannot hold U+0000, and
    // a NUL in any of these answered 500 there (checked: 17 kinds of request, each 500 before
    // src/drivers/postgres/nul-text.ts; the embedded node answered them all). A marker holding
    // a NUL turned into `>=` its head instead of `>` lists the head itself: the marker sweep
    // fails at 0x00 then, checked.
    test('listing order: keys with every byte list bytewise, from markers and prefixes holding every byte', async () => {
      // A key per byte value: the byte itself below 0x80, else the character U+00xx (valid UTF-8, C2/C3 xx).
      const keyOf = (b: number): string => `o/${String.fromCharCode(b)}x`;
      const keys = [...BYTES.slice(1).map(keyOf), 'o/', 'o/\u4e2d', 'o/\uff61', 'o/\u{1f600}'];
      const utf8 = (k: string): Buffer => Buffer.from(k, 'utf8');
      const sorted = [...keys].sort((a, c) => Buffer.compare(utf8(a), utf8(c)));
      await pool(keys, PARALLEL, async (k) => {
        assert.equal((await signed('PUT', `/${B}/${encodeURIComponent(k)}`, {}, Buffer.from('o'))).status, 200, k);
        assert.equal((await signed('POST', `/${B}/${encodeURIComponent(k)}?uploads`)).status, 200, k);
      });
      const keysIn = (xml: string, element: string): string[] =>
        [...xml.matchAll(new RegExp(`<${element}>[\\s\\S]*?<Key>([^<]*)</Key>`, 'g'))].map((m) => decodeURIComponent(m[1]!));
      // Every key, page by page (NextMarker), in bytewise order.
      const paged: string[] = [];
      for (let marker = ''; ;) {
        const res = await signed('GET', `/${B}/?prefix=o%2F&max-keys=37&encoding-type=url&marker=${encodeURIComponent(marker)}`);
        check('paging', 'GET', res);
        paged.push(...keysIn(res.text, 'Contents'));
        if (!/<IsTruncated>true</.test(res.text)) break;
        marker = decodeURIComponent(/<NextMarker>([^<]*)</.exec(res.text)![1]!);
      }
      assert.deepEqual(paged, sorted);
      // After a marker holding byte b (percent-encoded, then `x`), in each listing: the keys
      // bytewise after it. A refusal is allowed (a lone byte 0x80–0xFF is not UTF-8), not a 5xx.
      await sweep(async (b) => {
        const marker = `o%2F%${hex(b)}x`;
        const after = sorted.filter((k) => Buffer.compare(utf8(k), Buffer.from([0x6f, 0x2f, b, 0x78])) > 0).slice(0, 4);
        for (const [what, path, element] of [
          ['marker', `/${B}/?prefix=o%2F&max-keys=4&encoding-type=url&marker=${marker}`, 'Contents'],
          ['start-after', `/${B}/?list-type=2&prefix=o%2F&max-keys=4&encoding-type=url&start-after=${marker}`, 'Contents'],
          ['key-marker (versions)', `/${B}/?versions&prefix=o%2F&max-keys=4&encoding-type=url&key-marker=${marker}`, 'Version'],
          ['key-marker (uploads)', `/${B}/?uploads&prefix=o%2F&max-uploads=4&encoding-type=url&key-marker=${marker}`, 'Upload'],
        ] as const) {
          const res = await signed('GET', path);
          check(what, 'GET', res);
          if (res.status === 200) assert.deepEqual(keysIn(res.text, element), after, what);
        }
        // A prefix holding byte b lists exactly the keys that start with its bytes.
        const prefix = Buffer.from([0x6f, 0x2f, b]);
        const starting = sorted.filter((k) => utf8(k).subarray(0, 3).equals(prefix)).slice(0, 4);
        for (const [what, path, element] of [
          ['prefix', `/${B}/?max-keys=4&encoding-type=url&prefix=o%2F%${hex(b)}`, 'Contents'],
          ['prefix (versions)', `/${B}/?versions&max-keys=4&encoding-type=url&prefix=o%2F%${hex(b)}`, 'Version'],
          ['prefix (uploads)', `/${B}/?uploads&max-uploads=4&encoding-type=url&prefix=o%2F%${hex(b)}`, 'Upload'],
        ] as const) {
          const res = await signed('GET', path);
          check(what, 'GET', res);
          if (res.status === 200) assert.deepEqual(keysIn(res.text, element), starting, what);
        }
      });
    });

    test('ids in requests: each byte in an uploadId, a version-id-marker, an upload-id-marker and an access key id', async () => {
      await putVictim('ids');
      await sweep(async (b) => {
        const v = `a%${hex(b)}b`;
        for (const [method, path] of [
          ['GET', `/${B}/ids?uploadId=${v}`],
          ['PUT', `/${B}/ids?partNumber=1&uploadId=${v}`],
          ['POST', `/${B}/ids?uploadId=${v}`],
          ['DELETE', `/${B}/ids?uploadId=${v}`],
          ['GET', `/${B}/?versions&key-marker=ids&version-id-marker=${v}`],
          ['GET', `/${B}/?uploads&key-marker=ids&upload-id-marker=${v}`],
        ] as const) {
          check(`${method} ${path}`, method, await signed(method, path, {}, method === 'PUT' ? Buffer.from('p') : undefined));
        }
        // Presigned-URL style (V1): the key id comes from the query, where any byte can go.
        const anon = await client.anonymous('GET', `/${B}/ids?OSSAccessKeyId=LTAI${v}&Expires=4102444800&Signature=c2lnbmF0dXJl`);
        check('OSSAccessKeyId', 'GET', anon);
        assert.equal(anon.status, b >= 0x80 ? 400 : 403, 'an unknown key id is refused (a lone byte 0x80–0xFF is not UTF-8: 400)');
      });
    });

    test('random XML damage: a refusal acts on nothing, an acceptance had a well-formed body', async () => {
      await putVictim('victim');
      await putVictim('tagged');
      const TOKENS = ['&#0;', '&#x1;', '&#xD800;', '&#xFFFE;', '&foo;', '&', '<', ']]>', '<!DOCTYPE d>', '<!ENTITY e "x">', '<?xml version="1.0"?>', '<!--', '</Key>', '<Key>', '\ufeff', '\u0085'];
      const piece = fc.oneof(fc.integer({ min: 0, max: 255 }).map((b) => Buffer.from([b])), fc.constantFrom(...TOKENS).map((t) => Buffer.from(t)));
      const damage = (valid: string): fc.Arbitrary<Buffer> =>
        fc.tuple(fc.nat(valid.length), piece).map(([at, p]) => Buffer.concat([Buffer.from(valid.slice(0, at)), p, Buffer.from(valid.slice(at))]));
      const tagging = '<?xml version="1.0" encoding="UTF-8"?><Tagging><TagSet><Tag><Key>k</Key><Value>v</Value></Tag></TagSet></Tagging>';
      const remove = '<?xml version="1.0" encoding="UTF-8"?><Delete><Quiet>true</Quiet><Object><Key>victim</Key></Object></Delete>';
      await fc.assert(
        fc.asyncProperty(fc.oneof(damage(tagging).map((body) => ({ op: 'tagging' as const, body })), damage(remove).map((body) => ({ op: 'delete' as const, body }))), async ({ op, body }) => {
          const what = `${op} ${JSON.stringify(body.toString('latin1'))}`;
          if (op === 'delete') {
            const etag = await etagOf('victim');
            const res = await deleteMultiple(body);
            check(what, 'POST', res);
            if (res.status >= 400) assert.equal(await etagOf('victim'), etag, `${what}: refused but victim changed`);
            else {
              assert.equal(xmlProblem(body, deleteRules), undefined, `${what}: accepted a body that is not well-formed`);
              await putVictim('victim');
            }
          } else {
            const before = (await signed('GET', `/${B}/tagged?tagging`)).text;
            const res = await signed('PUT', `/${B}/tagged?tagging`, {}, body);
            check(what, 'PUT', res);
            if (res.status >= 400) assert.equal((await signed('GET', `/${B}/tagged?tagging`)).text, before, `${what}: refused but the tags changed`);
            else assert.equal(xmlProblem(body, requestRules), undefined, `${what}: accepted a body that is not well-formed`);
          }
        }),
        { numRuns: LONG ? 20_000 : (o.randomRuns ?? 250) },
      );
    });
  });
}
