import type { RecentInteraction } from '../contracts/interactions.js';
import type { EventType, Tier } from '../contracts/schemas.js';

export type { RecentInteraction };
export { AFFINITY_LIMIT, CART_LIMIT, UNVERSIONED_VECTOR_VERSION } from './logic/state-limits.js';

/** A user's materialised state, rebuildable from the event log. */
export interface UserState {
  /** Unit-length taste vector, or null before the first item interaction. */
  vector: Float32Array | null;
  /**
   * Version of the item-vector space `vector` was made in (the `modelVersion` of the source that
   * gave the item vectors). Absent for vectors stored before versions were recorded: those were made
   * by the attribute encoder, {@link UNVERSIONED_VECTOR_VERSION}. Absent when `vector` is null.
   */
  vectorVersion?: string;
  /** Decayed sum of interaction weights behind `vector`; low means "still weak". */
  strength: number;
  /** Epoch ms of the last applied event (0 when none). */
  updatedAt: number;
  /** Incremented by every applied change; the optimistic-concurrency token for `apply`. */
  version: number;
  /** Most recent item interactions, newest first, at most `recentLimit`. */
  recent: RecentInteraction[];
  /** Item ids the user bought. */
  bought: Set<string>;
  /** Applied events per type, plus `total`. */
  counts: Record<string, number>;
  /** Last known tier (from the member's token or record); `regular` when unknown. */
  tier: Tier;
  /** Learned brand and category affinity (see logic/affinity.ts). */
  affinity: Affinity;
  /** What is in the cart: itemId -> quantity (> 0). */
  cart: Map<string, number>;
  /** Purchase aggregates (recency, frequency, monetary). */
  purchases: PurchaseAggregates;
  /** Epoch ms of the user's earliest event (0 when none). */
  firstSeenAt: number;
}

/**
 * Forward-decayed affinity scores: an interaction of weight w at time ts adds
 * `w * 2^((ts - landmark) / halfLife)`, so every score shares the factor that decays it to a time t
 * (`2^((landmark - t) / halfLife)`): the order of the scores is their order at any t. At most
 * AFFINITY_LIMIT entries per map (the lowest scores go first). Negative scores are kept (dislikes).
 */
export interface Affinity {
  /** Epoch ms the scores are relative to; 0 before the first scored interaction. */
  landmark: number;
  /** Category levels (lower-cased, '/'-joined: 'home' and 'home/lamps') -> score. */
  categories: Map<string, number>;
  /** Brand (trimmed, lower-cased) -> score. */
  brands: Map<string, number>;
  /** Brand -> events with a positive weight that touched it, while the brand holds a score. */
  brandEvents: Map<string, number>;
}

/** Purchase aggregates. A purchase with negative quantities (a cancellation) lowers `spend` only. */
export interface PurchaseAggregates {
  /** Purchase events with a positive total. */
  orders: number;
  /** Sum of order totals, cancellations subtracted (currency units; may go below 0 after a cancellation of an order not seen). */
  spend: number;
  /** Epoch ms of the first and of the last purchase with a positive total; 0 when none. */
  firstPurchaseAt: number;
  lastPurchaseAt: number;
}

/** One event's effect on a user's state, applied all or nothing. */
export interface UserStateChange {
  /** Dedupe key: an event id applied once is never applied again (while its marker lives). */
  eventId: string;
  /** Must equal the stored version, else `conflict` and nothing is written. */
  expectedVersion: number;
  /**
   * Counted in `counts[type]` and `counts.total`; `merge` is a visitor's history joining a member's,
   * `order` a shop's order (contracts/orders.ts), `impression` cards shown (it moves nothing else).
   */
  type: EventType | 'merge' | 'order';
  /** New vector (replaces the old one); omitted when the event did not move it. */
  vector?: Float32Array;
  /** Version of the space `vector` is in, stored with it (1-200 characters); only with `vector`. */
  vectorVersion?: string;
  strength: number;
  updatedAt: number;
  /** Prepended to `recent`, newest first. */
  recent: RecentInteraction[];
  /** Added to the bought set. */
  bought: string[];
  /** Stored as the user's tier when given. */
  tier?: Tier;
  /** Replaces the stored affinity when given (at most AFFINITY_LIMIT entries per map). */
  affinity?: Affinity;
  /** Replaces the stored cart when given (at most CART_LIMIT lines, quantities > 0). */
  cart?: Map<string, number>;
  /** Replaces the purchase aggregates when given. */
  purchases?: PurchaseAggregates;
  /** Stored as the user's first-seen time when given (epoch ms). */
  firstSeenAt?: number;
}

export type ApplyOutcome = 'applied' | 'duplicate' | 'conflict';

export interface UserStateStoreOptions {
  /** Length of the recent-interactions list kept per user. */
  recentLimit: number;
  /** How long an applied event id is remembered for dedupe, in seconds. */
  dedupeTtlSeconds: number;
}

/** One user's part of a batch load ({@link UserStateStore.loadMany}). */
export interface LoadedUser {
  state: UserState;
  /**
   * Per asked event id, in order: the tag its dedupe marker holds (the batch it was applied in,
   * see `applyMany`; `'1'` for markers written by `apply` alone), or null when it was not applied.
   */
  markers: Array<string | null>;
}

/** A change for `applyMany`. */
export interface UserChange {
  userId: string;
  change: UserStateChange;
}

/** Marker value written by `apply` (no batch). */
export const UNTAGGED_MARKER = '1';

/** Per-user state (Redis keys `u:{id}:*`). Every write for one event is one atomic step. */
export interface UserStateStore {
  /** The user's state; an empty state (version 0) for an unknown user. */
  load(userId: string): Promise<UserState>;
  /** The user's stored tier (`regular` for an unknown user): one small read, for answers that need nothing else of the state. */
  tier(userId: string): Promise<Tier>;
  /** Applies the change atomically: dedupe check, version check, all writes, dedupe marker. */
  apply(userId: string, change: UserStateChange): Promise<ApplyOutcome>;
  /**
   * The states of many users and the dedupe markers of the given event ids, in one round trip
   * (the batched event path's load stage). Same order as `requests`.
   */
  loadMany(requests: ReadonlyArray<{ userId: string; eventIds: readonly string[] }>): Promise<LoadedUser[]>;
  /**
   * Applies the changes in the given order, each atomically as `apply` does, in one round trip;
   * each marker holds `tag` (the batch's id, so a redelivered duplicate tells which batch's
   * aggregates it belongs to). Outcomes in the same order. Consecutive changes of one user are
   * one chain (computed one on top of the other): after one that is not applied, the rest of
   * that chain are not applied either and come back `conflict`. Other users' changes go on.
   */
  applyMany(changes: readonly UserChange[], tag: string): Promise<ApplyOutcome[]>;
  /** Whether an event id was already applied for this user. */
  wasApplied(userId: string, eventId: string): Promise<boolean>;
}
