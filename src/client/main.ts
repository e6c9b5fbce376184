/**
 * `ossd ls|mb|rb|cp|cat|rm|stat|presign|append|tail`: ossd as a client of any ossd or OSS
 * endpoint (docs/cli.md). A pure OSS client: it talks to the server only over HTTP
 * (ali-oss, plus signed raw requests for follow reads), never through the server's code.
 */
import { Command, CommanderError } from 'commander';
import { appendCommand, type AppendOptions } from './commands/append.js';
import { mbCommand, rbCommand } from './commands/buckets.js';
import { catCommand } from './commands/cat.js';
import { cpCommand, type CpOptions } from './commands/cp.js';
import { lsCommand, type LsOptions } from './commands/ls.js';
import { presignCommand, type PresignOptions } from './commands/presign.js';
import { rmCommand, type RmOptions } from './commands/rm.js';
import { statCommand } from './commands/stat.js';
import { tailCommand, type TailOptions } from './commands/tail.js';
import { withConnectionOptions } from './common-options.js';
import { resolveConnection, type Connection, type ConnectionFlags } from './config.js';
import { describeError } from './errors.js';
import { EXIT } from './exit-codes.js';
import { processIo, type ClientIo } from './io.js';

const EXIT_CODES_HELP = `
Exit codes: 0 done; 1 OSS error, network error or refused (printed as "Code: message (RequestId)");
2 usage or configuration error; 3 bucket, object or local file not found. See docs/cli.md.`;

type Action<A extends unknown[]> = (conn: Connection, ...args: A) => Promise<void>;

function buildProgram(io: ClientIo): Command {
  const program = new Command('ossd')
    .description('ossd as a client of any ossd or OSS endpoint')
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) })
    .addHelpText('after', EXIT_CODES_HELP)
    .showHelpAfterError(false);

  /** Registers a command whose action gets the resolved connection first. */
  const command = <A extends unknown[]>(spec: string, description: string, action: Action<A>): Command => {
    const cmd = withConnectionOptions(program.command(spec).description(description)).addHelpText('after', EXIT_CODES_HELP);
    cmd.action(async (...args: unknown[]) => {
      // commander passes the arguments, then the options object, then the command.
      const self = args[args.length - 1] as Command;
      const conn = resolveConnection(self.opts<ConnectionFlags>(), io.env);
      await action(conn, ...(args.slice(0, -1) as A));
    });
    return cmd;
  };

  command<[string | undefined, LsOptions]>('ls [url]', 'list buckets, or the objects under oss://bucket[/prefix]', (c, url, o) => lsCommand(c, url, o, io))
    .option('-r, --recursive', 'every object under the prefix, not only one level');
  command<[string]>('mb <url>', 'make a bucket: oss://bucket', (c, url) => mbCommand(c, url));
  command<[string]>('rb <url>', 'remove an empty bucket: oss://bucket', (c, url) => rbCommand(c, url));
  command<[string, string, CpOptions]>('cp <src> <dst>', 'copy: file → oss://, oss:// → file, oss:// → oss://', (c, s, d, o) => cpCommand(c, s, d, o, io))
    .option('--part-size <bytes>', 'multipart part size', String(8 * 1024 * 1024))
    .option('--parallel <n>', 'parts uploaded at once', '4')
    .option('--multipart-threshold <bytes>', 'files from this size on are uploaded in parts (resumable)', String(64 * 1024 * 1024));
  command<[string]>('cat <url>', 'write an object to stdout', (c, url) => catCommand(c, url, io));
  command<[string, RmOptions]>('rm <url>', 'delete an object, or with -r every object under a prefix', (c, url, o) => rmCommand(c, url, o, io))
    .option('-r, --recursive', 'delete every object under oss://bucket[/prefix]');
  command<[string]>('stat <url>', "an object's metadata", (c, url) => statCommand(c, url, io));
  command<[string, PresignOptions]>('presign <url>', 'a presigned URL for an object', (c, url, o) => presignCommand(c, url, o, io))
    .option('--expires <seconds>', 'validity', '3600')
    .option('--method <method>', 'HTTP method the URL allows', 'GET');
  command<[string, string, AppendOptions]>('append <source> <url>', 'append a file or stdin (-) to an appendable object, exactly once, resumable', (c, s, u, o) =>
    appendCommand(c, s, u, o, io))
    .option('--batch-bytes <bytes>', 'send a batch when it reaches this size', String(1024 * 1024))
    .option('--batch-ms <ms>', 'or when its first byte has waited this long', '200')
    .option('--retries <n>', 'retries of one batch after timeouts, lost connections, 5xx', '10')
    .option('--fresh', 'ignore the record of an interrupted earlier run: append the whole input')
    .option('--content-type <type>', 'Content-Type of the object, set by the append that creates it (default: from the key\'s extension, else application/octet-stream)');
  command<[string, TailOptions]>('tail <url>', 'the end of an object; -f: and what is appended to it', (c, url, o) => tailCommand(c, url, o, io))
    .option('-f, --follow', 'keep printing appended bytes until the object is sealed or deleted')
    .option('-n, --lines <n>', 'the last N lines (default 10)')
    .option('-c, --bytes <n>', 'the last N bytes')
    .option('--poll-ms <ms>', 'polling interval against servers without follow reads', '500');
  return program;
}

/** Runs one client command; resolves with the exit code (never throws). */
export async function runClient(argv: string[], io: ClientIo = processIo()): Promise<number> {
  const program = buildProgram(io);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return EXIT.ok;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? EXIT.ok : EXIT.usage;
    const { line, exitCode } = describeError(e);
    io.stderr.write(line + '\n');
    return exitCode;
  }
}
