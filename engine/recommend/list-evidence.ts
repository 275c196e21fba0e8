import { isMergeEvent, type LoggedEvent } from '../contracts/schemas.js';
import { isOrderEvent } from '../contracts/orders.js';
import { touchedItems } from '../shoppers/logic/event-effect.js';
import { REVISIT_PLACES, RevisitEvidence, type RevisitOptions } from './logic/revisits.js';
import type { RecentInteraction } from '../shoppers/user-state-store.js';
import { OldestFirst } from '../platform/oldest-first.js';

/**
 * The evidence behind re-visits (logic/revisits.ts), kept in the engine's memory: the rates, and
 * each shopper's last fresh ranking until their next event says where in it they went. The
 * Recommender remembers a default list's fresh ranking (`remember`); the event path's sessions
 * stage reports every applied event (`observe`) before the next list is made. Per engine: with
 * several engines each learns from the shoppers it serves (rates, not totals, so they agree).
 *
 * Memory: up to `users` rankings of at most 20 ids (~0.3 KB each with the Map entry: 6 MB at the
 * default 20,000). Cost: a Map read and delete per applied item event, O(20) counting.
 */

export interface ListEvidenceOptions extends RevisitOptions {
  /** Shoppers whose last fresh ranking is remembered at most (least recently listed dropped). Default 20,000. */
  users?: number;
}

export class ListEvidence {
  readonly revisits: RevisitEvidence;
  private readonly lastFresh = new Map<string, { ids: readonly string[]; scores: readonly number[] | undefined }>();
  /** The least recently remembered user without walking the holes the re-inserts leave (oldest-first.ts). */
  private readonly freshOrder = new OldestFirst(this.lastFresh);
  private readonly users: number;

  constructor(options: ListEvidenceOptions) {
    this.revisits = new RevisitEvidence(options);
    this.users = options.users ?? 20_000;
    if (!(Number.isInteger(this.users) && this.users >= 0)) throw new RangeError(`users must be an integer >= 0, got ${this.users}`);
  }

  /** The fresh ranking (best first, with its scores) just made for `userId`'s default list. */
  remember(userId: string, fresh: readonly string[], scores?: readonly number[]): void {
    if (this.users === 0) return;
    this.lastFresh.delete(userId);
    // Only the places the evidence measures are kept.
    this.lastFresh.set(userId, { ids: fresh.slice(0, REVISIT_PLACES), scores: scores?.slice(0, REVISIT_PLACES) });
    if (this.lastFresh.size > this.users) {
      this.freshOrder.shift();
    }
  }

  /**
   * One applied event of `userId`, with their recent items just before it. Any event that touches
   * an item ends the remembered list (only the next one answers it); only item events (view, click,
   * cart, like, purchase) are counted as observations.
   */
  observe(userId: string, event: LoggedEvent, recentBefore: readonly RecentInteraction[]): void {
    if (isMergeEvent(event) || isOrderEvent(event)) return;
    this.observeItems(userId, event.type, touchedItems(event), event.ts, recentBefore);
  }

  /** `observe` for a caller that has the event's touched items already (the sessions stage). */
  observeItems(userId: string, type: string, items: readonly string[], ts: number, recentBefore: readonly RecentInteraction[]): void {
    if (items.length === 0) return;
    const fresh = this.lastFresh.get(userId);
    // Only the next item event is judged against a list: a later one is not its answer.
    if (fresh) this.lastFresh.delete(userId);
    this.revisits.observe(type, items, ts, recentBefore, fresh?.ids, fresh?.scores);
  }

  /** Shoppers whose ranking is held (metrics, tests). */
  get held(): number {
    return this.lastFresh.size;
  }
}
