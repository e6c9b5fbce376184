/**
 * HTTP plumbing for the reliability and security tests: a keep-alive requester that sends
 * exactly the headers it is given (signing is the caller's business), a one-shot raw
 * socket exchange, and the invariants every answer of ossd must satisfy (README §3–4):
 * an x-oss-request-id, no 5xx except 501 NotImplemented, and an error body whose <Code>
 * is an OSS code answered with OSS's status for it. The codes and statuses are literals from
 * the OSS reference (OSS_ERROR_STATUS below), not the server's catalogue: a server that
 * changed a status, or invented a code, fails here.
 */
import http from 'node:http';
import net from 'node:net';
import type { Ossd } from './ossd-process.js';
import { signV1 } from './raw-http.js';
import { parseResponses, type WireResponse } from './raw-wire.js';

export interface RelResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  text: string;
}

export interface RelRequest {
  method: string;
  /** Raw request target: `/bucket/key?query`. */
  path: string;
  /** Sent exactly as given (Node adds Host unless given, and Content-Length for non-chunked bodies). */
  headers: Record<string, string>;
  body?: Buffer;
  /** Frame the body with Transfer-Encoding: chunked. */
  chunked?: boolean;
  timeoutMs?: number;
}

const lastOnSocket = new WeakMap<object, string>();
const lastAnswer = new WeakMap<object, string>();

/** A keep-alive client bound to one ossd. */
export class RelClient {
  readonly agent: http.Agent;

  constructor(
    readonly ossd: Ossd,
    maxSockets = 16,
  ) {
    this.agent = new http.Agent({ keepAlive: true, maxSockets });
  }

  send(r: RelRequest): Promise<RelResponse> {
    const headers: Record<string, string> = { ...r.headers };
    const body = r.body ?? Buffer.alloc(0);
    const hasLength = Object.keys(headers).some((k) => k.toLowerCase() === 'content-length');
    if (r.chunked) headers['transfer-encoding'] = 'chunked';
    else if (!hasLength && (body.length > 0 || r.method === 'PUT' || r.method === 'POST')) headers['content-length'] = String(body.length);
    return new Promise((resolve, reject) => {
      const req = http.request(
        { host: '127.0.0.1', port: this.ossd.port, method: r.method, path: r.path, headers, agent: this.agent },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            clearTimeout(timer);
            const b = Buffer.concat(chunks);
            resolve({ status: res.statusCode ?? 0, headers: res.headers, body: b, text: b.toString('utf8') });
          });
          res.on('error', (e) => {
            clearTimeout(timer);
            reject(e);
          });
        },
      );
      const timer = setTimeout(() => {
        req.destroy(new Error(`no answer within ${r.timeoutMs ?? 15_000} ms`));
      }, r.timeoutMs ?? 15_000);
      req.on('socket', (s) => {
        const prev = lastOnSocket.get(s);
        lastOnSocket.set(s, `${r.method} ${r.path.slice(0, 200)} ${JSON.stringify(headers).slice(0, 600)} body=${body.length}${r.chunked ? ' chunked' : ''}`);
        if (prev) req.on('error', (e) => { (e as Error).message += ` [previous request on this connection: ${prev}; answer: ${lastAnswer.get(s) ?? '?'}]`; });
      });
      req.on('response', (res) => { if (req.socket) lastAnswer.set(req.socket, `${res.statusCode} ${JSON.stringify(res.headers)}`); });
      req.on('error', (e) => {
        clearTimeout(timer);
        reject(e);
      });
      if (body.length > 0) req.write(body);
      req.end();
    });
  }

  /** A V1-signed request (Date header, path style) with the root key. */
  signed(method: string, path: string, headers: Record<string, string> = {}, body?: Buffer): Promise<RelResponse> {
    const h: Record<string, string> = { date: new Date().toUTCString(), ...headers };
    h.authorization = `OSS ${this.ossd.accessKeyId}:${signV1(this.ossd.accessKeySecret, method, path, h)}`;
    return this.send({ method, path, headers: h, body });
  }

  anonymous(method: string, path: string, headers: Record<string, string> = {}, body?: Buffer): Promise<RelResponse> {
    return this.send({ method, path, headers, body });
  }

  close(): void {
    this.agent.destroy();
  }
}

/** Sends raw bytes, half-closes, and collects everything until the server closes or `ms` pass. */
export function exchange(ossd: Ossd, bytes: Buffer, ms = 5000): Promise<{ data: string; closed: boolean }> {
  return new Promise((resolve) => {
    const sock = net.connect(ossd.port, '127.0.0.1');
    let data = '';
    let settled = false;
    const done = (closed: boolean): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      sock.destroy();
      resolve({ data, closed });
    };
    const timer = setTimeout(() => done(false), ms);
    sock.on('data', (d: Buffer) => (data += d.toString('latin1')));
    sock.on('close', () => done(true));
    sock.on('error', () => undefined);
    sock.end(bytes);
  });
}

/** The error XML of an answer: its body, or for HEAD the base64 x-oss-err header (README §4.2). */
export function errorXml(method: string, res: { headers: Record<string, string | string[] | undefined>; body: Buffer }): string {
  if (method !== 'HEAD' && res.body.length > 0) return res.body.toString('utf8');
  const err = res.headers['x-oss-err'];
  return typeof err === 'string' ? Buffer.from(err, 'base64').toString('utf8') : '';
}

export function codeOf(xml: string): string | undefined {
  return /<Code>([^<]*)<\/Code>/.exec(xml)?.[1];
}

