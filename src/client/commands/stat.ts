/** `ossd stat oss://bucket/key`: the object's metadata, one `Name: value` per line. */
import type { Connection } from '../config.js';
import { printLine, type ClientIo } from '../io.js';
import { ossClient } from '../oss-client.js';
import { parseObjectUrl } from '../oss-url.js';

/** Headers shown, in this order, under these names (absent ones are skipped). */
const SHOWN: Array<[string, string]> = [
  ['content-length', 'Size'],
  ['content-type', 'Content-Type'],
  ['etag', 'ETag'],
  ['last-modified', 'Last-Modified'],
  ['x-oss-object-type', 'Object-Type'],
  ['x-oss-storage-class', 'Storage-Class'],
  ['x-oss-next-append-position', 'Next-Append-Position'],
  ['x-oss-hash-crc64ecma', 'CRC64'],
  ['x-oss-sealed-time', 'Sealed-Time'],
  ['x-oss-version-id', 'Version-Id'],
  ['cache-control', 'Cache-Control'],
  ['content-disposition', 'Content-Disposition'],
  ['content-encoding', 'Content-Encoding'],
  ['expires', 'Expires'],
];

export async function statCommand(conn: Connection, url: string, io: ClientIo): Promise<void> {
  const { bucket, key } = parseObjectUrl(url);
  const { res } = await ossClient(conn, bucket).head(key);
  await printLine(io.stdout, `URL: oss://${bucket}/${key}`);
  for (const [header, name] of SHOWN) {
    const value = res.headers[header];
    if (value !== undefined) await printLine(io.stdout, `${name}: ${value}`);
  }
  for (const [header, value] of Object.entries(res.headers)) {
    if (header.startsWith('x-oss-meta-') && value !== undefined) await printLine(io.stdout, `Meta-${header.slice('x-oss-meta-'.length)}: ${value}`);
  }
}
