import type { CatalogChange } from '../contracts/messages.js';
import type { Item } from '../contracts/schemas.js';

/**
 * The catalog as a durable log holding the latest change per item (JetStream `CATALOG`,
 * one message kept per item subject). Every engine follows it to keep its index copy current.
 */
export interface CatalogLog {
  /** Stores upserts durably; resolves after all are stored. */
  put(items: Item[]): Promise<void>;
  /** Stores a deletion (tombstone) durably. */
  remove(itemId: string): Promise<void>;
  /**
   * Replays the current catalog, then keeps delivering changes until `signal` aborts.
   * The returned promise resolves once the replay has caught up with the log's state at call time.
   * Changes reach `handler` one at a time, in log order, never inside the call that stored them,
   * and paced: a few milliseconds of handler work (or a few hundred changes) per turn of the event
   * loop, so a replay or an import of tens of thousands of items (HNSW inserts) never holds the
   * loop long enough to lose a lease or time out a request. A change stored by `put` reaches a
   * caught-up follower within milliseconds when nothing else is queued ahead of it.
   */
  follow(handler: (change: CatalogChange) => void, signal: AbortSignal): Promise<void>;
}
