/**
 * OssError: every failure that reaches a client is one of these.
 * The engine throws them with OSS code names (the codes are OSS semantics, not HTTP);
 * the protocol layer's catalogue (src/protocol/errors/catalogue.ts) adds the status,
 * the default message and the extra headers. Details are extra <Element>s of the error
 * XML (e.g. Key, BucketName, StringToSign) and feed code-specific headers.
 */
export class OssError extends Error {
  readonly code: string;
  readonly details: Record<string, string>;

  constructor(code: string, message?: string, details: Record<string, string> = {}) {
    // No stack trace: an OssError is an answer to the client, not a fault to debug, and
    // capturing one showed in the profile of refused appends (bench append-4k-64c-1obj
    // refuses ~57 for every one that succeeds).
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    super(message ?? '');
    Error.stackTraceLimit = limit;
    this.name = 'OssError';
    this.code = code;
    this.details = details;
  }
}

export function isOssError(e: unknown): e is OssError {
  return e instanceof OssError;
}

/** Errno codes of a full disk, from Node's fs (ENOSPC, EDQUOT) or SQLite (SQLITE_FULL). */
const NO_SPACE = new Set(['ENOSPC', 'EDQUOT', 'SQLITE_FULL']);

export function isDiskFull(e: unknown): boolean {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  return typeof code === 'string' && NO_SPACE.has(code);
}
