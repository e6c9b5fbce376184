/**
 * Access keys with and without limits for the ACL matrix (docs/errors.md, src/protocol/key-scope.ts):
 * made with `ossd keys create` / `ossd sts issue` on the running server's data folder, and a
 * V1 signer for them over a RelClient (the STS token is an x-oss-* header, so it is signed).
 */
import { type Creds, createKey, issueSts, stsCreds } from './keys.js';
import type { Ossd } from './ossd-process.js';
import { signV1 } from './raw-http.js';
import type { RelClient, RelResponse } from './rel-http.js';

/** full: no limits; scoped: limited to the matrix's buckets; readOnly: read-only key; sts: temporary, read-only and scoped. */
export const KEY_PRINCIPALS = ['full', 'scoped', 'readOnly', 'sts'] as const;
export type KeyPrincipal = (typeof KEY_PRINCIPALS)[number];

export async function makeKeys(ossd: Ossd, buckets: string[]): Promise<Record<KeyPrincipal, Creds>> {
  const only = buckets.flatMap((b) => ['--bucket', b]);
  // One after another: each run opens the server's meta.db.
  const full = await createKey(ossd);
  const scoped = await createKey(ossd, only);
  const readOnly = await createKey(ossd, ['--read-only']);
  const sts = stsCreds(await issueSts(ossd, ['--read-only', ...only]));
  return { full, scoped, readOnly, sts };
}

/** A V1-signed request (Date header, path style) with the given credentials. */
export function signedAs(client: RelClient, c: Creds, method: string, path: string, headers: Record<string, string> = {}, body?: Buffer): Promise<RelResponse> {
  const h: Record<string, string> = { date: new Date().toUTCString(), ...headers };
  if (c.token !== undefined) h['x-oss-security-token'] = c.token;
  h.authorization = `OSS ${c.id}:${signV1(c.secret, method, path, h)}`;
  return client.send({ method, path, headers: h, body });
}
