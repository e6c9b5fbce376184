/** An object's length and CRC-64 as HEAD reports them (absent: undefined). */
import type { OssApi } from '../oss-client.js';

export interface ObjectState {
  length: number;
  /** x-oss-hash-crc64ecma; undefined if the server sent none (then only lengths are checked). */
  crc: bigint | undefined;
  type: string | undefined;
  sealed: boolean;
}

export async function headObject(client: OssApi, key: string): Promise<ObjectState | undefined> {
  try {
    const { res } = await client.head(key);
    const crc = res.headers['x-oss-hash-crc64ecma'];
    return {
      length: Number(res.headers['content-length'] ?? 0),
      crc: crc === undefined ? undefined : BigInt(crc),
      type: res.headers['x-oss-object-type'],
      sealed: res.headers['x-oss-sealed-time'] !== undefined,
    };
  } catch (e) {
    if ((e as { status?: number }).status === 404) return undefined;
    throw e;
  }
}
