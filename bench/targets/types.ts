/** What a case needs from a target server; one implementation per server kind. */
import type { Body } from '../http-client.js';
import type { ServerProc } from '../proc.js';

export type TargetName = 'ossd' | 'minimal' | 'minimal-group' | 'azurite' | 's3rver';

export interface AppendOutcome {
  ok: boolean;
  /** The object's length after the append, or (on a position conflict) the length to retry at. */
  next: number;
}

export interface Target {
  readonly name: TargetName;
  readonly server: ServerProc;
  /** Appendable object creation that must happen before the first append (Azure append blobs). */
  prepareAppend?(key: string): Promise<void>;
  /** Absent when the server has no append (s3rver). */
  append?(key: string, position: number, body: Body): Promise<AppendOutcome>;
  put(key: string, body: Body): Promise<void>;
  /** Reads the object (or [from, to] inclusive) to the end; returns the byte count. */
  get(key: string, range?: [number, number]): Promise<number>;
  /** For wrk: a URL and fixed headers that GET `key` (valid for ~15 minutes). */
  wrkGet?(key: string): { url: string; headers: Record<string, string> };
  stop(): Promise<void>;
}

export const BUCKET = 'bench';
