/**
 * Which failed writes may still have committed (types.ts outcomeUnknown). PostgreSQL
 * answers a statement it refuses with an ERROR (a DatabaseError of severity ERROR), and
 * the transaction is then rolled back: the outcome is known. A write that fails any other
 * way (the connection was lost or reset, the server went away, or ended the session with
 * a FATAL error such as an administrator's pg_terminate_backend) may have lost the answer
 * after the server received COMMIT: it may be committed, and the caller must keep the
 * blobs it names (recovery decides later).
 */
import pg from 'pg';

export function withOutcome(e: unknown): unknown {
  if (e !== null && typeof e === 'object' && !(e instanceof pg.DatabaseError && e.severity === 'ERROR')) (e as { outcomeUnknown?: boolean }).outcomeUnknown = true;
  return e;
}
