/**
 * Root credentials: from the configuration, or generated on first start and kept in
 * `<data>/root-credentials.json` (mode 0600) so restarts keep working with the same keys.
 */
import { randomBytes } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../config.js';
import { fsyncDir } from '../drivers/fs/fd.js';

export interface RootCredentials {
  accessKeyId: string;
  accessKeySecret: string;
  generated: boolean;
}

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

function randomString(n: number, alphabet: string): string {
  const bytes = randomBytes(n);
  let out = '';
  for (const b of bytes) out += alphabet[b % alphabet.length];
  return out;
}

export async function loadRootCredentials(config: Config): Promise<RootCredentials> {
  if (config.rootAccessKeyId && config.rootAccessKeySecret) {
    return { accessKeyId: config.rootAccessKeyId, accessKeySecret: config.rootAccessKeySecret, generated: false };
  }
  const file = join(config.dataDir, 'root-credentials.json');
  try {
    const saved = JSON.parse(await fsp.readFile(file, 'utf8')) as { accessKeyId: string; accessKeySecret: string };
    return { ...saved, generated: false };
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  const creds = {
    accessKeyId: `LTAI${randomString(20, ALNUM)}`,
    accessKeySecret: randomString(30, ALNUM),
  };
  const tmp = `${file}.tmp`;
  // Durable before it is printed: a power cut must not lose it, nor leave the name of an
  // empty file (test/faults/power-cut.test.ts).
  const handle = await fsp.open(tmp, 'w', 0o600);
  try {
    await handle.writeFile(JSON.stringify(creds, null, 2) + '\n');
    await handle.sync();
  } finally {
    await handle.close();
  }
  await fsp.rename(tmp, file);
  await fsyncDir(config.dataDir);
  return { ...creds, generated: true };
}
