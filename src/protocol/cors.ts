/**
 * Bucket CORS on the wire (OSS PutBucketCors / GetBucketCors / OptionObject docs): the
 * `<CORSConfiguration>` XML, rule matching, and the Access-Control-* answer headers.
 * A rule matches when the Origin matches one AllowedOrigin (one `*` wildcard allowed),
 * the method is one of its AllowedMethods, and (preflight) every requested header matches
 * an AllowedHeader (case-insensitive, one `*` allowed). The first matching rule answers.
 */
import type { CorsConfiguration, CorsRule } from '../engine/cors.js';
import { OssError } from '../engine/errors.js';
import { asList, asObject, asText, parseXml, type XmlValue } from './xml/parse.js';
import { renderXml, type XmlNode } from './xml/render.js';

const METHODS = ['GET', 'PUT', 'DELETE', 'POST', 'HEAD'];
/** OSS: at most 10 CORS rules per bucket. */
const MAX_RULES = 10;

/** OSS names the offending element and, where there is one, its value (oss2's tests read `ArgumentValue`). */
function invalid(message: string, name?: string, value?: string): OssError {
  const details: Record<string, string> = name ? { ArgumentName: name } : {};
  if (name && value !== undefined) details.ArgumentValue = value;
  return new OssError('InvalidArgument', message, details);
}

function texts(v: XmlValue | undefined, name: string): string[] {
  return asList(v).map((x) => {
    const t = asText(x);
    if (t === undefined) throw new OssError('MalformedXML', `${name} must hold text.`);
    return t.trim();
  });
}

function oneWildcard(values: string[], name: string): void {
  for (const v of values) if ((v.match(/\*/g) ?? []).length > 1) throw invalid(`${name} "${v}" may hold at most one "*".`, name);
}

function parseRule(v: XmlValue): CorsRule {
  const r = asObject(v);
  if (!r) throw new OssError('MalformedXML', 'CORSRule must hold elements.');
  const allowedOrigins = texts(r.AllowedOrigin, 'AllowedOrigin').filter((o) => o !== '');
  const allowedMethods = texts(r.AllowedMethod, 'AllowedMethod').filter((m) => m !== '');
  const allowedHeaders = texts(r.AllowedHeader, 'AllowedHeader').filter((h) => h !== '');
  const exposeHeaders = texts(r.ExposeHeader, 'ExposeHeader').filter((h) => h !== '');
  if (allowedOrigins.length === 0) throw invalid('Each CORSRule needs at least one AllowedOrigin.', 'AllowedOrigin');
  if (allowedMethods.length === 0) throw invalid('Each CORSRule needs at least one AllowedMethod.', 'AllowedMethod');
  for (const m of allowedMethods) {
    if (!METHODS.includes(m)) throw invalid(`AllowedMethod "${m}" is not one of ${METHODS.join(', ')}.`, 'AllowedMethod', m);
  }
  oneWildcard(allowedOrigins, 'AllowedOrigin');
  oneWildcard(allowedHeaders, 'AllowedHeader');
  for (const h of exposeHeaders) if (h.includes('*')) throw invalid(`ExposeHeader "${h}" may not hold "*".`, 'ExposeHeader');
  // Sent back in Access-Control-Expose-Headers: a header name, printable ASCII only (else every CORS answer would fail).
  for (const h of exposeHeaders) if (!/^[!-~]+$/.test(h)) throw invalid('ExposeHeader must be a header name (printable ASCII, no spaces).', 'ExposeHeader');
  const rule: CorsRule = { allowedOrigins, allowedMethods, allowedHeaders, exposeHeaders };
  const maxAge = asText(r.MaxAgeSeconds);
  if (maxAge !== undefined) {
    if (!/^\d{1,9}$/.test(maxAge.trim())) throw invalid('MaxAgeSeconds must be a non-negative integer.', 'MaxAgeSeconds', maxAge.trim());
    rule.maxAgeSeconds = Number(maxAge.trim());
  }
  return rule;
}

