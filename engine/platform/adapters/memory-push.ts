import type { Logger } from 'pino';
import { ErrorCodes, PulseError } from '../../contracts/errors.js';
import type { PushMessage } from '../../contracts/messages.js';
import { subjects } from '../../contracts/subjects.js';
import type { Notifier, PushSubscriber, Unsubscribe } from '../notifier.js';
import { deliverPush, type PushHandler } from './nats-push.js';

/**
 * In-memory pushes, both sides in one object: a publish reaches every handler subscribed at that
 * moment on the same subject, asynchronously and in publish order; no subscriber, no delivery.
 */
export class MemoryPushBus implements Notifier, PushSubscriber {
  private readonly handlers = new Map<string, Set<PushHandler>>();
  private closed = false;

  constructor(private readonly logger: Logger) {}

  pushToUser(userId: string, message: PushMessage): void {
    this.publish(subjects.pushUser(userId), message);
  }

  pushToAll(message: PushMessage): void {
    this.publish(subjects.pushAll, message);
  }

  private publish(subject: string, message: PushMessage): void {
    if (this.closed) {
      this.logger.warn({ subject }, 'push dropped: closed');
      return;
    }
    const targets = this.handlers.get(subject);
    if (!targets || targets.size === 0) return;
    const handlers = [...targets];
    // Encode now, as a publish would: later mutations of `message` do not leak to subscribers.
    const json = JSON.stringify(message);
    queueMicrotask(() => deliverPush(subject, json, handlers, this.logger));
  }

  subscribeUser(userId: string, handler: PushHandler): Unsubscribe {
    return this.subscribe(subjects.pushUser(userId), handler);
  }

  subscribeAll(handler: PushHandler): Unsubscribe {
    return this.subscribe(subjects.pushAll, handler);
  }

  private subscribe(subject: string, handler: PushHandler): Unsubscribe {
    if (this.closed) throw new PulseError(ErrorCodes.unavailable, 'push subscriber is closed');
    let set = this.handlers.get(subject);
    if (!set) {
      set = new Set();
      this.handlers.set(subject, set);
    }
    // A wrapper per call: the same function subscribed twice is called twice, like two subscriptions.
    const entry: PushHandler = (message) => handler(message);
    set.add(entry);
    const owner = set;
    let done = false;
    return () => {
      if (done) return;
      done = true;
      owner.delete(entry);
      if (owner.size === 0 && this.handlers.get(subject) === owner) this.handlers.delete(subject);
    };
  }

  /** Drops every subscription; later pushes are dropped. Idempotent. */
  close(): void {
    this.closed = true;
    this.handlers.clear();
  }
}
