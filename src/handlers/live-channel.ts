/**
 * ListLiveChannel (`GET /bucket?live`): ossd has no RTMP ingest, so a bucket never has a
 * live channel and the list is always empty. It is answered rather than refused because
 * SDK cleanup helpers (oss2's and the Go SDKs' test utilities) list a bucket's channels
 * before DeleteBucket. Creating or reading a channel stays 501 NotImplemented.
 * Shape and parameters: OSS ListLiveChannel reference (docs/errors.md).
 */
import { OssError } from '../engine/errors.js';
import { bucketOf, type RequestContext } from '../protocol/context.js';
import { queryValue } from '../protocol/request-target.js';
import { renderXml } from '../protocol/xml/render.js';
import { sendXml } from '../server/respond.js';

/** OSS: max-keys from 1 to 1000, default 100. */
function maxKeysOf(raw: string | undefined): number {
  if (raw === undefined || raw === '') return 100;
  if (!/^\d{1,4}$/.test(raw) || Number(raw) < 1 || Number(raw) > 1000) {
    throw new OssError('InvalidArgument', 'max-keys must be an integer from 1 to 1000.', { ArgumentName: 'max-keys', ArgumentValue: raw });
  }
  return Number(raw);
}

export async function listLiveChannel(ctx: RequestContext): Promise<void> {
  const maxKeys = maxKeysOf(queryValue(ctx.query, 'max-keys'));
  await ctx.engine.buckets.require(bucketOf(ctx));
  sendXml(
    ctx,
    renderXml('ListLiveChannelResult', [
      ['Prefix', queryValue(ctx.query, 'prefix') ?? ''],
      ['Marker', queryValue(ctx.query, 'marker') ?? ''],
      ['MaxKeys', maxKeys],
      ['IsTruncated', false],
      ['NextMarker', ''],
    ]),
  );
}