export function parseCorsXml(text: Uint8Array | string): CorsConfiguration {
  const conf = asObject(parseXml(text).CORSConfiguration);
  if (!conf) throw new OssError('MalformedXML', 'The root element must be CORSConfiguration.');
  const rules = asList(conf.CORSRule).map(parseRule);
  if (rules.length === 0) throw invalid('A CORS configuration needs at least one CORSRule.', 'CORSRule');
  if (rules.length > MAX_RULES) throw invalid(`A CORS configuration holds at most ${MAX_RULES} rules.`, 'CORSRule');
  const vary = asText(conf.ResponseVary)?.trim().toLowerCase();
  if (vary !== undefined && vary !== 'true' && vary !== 'false') throw invalid('ResponseVary must be true or false.', 'ResponseVary');
  return { rules, responseVary: vary === 'true' };
}

export function renderCorsXml(c: CorsConfiguration): string {
  const list = (name: string, values: string[]): XmlNode[] => values.map((v): XmlNode => [name, v]);
  const rules = c.rules.map((r): XmlNode => [
    'CORSRule',
    [
      ...list('AllowedOrigin', r.allowedOrigins),
      ...list('AllowedMethod', r.allowedMethods),
      ...list('AllowedHeader', r.allowedHeaders),
      ...list('ExposeHeader', r.exposeHeaders),
      ['MaxAgeSeconds', r.maxAgeSeconds],
    ],
  ]);
  return renderXml('CORSConfiguration', [...rules, ['ResponseVary', c.responseVary]]);
}

/** `pattern` with at most one `*` standing for any run of characters. */
function wildcardMatch(pattern: string, value: string, ignoreCase: boolean): boolean {
  const p = ignoreCase ? pattern.toLowerCase() : pattern;
  const v = ignoreCase ? value.toLowerCase() : value;
  const star = p.indexOf('*');
  if (star < 0) return p === v;
  const head = p.slice(0, star);
  const tail = p.slice(star + 1);
  return v.length >= head.length + tail.length && v.startsWith(head) && v.endsWith(tail);
}

export interface CorsRequest {
  origin: string;
  method: string;
  /** Preflight only: Access-Control-Request-Headers, split and trimmed. */
  headers?: string[];
}

export function matchCorsRule(c: CorsConfiguration | undefined, q: CorsRequest): CorsRule | undefined {
  return c?.rules.find(
    (r) =>
      r.allowedOrigins.some((o) => wildcardMatch(o, q.origin, false)) &&
      r.allowedMethods.includes(q.method) &&
      (q.headers ?? []).every((h) => r.allowedHeaders.some((a) => wildcardMatch(a, h, true))),
  );
}

/** The Access-Control-* headers of an answer to a request the rule allowed. */
export function corsHeaders(c: CorsConfiguration, rule: CorsRule, q: CorsRequest, preflight: boolean): Record<string, string> {
  const h: Record<string, string> = {
    'access-control-allow-origin': q.origin,
    'access-control-allow-methods': rule.allowedMethods.join(', '),
  };
  if (preflight && q.headers && q.headers.length > 0) h['access-control-allow-headers'] = q.headers.join(', ');
  if (rule.exposeHeaders.length > 0) h['access-control-expose-headers'] = rule.exposeHeaders.join(', ');
  if (rule.maxAgeSeconds !== undefined) h['access-control-max-age'] = String(rule.maxAgeSeconds);
  if (c.responseVary) h.vary = 'Origin, Access-Control-Request-Method, Access-Control-Request-Headers';
  return h;
}

/** Access-Control-Request-Headers: `a, b` → ['a', 'b'] (lower-case). */
export function requestedHeaders(v: string | undefined): string[] {
  return (v ?? '').split(',').map((s) => s.trim().toLowerCase()).filter((s) => s !== '');
}
