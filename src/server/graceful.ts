/**
 * A graceful stop (SIGTERM, SIGINT): stop accepting, close idle keep-alive connections at
 * once, let the requests in flight finish up to a deadline, then cut what is left.
 *
 * During the stop, every answer still to be sent carries `Connection: close`, and a
 * connection whose last request is answered is ended (its bytes flushed, then FIN), so a
 * keep-alive client does not hold the process open nor send a request into a closing
 * server.
 */
import type { IncomingMessage, Server } from 'node:http';
import type { Socket } from 'node:net';
import type { CountedResponse } from './counted-messages.js';

export class GracefulStop {
  private stopping = false;
  private readonly busy = new Map<Socket, number>();
  private inFlight = 0;
  private readonly responses = new Set<CountedResponse>();
  private onIdle: (() => void) | undefined;

  constructor(private readonly server: Server) {}

  get requestsInFlight(): number {
    return this.inFlight;
  }

  get isStopping(): boolean {
    return this.stopping;
  }

  /** Call for every request as it starts; then closed() when its response closes. */
  track(req: IncomingMessage, res: CountedResponse): void {
    const socket = req.socket;
    res.trackedSocket = socket;
    this.inFlight++;
    this.responses.add(res);
    this.busy.set(socket, (this.busy.get(socket) ?? 0) + 1);
    if (this.stopping) res.shouldKeepAlive = false;
  }

  /** A tracked response closed (the server's one 'close' listener: no closure per request). */
  closed(res: CountedResponse): void {
    const socket = res.trackedSocket;
    if (socket === undefined) return;
    res.trackedSocket = undefined;
    this.inFlight--;
    this.responses.delete(res);
    const left = (this.busy.get(socket) ?? 1) - 1;
    if (left > 0) this.busy.set(socket, left);
    else {
      this.busy.delete(socket);
      // Flushes what is queued, then FIN: the answer just written still arrives.
      if (this.stopping && !socket.destroyed) socket.end();
    }
    if (this.inFlight === 0) this.onIdle?.();
  }

  /**
   * Stops accepting and resolves once every request in flight is answered ('drained'), or
   * when the deadline passes ('deadline': the connections left are cut).
   */
  async stop(deadlineMs: number): Promise<{ outcome: 'drained' | 'deadline'; cut: number }> {
    this.stopping = true;
    // Answers not yet begun say Connection: close; idle keep-alive connections go now.
    for (const res of this.responses) if (!res.headersSent) res.shouldKeepAlive = false;
    this.server.close();
    this.server.closeIdleConnections();
    if (this.inFlight === 0) return { outcome: 'drained', cut: 0 };
    const drained = new Promise<'drained'>((resolve) => (this.onIdle = () => resolve('drained')));
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<'deadline'>((resolve) => (timer = setTimeout(() => resolve('deadline'), deadlineMs)));
    const outcome = await Promise.race([drained, deadline]);
    clearTimeout(timer);
    if (outcome === 'drained') return { outcome, cut: 0 };
    const cut = this.inFlight;
    this.server.closeAllConnections();
    return { outcome, cut };
  }
}
