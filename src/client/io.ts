/** Where commands write: data and listings to stdout, messages to stderr. */
import { once } from 'node:events';
import type { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

export interface ClientIo {
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WriteStream;
  stdin: NodeJS.ReadStream;
  env: NodeJS.ProcessEnv;
}

export function processIo(): ClientIo {
  return { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: process.env };
}

/** Writes a line to stdout, waiting when the pipe is full. */
export async function printLine(out: Writable, line: string): Promise<void> {
  if (!out.write(line + '\n')) await once(out, 'drain');
}

/** Copies a body to `out` without ending it (stdout must stay open). */
export async function copyTo(body: Readable, out: Writable): Promise<number> {
  let bytes = 0;
  body.on('data', (c: Buffer) => (bytes += c.length));
  await pipeline(body, out, { end: false });
  return bytes;
}
