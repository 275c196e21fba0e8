import type { LoggedEvent } from '../contracts/schemas.js';
import type { DeadLetterFailure } from '../contracts/transport.js';

/** The gateway's side of the log, and why an event was dead-lettered: engine/contracts/transport.ts. */
export type { AppendResult, DeadLetterFailure, EventLogWriter } from '../contracts/transport.js';

/**
 * What `DeliveredEvent.ack()` returns when the ack was sent at once (it cannot fail later): the
 * processor then attaches no handler to it (no promise and closure per event).
 */
export const ACK_SENT: Promise<void> = Promise.resolve();

/** One event handed to a consumer; it stays pending (and is redelivered) until acked. */
export interface DeliveredEvent {
  event: LoggedEvent;
  partition: number;
  seq: number;
  /** Delivery count > 1: the log delivered this one before without an ack. */
  redelivered: boolean;
  /** How many times the log has delivered this event, this delivery included (1 = the first). */
  deliveryCount: number;
  /** Call only after the event's effect is stored. ACK_SENT when it was sent at once. */
  ack(): Promise<void>;
  /** Ask for redelivery after `delayMs` (a transient failure). */
  nak(delayMs?: number): void;
  /**
   * Gives up on the event: stores it in the dead-letter stream with why it failed (admins list,
   * replay or drop it there), then acks it here, so the partition moves on. Rejects (and leaves
   * the event pending) only when the dead letter could not be stored.
   */
  deadLetter(failure: DeadLetterFailure): Promise<void>;
}

export interface ConsumeOptions {
  /** Max events handed over in one batch. */
  batchSize: number;
  signal: AbortSignal;
}

/** Reads the event log one partition at a time (per-user order holds within a partition). */
export interface EventSource {
  /**
   * Delivers the partition's unacked events in stream order, batch by batch, to `handler`,
   * starting with what an earlier consumer left unacked. Resolves when `signal` aborts.
   * A message that does not decode as a StoredEvent is logged, counted and terminated, never handed over.
   */
  consume(partition: number, handler: (batch: DeliveredEvent[]) => Promise<void>, options: ConsumeOptions): Promise<void>;
  /** Number of partitions of the log. */
  readonly partitions: number;
}
