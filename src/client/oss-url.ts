/** `oss://bucket[/key]` arguments. */
import { UsageError } from './exit-codes.js';

export interface OssLocation {
  bucket: string;
  /** The key or prefix after `bucket/`; '' when none was given. */
  key: string;
}

export function isOssUrl(arg: string): boolean {
  return arg.startsWith('oss://');
}

export function parseOssUrl(arg: string): OssLocation {
  if (!isOssUrl(arg)) throw new UsageError(`expected oss://bucket[/key], got '${arg}'`);
  const rest = arg.slice('oss://'.length);
  const slash = rest.indexOf('/');
  const bucket = slash < 0 ? rest : rest.slice(0, slash);
  const key = slash < 0 ? '' : rest.slice(slash + 1);
  if (bucket === '') throw new UsageError(`no bucket in '${arg}'`);
  return { bucket, key };
}

/** Like parseOssUrl, but the key must be present (object commands). */
export function parseObjectUrl(arg: string): OssLocation & { key: string } {
  const loc = parseOssUrl(arg);
  if (loc.key === '') throw new UsageError(`expected oss://bucket/key, got '${arg}' (no key)`);
  return loc;
}

export function formatOssUrl(bucket: string, key = ''): string {
  return `oss://${bucket}/${key}`;
}
