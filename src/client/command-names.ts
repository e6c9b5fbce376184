/** The client commands' names: src/cli/main.ts sends these to the client without loading it otherwise. */
export const CLIENT_COMMANDS: ReadonlySet<string> = new Set(['ls', 'mb', 'rb', 'cp', 'cat', 'rm', 'stat', 'presign', 'append', 'tail']);
