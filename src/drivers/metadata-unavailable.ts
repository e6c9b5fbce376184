/** The metadata store named by the configuration cannot be opened (unreachable, refused, no key): one line, no password. */
export class MetadataUnavailable extends Error {}
