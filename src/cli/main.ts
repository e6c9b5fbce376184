#!/usr/bin/env node
/** The ossd command. `ossd [serve] [flags]` starts the server; `ossd help` lists the flags. */
import { type Config, ConfigError, loadConfig, OPTIONS } from '../config.js';
import { masterKeyRefusal, parseBlobs, parseMetadata } from '../config-cluster.js';
import { MetadataUnavailable } from '../drivers/open-metadata.js';
import { CLIENT_COMMANDS } from '../client/command-names.js';
import { faultsRefusal } from '../drivers/faults-config.js';
import { configSummary, createLogger, type Logger } from '../server/logger.js';
import { type RunningServer, startServer } from '../server/server.js';
import { banner } from './banner.js';
import { DataDirLockError, lockDataDir } from './data-dir-lock.js';
import { checkDataDir, explainStartupFailure, StartupError } from './startup-checks.js';

/** Start-up refused for a reason the user must fix (not a bug): message only, exit 1. */
class Refused extends Error {}

/** A configuration this build cannot serve yet (PostgreSQL metadata, S3 blobs): message only, exit 2 like a bad flag. */
class Unavailable extends Error {}

/**
 * sweep and the maintenance commands work on the data folder's stores only: refused when the
 * environment points the server elsewhere, or they would change a store the server does not
 * use. keys and sts work on the metadata store the environment names (keys.ts).
 */
function refuseOtherBackends(env: NodeJS.ProcessEnv, command: string): void {
  const fail = (message: string): never => {
    throw new ConfigError(message);
  };
  const metadata = parseMetadata(env.OSSD_METADATA, fail);
  const blobs = parseBlobs(env.OSSD_BLOBS, env, fail);
  if (command === 'keys' || command === 'sts') return;
  if (metadata.kind !== 'sqlite' || blobs.kind !== 'file') {
    throw new Unavailable(
      `ossd ${command} works on a data folder's embedded stores (--metadata sqlite, --blobs file), not with ${metadata.kind !== 'sqlite' ? '--metadata postgres://' : '--blobs s3://'}: use PostgreSQL's and the S3 store's own tools (pg_dump, bucket versioning or replication)`,
    );
  }
}

function usage(): string {
  const lines = Object.entries(OPTIONS).map(([name, o]) => `  --${name.padEnd(24)} ${o.env.padEnd(28)} ${o.help}`);
  return ['usage: ossd [serve] [flags]    |    ossd docs (regenerate docs/operations.md, errors.md, configuration.md)',
    '       ossd keys create|list|disable|enable|delete    |    ossd sts issue    (ossd keys help)',
    '       ossd sweep    (the next start checks the whole store, not only the work in flight at a crash)',
    '       ossd check [--repair] | backup DIR | restore BACKUP | du [BUCKET]    (operations on a data folder)',
    '       ossd ls|mb|rb|cp|cat|rm|stat|presign|append|tail ...    (client of any ossd or OSS endpoint: ossd ls --help, docs/cli.md)',
    '       ossd --version', '', '  flag                       environment                  meaning', ...lines, ''].join('\n');
}

