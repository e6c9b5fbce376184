/**
 * Exit codes of the client commands (docs/cli.md "Exit codes"). Kept in one place so the
 * documentation, the error printer and the tests agree.
 */
export const EXIT = {
  /** Done. */
  ok: 0,
  /** OSS answered an error, the network failed, or the command could not finish. */
  failure: 1,
  /** Bad arguments or configuration (nothing was sent). */
  usage: 2,
  /** The bucket, object, upload or local file does not exist. */
  notFound: 3,
} as const;

/** A mistake in the command line or configuration: exit 2. */
export class UsageError extends Error {}

/** A failure the client itself detected (not an OSS error answer), with its exit code. */
export class ClientError extends Error {
  constructor(message: string, readonly exitCode: number = EXIT.failure) {
    super(message);
  }
}
