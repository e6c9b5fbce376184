/**
 * Range requests (objects.md §2.1). Default OSS behaviour: a malformed or
 * unsatisfiable range is ignored and the whole object is served; with
 * `x-oss-range-behavior: standard`, an end past the size is truncated and a start at or
 * past the size is 416 InvalidRange. Only the first of several ranges is served.
 */
import { OssError } from '../engine/errors.js';

export interface ByteRange {
  start: number;
  /** Exclusive. */
  end: number;
}

export function parseRange(header: string | undefined, size: number, standard: boolean): ByteRange | undefined {
  if (header === undefined) return undefined;
  const m = /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*(,.*)?$/i.exec(header);
  if (!m || (m[1] === '' && m[2] === '')) return undefined;
  if (m[3] !== undefined && standard) throw new OssError('InvalidRange', 'Multiple ranges are not supported.');
  if (size === 0) {
    if (standard) throw new OssError('InvalidRange');
    return undefined;
  }
  if (m[1] === '') {
    // Suffix range: the last n bytes.
    const n = Number(m[2]);
    if (n === 0) return standard ? invalid() : undefined;
    if (n > size) return standard ? { start: 0, end: size } : undefined;
    return { start: size - n, end: size };
  }
  const start = Number(m[1]);
  const last = m[2] === '' ? size - 1 : Number(m[2]);
  if (last < start) return standard ? invalid() : undefined;
  if (start >= size) return standard ? invalid() : undefined;
  if (last >= size) return standard ? { start, end: size } : undefined;
  return { start, end: last + 1 };
}

function invalid(): never {
  throw new OssError('InvalidRange');
}
