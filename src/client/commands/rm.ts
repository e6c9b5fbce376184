/** `ossd rm oss://bucket/key` and `ossd rm -r oss://bucket[/prefix]`. */
import type { Connection } from '../config.js';
import { ClientError, UsageError } from '../exit-codes.js';
import { printLine, type ClientIo } from '../io.js';
import { ossClient } from '../oss-client.js';
import { formatOssUrl, parseOssUrl } from '../oss-url.js';

export interface RmOptions {
  recursive?: boolean;
}

/** DeleteMultipleObjects takes at most 1000 keys (OSS limit). */
const BATCH = 1000;

export async function rmCommand(conn: Connection, url: string, opts: RmOptions, io: ClientIo): Promise<void> {
  const { bucket, key } = parseOssUrl(url);
  const client = ossClient(conn, bucket);
  if (!opts.recursive) {
    if (key === '') throw new UsageError(`rm needs oss://bucket/key (or -r for a prefix): '${url}'`);
    await client.delete(key);
    return;
  }
  // Each page is deleted before the next is listed: the listing restarts from the prefix,
  // since the deleted keys are gone (no marker to keep).
  let previousFirst: string | undefined;
  for (;;) {
    const page = await client.list({ prefix: key, 'max-keys': BATCH });
    const names = (page.objects ?? []).map((o) => o.name);
    if (names.length === 0) return;
    // A key that survives its deletion would make this loop forever.
    if (names[0] === previousFirst) throw new ClientError(`could not delete ${formatOssUrl(bucket, names[0]!)}`);
    previousFirst = names[0];
    await client.deleteMulti(names, { quiet: true });
    for (const name of names) await printLine(io.stdout, `deleted ${formatOssUrl(bucket, name)}`);
  }
}
