/**
 * A TCP proxy in front of ossd that loses answers: for the next `drops` AppendObject
 * requests it lets the request reach the server (so the append lands) and then cuts the
 * connection as the answer starts, so the client sees a lost connection and cannot tell
 * whether its append landed: the ambiguous outcome `ossd append` must decide.
 */
import net from 'node:net';

export interface LossyProxy {
  endpoint: string;
  /** How many more append answers to lose. */
  drops: number;
  /** Append answers lost so far. */
  dropped: number;
  close(): Promise<void>;
}

/** A request line, `POST /bucket/key?append&position=0 HTTP/1.1`. */
const REQUEST_LINE = /^(GET|HEAD|PUT|POST|DELETE|OPTIONS) \S+ HTTP\/1\.1\r\n/;

export async function startLossyProxy(targetPort: number, drops: number): Promise<LossyProxy> {
  const sockets = new Set<net.Socket>();
  const proxy: LossyProxy = { endpoint: '', drops, dropped: 0, close: () => Promise.resolve() };
  const server = net.createServer((downstream) => {
    const upstream = net.connect(targetPort, '127.0.0.1');
    sockets.add(downstream).add(upstream);
    let appendInFlight = false;
    downstream.on('data', (chunk: Buffer) => {
      // Body chunks never start with a request line (test bodies are text lines or random
      // bytes): only a new request changes what is in flight.
      const head = chunk.subarray(0, 2048).toString('latin1');
      if (REQUEST_LINE.test(head)) appendInFlight = /^POST \S*[?&]append(&|=|\s)/.test(head);
      upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => {
      if (appendInFlight && proxy.drops > 0) {
        proxy.drops--;
        proxy.dropped++;
        downstream.destroy();
        upstream.destroy();
        return;
      }
      downstream.write(chunk);
    });
    const closeBoth = (): void => {
      downstream.destroy();
      upstream.destroy();
    };
    downstream.on('close', closeBoth).on('error', closeBoth);
    upstream.on('close', closeBoth).on('error', closeBoth);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  proxy.endpoint = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
  proxy.close = () => {
    for (const s of sockets) s.destroy();
    return new Promise((resolve) => server.close(() => resolve()));
  };
  return proxy;
}
