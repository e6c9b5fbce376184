/**
 * `ossd check` and `ossd backup` against a running server: the CLI finds the data folder
 * locked by the server and asks it instead (src/cli/maintenance.ts), through the root-only
 * admin endpoint. The answer is the report as JSON, sent when the work is done.
 * A backup folder is a path on the server's machine, written as the server's user.
 */
import { copyFile } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import { backupStore } from '../engine/backup.js';
import { checkStore } from '../engine/check.js';
import type { Engine } from '../engine/engine.js';
import { OssError } from '../engine/errors.js';
import type { RequestContext } from '../protocol/context.js';
import { send } from './respond.js';

export interface Maintenance {
  engine: Engine;
  dataDir: string;
}

function sendJson(ctx: RequestContext, status: number, body: unknown): void {
  send(ctx, status, { 'content-type': 'application/json', 'cache-control': 'no-store' }, JSON.stringify(body) + '\n');
}

export function runMaintenance(ctx: RequestContext, route: 'admin/check' | 'admin/backup', m: Maintenance): void {
  const value = (name: string): string | undefined => ctx.query.find((q) => q.name === name)?.value;
  const has = (name: string): boolean => ctx.query.some((q) => q.name === name);
  let work: Promise<unknown>;
  if (route === 'admin/check') {
    const rate = value('rate');
    if (rate !== undefined && !/^\d{1,15}$/.test(rate)) throw new OssError('InvalidArgument', 'rate must be a whole number of bytes per second.');
    work = checkStore(m.engine, {
      online: true,
      repair: has('repair'),
      quarantineDir: join(m.dataDir, 'quarantine', new Date().toISOString().replace(/[:.]/g, '-')),
      bytesPerSecond: rate === undefined || rate === '0' ? undefined : Number(rate),
    });
  } else {
    const dir = value('dir');
    if (dir === undefined || !isAbsolute(dir)) throw new OssError('InvalidArgument', 'dir must be an absolute path on the server.');
    work = backupStore(m.engine, dir, has('link')).then(async (report) => {
      await copyFile(join(m.dataDir, 'root-credentials.json'), join(dir, 'root-credentials.json')).catch(() => undefined);
      return report;
    });
  }
  work.then(
    (report) => sendJson(ctx, 200, report),
    (e: unknown) => sendJson(ctx, 500, { error: (e as Error).message }),
  );
}
