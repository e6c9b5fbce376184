/**
 * `ossd sweep`: the next start of the server on the data folder sweeps the whole store
 * (every appendable object's last append checked and its tail trimmed, every blob file
 * listed and removed when nothing references it) instead of only the blobs that work was
 * in flight on (src/engine/recovery.ts). For a folder whose files were changed by hand,
 * restored from a backup, or served meanwhile by an ossd older than the unsettled
 * registry. It only writes the registry's row `*` into meta.db, so it is safe while the
 * server runs (the server reads the registry only when it starts).
 */
import Database from 'better-sqlite3';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { markEveryBlobUnsettled } from '../drivers/sqlite/unsettled-store.js';

export const SWEEP_USAGE = `usage: ossd sweep [--data-dir DIR]   the next start sweeps the whole store (every blob file); safe while ossd runs
  --data-dir DIR (or OSSD_DATA_DIR; default ./data)
`;

export function runSweepCommand(args: string[], env: NodeJS.ProcessEnv, io: { out: (s: string) => void; err: (s: string) => void }): number {
  let dataDir: string;
  try {
    const { values } = parseArgs({ args: args.slice(1), options: { 'data-dir': { type: 'string' } }, strict: true });
    dataDir = resolve(values['data-dir'] ?? env.OSSD_DATA_DIR ?? './data');
  } catch (e) {
    io.err(`ossd sweep: ${(e as Error).message}\n${SWEEP_USAGE}`);
    return 2;
  }
  const path = join(dataDir, 'meta.db');
  if (!existsSync(path)) {
    io.err(`ossd sweep: ${dataDir} holds no ossd store (no meta.db)\n`);
    return 1;
  }
  const db = new Database(path, { fileMustExist: true });
  try {
    db.pragma('busy_timeout = 5000');
    markEveryBlobUnsettled(db);
  } finally {
    db.close();
  }
  io.out(`the next start of ossd on ${dataDir} sweeps the whole store\n`);
  return 0;
}
