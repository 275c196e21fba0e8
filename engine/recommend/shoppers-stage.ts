import { isMergeEvent, type LoggedEvent } from '../contracts/schemas.js';
import type { ShopperEntry, ShopperIndex } from './shopper-index.js';
import type { Batch } from '../stream/pipeline/batch.js';
import type { BatchStage } from '../stream/pipeline/stage.js';
import type { UserState } from '../shoppers/user-state-store.js';
import type { EngineMetrics } from '../metrics.js';

export interface ShoppersStageOptions {
  /**
   * A shopper's vector goes into the index at most once per this many ms: a later state within it
   * waits (the newest one wins) and is indexed when the interval has passed. 0 = at every batch.
   */
  minIntervalMs?: number;
  /**
   * The same for a shopper whose batch held only history (see isHistory: a bulk import, a
   * replay), and their first state waits too: one HNSW update per shopper per this
   * interval however many of their events the import holds. Default: `minIntervalMs`.
   */
  backlogIntervalMs?: number | undefined;
  /** Events accepted or made longer ago than this are history (isHistory). Default: every event is live. */
  pushMaxAgeMs?: number;
  /** Where `waiting` is reported (pulse_engine_shopper_index_waiting). */
  metrics?: Pick<EngineMetrics, 'countShopperIndexWaiting'>;
  now?: () => number;
}

/**
 * Whether an event is history for the shopper graph: accepted longer than `windowMs` ago (a
 * replay, a redelivery of old events) or happened that long ago (an import of past events, whose
 * `ts` the shop gave). A shopper acting now has neither.
 */
export function isHistory(event: Pick<LoggedEvent, 'ts' | 'receivedAt'>, now: number, windowMs: number): boolean {
  return now - event.receivedAt > windowMs || now - event.ts > windowMs;
}

/** Re-inserts of one flush slice (see ShoppersStage.flush). */
export const FLUSH_SLICE = 16;
/** History's waiting shoppers are all indexed once no history came for this long (ms): the import is over. */
export const HISTORY_IDLE_MS = 2000;

/** Shoppers waiting for one interval: when each was last indexed (or first seen), oldest first. */
class IntervalQueue {
  /** userId -> epoch ms; Map order = time order (a shopper re-enters at the end). */
  readonly at = new Map<string, number>();
  constructor(readonly intervalMs: number) {}
}

/**
 * "Shoppers like you": each user's vector and newest items go into the in-memory shopper index
 * from the state after the batch (an HNSW update costs ~0.15 ms at 1,000 shoppers, ~0.25-0.5 ms at
 * 100,000, skipped when the vector barely moved: see ShopperIndex), at most once per
 * `minIntervalMs` per shopper (the engine's SHOPPER_INDEX_INTERVAL_MS, default 10 s), so a shopper
 * acting every second costs one update per interval, not one per batch: other shoppers see their
 * newest vector and items up to ~1.25 x `minIntervalMs` late (the flush runs every quarter
 * interval). History (a bulk import, a replay) waits `backlogIntervalMs`
 * (SHOPPER_INDEX_BACKLOG_INTERVAL_MS, default 2 minutes), first state included, or until history
 * stops coming for HISTORY_IDLE_MS (the import is over): a shopper with ten events in an import
 * costs one or two updates instead of one per 10 s of the import (profiled: the shopper graph was
 * ~35% of an importing engine's CPU). What waits is the shopper's entry (vector and newest items,
 * ~0.5 KB), not their state; `waiting` counts them (at most the shoppers of one interval of an
 * import: ~50 MB for 100,000). A deferred event costs a few Map operations and its shopper's newest
 * items (~0.5 us). A merged visitor leaves the index at once. No I/O.
 */
export class ShoppersStage implements BatchStage {
  readonly name = 'shoppers';
  private readonly now: () => number;
  private readonly pushMaxAgeMs: number;
  private readonly live: IntervalQueue;
  private readonly backlog: IntervalQueue;
  /** Entries waiting for their shopper's interval to pass; the newest wins. */
  private readonly pending = new Map<string, ShopperEntry>();
  /** The next flush: a timer, or an immediate while a long flush goes on in slices. */
  private timer: NodeJS.Timeout | NodeJS.Immediate | undefined;
  /** When the timer fires (epoch ms; -Infinity for a sliced flush's immediate), to bring it forward for a shorter interval. */
  private timerDue = Infinity;
  /** When history last came (epoch ms): its waiting shoppers are due HISTORY_IDLE_MS after. */
  private historyAt = -Infinity;

  constructor(
    private readonly shoppers: ShopperIndex,
    options: ShoppersStageOptions = {},
  ) {
    const minIntervalMs = options.minIntervalMs ?? 0;
    this.live = new IntervalQueue(minIntervalMs);
    this.backlog = new IntervalQueue(options.backlogIntervalMs ?? minIntervalMs);
    this.pushMaxAgeMs = options.pushMaxAgeMs ?? Infinity;
    this.now = options.now ?? Date.now;
    options.metrics?.countShopperIndexWaiting(() => this.waiting);
  }

