import type { StoredEvent } from '../../engine/contracts/schemas.js';

/**
 * What every evaluated method (Pulse and the baselines) offers the replay: a list for a user at a
 * time, and learning from one event. The replay calls them in stream order, test-then-learn.
 */
export interface EvalMethod {
  /** Row name in the table (`pulse`, `most popular`, ...). */
  readonly name: string;
  /**
   * The user's top-k item ids just before an event at `ts` (epoch ms, the event's time: the
   * method's `now`), honouring `filter` exactly as the shop does.
   */
  recommend(userId: string, k: number, ts: number, filter: ListFilter): Promise<string[]>;
  /** Applies one event (training and held-out alike), in time order. */
  learn(event: StoredEvent): Promise<void>;
  /** Called once between the training events and the held-out stream. */
  endTraining?(): void;
  /** Names of the list filters this method is measured under (default: every filter of the run). */
  readonly filters?: readonly string[];
}

/**
 * The shop's list filters, applied to every method alike (fairness): the same items are out of
 * reach for all of them.
 */
export interface ListFilter {
  /** Row suffix in the table. */
  name: string;
  /** How many of the user's most recent item interactions are left out of the list (shop default 20). */
  excludeRecent: number;
  /** Whether items the user bought may be listed (shop default false). */
  includeBought: boolean;
  /**
   * The list the shop serves by default: Pulse answers exactly `recommend {k}` with the engine's
   * defaults (its own recent items back where the evidence says, bought items per the shop's
   * LIST_BOUGHT_ITEMS); the baselines list anything but what `includeBought` leaves out.
   */
  served?: boolean;
}

/** The shop's defaults: the last 20 items seen and everything bought are left out. */
export const SHOP_FILTER: ListFilter = Object.freeze({ name: 'shop filters', excludeRecent: 20, includeBought: false });
/** Nothing the user saw or bought is left out: re-clicks and re-purchases can be predicted. */
export const REPEATS_FILTER: ListFilter = Object.freeze({ name: 'repeats allowed', excludeRecent: 0, includeBought: true });

/** What `recommend {k}` returns by default (see ListFilter.served); `includeBought` is the shop's LIST_BOUGHT_ITEMS. */
export function servedFilter(includeBought: boolean): ListFilter {
  return Object.freeze({ name: 'served default', excludeRecent: 0, includeBought, served: true });
}
