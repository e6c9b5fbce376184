/**
 * Connections that will be closed after the answer in flight: a GET or HEAD that declared a
 * body was read on them (pipeline.ts). A request already pipelined behind it on the same
 * connection is not run (server.ts): its bytes came after framing the server does not trust,
 * so they could be a smuggled request; the client sees the connection close and retries it.
 */
import type { Socket } from 'node:net';

const closing = new WeakSet<Socket>();

export function closeAfterAnswer(socket: Socket | null): void {
  if (socket) closing.add(socket);
}

export function isClosing(socket: Socket | null): boolean {
  return socket !== null && closing.has(socket);
}
