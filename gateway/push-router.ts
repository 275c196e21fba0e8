import type { Logger } from 'pino';
import { ErrorCodes, PulseError } from '../engine/contracts/errors.js';
import type { PushMessage } from '../engine/contracts/messages.js';
import type { PushSubscriber, Unsubscribe } from '../engine/contracts/transport.js';
import type { GatewayMetrics } from './metrics.js';

/** A push that goes out to sockets: every PushMessage but the gateways' own `inbox` hint (ServerToClientEvents). */
export type SocketPush = Exclude<PushMessage, { event: 'inbox' }>;

export interface PushRouterOptions {
  subscriber: PushSubscriber;
  /** Delivers a user's push to that user's sockets on this gateway (the Socket.IO room `user:<id>`). */
  emitToUser: (userId: string, message: SocketPush) => void;
  /** Delivers a broadcast to every socket on this gateway. */
  emitToAll: (message: SocketPush) => void;
  /**
   * `promotions.claim` for a member (the engine pushes each promotion it grants on
   * push.user.<memberId>, which this router then emits like any push). `live`: answers an `inbox` hint.
   */
  claimPromotions: (memberId: string, live: boolean) => Promise<unknown>;
  metrics: GatewayMetrics;
  logger: Logger;
  /** Clock in epoch ms; injectable for tests. */
  now?: () => number;
}

interface Holding {
  count: number;
  unsubscribe: Unsubscribe;
}

/** Why a claim was made (the `reason` label of the claim metrics). */
type ClaimReason = 'connect' | 'hint';

/** The hint claim in flight for one member; `again`: a hint arrived since it started. */
interface HintClaim {
  again: boolean;
}

/**
 * Routes engine pushes to local sockets. A user's `push.user.<id>` subscription lives while at
 * least one socket of that user is held here (reference counted), so a gateway only receives
 * pushes for users it serves. Broadcasts (`push.all`) are subscribed from `start()` to `close()`.
 *
 * Promotions: a member's socket connecting makes one `promotions.claim {live: false}`
 * ({@link claimOnConnect}); an `inbox` hint for a user held here makes one `{live: true}`, never
 * more than one in flight per user (hints meanwhile make one more claim after it). The hint itself
 * is never emitted to sockets; the `promotion` pushes the claims cause are, like any push.
 */
export class PushRouter {
  readonly #options: PushRouterOptions;
  readonly #now: () => number;
  readonly #held = new Map<string, Holding>();
  readonly #hintClaims = new Map<string, HintClaim>();
  readonly #claimsInFlight = new Set<Promise<void>>();
  #unsubscribeAll: Unsubscribe | undefined;
  #closed = false;
  #claiming = true;

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

  /**
   * A socket of member `memberId` connected and is held here (its push subscription is live, so
   * the promotions the claim causes reach it): delivers what waits in the member's inbox. Fire and
   * forget; a failure is logged and counted, and the next connect claims again.
   */
  claimOnConnect(memberId: string): void {
    if (!this.#claiming || !this.#held.has(memberId)) return;
    this.#track(this.#claim(memberId, 'connect'));
  }

  /**
   * Starts no more claims and resolves once those in flight have been answered (the engine pushes
   * a claim's promotions before it replies), or at `deadline` (epoch ms).
   */
  async drainClaims(deadline: number): Promise<void> {
    this.#claiming = false;
    if (this.#claimsInFlight.size === 0) return;
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, Math.max(0, deadline - Date.now()));
    });
    await Promise.race([Promise.allSettled([...this.#claimsInFlight]), expired]);
    clearTimeout(timer);
  }

  /** Unsubscribes everything and starts no more claims. Idempotent; later holds are no-ops. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#claiming = false;
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

  #onInboxHint(userId: string): void {
    const inFlight = this.#hintClaims.get(userId);
    if (inFlight) {
      inFlight.again = true;
      return;
    }
    if (!this.#claiming) return;
    const claim: HintClaim = { again: false };
    this.#hintClaims.set(userId, claim);
    this.#track(this.#claimForHints(userId, claim));
  }

  /** One claim, then one more as long as hints arrived during the last one and the user is still held here. */
  async #claimForHints(userId: string, claim: HintClaim): Promise<void> {
    try {
      do {
        claim.again = false;
        await this.#claim(userId, 'hint');
      } while (claim.again && this.#claiming && this.#held.has(userId));
    } finally {
      this.#hintClaims.delete(userId);
    }
  }

  /** One `promotions.claim`; never rejects. */
  async #claim(memberId: string, reason: ClaimReason): Promise<void> {
    const { metrics, logger } = this.#options;
    metrics.promotionClaims.inc({ reason });
    try {
      await this.#options.claimPromotions(memberId, reason === 'hint');
    } catch (err) {
      const code = err instanceof PulseError ? err.code : ErrorCodes.internal;
      metrics.promotionClaimFailures.inc({ reason, code });
      logger.warn({ err, memberId, reason, code }, 'promotions.claim failed');
    }
  }

  #track(work: Promise<void>): void {
    this.#claimsInFlight.add(work);
    void work.finally(() => this.#claimsInFlight.delete(work));
  }

  #deliver(userId: string | undefined, message: PushMessage): void {
    const { metrics, logger } = this.#options;
    if (message.event === 'inbox') {
      // A hint for the gateways, not for clients; on push.all it names nobody and is ignored.
      if (userId !== undefined) this.#onInboxHint(userId);
      return;
    }
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
      metrics.observePush(Math.max(0, this.#now() - message.causeReceivedAt));
    }
  }
}
