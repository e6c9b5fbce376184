/**
 * `ossd tail [-f] [-n N | -c N] oss://bucket/key` (docs/cli.md "ossd tail"): the end of an
 * object, and with -f what is appended after it: by follow reads against an ossd that
 * offers them, by polling HEAD + ranged GET (every --poll-ms) elsewhere. Exits 0 with a
 * message on stderr when the object is sealed or deleted.
 */
import type { Connection } from '../config.js';
import { isTransient } from '../errors.js';
import { UsageError } from '../exit-codes.js';
import type { ClientIo } from '../io.js';
import { headObject } from '../append/object-state.js';
import { ossClient } from '../oss-client.js';
import { formatOssUrl, parseObjectUrl } from '../oss-url.js';
import { followOnce } from '../tail/follow-read.js';
import { readRange, writeOut } from '../object-read.js';
import { startOffset, type TailAmount } from '../tail/start-offset.js';

export interface TailOptions {
  follow?: boolean;
  lines?: string;
  bytes?: string;
  pollMs: string;
}

/** Largest single ranged GET when catching up by polling. */
const READ_PIECE = 8 * 1024 * 1024;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function amountOf(opts: TailOptions): TailAmount {
  if (opts.lines !== undefined && opts.bytes !== undefined) throw new UsageError('use -n or -c, not both');
  const text = opts.bytes ?? opts.lines ?? '10';
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0) throw new UsageError(`-n/-c must be a non-negative integer: '${text}'`);
  return opts.bytes !== undefined ? { bytes: n } : { lines: n };
}

class Tail {
  /** Messages for the end of following go to stderr: stdout carries only the object's bytes. */
  constructor(
    private readonly conn: Connection,
    private readonly bucket: string,
    private readonly key: string,
    private readonly io: ClientIo,
    public position: number,
  ) {}

  private say(what: string): void {
    this.io.stderr.write(`ossd tail: ${formatOssUrl(this.bucket, this.key)} ${what}\n`);
  }

  /** Prints [position, end) and moves position there. */
  async catchUp(end: number): Promise<void> {
    while (this.position < end) {
      const piece = await readRange(this.conn, this.bucket, this.key, this.position, Math.min(end, this.position + READ_PIECE));
      if (piece.length === 0) return;
      await writeOut(this.io.stdout, piece);
      this.position += piece.length;
    }
  }

  /** Follows until sealed or deleted; false when the server does not follow (poll instead). */
  async follow(): Promise<'done' | 'poll'> {
    let failures = 0;
    for (;;) {
      let outcome;
      try {
        outcome = await followOnce(this.conn, this.bucket, this.key, this.position, this.io.stdout);
        failures = 0;
      } catch (e) {
        if (!isTransient(e) || ++failures > 10) throw e;
        await sleep(Math.min(250 * 2 ** failures, 5000));
        continue;
      }
      switch (outcome.kind) {
        case 'gone':
          this.say('was deleted');
          return 'done';
        case 'nothing-new':
          return 'poll';
        case 'plain':
          this.position = outcome.position;
          if (outcome.sealed) {
            this.say('is sealed');
            return 'done';
          }
          return 'poll';
        case 'followed':
          this.position = outcome.position;
          if (outcome.end === 'sealed' || outcome.end === 'deleted') {
            this.say(outcome.end === 'sealed' ? 'was sealed' : 'was deleted');
            return 'done';
          }
          if (outcome.end === 'replaced') {
            this.say('was replaced; following the new object from its start');
            this.position = 0;
          }
          // idle-timeout and max-duration: reconnect at once; shutdown or a broken connection: shortly.
          if (outcome.end !== 'idle-timeout' && outcome.end !== 'max-duration' && outcome.end !== 'replaced') await sleep(500);
      }
    }
  }

  /** OSS (and servers without follow reads): HEAD every pollMs, ranged GET of what is new. */
  async poll(pollMs: number): Promise<void> {
    const client = ossClient(this.conn, this.bucket);
    let failures = 0;
    for (;;) {
      let state;
      try {
        state = await headObject(client, this.key);
        failures = 0;
      } catch (e) {
        if (!isTransient(e) || ++failures > 10) throw e;
        await sleep(pollMs);
        continue;
      }
      if (state === undefined) {
        this.say('was deleted');
        return;
      }
      if (state.length < this.position) {
        this.say('was replaced; following the new object from its start');
        this.position = 0;
      }
      await this.catchUp(state.length);
      if (state.sealed) {
        this.say('is sealed');
        return;
      }
      await sleep(pollMs);
    }
  }
}

export async function tailCommand(conn: Connection, url: string, opts: TailOptions, io: ClientIo): Promise<void> {
  const amount = amountOf(opts);
  const pollMs = Number(opts.pollMs);
  if (!Number.isInteger(pollMs) || pollMs <= 0) throw new UsageError(`--poll-ms must be a positive integer: '${opts.pollMs}'`);
  const { bucket, key } = parseObjectUrl(url);
  // ali-oss's HEAD: a missing object is its NoSuchKey error (exit 3), RequestId included.
  const { res } = await ossClient(conn, bucket).head(key);
  const length = Number(res.headers['content-length'] ?? 0);
  const tail = new Tail(conn, bucket, key, io, await startOffset(conn, bucket, key, length, amount));
  if (!opts.follow) return tail.catchUp(length);
  if ((await tail.follow()) === 'poll') await tail.poll(pollMs);
}
