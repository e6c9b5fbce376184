/**
 * What the commands that work on a data folder share (`ossd keys`/`sts`, cli/keys.ts;
 * `ossd check`/`backup`/`restore`/`du`, cli/maintenance.ts): their arguments with
 * `--data-dir`, the folder they name, its root credentials file, and how a usage error is
 * told from a failure.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';

/** Where a command writes its output and its messages. */
export interface Io {
  out: (s: string) => void;
  err: (s: string) => void;
}

/** The command line is wrong: the message is printed with the usage, exit code 2. */
export class UsageError extends Error {}

/** Whether `e` is a usage error: ours, or one of node:util parseArgs (an unknown flag, a missing value). */
export function isUsageError(e: unknown): e is Error {
  return e instanceof UsageError || ((e as { code?: string } | undefined)?.code?.startsWith('ERR_PARSE_ARGS') ?? false);
}

type CommandOptions = NonNullable<ParseArgsConfig['options']>;

/**
 * Parses `argv` strictly, with positionals, the command's `options` and `--data-dir`; the
 * data folder is --data-dir, else OSSD_DATA_DIR, else ./data (as given: not resolved).
 */
export function parseDataDirCommand<O extends CommandOptions>(argv: string[], env: NodeJS.ProcessEnv, options: O) {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: { 'data-dir': { type: 'string' }, ...options } as O & { 'data-dir': { type: 'string' } },
  });
  const flag = (values as { 'data-dir'?: string })['data-dir'];
  const dataDir = flag ?? (env.OSSD_DATA_DIR || './data');
  return { values, positionals, dataDir };
}

/** A data folder is one with a meta.db (the server makes it at its first start). */
export function isDataFolder(dataDir: string): boolean {
  return existsSync(join(dataDir, 'meta.db'));
}

/** The root credentials the server generated into the data folder (root-credentials.json), if it did. */
export function rootCredentialsFile(dataDir: string): { accessKeyId?: string; accessKeySecret?: string } | undefined {
  try {
    return JSON.parse(readFileSync(join(dataDir, 'root-credentials.json'), 'utf8')) as { accessKeyId?: string; accessKeySecret?: string };
  } catch {
    return undefined;
  }
}
