import { isMergeEvent } from '../contracts/schemas.js';
import type { UserState } from '../shoppers/user-state-store.js';
import type { ShopperIndex } from './shopper-index.js';
import type { Batch } from '../stream/pipeline/batch.js';
import type { BatchStage } from '../stream/pipeline/stage.js';

export interface ShoppersStageOptions {
  /**
   * A shopper's vector goes into the index at most once per this many ms: a later state within it
   * waits (the newest one wins) and is indexed when the interval has passed. 0 = at every batch.
   */
  minIntervalMs?: number;
  now?: () => number;
}

/**
 * "Shoppers like you": each user's vector and newest items go into the in-memory shopper index
 * from the state after the batch (an HNSW update costs ~0.15 ms at 1,000 shoppers, ~0.25-0.5 ms at
 * 100,000, skipped when the vector barely moved: see ShopperIndex), at most once per
 * `minIntervalMs` per shopper (the engine's SHOPPER_INDEX_INTERVAL_MS, default 10 s), so a shopper
 * acting every second costs one update per interval, not one per batch: other shoppers see their
 * newest vector and items up to ~1.25 x `minIntervalMs` late (the flush runs every quarter
 * interval). A deferred event costs two Map operations. A merged visitor leaves the index at once.
 * No I/O.
 */
/** Re-inserts of one flush slice (see ShoppersStage.flush). */
export const FLUSH_SLICE = 16;

export class ShoppersStage implements BatchStage {
  readonly name = 'shoppers';
  private readonly minIntervalMs: number;
  private readonly now: () => number;
  /** When each recently indexed shopper was indexed (epoch ms); pruned past the interval. */
  private readonly indexedAt = new Map<string, number>();
  /** States waiting for their shopper's interval to pass; the newest wins. */
  private readonly pending = new Map<string, UserState>();
  /** The next flush: a timer, or an immediate while a long flush goes on in slices. */
  private timer: NodeJS.Timeout | NodeJS.Immediate | undefined;

  constructor(
    private readonly shoppers: ShopperIndex,
    options: ShoppersStageOptions = {},
  ) {
    this.minIntervalMs = options.minIntervalMs ?? 0;
    this.now = options.now ?? Date.now;
  }

  async afterStore(batch: Batch): Promise<void> {
    const now = this.now();
    for (const user of batch.users) {
      let applied = false;
      for (const run of user.events) {
        if (run.outcome !== 'applied') continue;
        applied = true;
        if (isMergeEvent(run.event)) {
          this.pending.delete(run.event.fromUserId);
          this.shoppers.drop(run.event.fromUserId);
        }
      }
      if (!applied) continue;
      const last = this.indexedAt.get(user.userId);
      if (this.minIntervalMs <= 0 || last === undefined || now - last >= this.minIntervalMs) this.index(user.userId, user.state, now);
      else this.defer(user.userId, user.state);
    }
  }

  private index(userId: string, state: UserState, now: number): void {
    this.pending.delete(userId);
    this.shoppers.update(userId, state);
    if (this.minIntervalMs > 0) {
      this.indexedAt.delete(userId);
      this.indexedAt.set(userId, now);
    }
  }

  private defer(userId: string, state: UserState): void {
    this.pending.set(userId, state);
    this.timer ??= setTimeout(() => this.flush(), this.minIntervalMs).unref();
  }

  /**
   * Indexes every waiting shopper whose interval has passed; forgets shoppers indexed long ago.
   * At most FLUSH_SLICE re-inserts (~0.15 ms each) per turn of the event loop, the rest after a
   * setImmediate: a flush of hundreds of shoppers would otherwise hold batches and pushes back
   * for tens of ms (the p99 of every list pushed meanwhile).
   */
  private flush(): void {
    this.timer = undefined;
    const now = this.now();
    let indexed = 0;
    for (const [userId, at] of this.indexedAt) {
      if (now - at < this.minIntervalMs) break; // insertion order = time order
      if (indexed >= FLUSH_SLICE) {
        this.timer = setImmediate(() => this.flush()).unref();
        return;
      }
      this.indexedAt.delete(userId);
      const state = this.pending.get(userId);
      if (state) {
        this.index(userId, state, now);
        indexed++;
      }
    }
    if (this.pending.size > 0) this.timer = setTimeout(() => this.flush(), Math.max(50, this.minIntervalMs / 4)).unref();
  }
}
