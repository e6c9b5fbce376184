/** Compares two keys as SQLite's BINARY collation does: by the bytes of their UTF-8 encoding (OSS key order). */
export function compareBytewise(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}
