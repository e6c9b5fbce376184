/**
 * The limit: a bare node:http server that makes each appended or put body durable with
 * fdatasync before answering, and streams files back with 1 MiB reads. No auth, no
 * metadata, no checksums. Path style like OSS: PUT /b/ (bucket, no-op), PUT /b/k,
 * POST /b/k?append&position=N (409 + x-oss-next-append-position on a mismatch), GET /b/k
 * (Range: bytes=a-b).
 *
 *   node dist/bench/minimal-server.js --port 9100 --dir /tmp/x [--group]
 *
 * Default mode: one file per object, one fdatasync per request.
 * --group: every body goes to one shared log file (a small header naming key and position,
 * then the bytes); one fdatasync covers every request whose bytes were written when it
 * started (group commit). The index lives in memory (the log headers make it rebuildable).
 */
import { open, type FileHandle } from 'node:fs/promises';
import { createReadStream } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { port: { type: 'string' }, dir: { type: 'string' }, group: { type: 'boolean' } } });
const dir = values.dir ?? '.';
const group = values.group === true;
const CHUNK = 1024 * 1024;

interface Extent {
  off: number; // offset in the log (group mode)
  len: number;
}
const sizes = new Map<string, number>(); // reserved length per key (positions check against it)
const committed = new Map<string, { size: number; extents: Extent[] }>(); // group mode
// Single mode: open handles of appended objects. Promises, kept from the moment the open
// starts: a second append to the key arriving meanwhile waits for that open instead of
// opening a file that does not exist yet (64 clients on one object).
const files = new Map<string, Promise<FileHandle>>();

/** Reads the body in pieces of up to 1 MiB and hands each to `write`; returns the byte count. */
async function consume(req: http.IncomingMessage, write: (b: Buffer, at: number) => Promise<void>): Promise<number> {
  let pending: Buffer[] = [];
  let pendingLen = 0;
  let at = 0;
  for await (const c of req as AsyncIterable<Buffer>) {
    pending.push(c);
    pendingLen += c.length;
    if (pendingLen >= CHUNK) {
      await write(pending.length === 1 ? pending[0]! : Buffer.concat(pending, pendingLen), at);
      at += pendingLen;
      pending = [];
      pendingLen = 0;
    }
  }
  if (pendingLen > 0) await write(pending.length === 1 ? pending[0]! : Buffer.concat(pending, pendingLen), at);
  return at + pendingLen;
}

async function writeAll(fh: FileHandle, b: Buffer, pos: number): Promise<void> {
  for (let done = 0; done < b.length; ) done += (await fh.write(b, done, b.length - done, pos + done)).bytesWritten;
}

// ---- group commit over one log ----
let log: FileHandle | undefined;
let logEnd = 0;
let waiting: Array<() => void> = [];
let syncing = false;

function durable(): Promise<void> {
  return new Promise((resolve) => {
    waiting.push(resolve);
    if (!syncing) void syncLoop();
  });
}

async function syncLoop(): Promise<void> {
  syncing = true;
  while (waiting.length > 0) {
    const batch = waiting;
    waiting = [];
    await log!.datasync();
    for (const r of batch) r();
  }
  syncing = false;
}

async function writeBody(req: http.IncomingMessage, key: string, position: number, len: number): Promise<void> {
  if (!group) {
    const fresh = position < 0;
    let fh: FileHandle;
    if (fresh) {
      void files.get(key)?.then((f) => f.close());
      files.delete(key);
      fh = await open(join(dir, encodeURIComponent(key)), 'w');
    } else {
      let opening = files.get(key);
      if (!opening) {
        opening = open(join(dir, encodeURIComponent(key)), position === 0 ? 'w' : 'r+');
        files.set(key, opening);
      }
      fh = await opening;
    }
    const base = Math.max(position, 0);
    await consume(req, (b, at) => writeAll(fh, b, base + at));
    await fh.datasync();
    if (fresh) await fh.close();
    return;
  }
  const header = Buffer.from(JSON.stringify({ k: key, p: position, n: len }) + '\n');
  const start = logEnd;
  logEnd += header.length + len; // reserve the log region now; writes land in parallel
  await writeAll(log!, header, start);
  const n = await consume(req, (b, at) => writeAll(log!, b, start + header.length + at));
  if (n !== len) throw new Error('short body');
  await durable();
  const prev = committed.get(key);
  const ext = { off: start + header.length, len };
  if (position < 0 || !prev) committed.set(key, { size: len, extents: [ext] });
  else {
    prev.extents.push(ext);
    prev.size += len;
  }
}