  async afterStore(batch: Batch): Promise<void> {
    const now = this.now();
    for (const user of batch.users) {
      let applied = false;
      let live = false;
      for (const run of user.events) {
        if (run.outcome !== 'applied') continue;
        applied = true;
        if (!live && !isHistory(run.event, batch.now, this.pushMaxAgeMs)) live = true;
        if (isMergeEvent(run.event)) this.forget(run.event.fromUserId);
      }
      if (!applied) continue;
      if (!live) this.historyAt = now;
      this.offer(user.userId, user.state, live ? this.live : this.backlog, now);
    }
  }

  /** Shoppers whose newest state waits for their interval (the engine's pulse_engine_shopper_index_waiting). */
  get waiting(): number {
    return this.pending.size;
  }

  /** A shopper's new state: indexed now when their interval has passed, otherwise waiting. */
  private offer(userId: string, state: UserState, queue: IntervalQueue, now: number): void {
    if (queue.intervalMs <= 0) {
      this.forget(userId, false);
      this.shoppers.update(userId, state);
      return;
    }
    const last = this.live.at.get(userId) ?? this.backlog.at.get(userId);
    // Due: a live shopper not indexed lately, or anyone whose interval has passed.
    if (last === undefined ? queue === this.live : now - last >= queue.intervalMs)
      this.index(userId, this.shoppers.entryOf(state), queue, now);
    else {
      // History's first state waits a whole interval, as if indexed now. A live state of a shopper
      // waiting for history's longer interval waits for the live one instead (from the same start;
      // behind later starts in the live queue, so up to one more live interval late).
      if (last === undefined) queue.at.set(userId, now);
      else if (queue === this.live && this.backlog.at.delete(userId)) this.live.at.set(userId, last);
      this.pending.set(userId, this.shoppers.entryOf(state));
      this.schedule(this.flushEvery(queue), now);
    }
  }

  private index(userId: string, entry: ShopperEntry, queue: IntervalQueue, now: number): void {
    this.pending.delete(userId);
    this.shoppers.put(userId, entry);
    this.live.at.delete(userId);
    this.backlog.at.delete(userId);
    queue.at.set(userId, now);
  }

  /** A shopper leaves the stage (merged away: `drop` from the index too). */
  private forget(userId: string, drop = true): void {
    this.pending.delete(userId);
    this.live.at.delete(userId);
    this.backlog.at.delete(userId);
    if (drop) this.shoppers.drop(userId);
  }

  /** A flush within `intervalMs`: the timer set already if it fires by then (or a sliced flush under way), else a new one. */
  private schedule(intervalMs: number, now: number): void {
    const due = now + intervalMs;
    if (this.timer !== undefined && this.timerDue <= due) return;
    if (this.timer !== undefined) clearTimeout(this.timer as NodeJS.Timeout);
    this.timerDue = due;
    this.timer = setTimeout(() => this.flush(), intervalMs).unref();
  }

  /**
   * Indexes every waiting shopper whose interval has passed; forgets shoppers indexed long ago.
   * At most FLUSH_SLICE re-inserts (~0.15 ms each) per turn of the event loop, the rest after a
   * setImmediate: a flush of hundreds of shoppers would otherwise hold batches and pushes back
   * for tens of ms (the p99 of every list pushed meanwhile).
   */
  private flush(): void {
    this.timer = undefined;
    this.timerDue = Infinity;
    const now = this.now();
    const budget = { left: FLUSH_SLICE };
    if (!this.flushQueue(this.live, now, budget) || !this.flushQueue(this.backlog, now, budget)) {
      this.timerDue = -Infinity;
      // Not unref'd: an unref'd immediate does not keep the loop from blocking in its I/O poll, so
      // on an idle engine each slice waited for the next timer or socket (a 40,000-shopper
      // catch-up took 32 s of wall time for 3.7 s of CPU). A flush is finite.
      this.timer = setImmediate(() => this.flush());
      return;
    }
    if (this.pending.size > 0) {
      const live = this.live.at.size > 0 ? this.flushEvery(this.live) : Infinity;
      const history = this.backlog.at.size > 0 ? this.flushEvery(this.backlog) : Infinity;
      this.schedule(Math.min(live, history, 60_000), now);
    }
  }

  /** How often a queue with waiting shoppers is looked at (ms): a quarter interval; history also when it stops coming. */
  private flushEvery(queue: IntervalQueue): number {
    const quarter = Math.max(50, queue.intervalMs / 4);
    return queue === this.backlog ? Math.min(quarter, HISTORY_IDLE_MS) : quarter;
  }

  /** One queue's due shoppers, within `budget` re-inserts; false when the budget ran out first. */
  private flushQueue(queue: IntervalQueue, now: number, budget: { left: number }): boolean {
    // Once history stopped coming (an import or replay is over), every shopper it left waiting is due.
    const allDue = queue === this.backlog && now - this.historyAt >= HISTORY_IDLE_MS;
    for (const [userId, at] of queue.at) {
      if (!allDue && now - at < queue.intervalMs) break; // insertion order = time order
      const entry = this.pending.get(userId);
      if (entry !== undefined) {
        if (budget.left <= 0) return false;
        budget.left--;
        this.index(userId, entry, queue, now);
      } else queue.at.delete(userId);
    }
    return true;
  }
}
