/** `ossd cat oss://bucket/key`: the object's bytes on stdout. */
import type { Connection } from '../config.js';
import { copyTo, type ClientIo } from '../io.js';
import { getObject } from '../object-read.js';
import { parseObjectUrl } from '../oss-url.js';

export async function catCommand(conn: Connection, url: string, io: ClientIo): Promise<void> {
  const { bucket, key } = parseObjectUrl(url);
  await copyTo(await getObject(conn, bucket, key), io.stdout);
}
