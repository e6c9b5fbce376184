/**
 * A request body as an async iterator of chunks, read with `read()` on 'readable' as
 * Node's own `Readable#iterator()` does, without its async generator and end-of-stream
 * machinery: for a 4 KiB append those were a twentieth of the request's CPU (64 clients
 * appending: 7,560 -> 7,900 ops/s). Stopping early (`return()`) only detaches: the socket
 * stays open for the error answer, as `iterator({ destroyOnReturn: false })` would.
 *
 * The stream ends with 'end'; 'error' or a 'close' before 'end' (the client went away
 * mid-body) makes the next read throw.
 */
import type { Readable } from 'node:stream';

export function bodyIterator(stream: Readable): AsyncIterator<Buffer> {
  let wake: (() => void) | undefined;
  let ended = stream.readableEnded;
  let error: Error | undefined = stream.errored ?? undefined;
  const resume = (): void => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  const onEnd = (): void => {
    ended = true;
    resume();
  };
  const onError = (e: Error): void => {
    error ??= e;
    resume();
  };
  const onClose = (): void => {
    if (!ended && !stream.readableEnded) error ??= prematureClose();
    resume();
  };
  stream.on('readable', resume);
  stream.on('end', onEnd);
  stream.on('error', onError);
  stream.on('close', onClose);
  const detach = (): void => {
    stream.off('readable', resume);
    stream.off('end', onEnd);
    stream.off('error', onError);
    stream.off('close', onClose);
  };
  if (!ended && stream.destroyed) error ??= prematureClose();

  return {
    async next(): Promise<IteratorResult<Buffer>> {
      for (;;) {
        if (error) {
          detach();
          throw error;
        }
        const chunk = stream.read() as Buffer | null;
        if (chunk !== null) return { value: chunk, done: false };
        if (ended || stream.readableEnded) {
          detach();
          return { value: undefined, done: true };
        }
        await new Promise<void>((r) => (wake = r));
      }
    },
    async return(): Promise<IteratorResult<Buffer>> {
      detach();
      return { value: undefined, done: true };
    },
  };
}

function prematureClose(): Error {
  return Object.assign(new Error('Premature close'), { code: 'ERR_STREAM_PREMATURE_CLOSE' });
}
