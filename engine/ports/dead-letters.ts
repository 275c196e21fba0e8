import type { DeadLetterFailure } from './event-log.js';

/** One event the engine gave up on (`DeliveredEvent.deadLetter`), as admins see it. */
export interface DeadLetter {
  /** Its id in the dead-letter store: a positive integer as a decimal string, newer = larger. */
  id: string;
  /** The EVENTS partition it came from. */
  partition: number;
  /**
   * The event exactly as EVENTS held it (JSON-decoded; a LoggedEvent unless something foreign
   * published it there).
   */
  event: unknown;
  failure: DeadLetterFailure;
  /** When it was dead-lettered (epoch ms). */
  failedAt: number;
  /** Its sequence in EVENTS when it failed. */
  originalSeq: number;
}

export interface DeadLetterPage {
  /** Newest first. */
  deadLetters: DeadLetter[];
  /** Pass as `before` for the next (older) page; absent on the last page. */
  next?: string;
}

/** Largest `limit` of one `list` call. */
export const MAX_DEAD_LETTERS_PAGE = 200;

/**
 * The dead-letter store (JetStream `DEADLETTERS`, subjects `deadletters.<partition>`): events that
 * failed in the engine for good, each with why. An operator fixes the cause, then replays or
 * drops them. Ids that are not a stored dead letter (malformed ones included) are `not_found`.
 */
export interface DeadLetters {
  /**
   * Dead letters newest first, at most `limit` (1..MAX_DEAD_LETTERS_PAGE), only those older than
   * the id `before` when given. Rejects with PulseError `invalid_request` for a bad limit or
   * `before`, `unavailable` when the store cannot be read.
   */
  list(page: { limit: number; before?: string }): Promise<DeadLetterPage>;
  /**
   * Appends the original event to EVENTS again (same user and event id, so the engine's
   * per-user dedupe still holds: an event applied meanwhile is not applied twice), then deletes
   * the dead letter. Resolves with the event's new EVENTS sequence. Retrying after a failure
   * appends it at most once (the append's message id names the dead letter). Rejects with
   * `not_found` for an unknown id, `unavailable` when either store fails.
   */
  replay(id: string): Promise<{ seq: number }>;
  /** Deletes a dead letter for good. Rejects with `not_found` for an unknown id, `unavailable` on failure. */
  drop(id: string): Promise<void>;
}
