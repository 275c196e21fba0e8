import type { PushMessage, RpcMethod, RpcMethods } from './messages.js';
import type { LoggedEvent } from './schemas.js';

/**
 * The gateway's side of the transport between gateway and engine: what a gateway calls (request/
 * reply, the event log, the dead letters, presence) and receives (pushes). The engine's ports
 * (engine/platform/rpc.ts, notifier.ts, event-log.ts, dead-letters.ts, presence-channel.ts) re-export
 * these next to the engine's own side; the NATS adapters (engine/adapters/nats-*.ts) implement both.
 */

// --- request/reply (engine/platform/rpc.ts) ---

/**
 * Gateway side. Rejects with PulseError: the engine's own error, or `unavailable`/`timeout`.
 * The request carries its deadline (now + `timeoutMs`, epoch ms): the engine drops it unanswered
 * once the deadline has passed.
 */
export interface RpcClient {
  call<M extends RpcMethod>(method: M, request: RpcMethods[M]['request'], timeoutMs?: number): Promise<RpcMethods[M]['result']>;
}

// --- pushes (engine/platform/notifier.ts) ---

export type Unsubscribe = () => void;

/** Gateway side: receives pushes for users whose sockets this gateway holds. */
export interface PushSubscriber {
  /** Subscribe while a socket of the user is held; call the returned function when the last one leaves. */
  subscribeUser(userId: string, handler: (message: PushMessage) => void): Unsubscribe;
  subscribeAll(handler: (message: PushMessage) => void): Unsubscribe;
}

// --- the event log (engine/stream/event-log.ts) ---

export interface AppendResult {
  /** Stream sequence of the stored event. */
  seq: number;
  /** True when the stream already held this (userId, id): nothing new was stored. */
  duplicate: boolean;
}

/** The durable log of shopper events (JetStream `EVENTS`). The gateway appends; the engine reads. */
export interface EventLogWriter {
  /**
   * Stores the event in partition `partitionOf(event.userId)`. Resolves only once the log
   * has durably stored it (JetStream PubAck); rejects with PulseError('unavailable') otherwise.
   */
  append(event: LoggedEvent): Promise<AppendResult>;
}

/** Why an event was dead-lettered. */
export interface DeadLetterFailure {
  /** Stable error code (PulseError code, or `internal`). */
  code: string;
  message: string;
  /** Deliveries tried before giving up. */
  attempts: number;
}

// --- dead letters (engine/stream/dead-letters.ts) ---

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

// --- presence (engine/platform/presence-channel.ts) ---

/**
 * Gateway side of presence: what one gateway tells every engine about the users whose sockets it
 * holds. Entries are per gateway: a leave from one gateway never hides the same user's socket on
 * another. Each join or beat sets the entry's expiry to `ttlMs` from its arrival; an entry not
 * refreshed by then is gone, so a crashed gateway's users vanish by themselves.
 */
export interface PresencePublisher {
  /**
   * The first socket of each of `userIds` is open on `gatewayId`. Resolves once the transport has
   * delivered it (NATS: published and flushed), so an event the user sends afterwards finds the
   * user present at the engine.
   * @throws PulseError `unavailable` when it cannot be sent.
   */
  join(gatewayId: string, ttlMs: number, userIds: readonly string[]): Promise<void>;
  /** The last socket of each of `userIds` on `gatewayId` is gone. Fire and forget: a lost leave expires. */
  leave(gatewayId: string, userIds: readonly string[]): void;
  /**
   * Every user `gatewayId` holds (split into several messages when large): adds missing entries
   * and refreshes the expiry of the listed ones. Fire and forget.
   */
  beat(gatewayId: string, ttlMs: number, userIds: readonly string[]): void;
  /** Calls `handler` whenever an engine asks every gateway for a beat at once (it just started). */
  onSyncRequest(handler: () => void): Unsubscribe;
}
