import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { ErrorCodes, PulseError, type WireError } from '../engine/contracts/errors.js';
import { eventTimeProblem } from '../engine/contracts/bounds.js';
import { EventInputSchema, type LoggedEvent, type StoredEvent } from '../engine/contracts/schemas.js';
import type { AppendResult, EventLogWriter } from '../engine/contracts/transport.js';
import type { TokenClaims } from './auth.js';
import type { GatewayMetrics } from './metrics.js';
import { invalidAs } from './route-validation.js';

export interface EventIntakeOptions {
  eventLog: EventLogWriter;
  metrics: GatewayMetrics;
  logger: Logger;
  /** How long one append may wait for the log's confirmation (ms) before it counts as failed. */
  appendTimeoutMs: number;
  /** Clock in epoch ms; injectable for tests. */
  now?: () => number;
}

export interface BatchResult {
  /** Events the log confirmed (duplicates of already stored ids included: they are stored). */
  accepted: number;
  /** Per failed event, by its index in the request, in index order. */
  rejected: Array<{ index: number; error: WireError }>;
}

/** Largest `events` array one `POST /v1/events` may carry. */
export const MAX_EVENTS_PER_BATCH = 1000;

/**
 * Appends of one batch in flight at once. They are sent in index order on the event log's one
 * connection (nats.js writes a publish to the socket synchronously, in call order, and the server
 * stores one connection's messages in arrival order), so the stream keeps each user's order
 * without waiting for one PubAck before the next publish.
 */
export const BATCH_APPEND_WINDOW = 256;

/**
 * The one way an event enters the system, shared by Socket.IO `track` and `POST /v1/events`:
 * validate, fix user/id/time, append to the event log, count. Resolves only after the log
 * stored the event, so an ack built on it is a durability promise.
 */
export class EventIntake {
  readonly #options: EventIntakeOptions;
  readonly #now: () => number;

  constructor(options: EventIntakeOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
  }

  /**
   * Validates a client's event and builds the StoredEvent. The user is the token's `sub`; a body
   * `userId` is honoured only for admin tokens (imports, backfills). The token's tier travels
   * with the event only when the event is the bearer's own. A given `ts` must lie in the sender's
   * window around the gateway's clock (contracts/bounds.ts: admins back to 2000, others 7 days).
   * Throws PulseError `invalid_event` with per-field details.
   */
  prepare(raw: unknown, claims: TokenClaims, via: 'http' | 'socket' = 'http'): StoredEvent {
    const parsed = EventInputSchema.safeParse(raw);
    if (!parsed.success) throw invalidAs(ErrorCodes.invalidEvent, 'event', parsed.error);
    const input = parsed.data;
    const userId = claims.role === 'admin' && input.userId !== undefined ? input.userId : claims.sub;
    const now = this.#now();
    const late = input.ts === undefined ? undefined : eventTimeProblem(input.ts, now, claims.role);
    if (late !== undefined) throw new PulseError(ErrorCodes.invalidEvent, `invalid event: ts: ${late}`, { ts: late });
    const event: StoredEvent = { ...input, id: input.id ?? randomUUID(), userId, ts: input.ts ?? now, receivedAt: now };
    if (claims.tier !== undefined && userId === claims.sub) event.tier = claims.tier;
    if (via === 'socket' && userId === claims.sub) event.viaSocket = true;
    return event;
  }

  /**
   * Validates, builds and appends one event; resolves after the log stored it.
   * Throws PulseError `invalid_event` (nothing appended) or `unavailable` (the log failed or did not
   * confirm within the deadline: the event may or may not be stored, retrying with the same id is safe).
   */
  async intake(raw: unknown, claims: TokenClaims, via: 'http' | 'socket' = 'http'): Promise<{ event: StoredEvent; result: AppendResult }> {
    const event = this.#received(raw, claims, via);
    const result = await this.#store(event);
    this.#options.metrics.live.eventAccepted(event.type);
    return { event, result };
  }

