import type { Logger } from 'pino';
import type { PushMessage } from '../engine/contracts/messages.js';
import type { PushSubscriber, Unsubscribe } from '../engine/ports/notifier.js';
import type { GatewayMetrics } from './metrics.js';

export interface PushRouterOptions {
  subscriber: PushSubscriber;
  /** Delivers a user's push to that user's sockets on this gateway (the Socket.IO room `user:<id>`). */
  emitToUser: (userId: string, message: PushMessage) => void;
  /** Delivers a broadcast to every socket on this gateway. */
  emitToAll: (message: PushMessage) => void;
  metrics: GatewayMetrics;
  logger: Logger;
  /** Clock in epoch ms; injectable for tests. */
  now?: () => number;
}

interface Holding {
  count: number;
  unsubscribe: Unsubscribe;
}

/**
 * Routes engine pushes to local sockets. A user's `push.user.<id>` subscription lives while at
 * least one socket of that user is held here (reference counted), so a gateway only receives
 * pushes for users it serves. Broadcasts (`push.all`) are subscribed from `start()` to `close()`.
 */
export class PushRouter {
  readonly #options: PushRouterOptions;
  readonly #now: () => number;
  readonly #held = new Map<string, Holding>();
  #unsubscribeAll: Unsubscribe | undefined;
  #closed = false;

  constructor(options: PushRouterOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
  }

  start(): void {
    if (this.#closed || this.#unsubscribeAll) return;
    this.#unsubscribeAll = this.#options.subscriber.subscribeAll((message) => this.#deliver(undefined, message));
  }

  /** Users with at least one socket held here. */
  get users(): number {
    return this.#held.size;
  }

  /**
   * Marks one socket of `userId` as held; the returned release (idempotent) gives it back.
   * The first hold subscribes, the last release unsubscribes.
   */
  hold(userId: string): () => void {
    if (this.#closed) return () => undefined;
    let holding = this.#held.get(userId);
    if (holding) {
      holding.count += 1;
    } else {
      const unsubscribe = this.#options.subscriber.subscribeUser(userId, (message) => this.#deliver(userId, message));
      holding = { count: 1, unsubscribe };
      this.#held.set(userId, holding);
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#release(userId);
    };
  }

  /** Unsubscribes everything. Idempotent; later holds are no-ops. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const [userId, holding] of this.#held) this.#unsubscribe(userId, holding.unsubscribe);
    this.#held.clear();
    if (this.#unsubscribeAll) this.#unsubscribe('*', this.#unsubscribeAll);
    this.#unsubscribeAll = undefined;
  }

  #release(userId: string): void {
    const holding = this.#held.get(userId);
    if (!holding) return;
    holding.count -= 1;
    if (holding.count > 0) return;
    this.#held.delete(userId);
    this.#unsubscribe(userId, holding.unsubscribe);
  }

  #unsubscribe(userId: string, unsubscribe: Unsubscribe): void {
    try {
      unsubscribe();
    } catch (err) {
      this.#options.logger.warn({ err, userId }, 'push unsubscribe failed');
    }
  }

  #deliver(userId: string | undefined, message: PushMessage): void {
    const { metrics, logger } = this.#options;
    try {
      if (userId === undefined) this.#options.emitToAll(message);
      else this.#options.emitToUser(userId, message);
    } catch (err) {
      logger.error({ err, userId, event: message.event }, 'push delivery failed');
      return;
    }
    metrics.pushes.inc({ event: message.event });
    if (message.event === 'recommendations' && message.causeReceivedAt !== undefined) {
      // causeReceivedAt comes from the clock of whichever gateway took the event: clamp skew at 0.
      metrics.pushLatency.observe(Math.max(0, this.#now() - message.causeReceivedAt) / 1000);
    }
  }
}
