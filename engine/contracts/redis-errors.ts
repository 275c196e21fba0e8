import { ErrorCodes, PulseError } from './errors.js';

/*
 * What a failed Redis call means on the wire (`unavailable`, or a programmer error as it is), for the
 * engine's adapters and the gateway's limits alike. Pure: it inspects the error, it calls no Redis.
 */

/** Redis errors that mean "the server can't serve right now" rather than "our script is wrong". */
const TRANSIENT_REPLY = /^(OOM|BUSY|LOADING|MASTERDOWN|READONLY|CLUSTERDOWN|TRYAGAIN|NOREPLICAS|MOVED|ASK)\b/;

/**
 * Maps a failed Redis call to an error: connection loss, timeouts and transient server states
 * become PulseError('unavailable') (the caller may retry); a script or command error coming back
 * as a ReplyError is a programmer error and is rethrown as it is.
 */
export function redisError(operation: string, err: unknown): Error {
  if (err instanceof PulseError) return err;
  if (err instanceof Error && err.name === 'ReplyError' && !TRANSIENT_REPLY.test(err.message)) return err;
  const reason = err instanceof Error ? err.message : String(err);
  return new PulseError(ErrorCodes.unavailable, `redis ${operation} failed: ${reason}`, undefined, { cause: err });
}

/** Runs `call`, translating its failure with redisError. */
export async function callRedis<T>(operation: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    throw redisError(operation, err);
  }
}
