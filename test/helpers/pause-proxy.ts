/**
 * A TCP proxy that can stop passing bytes on: put between one ossd node and PostgreSQL it
 * freezes that node's metadata traffic (its commits and lease renewals hang, its S3
 * traffic goes on), the way a partition or a long stall would, while the node itself keeps
 * running. resume() lets the held bytes through.
 */
import net from 'node:net';

export interface PauseProxy {
  port: number;
  pause(): void;
  resume(): void;
  close(): Promise<void>;
}

export async function startPauseProxy(targetHost: string, targetPort: number): Promise<PauseProxy> {
  const sockets = new Set<net.Socket>();
  let paused = false;
  const server = net.createServer((downstream) => {
    const upstream = net.connect(targetPort, targetHost);
    sockets.add(downstream).add(upstream);
    // pause() stops reading: the bytes wait in the kernel's buffers, nothing is lost or reordered.
    if (paused) {
      downstream.pause();
      upstream.pause();
    }
    // Not pipe(): its backpressure handling would resume a socket paused here.
    downstream.on('data', (chunk: Buffer) => upstream.write(chunk));
    upstream.on('data', (chunk: Buffer) => downstream.write(chunk));
    const closeBoth = (): void => {
      downstream.destroy();
      upstream.destroy();
      sockets.delete(downstream);
      sockets.delete(upstream);
    };
    downstream.on('close', closeBoth).on('error', closeBoth);
    upstream.on('close', closeBoth).on('error', closeBoth);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    pause: () => {
      paused = true;
      for (const s of sockets) s.pause();
    },
    resume: () => {
      paused = false;
      for (const s of sockets) s.resume();
    },
    close: () => {
      for (const s of sockets) s.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
