/**
 * Encryption at rest for access key secrets: AES-256-GCM under `<data>/master.key`.
 *
 * Why encrypt rather than hash: OSS signatures are HMACs keyed by the secret itself, so
 * the server must hold the plaintext secret to recompute them; a hash would make
 * verification impossible. Encryption keeps the secrets out of meta.db and its WAL, so a
 * copied, backed-up or shared database leaks nothing by itself; someone who can also read
 * master.key (mode 0600) can decrypt them, as the server must.
 *
 * Security tokens, by contrast, only need an equality check: they are stored as SHA-256.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, linkSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { fsyncDirSync } from '../drivers/fs/fd.js';

const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;

/**
 * Reads the master key, creating it on first use. The CLI and a running server may both
 * get here first: the key is written whole to a private temporary file and then linked
 * into place, which fails atomically if the other process won, so nobody ever reads a
 * half-written key or overwrites one already in use.
 */
export function loadMasterKey(dataDir: string): Buffer {
  const file = join(dataDir, 'master.key');
  try {
    return checked(readFileSync(file), file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  const tmp = join(dataDir, `master.key.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  // Synced before it is linked, and the folder after: secrets encrypted under this key are
  // durable in meta.db, so a power cut must not lose the key (test/faults/power-cut.test.ts).
  const fd = openSync(tmp, 'wx', 0o600);
  try {
    writeSync(fd, randomBytes(KEY_BYTES));
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    linkSync(tmp, file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  } finally {
    unlinkSync(tmp);
  }
  fsyncDirSync(dataDir);
  return checked(readFileSync(file), file);
}

function checked(key: Buffer, file: string): Buffer {
  if (key.length !== KEY_BYTES) throw new Error(`${file} must hold exactly ${KEY_BYTES} bytes`);
  return key;
}

/**
 * iv ‖ tag ‖ ciphertext. The access key id is the associated data, so a ciphertext moved
 * to another row (someone swapping secrets in the database) fails to decrypt.
 */
export function encryptSecret(master: Buffer, keyId: string, secret: string): Buffer {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', master, iv);
  cipher.setAAD(Buffer.from(keyId, 'utf8'));
  const body = Buffer.concat([cipher.update(secret, 'utf8'), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), body]);
}

export function decryptSecret(master: Buffer, keyId: string, sealed: Buffer): string {
  const decipher = createDecipheriv('aes-256-gcm', master, sealed.subarray(0, IV_BYTES));
  decipher.setAAD(Buffer.from(keyId, 'utf8'));
  decipher.setAuthTag(sealed.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
  return Buffer.concat([decipher.update(sealed.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString('utf8');
}

export function sha256Hex(s: string): string {
  return createHash('sha256').update(s, 'utf8').digest('hex');
}

/**
 * The master key every node of a cluster shares (--metadata postgres): the secrets sealed
 * by one node are opened by the others, so no node may make its own. From `value`
 * (OSSD_MASTER_KEY: 64 hex digits, or base64 of 32 bytes) or else the file `file`
 * (--master-key-file: those 32 bytes raw, or as hex or base64 text); undefined when neither
 * is given. Throws when the key is not exactly 32 bytes.
 */
export function sharedMasterKey(value: string | undefined, file: string | undefined): Buffer | undefined {
  if (value !== undefined && value.trim() !== '') return decodeKey(Buffer.from(value.trim()), 'OSSD_MASTER_KEY');
  if (file === undefined) return undefined;
  const bytes = readFileSync(file);
  return bytes.length === KEY_BYTES ? bytes : decodeKey(Buffer.from(bytes.toString('latin1').trim()), file);
}

function decodeKey(text: Buffer, where: string): Buffer {
  const s = text.toString('latin1');
  const key = /^[0-9a-f]{64}$/i.test(s) ? Buffer.from(s, 'hex') : /^[A-Za-z0-9+/_-]+={0,2}$/.test(s) ? Buffer.from(s, 'base64') : undefined;
  if (key?.length !== KEY_BYTES) throw new Error(`${where} must hold a ${KEY_BYTES}-byte key: 64 hex digits or base64 (make one with: openssl rand -hex 32)`);
  return key;
}
