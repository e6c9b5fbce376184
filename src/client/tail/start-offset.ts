/** Where `ossd tail -n N` / `-c N` starts reading, from the object's end. */
import type { Connection } from '../config.js';
import { readRange } from '../object-read.js';

/** How far back each ranged GET looks for line ends. */
const WINDOW = 64 * 1024;

export type TailAmount = { lines: number } | { bytes: number };

/**
 * The offset of the last `lines` lines as tail(1) counts them: a final newline ends the
 * last line rather than starting an empty one, so newlines are searched before it.
 */
export async function startOffset(conn: Connection, bucket: string, key: string, length: number, amount: TailAmount): Promise<number> {
  if ('bytes' in amount) return Math.max(0, length - amount.bytes);
  if (amount.lines === 0) return length;
  let found = 0;
  let end = length - 1; // the last byte never starts a line
  while (end > 0) {
    const start = Math.max(0, end - WINDOW);
    const window = await readRange(conn, bucket, key, start, end);
    for (let i = window.length - 1; i >= 0; i--) {
      if (window[i] === 0x0a && ++found === amount.lines) return start + i + 1;
    }
    end = start;
  }
  return 0;
}
