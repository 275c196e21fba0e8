import type { InteractionStats, InteractionUpdate } from '../../engine/recommend/mod.js';
import { MemoryInteractionStats } from '../../engine/recommend/mod.js';

/**
 * The shop-wide aggregates (popularity, co-visitation, co-purchase, bought-after) of one replay,
 * learned once for every Pulse row that shares them, instead of once per row.
 *
 * Why: the aggregates depend only on the events and the shop's settings (the state's recent
 * items pair them into sessions; no item vector, ranking option or served list enters them), so
 * every row of a replay learns the same ones. Kept per row they were most of an evaluation's
 * memory and time: on Online Retail (wholesale invoices, ~13,500 training events) ~115 MB of
 * neighbour maps per row, ten Pulse rows, ~2.3 GB live heap and ~75% of the run's CPU in GC.
 *
 * How: the first row to ask is the writer and records through the real store; every other row
 * reads the same store and its records are dropped (true, as if applied: what it would write is
 * what the writer already wrote for the same event). Sound only when every sharing row learns
 * every event, the writer first, and no list is asked between the writer's and the others'
 * learning of an event: replay.ts learns each event for the rows in their order after the step's
 * lists. A row of another event sequence or other settings must not share (it gets its own).
 */
export class SharedAggregates {
  private readonly store: MemoryInteractionStats;
  private writerTaken = false;

  constructor(popularityHalfLifeSeconds: number) {
    this.store = new MemoryInteractionStats({ popularityHalfLifeSeconds });
  }

  /** The writer's view (the first call) or a reader's (every later one). */
  view(): InteractionStats {
    if (this.writerTaken) return new ReaderView(this.store);
    this.writerTaken = true;
    return this.store;
  }
}

/** The shared store for reading; records are the writer's (see SharedAggregates). */
class ReaderView implements InteractionStats {
  constructor(private readonly store: MemoryInteractionStats) {}

  async record(_eventKey: string, _update: InteractionUpdate): Promise<boolean> {
    return true;
  }

  async recordMany(_batchKey: string, _updates: readonly InteractionUpdate[]): Promise<boolean> {
    return true;
  }

  wasRecorded(key: string): Promise<boolean> {
    return this.store.wasRecorded(key);
  }

  popular(limit: number): Promise<Array<[string, number]>> {
    return this.store.popular(limit);
  }

  coVisited(itemId: string, limit: number): Promise<Array<[string, number]>> {
    return this.store.coVisited(itemId, limit);
  }

  coPurchased(itemId: string, limit: number): Promise<Array<[string, number]>> {
    return this.store.coPurchased(itemId, limit);
  }

  boughtAfter(itemId: string, limit: number): Promise<Array<[string, number]>> {
    return this.store.boughtAfter(itemId, limit);
  }
}
