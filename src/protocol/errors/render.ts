/** Rendering an OssError: status from the catalogue, XML body, and the headers SDKs read (README §4). */
import { isDiskFull, OssError } from '../../engine/errors.js';
import { renderXml, type XmlNode } from '../xml/render.js';
import { ecOf, ERROR_CATALOGUE, HEADER_ONLY_DETAILS, versionErrorHeaders } from './catalogue.js';

export interface RenderedError {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/**
 * The one mapping of failures to OSS errors. A full disk is 507 InsufficientStorage; any
 * other storage failure (EIO, SQLITE_IOERR*, a WAL fsync failure) is 500 InternalError,
 * its cause logged by the pipeline, never the request's bytes half-stored (docs.ts choices).
 */
export function toOssError(e: unknown): OssError {
  if (e instanceof OssError && ERROR_CATALOGUE[e.code]) return e;
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  if (isDiskFull(e)) return new OssError('InsufficientStorage');
  if (code === 'EIO' || (typeof code === 'string' && code.startsWith('SQLITE_IOERR'))) {
    return new OssError('InternalError', 'An I/O error occurred on the server\'s storage; the request was not acknowledged. Please try again.');
  }
  return new OssError('InternalError');
}

export function renderError(err: OssError, requestId: string, hostId: string): RenderedError {
  const entry = ERROR_CATALOGUE[err.code] ?? ERROR_CATALOGUE.InternalError!;
  const message = err.message || entry.message;
  const nodes: XmlNode[] = [
    ['Code', err.code],
    ['Message', message],
    ['RequestId', requestId],
    ['HostId', hostId],
  ];
  const ec = ERROR_CATALOGUE[err.code] ? ecOf(err.code, err.details) : entry.ec;
  if (ec) nodes.push(['EC', ec]);
  for (const [k, v] of Object.entries(err.details)) {
    if (!HEADER_ONLY_DETAILS.has(k)) nodes.push([k, v]);
  }
  const body = renderXml('Error', nodes);
  const headers: Record<string, string> = {
    'content-type': 'application/xml',
    ...versionErrorHeaders(err.details),
    ...(entry.headers?.(err.details) ?? {}),
  };
  if (ec) headers['x-oss-ec'] = ec;
  const status = /^[45]\d\d$/.test(err.details.status ?? '') ? Number(err.details.status) : entry.status;
  return { status, headers, body };
}