  /**
   * Every element validated on its own (an invalid one is rejected, nothing of it appended); the
   * valid ones appended in index order with up to BATCH_APPEND_WINDOW in flight, so one user's
   * events land in their order. An element whose append fails is rejected with `unavailable`,
   * never counted as accepted; so is every later event of that user not yet sent (sending it
   * would put it ahead of the failed one: the client retries from the first rejected index).
   * Later events of that user already in flight may still land; retried with the same ids, they
   * count once.
   */
  async intakeBatch(raws: unknown[], claims: TokenClaims): Promise<BatchResult> {
    const rejected: BatchResult['rejected'] = [];
    const inFlight = new Set<Promise<void>>();
    const failedUsers = new Set<string>();
    for (let index = 0; index < raws.length; index++) {
      let event: StoredEvent;
      try {
        event = this.#received(raws[index], claims);
      } catch (err) {
        rejected.push({ index, error: wireOf(err) });
        continue;
      }
      while (inFlight.size >= BATCH_APPEND_WINDOW) await Promise.race(inFlight);
      if (failedUsers.has(event.userId)) {
        const error = new PulseError(
          ErrorCodes.unavailable,
          `an earlier event of user ${event.userId} in this request failed; retry from there`,
        );
        this.#countRejected(error);
        rejected.push({ index, error: error.toWire() });
        continue;
      }
      const append: Promise<void> = this.#store(event).then(
        () => this.#options.metrics.live.eventAccepted(event.type),
        (err: unknown) => {
          failedUsers.add(event.userId);
          rejected.push({ index, error: wireOf(err) });
        },
      );
      inFlight.add(append);
      void append.finally(() => inFlight.delete(append));
    }
    await Promise.all(inFlight);
    rejected.sort((a, b) => a.index - b.index);
    return { accepted: raws.length - rejected.length, rejected };
  }

  /** Counts a client's event as received and prepares it; a refusal is counted too. */
  #received(raw: unknown, claims: TokenClaims, via: 'http' | 'socket' = 'http'): StoredEvent {
    this.#options.metrics.eventsReceived.inc();
    try {
      return this.prepare(raw, claims, via);
    } catch (err) {
      this.#countRejected(err);
      throw err;
    }
  }

  /**
   * Appends an event the gateway itself made (a login's `merge`), with the same deadline and
   * `unavailable` semantics as client events; not counted as received from a client.
   */
  appendInternal(event: LoggedEvent): Promise<AppendResult> {
    return this.#store(event);
  }

  /** Counts an event refused before validation (rate limit, size) as received and rejected. */
  refuse(error: PulseError): PulseError {
    this.#options.metrics.eventsReceived.inc();
    this.#countRejected(error);
    return error;
  }

  async #store(event: LoggedEvent): Promise<AppendResult> {
    const { eventLog, appendTimeoutMs, logger, metrics } = this.#options;
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new PulseError(
              ErrorCodes.unavailable,
              `the event log did not confirm within ${appendTimeoutMs} ms; retrying with the same id is safe`,
            ),
          ),
        appendTimeoutMs,
      );
    });
    const append = eventLog.append(event);
    try {
      const result = await Promise.race([append, deadline]);
      metrics.eventsAcked.inc();
      return result;
    } catch (err) {
      const error =
        err instanceof PulseError ? err : new PulseError(ErrorCodes.unavailable, 'the event log is unavailable', undefined, { cause: err });
      if (!(err instanceof PulseError)) logger.warn({ err, eventId: event.id, userId: event.userId }, 'event append failed');
      // An append that lost the race may still settle; keep its rejection from going unhandled.
      append.catch(() => undefined);
      // Whatever the log said, the client's answer for a failed append is `unavailable`.
      const unavailable =
        error.code === ErrorCodes.unavailable ? error : new PulseError(ErrorCodes.unavailable, error.message, undefined, { cause: error });
      this.#countRejected(unavailable);
      throw unavailable;
    } finally {
      clearTimeout(timer);
    }
  }

  #countRejected(err: unknown): void {
    this.#options.metrics.eventsRejected.inc({ code: wireOf(err).code });
  }
}

function wireOf(err: unknown): WireError {
  return err instanceof PulseError ? err.toWire() : { code: ErrorCodes.internal, message: 'internal error' };
}
