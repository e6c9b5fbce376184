/**
 * U+0000 in values from requests. PostgreSQL's text cannot hold it (the statement fails
 * with SQLSTATE 22021, which the engine would answer as 500), SQLite's can. So no key, id
 * or token stored here holds one; a request value that does (a listing's prefix or
 * marker, an uploadId, an access key id: the protocol refuses it only in object names)
 * must not be sent as is, but turned into what it means against rows that cannot hold it.
 * Then the answers are the embedded store's: an empty page, NoSuchUpload, InvalidAccessKeyId.
 */

export function hasNul(s: string): boolean {
  return s.includes('\u0000');
}

/**
 * `column > value` (or `>=` when `inclusive`) over strings that hold no U+0000, written
 * as a condition without it. With `head` the part of `value` before its first U+0000:
 * a stored string that is not `value` and sorts after `head` continues `head` with a
 * character above U+0000 or differs earlier with a greater one, so it sorts after
 * `value` too; and one after `value` is after `head`. So both become `> head`.
 */
export function lowerBound(value: string, inclusive: boolean): { op: '>' | '>='; value: string } {
  const nul = value.indexOf('\u0000');
  if (nul < 0) return { op: inclusive ? '>=' : '>', value };
  return { op: '>', value: value.slice(0, nul) };
}