async function sendExtents(res: http.ServerResponse, extents: Extent[], from: number, to: number): Promise<void> {
  let objOff = 0;
  for (const e of extents) {
    const s = Math.max(from, objOff);
    const t = Math.min(to, objOff + e.len);
    for (let p = s; p < t; ) {
      const n = Math.min(CHUNK, t - p);
      const buf = Buffer.allocUnsafe(n);
      const { bytesRead } = await log!.read(buf, 0, n, e.off + (p - objOff));
      if (bytesRead <= 0) throw new Error('log read past end');
      p += bytesRead;
      if (!res.write(bytesRead === n ? buf : buf.subarray(0, bytesRead))) await new Promise((r) => res.once('drain', r));
    }
    objOff += e.len;
  }
  res.end();
}

function parseRange(h: string | undefined, size: number): [number, number] {
  const m = h ? /^bytes=(\d*)-(\d*)$/.exec(h) : null;
  if (!m) return [0, size];
  if (m[1] === '') return [Math.max(0, size - Number(m[2])), size];
  return [Number(m[1]), m[2] === '' ? size : Math.min(size, Number(m[2]) + 1)];
}

async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://x');
  const key = decodeURIComponent(url.pathname.slice(1));
  const isBucket = !key.includes('/') || key.endsWith('/');
  if (isBucket) {
    req.resume();
    res.end();
    return;
  }
  const len = Number(req.headers['content-length'] ?? 0);
  if (req.method === 'PUT') {
    sizes.set(key, len);
    await writeBody(req, key, -1, len);
    res.end();
  } else if (req.method === 'POST' && url.searchParams.has('append')) {
    const position = Number(url.searchParams.get('position'));
    const size = sizes.get(key) ?? 0;
    if (position !== size) {
      req.resume();
      res.writeHead(409, { 'x-oss-next-append-position': String(size) }).end();
      return;
    }
    sizes.set(key, size + len);
    await writeBody(req, key, position, len);
    res.writeHead(200, { 'x-oss-next-append-position': String(size + len) }).end();
  } else if (req.method === 'GET') {
    const size = group ? committed.get(key)?.size : sizes.get(key);
    if (size === undefined) {
      res.writeHead(404).end();
      return;
    }
    const [from, to] = parseRange(req.headers.range, size);
    res.writeHead(req.headers.range ? 206 : 200, { 'content-length': String(to - from) });
    if (to <= from) res.end();
    else if (group) await sendExtents(res, committed.get(key)!.extents, from, to);
    else createReadStream(join(dir, encodeURIComponent(key)), { start: from, end: to - 1, highWaterMark: CHUNK }).pipe(res);
  } else {
    req.resume();
    res.writeHead(405).end();
  }
}

async function main(): Promise<void> {
  if (group) log = await open(join(dir, 'log'), 'w+');
  const server = http.createServer({ keepAliveTimeout: 60_000 }, (req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) res.writeHead(500);
      res.end(String(err));
    });
  });
  server.listen(Number(values.port ?? 9100), '127.0.0.1', () => console.log(`minimal${group ? '-group' : ''} listening`));
  process.on('SIGTERM', () => server.close(() => process.exit(0)));
}

void main();
