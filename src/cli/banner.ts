/** What ossd prints on start: endpoint, root keys, and an ali-oss snippet that works as is. */
import type { RunningServer } from '../server/server.js';

export function banner(s: RunningServer, region: string, dataDir: string): string {
  const { accessKeyId, accessKeySecret, generated } = s.credentials;
  const r = s.recovery;
  return [
    `ossd is ready`,
    `  endpoint:          ${s.endpoint}`,
    `  data folder:       ${dataDir}`,
    `  region:            ${region}`,
    `  access key id:     ${accessKeyId}`,
    `  access key secret: ${accessKeySecret}${generated ? '   (generated now, kept in the data folder)' : ''}`,
    `  health:            ${s.endpoint}/-/health`,
    r.trimmedAppendables + r.removedOrphans + r.rolledBackAppends + r.replayedAppends > 0
      ? `  recovery:          replayed ${r.replayedAppends} journaled appends, rolled back ${r.rolledBackAppends} unacknowledged appends, trimmed ${r.trimmedBytes} uncommitted bytes of ${r.trimmedAppendables} appendable objects, removed ${r.removedOrphans} orphan blobs (${r.visitedBlobs} blobs ${r.fullSweep ? 'in a full sweep of the store' : 'with work in flight'} looked at)`
      : undefined,
    r.unwritten?.size
      ? `  full disk:         the journaled appends of ${r.unwritten.size} objects do not fit back into their files yet; kept journaled, written once space is freed`
      : undefined,
    ``,
    `ali-oss (npm i ali-oss):`,
    ``,
    `  const OSS = require('ali-oss');`,
    `  const client = new OSS({`,
    `    endpoint: '${s.endpoint.replace('127.0.0.1', 'localhost')}',`,
    `    sldEnable: true,           // path-style: /<bucket>/<key>`,
    `    region: 'oss-${region}',`,
    `    accessKeyId: '${accessKeyId}',`,
    `    accessKeySecret: '${accessKeySecret}',`,
    `    bucket: 'my-bucket',`,
    `  });`,
    `  await client.putBucket('my-bucket');`,
    `  let r = await client.append('log.txt', Buffer.from('hello '));`,
    `  r = await client.append('log.txt', Buffer.from('world'), { position: r.nextAppendPosition });`,
    ``,
  ]
    .filter((l) => l !== undefined)
    .join('\n');
}
