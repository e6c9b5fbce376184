/** `ossd ls [oss://bucket[/prefix]] [-r]`: buckets, or a bucket's objects and folders. */
import type { Connection } from '../config.js';
import type { ClientIo } from '../io.js';
import { printLine } from '../io.js';
import { ossClient } from '../oss-client.js';
import { formatOssUrl, parseOssUrl } from '../oss-url.js';

export interface LsOptions {
  recursive?: boolean;
}

/** `2024-01-02 03:04:05` in UTC, the listing's date column. */
function shortDate(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toISOString().slice(0, 19).replace('T', ' ');
}

async function listBuckets(conn: Connection, io: ClientIo): Promise<void> {
  const client = ossClient(conn);
  let marker: string | undefined;
  do {
    const page = await client.listBuckets({ marker, 'max-keys': 1000 });
    for (const b of page.buckets ?? []) await printLine(io.stdout, `${shortDate(b.creationDate)}  ${formatOssUrl(b.name)}`);
    marker = page.isTruncated ? page.nextMarker ?? undefined : undefined;
  } while (marker);
}

export async function lsCommand(conn: Connection, url: string | undefined, opts: LsOptions, io: ClientIo): Promise<void> {
  if (url === undefined) return listBuckets(conn, io);
  const { bucket, key: prefix } = parseOssUrl(url);
  const client = ossClient(conn, bucket);
  let marker: string | undefined;
  do {
    const query: Record<string, unknown> = { prefix, marker, 'max-keys': 1000 };
    if (!opts.recursive) query.delimiter = '/';
    const page = await client.list(query);
    for (const p of page.prefixes ?? []) await printLine(io.stdout, `${'DIR'.padStart(32)}  ${formatOssUrl(bucket, p)}`);
    for (const o of page.objects ?? []) {
      await printLine(io.stdout, `${shortDate(o.lastModified)}  ${String(o.size).padStart(12)}  ${formatOssUrl(bucket, o.name)}`);
    }
    marker = page.isTruncated ? page.nextMarker ?? undefined : undefined;
  } while (marker);
}
