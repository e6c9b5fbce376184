/**
 * Every access key the server accepts: the root key (configuration, environment or
 * generated; always full access, and the only one that may use the admin endpoint),
 * then the keys of `ossd keys`, then temporary credentials.
 */
import { OssError } from '../engine/errors.js';
import type { KeyLookup } from '../protocol/auth/types.js';
import type { Principal } from '../protocol/context.js';
import type { KeyStore } from './key-store.js';

export interface RootKey { accessKeyId: string; accessKeySecret: string }

export class Keyring {
  constructor(private readonly root: RootKey, readonly store: KeyStore) {}

  isRoot(accessKeyId: string | undefined): boolean {
    return accessKeyId === this.root.accessKeyId;
  }

  readonly lookup: KeyLookup = (id) => {
    if (id === this.root.accessKeyId) return { secret: this.root.accessKeySecret };
    const found = this.store.find(id);
    if (!found) return undefined;
    const { scope: _scope, ...key } = found;
    return key;
  };

  /**
   * Who a verified key is, with its limits. The key is read again: if it was disabled or
   * deleted since the signature was checked, the request is refused rather than run
   * without its limits.
   */
  principal(accessKeyId: string): Principal {
    if (accessKeyId === this.root.accessKeyId) return { anonymous: false, accessKeyId };
    const scope = this.store.scope(accessKeyId);
    if (!scope) {
      throw new OssError('InvalidAccessKeyId', 'The OSS Access Key Id you provided does not exist in our records.', {
        OSSAccessKeyId: accessKeyId,
      });
    }
    return { anonymous: false, accessKeyId, scope };
  }
}