/**
 * Error code → HTTP status, as OSS answers them. Sources: oss-api/README.md §4.3 (the table),
 * auth.md §6.1 and §8 (InvalidSecurityToken, RequestTimeTooSkewed), objects.md (NotSymlink),
 * buckets.md (NoSuchCORSConfiguration), and OSS's error-code pages for the rest
 * (MalformedPOSTRequest, InvalidPolicyDocument, IncompleteBody, InvalidRequest,
 * InvalidTargetType, MethodNotAllowed). RequestHeaderTooLarge (431) and InsufficientStorage
 * (507) are ossd's own choices, recorded in docs/errors.md.
 */
export const OSS_ERROR_STATUS: Readonly<Record<string, number>> = {
  AccessDenied: 403,
  InvalidAccessKeyId: 403,
  SignatureDoesNotMatch: 403,
  RequestTimeTooSkewed: 403,
  InvalidSecurityToken: 403,
  InvalidArgument: 400,
  InvalidTag: 400,
  InvalidBucketName: 400,
  InvalidObjectName: 400,
  InvalidDigest: 400,
  MalformedXML: 400,
  MalformedPOSTRequest: 400,
  InvalidPolicyDocument: 400,
  MissingArgument: 400,
  EntityTooLarge: 400,
  EntityTooSmall: 400,
  InvalidPart: 400,
  InvalidPartOrder: 400,
  PartNotSequential: 400,
  IncompleteBody: 400,
  InvalidEncryptionAlgorithmError: 400,
  InvalidRequest: 400,
  TooManyBuckets: 400,
  NotSymlink: 400,
  InvalidTargetType: 400,
  NoSuchBucket: 404,
  NoSuchKey: 404,
  NoSuchUpload: 404,
  NoSuchVersion: 404,
  NoSuchCORSConfiguration: 404,
  SymlinkTargetNotExist: 404,
  MethodNotAllowed: 405,
  BucketAlreadyExists: 409,
  BucketNotEmpty: 409,
  ObjectNotAppendable: 409,
  PositionNotEqualToLength: 409,
  // ossd's own codes (docs/extensions.md "Append size limit"), not OSS's: their statuses are ossd's choice.
  AppendSizeLimitExceeded: 409,
  NoSuchAppendSizeLimit: 404,
  PartAlreadyExist: 409,
  FileAlreadyExists: 409,
  MissingContentLength: 411,
  PreconditionFailed: 412,
  InvalidRange: 416,
  RequestHeaderTooLarge: 431,
  InternalError: 500,
  NotImplemented: 501,
  InsufficientStorage: 507,
  // ossd's own (docs/extensions.md "Exactly-once appends"): an Idempotency-Key reused with another append.
  IdempotencyKeyMismatch: 422,
};

/**
 * Causes OSS answers with another status than its code's usual one, by EC: a conditional
 * PutObject is NotImplemented with 400 (OSS page 0017-00000245).
 */
const OSS_STATUS_BY_EC: Record<string, number> = { '0017-00000245': 400 };

/**
 * What is wrong with one answer, or undefined: every answer has x-oss-request-id; no 5xx
 * but 501; every error (>= 400) carries an <Error> whose <Code> is an OSS code with
 * exactly OSS's status for it (OSS_ERROR_STATUS).
 */
export function answerProblem(method: string, res: { status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }): string | undefined {
  if (typeof res.headers['x-oss-request-id'] !== 'string' || res.headers['x-oss-request-id'] === '') return `status ${res.status} without x-oss-request-id`;
  const xml = res.status >= 400 ? errorXml(method, res) : '';
  const code = codeOf(xml);
  if (res.status >= 500 && !(res.status === 501 && code === 'NotImplemented')) return `server error ${res.status} ${String(code)}: ${xml.slice(0, 400)}`;
  if (res.status < 400) return undefined;
  if (code === undefined) return `error status ${res.status} without an <Error><Code>: ${JSON.stringify(xml.slice(0, 200))}`;
  const ec = /<EC>([^<]*)<\/EC>/.exec(xml)?.[1];
  const status = (ec !== undefined ? OSS_STATUS_BY_EC[ec] : undefined) ?? OSS_ERROR_STATUS[code];
  if (status === undefined) return `error code ${code} (status ${res.status}) is not an OSS error code`;
  if (status !== res.status) return `error code ${code} answered with status ${res.status}, OSS answers ${status}`;
  if (!/^<\?xml[^>]*>\s*<Error>/.test(xml)) return `error body is not an <Error> document: ${JSON.stringify(xml.slice(0, 200))}`;
  return undefined;
}

/** Responses parsed off a raw socket (1xx included), with their problems. */
export function wireProblems(method: string, data: string): { responses: WireResponse[]; problems: string[] } {
  const responses = parseResponses(data, method === 'HEAD');
  const problems: string[] = [];
  for (const r of responses) {
    if (r.status < 200) continue;
    const p = answerProblem(method, { status: r.status, headers: r.headers, body: r.body });
    if (p) problems.push(p);
  }
  if (responses.length === 0 && data.length > 0) problems.push(`unparsable answer: ${JSON.stringify(data.slice(0, 200))}`);
  return { responses, problems };
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Runs `tasks` with at most `limit` in flight. */
export async function pool<T>(items: readonly T[], limit: number, run: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        await run(items[i]!, i);
      }
    }),
  );
}

export const LONG = process.env.OSSD_LONG_TESTS === '1';
