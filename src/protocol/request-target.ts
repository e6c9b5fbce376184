/**
 * Parsing the request line (README §1.4): raw path and raw query are split before
 * decoding; query items keep whether they had '=' (V4 needs it, auth.md §4.4); '+' is
 * literal in both path and query.
 */
import { OssError } from '../engine/errors.js';
import type { QueryItem } from './auth/types.js';

export interface RequestTarget {
  rawPath: string;
  /** Percent-decoded path. */
  path: string;
  query: QueryItem[];
}

export function decodeComponent(s: string, what: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    throw new OssError('InvalidArgument', `Malformed percent-encoding in ${what}.`);
  }
}

/** Strict UTF-8 decode of a percent-encoded string: invalid byte sequences are refused. */
export function decodeStrict(s: string, what: string, code = 'InvalidArgument'): string {
  if (!s.includes('%')) return s;
  const bytes: number[] = [];
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x25) {
      const hex = s.slice(i + 1, i + 3);
      if (!/^[0-9a-fA-F]{2}$/.test(hex)) throw new OssError(code, `Malformed percent-encoding in ${what}.`);
      bytes.push(parseInt(hex, 16));
      i += 2;
    } else {
      for (const b of Buffer.from(s[i]!, 'utf8')) bytes.push(b);
    }
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(Uint8Array.from(bytes));
  } catch {
    throw new OssError(code, `${what} is not valid UTF-8.`);
  }
}

export function parseTarget(url: string): RequestTarget {
  const q = url.indexOf('?');
  const rawPath = q < 0 ? url : url.slice(0, q);
  const rawQuery = q < 0 ? '' : url.slice(q + 1);
  const query: QueryItem[] = [];
  for (const part of rawQuery.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const name = decodeComponent(eq < 0 ? part : part.slice(0, eq), 'the query string');
    const value = eq < 0 ? '' : decodeComponent(part.slice(eq + 1), 'the query string');
    query.push({ name, value, hasEquals: eq >= 0 });
  }
  return { rawPath, path: decodeStrict(rawPath, 'The object name', 'InvalidObjectName'), query };
}

/** First value of a query parameter, or undefined when absent. */
export function queryValue(query: QueryItem[], name: string): string | undefined {
  for (const item of query) if (item.name === name) return item.value;
  return undefined;
}
