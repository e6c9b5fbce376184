/**
 * Every byte value 0x00–0xFF, one at a time, in each place a client controls (issue 15:
 * "the fuzzer sends every byte value, not only printable ASCII"): a response-* query
 * value, an object key (percent-encoded in the path), a user metadata value (by Node's
 * client where HTTP lets it, else on a raw socket) and an XML body (raw, and as a
 * character reference). The random fuzzer (fuzz.test.ts) mixes such bytes into whole
 * requests; this sweep makes sure none is skipped.
 *
 * Per answer: the fuzz invariants (x-oss-request-id, no 5xx, an error code from the
 * catalogue) and a well-formed XML 1.0 <Error> body (test/helpers/xml-check.ts). Per
 * refusal: nothing changed (the key was not stored, the metadata and the object named by
 * a refused multi-delete are as before). An accepted multi-delete body must be
 * well-formed by the independent check.
 *
 * Then a random property on XML alone: valid multi-delete and tagging bodies with one
 * byte or token dropped in; a refusal acts on nothing, an acceptance had a well-formed body.
 *
 * Fails on the code before issue 15's hole 4 fix (checked): the XML sweep found 129 of 256
 * bytes wrong (each lone byte 0x80–0xFF, i.e. invalid UTF-8, and references such as `&#x00;`
 * were accepted and `victim` deleted), and the random damage property failed too. The
 * response-* sweep fails until hole 5 is fixed (another branch): bytes 0x00–0x08,
 * 0x0A–0x1F and 0x7F in a response-* value answer 500.
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import fc from 'fast-check';
import { md5Base64 } from '../helpers/raw-http.js';
import { useOssd } from '../helpers/ossd-process.js';
import { answerProblem, exchange, LONG, pool, RelClient, type RelResponse, wireProblems } from '../helpers/rel-http.js';
import { wireBytes } from '../helpers/raw-wire.js';
import { deleteRules, requestRules, xmlProblem } from '../helpers/xml-check.js';

const B = 'byte-sweep';
let client: RelClient;
const ossd = useOssd({}, async (o) => {
  client = new RelClient(o, 2 * PARALLEL);
  assert.equal((await client.signed('PUT', `/${B}/`)).status, 200);
});
after(() => client?.close());

const BYTES = Array.from({ length: 256 }, (_, b) => b);
/** Bytes swept side by side; each byte works on keys of its own. */
const PARALLEL = 8;

/** Runs `check` for every byte and fails once, listing every byte that broke a rule. */
async function sweep(run: (b: number) => Promise<void>): Promise<void> {
  const problems: string[] = [];
  await pool(BYTES, PARALLEL, async (b) => {
    try {
      await run(b);
    } catch (e) {
      problems.push(`0x${hex(b)}: ${(e as Error).message.split('\n')[0]}`);
    }
  });
  assert.deepEqual(problems.sort(), [], `${problems.length} of 256 bytes broke a rule`);
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

describe('every byte value, in every place', { timeout: LONG ? 600_000 : 180_000 }, () => {
  test('response-* values: each byte percent-encoded answers without 5xx and with well-formed XML', async () => {
    await putVictim('obj');
    await sweep(async (b) => {
      for (const name of ['response-content-type', 'response-content-disposition', 'response-cache-control']) {
        check(name, 'GET', await signed('GET', `/${B}/obj?${name}=a%${hex(b)}b`));
      }
    });
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
    });
    let etag = await putVictim('victim');
    for (const cp of [0xd800, 0xdfff, 0xfffe, 0xffff, 0x110000, 0x1f600, 0x10ffff]) {
      etag = await deleteAround(`reference &#x${cp.toString(16)};`, 'victim', etag, Buffer.from(`&#x${cp.toString(16)};`));
    }
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
      { numRuns: LONG ? 20_000 : 250 },
    );
  });
});
