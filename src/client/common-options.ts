/** The connection flags shared by every client command (docs/cli.md "Configuration"). */
import type { Command } from 'commander';

export function withConnectionOptions(cmd: Command): Command {
  return cmd
    .option('--endpoint <url>', 'OSS or ossd endpoint (env OSS_ENDPOINT)')
    .option('--access-key-id <id>', 'access key id (env OSS_ACCESS_KEY_ID)')
    .option('--access-key-secret <secret>', 'access key secret (env OSS_ACCESS_KEY_SECRET)')
    .option('--session-token <token>', 'STS security token (env OSS_SESSION_TOKEN)')
    .option('--region <region>', 'region, e.g. cn-hangzhou (env OSS_REGION)')
    .option('--profile <name>', 'profile of the credentials file (env OSSD_PROFILE; default "default")')
    .option('--credentials-file <file>', 'credentials file (env OSSD_CREDENTIALS_FILE; default ~/.ossd/credentials)')
    .option('--path-style', 'address buckets as host/bucket/key (env OSSD_PATH_STYLE=1; automatic for IPs and localhost)')
    .option('--timeout <seconds>', 'per-request timeout (env OSSD_CLIENT_TIMEOUT; default 60)');
}
