/**
 * Inputs and outputs of the request-signature verifier (auth.md).
 * The verifier is pure: the HTTP layer parses the request line and addressing
 * (README §1.2–1.4) and hands over everything below.
 */

/** One query item, decoded, in request order; hasEquals: '=' appeared in the raw URL (auth.md §4.4). */
export interface QueryItem { name: string; value: string; hasEquals: boolean }

/** Logical bucket/key (key decoded UTF-8); bucket-level: key undefined; service-level: both undefined. */
export interface AuthTarget { bucket?: string; key?: string }

export interface AuthInput {
  /** Upper-case method. */
  method: string;
  query: QueryItem[];
  /** Node's req.headers (lower-case names, values decoded as latin1 by Node). */
  headers: Record<string, string | string[] | undefined>;
  /** Interpretations to try in order (README §1.3); at least one. */
  candidates: AuthTarget[];
}

export interface KeySecret {
  secret: string;
  /** Set for temporary (STS) keys: the request must carry this token (auth.md §6.1). */
  securityToken?: string;
  /** Like securityToken, for stores that keep only the token's SHA-256 (lower-case hex). */
  securityTokenSha256?: string;
  /** ms epoch, for temporary (STS) keys. */
  expiresAt?: number;
}

export type KeyLookup = (accessKeyId: string) => KeySecret | undefined;

/**
 * Runs a synchronous verification with a lookup whose keys were read first from a store
 * that is asynchronous (src/keys/keyring.ts, Keyring.verify). Answers at once (no promise)
 * when no key had to be read: the root key's requests never wait.
 */
export type KeyResolver = <T>(run: (lookup: KeyLookup) => T) => T | Promise<T>;

export type AuthScheme = 'anonymous' | 'v1' | 'v1-presigned' | 'v4' | 'v4-presigned';

export interface AuthOutcome { scheme: AuthScheme; accessKeyId?: string; candidateIndex: number }
