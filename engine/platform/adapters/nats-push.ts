import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import type { Logger } from 'pino';
import { ErrorCodes, PulseError } from '../../contracts/errors.js';
import type { PushMessage } from '../../contracts/messages.js';
import { subjects } from '../../contracts/subjects.js';
import type { Notifier, PushSubscriber, Unsubscribe } from '../notifier.js';
import { parseJsonObject } from '../json-object.js';

/** Socket events a push may carry, plus `inbox` (a hint for the gateways, never emitted to sockets). */
const pushEvents = new Set(['recommendations', 'promotion', 'member', 'inbox']);

/** Decodes a push payload; undefined when it is not a PushMessage (the caller logs and drops it). */
export function decodePushMessage(json: string): PushMessage | undefined {
  const value = parseJsonObject(json);
  if (value === undefined) return undefined;
  const { event, data } = value as { event?: unknown; data?: unknown };
  if (typeof event !== 'string' || !pushEvents.has(event) || typeof data !== 'object' || data === null) return undefined;
  return value as PushMessage;
}

export type PushHandler = (message: PushMessage) => void;

/**
 * Decodes a push payload and calls each handler with it, in order. Shared by NatsPushSubscriber
 * and MemoryPushBus: an undecodable payload is logged and dropped; a throwing handler is logged
 * and the others still run. Handlers share the decoded message: treat it as read-only.
 */
export function deliverPush(subject: string, json: string, handlers: Iterable<PushHandler>, logger: Logger): void {
  const message = decodePushMessage(json);
  if (!message) {
    logger.warn({ subject, bytes: json.length }, 'undecodable push message dropped');
    return;
  }
  for (const handler of handlers) {
    try {
      handler(message);
    } catch (err) {
      logger.error({ err, subject }, 'push handler failed');
    }
  }
}

/** Engine side: core NATS publish, fire and forget (a user with no socket anywhere gets nothing). */
export class NatsNotifier implements Notifier {
  constructor(
    private readonly nc: NatsConnection,
    private readonly logger: Logger,
  ) {}

  pushToUser(userId: string, message: PushMessage): void {
    this.publish(subjects.pushUser(userId), message);
  }

  pushToAll(message: PushMessage): void {
    this.publish(subjects.pushAll, message);
  }

  private publish(subject: string, message: PushMessage): void {
    try {
      this.nc.publish(subject, JSON.stringify(message));
    } catch (err) {
      // Closed connection or oversized payload: a push is best effort, the next one supersedes it.
      this.logger.warn({ err, subject }, 'push dropped');
    }
  }
}

interface SharedSubscription {
  subscription: Subscription;
  /** Keyed per subscribe call, so one function subscribed twice is called twice, like two subscriptions. */
  handlers: Map<number, PushHandler>;
}

/**
 * Gateway side: one NATS subscription per subject, shared (ref-counted) by every subscribe call
 * for that user in this process; each call's handler gets every message. Handlers share the
 * decoded message: treat it as read-only.
 */
export class NatsPushSubscriber implements PushSubscriber {
  private readonly shared = new Map<string, SharedSubscription>();
  private nextKey = 1;
  private closed = false;

  constructor(
    private readonly nc: NatsConnection,
    private readonly logger: Logger,
  ) {}

  subscribeUser(userId: string, handler: PushHandler): Unsubscribe {
    return this.subscribe(subjects.pushUser(userId), handler);
  }

  subscribeAll(handler: PushHandler): Unsubscribe {
    return this.subscribe(subjects.pushAll, handler);
  }

  private subscribe(subject: string, handler: PushHandler): Unsubscribe {
    if (this.closed) throw new PulseError(ErrorCodes.unavailable, 'push subscriber is closed');
    let entry = this.shared.get(subject);
    if (!entry) {
      const handlers = new Map<number, PushHandler>();
      const subscription = this.nc.subscribe(subject, {
        callback: (err, msg) => {
          if (err) {
            this.logger.error({ err, subject }, 'push subscription failed');
            return;
          }
          // A copy: a handler may unsubscribe (or subscribe) while the message is delivered.
          deliverPush(subject, msg.string(), [...handlers.values()], this.logger);
        },
      });
      entry = { subscription, handlers };
      this.shared.set(subject, entry);
    }
    const key = this.nextKey++;
    entry.handlers.set(key, handler);
    const owner = entry;
    let done = false;
    return () => {
      if (done) return;
      done = true;
      owner.handlers.delete(key);
      if (owner.handlers.size === 0 && this.shared.get(subject) === owner) {
        this.shared.delete(subject);
        owner.subscription.unsubscribe();
      }
    };
  }

  /** Unsubscribes everything. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const entry of this.shared.values()) {
      try {
        entry.subscription.unsubscribe();
      } catch {
        // connection already closed
      }
    }
    this.shared.clear();
  }
}
