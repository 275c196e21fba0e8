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
   */
  follow(handler: (change: CatalogChange) => void, signal: AbortSignal): Promise<void>;
}
