/**
 * Every access key the server accepts: the root key (configuration, environment or
 * generated; always full access, and the only one that may use the admin endpoint),
 * then the keys of `ossd keys`, then temporary credentials.
 */
import { OssError } from '../engine/errors.js';
import type { KeyLookup, KeyResolver, KeySecret } from '../protocol/auth/types.js';
import type { Principal } from '../protocol/context.js';
import type { KeyStore } from './key-store.js';

export interface RootKey { accessKeyId: string; accessKeySecret: string }

/** Thrown by a lookup for a key not read from the store yet (Keyring.verify). */
const NOT_READ = Symbol('access key not read yet');

/** More keys than one verification ever asks for (a signature names one): a verifier looping on new ids is a bug. */
const MAX_READS = 4;

export class Keyring {
  constructor(private readonly root: RootKey, readonly store: KeyStore) {}

  isRoot(accessKeyId: string | undefined): boolean {
    return accessKeyId === this.root.accessKeyId;
  }

  /** The root key only: for endpoints no other key may use (admin, metrics), no store is read. */
  readonly rootLookup: KeyLookup = (id) => (id === this.root.accessKeyId ? { secret: this.root.accessKeySecret } : undefined);

  /**
   * Runs a verification (verifyRequest, verifyPostSignature: synchronous and pure) with the
   * keys it asks for read from the store, which may be a database across the network: a
   * lookup of a key not read yet stops the run (NOT_READ), the key is read, and the run
   * starts again with it at hand. The root key never waits; a stored key costs one read
   * per request, so a key made, disabled or deleted on any node holds at the next request.
   */
  readonly verify: KeyResolver = <T>(run: (lookup: KeyLookup) => T): T | Promise<T> => {
    // First without the store: the root key (or a refusal before any lookup) answers at once.
    let wanted: string | undefined;
    try {
      return run((id) => {
        if (id === this.root.accessKeyId) return { secret: this.root.accessKeySecret };
        wanted = id;
        throw NOT_READ;
      });
    } catch (e) {
      if (e !== NOT_READ || wanted === undefined) throw e;
    }
    return this.verifyReading(run);
  };

  /** verify() once a stored key is needed: each key the run asks for is read, then the run starts again. */
  private async verifyReading<T>(run: (lookup: KeyLookup) => T): Promise<T> {
    const read = new Map<string, KeySecret | undefined>();
    for (;;) {
      let wanted: string | undefined;
      const lookup: KeyLookup = (id) => {
        if (id === this.root.accessKeyId) return { secret: this.root.accessKeySecret };
        if (read.has(id)) return read.get(id);
        wanted = id;
        throw NOT_READ;
      };
      try {
        return run(lookup);
      } catch (e) {
        if (e !== NOT_READ || wanted === undefined || read.size >= MAX_READS) throw e;
        const found = await this.store.find(wanted);
        if (found) {
          const { scope: _scope, ...key } = found;
          read.set(wanted, key);
        } else {
          read.set(wanted, undefined);
        }
      }
    }
  }

  /**
   * Who a verified key is, with its limits. The key is read again: if it was disabled or
   * deleted since the signature was checked, the request is refused rather than run
   * without its limits.
   */
  principal(accessKeyId: string): Principal | Promise<Principal> {
    // The root key answers at once: its requests never wait for the store.
    if (accessKeyId === this.root.accessKeyId) return { anonymous: false, accessKeyId };
    return this.storedPrincipal(accessKeyId);
  }

  private async storedPrincipal(accessKeyId: string): Promise<Principal> {
    const scope = await this.store.scope(accessKeyId);
    if (!scope) {
      throw new OssError('InvalidAccessKeyId', 'The OSS Access Key Id you provided does not exist in our records.', {
        OSSAccessKeyId: accessKeyId,
      });
    }
    return { anonymous: false, accessKeyId, scope };
  }
}
