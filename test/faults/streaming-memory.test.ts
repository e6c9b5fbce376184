/**
 * Bodies stream end to end: the server's peak memory must not grow with object size.
 * Puts, appends and reads 512 MiB through the real server and reads its peak RSS
 * (VmHWM) from /proc.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { after, before, describe, it } from 'node:test';
import { crc64ToDecimal, Crc64 } from '../../src/engine/crc64.js';
import { type Ossd, startOssd } from '../helpers/ossd-process.js';
import { raw, signV1 } from '../helpers/raw-http.js';

const SIZE = 512 * 1024 * 1024;
const CHUNK = Buffer.alloc(1024 * 1024, 7);
/** Node's own footprint plus buffers; far below the object size. */
const PEAK_LIMIT_MB = 200;

function peakRssMb(pid: number): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m![1]) / 1024;
}

function upload(ossd: Ossd, method: string, path: string): Promise<number> {
  const headers: Record<string, string> = { date: new Date().toUTCString(), 'content-length': String(SIZE) };
  headers.authorization = `OSS ${ossd.accessKeyId}:${signV1(ossd.accessKeySecret, method, path, headers)}`;
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: ossd.port, method, path, headers }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    let sent = 0;
    const pump = (): void => {
      while (sent < SIZE) {
        sent += CHUNK.length;
        if (!req.write(CHUNK)) return void req.once('drain', pump);
      }
      req.end();
    };
    pump();
  });
}

function download(ossd: Ossd, path: string): Promise<{ bytes: number; crc: string; header: string }> {
  const headers: Record<string, string> = { date: new Date().toUTCString() };
  headers.authorization = `OSS ${ossd.accessKeyId}:${signV1(ossd.accessKeySecret, 'GET', path, headers)}`;
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port: ossd.port, path, headers }, (res) => {
        const crc = new Crc64();
        let bytes = 0;
        res.on('data', (c: Buffer) => {
          bytes += c.length;
          crc.update(c);
        });
        res.on('end', () => resolve({ bytes, crc: crc64ToDecimal(crc.digest()), header: String(res.headers['x-oss-hash-crc64ecma']) }));
      })
      .on('error', reject);
  });
}

describe('streaming keeps memory flat', { timeout: 600_000 }, () => {
  let ossd: Ossd;
  before(async () => {
    ossd = await startOssd();
    assert.equal((await raw(ossd, { method: 'PUT', path: '/mem/' })).status, 200);
  });
  after(async () => {
    await ossd.stop();
    ossd.cleanup();
  });

  it(`a ${SIZE / 2 ** 20} MiB put, append and get stay under ${PEAK_LIMIT_MB} MB peak RSS`, async () => {
    assert.equal(await upload(ossd, 'PUT', '/mem/big'), 200);
    assert.equal(await upload(ossd, 'POST', '/mem/log?append&position=0'), 200);
    const got = await download(ossd, '/mem/big');
    assert.equal(got.bytes, SIZE);
    assert.equal(got.crc, got.header);
    const peak = peakRssMb(ossd.proc.pid!);
    assert.ok(peak < PEAK_LIMIT_MB, `server peak RSS ${peak.toFixed(0)} MB for a ${SIZE / 2 ** 20} MiB object`);
  });
});
