/**
 * How a rerun of `ossd append` after a kill knows how much of its input the object
 * already holds (docs/cli.md "Resuming"): before its first append a run records, in the
 * state folder, the object's length and CRC-64 when it started (keyed by endpoint, bucket,
 * key and input: the file's real path, or `-` for stdin); it removes the record when the
 * input is fully appended. A rerun that finds the record knows the object holds
 * `length now - length at start` bytes of the input: it reads that many bytes of the input
 * again without sending them, checks that the start CRC chained with them gives the
 * object's CRC now, and appends the rest. A mismatch (other input, another writer)
 * appends nothing and exits 1.
 */
import { Crc64 } from '../../engine/crc64.js';
import { ClientError } from '../exit-codes.js';
import { readState, writeState } from '../state-dir.js';
import type { ObjectState } from './object-state.js';

export interface AppendRecord {
  startPosition: number;
  /** Decimal, as x-oss-hash-crc64ecma; '' when the server reports no CRC. */
  startCrc: string;
}

export interface ResumePlan {
  /** Input bytes already in the object: read and checked, not sent again. */
  skip: number;
  /** What the CRC of start ‖ skipped bytes must equal (undefined: not checkable). */
  check: { from: bigint; expected: bigint } | undefined;
  /** Set when an old record had to be dropped (for a message). */
  droppedRecord: boolean;
}

export function planResume(path: string, object: ObjectState | undefined, fresh: boolean): ResumePlan {
  const length = object?.length ?? 0;
  const crc = object === undefined ? 0n : object.crc;
  const record = fresh ? undefined : readState<AppendRecord>(path);
  if (record !== undefined && Number.isSafeInteger(record.startPosition) && record.startPosition <= length) {
    const from = record.startCrc === '' ? undefined : BigInt(record.startCrc);
    return {
      skip: length - record.startPosition,
      check: from === undefined || crc === undefined ? undefined : { from, expected: crc },
      droppedRecord: false,
    };
  }
  writeState(path, { startPosition: length, startCrc: crc === undefined ? '' : String(crc) } satisfies AppendRecord);
  return { skip: 0, check: undefined, droppedRecord: record !== undefined };
}

/** Consumes the first `skip` input bytes, checking their CRC once all are seen. */
export class SkippedPrefix {
  private remaining: number;
  private readonly crc: Crc64 | undefined;

  constructor(private readonly plan: ResumePlan) {
    this.remaining = plan.skip;
    this.crc = plan.check === undefined ? undefined : new Crc64(plan.check.from);
  }

  /** The part of `chunk` past the skipped prefix (throws if the prefix does not match). */
  take(chunk: Buffer): Buffer {
    if (this.remaining === 0) return chunk;
    const n = Math.min(this.remaining, chunk.length);
    this.crc?.update(chunk.subarray(0, n));
    this.remaining -= n;
    if (this.remaining === 0) this.verify();
    return chunk.subarray(n);
  }

  /** At the end of the input: it must have covered the whole prefix. */
  finish(): void {
    if (this.remaining > 0) {
      throw new ClientError(
        `the object already holds ${this.plan.skip} bytes from an earlier run of this command, but the input has only ${this.plan.skip - this.remaining}; ` +
          'nothing was appended (use --fresh to append this input anew)',
      );
    }
  }

  private verify(): void {
    if (this.crc === undefined || this.plan.check === undefined) return;
    const got = this.crc.digest();
    if (got !== this.plan.check.expected) {
      throw new ClientError(
        `the object does not continue with this input: its last ${this.plan.skip} bytes, from an earlier run of this command, ` +
          'differ from the input\'s first ones (other input, or another writer); nothing was appended (use --fresh to append this input anew)',
      );
    }
  }
}
