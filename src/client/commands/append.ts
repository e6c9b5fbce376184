/**
 * `ossd append FILE|- oss://bucket/key`: streams a file or stdin into appends
 * (batching, exactly-once retries and resuming: append/*.ts, docs/cli.md "ossd append").
 */
import { createReadStream, existsSync, realpathSync, statSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { Batcher } from '../append/batcher.js';
import { ObjectAppender } from '../append/appender.js';
import { headObject } from '../append/object-state.js';
import { planResume, SkippedPrefix } from '../append/resume.js';
import type { Connection } from '../config.js';
import { ClientError, EXIT, UsageError } from '../exit-codes.js';
import type { ClientIo } from '../io.js';
import { ossClient } from '../oss-client.js';
import { parseObjectUrl } from '../oss-url.js';
import { startProgress } from '../progress.js';
import { removeState, statePath } from '../state-dir.js';

export interface AppendOptions {
  batchBytes: string;
  batchMs: string;
  retries: string;
  fresh?: boolean;
  contentType?: string;
}

function nonNegative(value: string, flag: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new UsageError(`${flag} must be a non-negative integer: '${value}'`);
  return n;
}

/** Reads the input into the batcher, dropping (and checking) the prefix already appended. */
async function feed(input: Readable, prefix: SkippedPrefix, batcher: Batcher): Promise<void> {
  try {
    for await (const chunk of input) {
      const rest = prefix.take(chunk as Buffer);
      if (rest.length === 0) continue;
      batcher.push(rest);
      await batcher.waitForRoom();
    }
    prefix.finish();
    batcher.end();
  } catch (e) {
    batcher.fail(e);
  }
}

export async function appendCommand(conn: Connection, source: string, url: string, opts: AppendOptions, io: ClientIo): Promise<void> {
  const batchBytes = nonNegative(opts.batchBytes, '--batch-bytes');
  const batchMs = nonNegative(opts.batchMs, '--batch-ms');
  const retries = nonNegative(opts.retries, '--retries');
  if (batchBytes === 0) throw new UsageError('--batch-bytes must be positive');
  // type/subtype[; parameters], printable ASCII (a header value): checked here rather than refused by the server.
  if (opts.contentType !== undefined && !/^[!#$%&'*+.^_`|~0-9A-Za-z-]+\/[!#$%&'*+.^_`|~0-9A-Za-z-]+(\s*;[\x20-\x7e]*)?$/.test(opts.contentType)) {
    throw new UsageError(`--content-type must be a media type such as text/plain or 'text/plain; charset=utf-8': '${opts.contentType}'`);
  }
  const { bucket, key } = parseObjectUrl(url);
  const fromStdin = source === '-';
  if (!fromStdin && !existsSync(source)) throw new ClientError(`${source}: no such file`, EXIT.notFound);
  const client = ossClient(conn, bucket);

  const object = await headObject(client, key);
  if (object !== undefined && object.type !== undefined && object.type !== 'Appendable') {
    throw new ClientError(`${url} is a ${object.type} object, which cannot be appended to`);
  }
  if (object?.sealed) throw new ClientError(`${url} is sealed (x-oss-sealed-time): nothing can be appended to it`);
  if (opts.contentType !== undefined && object !== undefined && object.length > 0) {
    io.stderr.write(`ossd append: ${url} exists: --content-type applies only to the append that creates the object; its Content-Type is kept\n`);
  }
  const recordPath = statePath(io.env, 'append', [conn.endpoint.origin, bucket, key, fromStdin ? '-' : realpathSync(source)]);
  const plan = planResume(recordPath, object, opts.fresh === true);
  if (plan.droppedRecord) io.stderr.write(`ossd append: the record of an earlier run no longer matches ${url}; appending the whole input\n`);

  const appender = new ObjectAppender(client, key, object?.length ?? 0, object === undefined ? 0n : object.crc, {
    retries,
    contentType: opts.contentType,
    onRetry: (why, attempt) => io.stderr.write(`ossd append: retrying at position ${appender.position} (attempt ${attempt}): ${why}\n`),
  });
  const input = fromStdin ? io.stdin : createReadStream(source);
  const total = fromStdin || !statSync(source).isFile() ? undefined : Math.max(statSync(source).size - plan.skip, 0);
  const progress = startProgress('append', total, io.stderr);
  const batcher = new Batcher(batchBytes, batchMs);
  const feeding = feed(input, new SkippedPrefix(plan), batcher);
  let sent = 0;
  try {
    for (let batch = await batcher.next(); batch !== null; batch = await batcher.next()) {
      await appender.append(batch);
      progress.update((sent += batch.length));
    }
  } finally {
    progress.stop();
    input.destroy();
  }
  await feeding;
  // All of the input is in the object: a rerun now appends it anew.
  removeState(recordPath);
}
