/**
 * The stalled uploaders of the `stalled-uploads` case (stalled.ts), as their own process so
 * that its 10,000 sockets count against its own open-file limit (started under
 * `ulimit -n`), not the bench's, and its event loop does not delay the probe client.
 *
 * `node dist/bench/stalled-client.js --port P --count N --bucket B --id ID --secret S
 *   [--kind put|append] [--declared BYTES] [--sent BYTES]`
 *
 * Opens N connections to 127.0.0.1:P, each sending a signed PutObject (or AppendObject)
 * head that declares `declared` bytes (default 1 MiB), then `sent` bytes of it (default
 * 1 KiB), then nothing. Prints JSON lines: `{"ready":N,"failed":F}` once every connection
 * has written, then `{"closed":C}` whenever the server closes some. Exits on SIGTERM or
 * when stdin closes, destroying every socket.
 */
import net from 'node:net';
import { parseArgs } from 'node:util';
import { httpDate, signV1 } from './http-client.js';

const { values } = parseArgs({
  options: {
    port: { type: 'string' },
    count: { type: 'string' },
    bucket: { type: 'string' },
    id: { type: 'string' },
    secret: { type: 'string' },
    kind: { type: 'string', default: 'put' },
    declared: { type: 'string', default: String(1024 * 1024) },
    sent: { type: 'string', default: '1024' },
  },
});
const port = Number(values.port);
const count = Number(values.count);
const declared = Number(values.declared);
const part = Buffer.alloc(Number(values.sent), 0x61);
/** Connections being opened at once: stays under the listen backlog (511) so no SYN is dropped. */
const OPENING = 256;

const sockets: net.Socket[] = [];
let closed = 0;
let reportedClosed = 0;

function head(i: number): string {
  const path = values.kind === 'append' ? `/${values.bucket}/stalled-${i}?append&position=0` : `/${values.bucket}/stalled-${i}`;
  const method = values.kind === 'append' ? 'POST' : 'PUT';
  const headers: Record<string, string> = { date: httpDate(), 'content-length': String(declared), 'content-type': 'application/octet-stream' };
  headers.authorization = `OSS ${values.id}:${signV1(values.secret!, method, path, headers)}`;
  const lines = Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`);
  return `${method} ${path} HTTP/1.1\r\nhost: 127.0.0.1:${port}\r\n${lines.join('')}\r\n`;
}

/** Resolves once the head and the partial body are written (false: the connection failed). */
function stall(i: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    sockets.push(s);
    let done = false;
    const finish = (ok: boolean): void => {
      if (!done) resolve(ok);
      done = true;
    };
    s.on('connect', () => s.write(Buffer.concat([Buffer.from(head(i)), part]), (err) => finish(!err)));
    s.on('error', () => finish(false));
    s.on('close', () => {
      closed++;
      finish(false);
    });
    // The server answers only if it refuses the request; its answer is read and dropped.
    s.on('data', () => undefined);
  });
}

async function main(): Promise<void> {
  let next = 0;
  let failed = 0;
  const worker = async (): Promise<void> => {
    while (next < count) if (!(await stall(next++))) failed++;
  };
  await Promise.all(Array.from({ length: Math.min(OPENING, count) }, worker));
  console.log(JSON.stringify({ ready: count - failed, failed }));
  setInterval(() => {
    if (closed === reportedClosed) return;
    reportedClosed = closed;
    console.log(JSON.stringify({ closed }));
  }, 500);
}

function quit(): void {
  for (const s of sockets) s.destroy();
  process.exit(0);
}
process.on('SIGTERM', quit);
process.stdin.on('end', quit);
process.stdin.resume();
void main();