/** The version in package.json (two folders up from dist/src/cli, where this file runs). */
async function packageVersion(): Promise<string> {
  const { readFileSync } = await import('node:fs');
  const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

async function main(argv: string[]): Promise<void> {
  let args = argv;
  if (args[0] === 'help' || args[0] === '--help' || args[0] === '-h') {
    process.stdout.write(usage());
    return;
  }
  if (args[0] === '--version' || args[0] === 'version') {
    process.stdout.write(`ossd ${await packageVersion()}\n`);
    return;
  }
  if (args[0] === 'docs') {
    const { renderErrorsDoc, renderOperationsDoc } = await import('../protocol/docs.js');
    const { writeFileSync } = await import('node:fs');
    writeFileSync('docs/operations.md', renderOperationsDoc());
    writeFileSync('docs/errors.md', renderErrorsDoc());
    const { renderConfigurationDoc } = await import('./configuration-doc.js');
    writeFileSync('docs/configuration.md', renderConfigurationDoc());
    process.stdout.write('wrote docs/operations.md, docs/errors.md and docs/configuration.md\n');
    return;
  }
  if (['keys', 'sts', 'sweep', 'check', 'backup', 'restore', 'du'].includes(args[0] ?? '')) refuseOtherBackends(process.env, args[0]!);
  if (args[0] === 'keys' || args[0] === 'sts') {
    const { KEYS_USAGE, runKeysCommand } = await import('./keys.js');
    if (args[1] === 'help' || args.includes('--help')) return void process.stdout.write(KEYS_USAGE);
    process.exitCode = await runKeysCommand(args, process.env, { out: (s) => process.stdout.write(s), err: (s) => process.stderr.write(s) });
    return;
  }
  if (['check', 'backup', 'restore', 'du'].includes(args[0] ?? '')) {
    const { runMaintenanceCommand } = await import('./maintenance.js');
    process.exitCode = await runMaintenanceCommand(args, process.env, { out: (s) => process.stdout.write(s), err: (s) => process.stderr.write(s) });
    return;
  }
  if (args[0] === 'sweep') {
    const { runSweepCommand } = await import('./sweep.js');
    process.exitCode = runSweepCommand(args, process.env, { out: (s) => process.stdout.write(s), err: (s) => process.stderr.write(s) });
    return;
  }
  if (args[0] !== undefined && CLIENT_COMMANDS.has(args[0])) {
    const { runClient } = await import('../client/main.js');
    // A closed stdout (ossd tail -f | head) is a normal end.
    process.stdout.on('error', (e: NodeJS.ErrnoException) => process.exit(e.code === 'EPIPE' ? 0 : 1));
    const code = await runClient(args);
    // Exit once stdout is flushed, whatever keep-alive sockets or stdin still hold.
    process.stdout.write('', () => process.exit(code));
    return;
  }
  if (args[0] === 'serve') args = args.slice(1);
  const config = loadConfig(args, process.env);
  const noKey = masterKeyRefusal(config.metadata, config.masterKey, config.masterKeyFile);
  if (noKey) throw new ConfigError(noKey);
  const refusal = faultsRefusal(process.env);
  if (refusal) throw new Refused(refusal);
  checkDataDir(config.dataDir);
  const log = createLogger(config.logFormat, config.logLevel);
  log.info({ version: await packageVersion(), config: configSummary(config) }, 'starting');
  // Before anything reads or changes the data folder (recovery included): one server per folder.
  const lock = lockDataDir(config.dataDir);
  // A SIGHUP during start-up (recovery can take a while) must not end the process either.
  // One listener for the whole life of the process, switched from "ignore" to "reload" once
  // the server runs: removing a signal's last listener and adding another was seen to lose
  // a SIGHUP sent right after start (sighup-tls.test.ts, 1 run in 4 under load).
  let onHup = (): void => log.info('SIGHUP during start-up: nothing to reload yet');
  process.on('SIGHUP', () => onHup());
  let running;
  try {
    running = await startServer(config, log);
  } catch (e) {
    if (e instanceof MetadataUnavailable) throw new StartupError(e.message);
    const why = explainStartupFailure(e, `${config.host}:${config.port}`);
    throw why === undefined ? e : new StartupError(why);
  }
  process.stdout.write(banner(running, config) + '\n');
  onHup = handleSignals(running, log, config, () => loadConfig(args, process.env), () => lock.release());
}

/**
 * SIGTERM/SIGINT: a graceful stop (server.ts shutdown), then exit 0; a second one exits at
 * once (128 + the signal's number, as a shell reports a process killed by it: the store
 * needs no clean stop to lose nothing acknowledged, recovery.ts). SIGHUP: re-read the
 * settings and apply the log level and TLS files; a failure is logged, the server goes on.
 */
function handleSignals(running: RunningServer, log: Logger, config: Config, reread: () => Config, release: () => void): () => void {
  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) {
      log.warn({ signal }, 'second signal: exiting at once');
      process.exit(128 + (signal === 'SIGINT' ? 2 : 15));
    }
    stopping = true;
    log.info({ signal, shutdownTimeoutS: config.shutdownTimeoutS }, 'signal received');
    running.shutdown(config.shutdownTimeoutS * 1000).then(
      () => {
        release();
        log.info('stopped');
        process.exit(0);
      },
      (e: unknown) => {
        log.error({ error: e instanceof Error ? e.stack ?? e.message : String(e) }, 'stopping failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  return () => {
    log.info({ signal: 'SIGHUP' }, 'reloading');
    let fresh: Config;
    try {
      fresh = reread();
    } catch (e) {
      log.error({ error: (e as Error).message }, 'reload refused: invalid settings, nothing changed');
      return;
    }
    running.reload(fresh).catch((e: unknown) => log.error({ error: (e as Error).message }, 'reload failed: the certificate in use is kept'));
  };
}

main(process.argv.slice(2)).catch((e: unknown) => {
  // A setting the user must change: one line naming it, exit 2 (docs/configuration.md).
  if (e instanceof ConfigError || e instanceof StartupError) {
    process.stderr.write(`ossd: ${(e as Error).message}\n`);
    process.exit(2);
  }
  if ((e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
    process.stderr.write(`ossd: ${(e as Error).message} (ossd help lists the flags)\n`);
    process.exit(2);
  }
  if (e instanceof Unavailable) {
    process.stderr.write(`ossd: ${e.message}\n`);
    process.exit(2);
  }
  if (e instanceof Refused || e instanceof DataDirLockError) {
    process.stderr.write(`ossd: ${(e as Error).message}\n`);
    process.exit(1);
  }
  process.stderr.write(`ossd: ${(e as Error).stack ?? String(e)}\n`);
  process.exit(1);
});
