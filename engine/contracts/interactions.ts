import type { InteractionType } from './schemas.js';

/**
 * A shopper's recent interactions on the wire (`members.history` events). Types only,
 * browser-safe. Kept in the user state (engine/shoppers/user-state-store.ts).
 */

/** An item the shopper interacted with (never an impression: it is no interaction). */
export interface RecentInteraction {
  itemId: string;
  type: InteractionType;
  /** Epoch ms of the event. */
  ts: number;
}
