import type { EventType, Tier } from '../contracts/schemas.js';

/** What one applied event adds to the shop's counters (logic/shop-analytics.ts `eventCounters`). */
export interface EventCounters {
  /** The event's type; `order` for a shop's order (no event count, only the order fields). */
  type: EventType | 'order';
  /** Event time (epoch ms): decides the hour and day buckets. */
  ts: number;
  /** An order's money (currency units: a paid total, negative for a return or cancellation); 0 for shopper events. */
  total: number;
}

/** A shopper's segment inputs as of one user-state version (logic/shop-analytics.ts `shopperSnapshot`). */
export interface ShopperSnapshot {
  /** The user state's version: a snapshot not newer than the stored one changes nothing. */
  version: number;
  /** Epoch ms of the last event (0: none). */
  lastEventAt: number;
  /** Epoch ms of the first event (0: none). */
  firstSeenAt: number;
  /** Orders (purchases with a positive total). */
  orders: number;
  /** Net spend (currency units). */
  spend: number;
  /** Epoch ms of the last order (0: none). */
  lastPurchaseAt: number;
  /** Brands the shopper is loyal to (logic/segments.ts `loyalBrands`: lower-cased), sorted. */
  loyalBrands: string[];
  tier: Tier;
}

export interface AnalyticsRecord {
  userId: string;
  /** Idempotency key of the event (`<userId>/<eventId>`): a key recorded before changes nothing. */
  eventKey: string;
  /** Added to the counters (total, its hour, its day); absent for a merge. */
  counters?: EventCounters;
  /** The user's state after the event. */
  shopper: ShopperSnapshot;
  /** The member record's creation time, when the event knew the record: the user joins the member index. */
  memberCreatedAt?: number;
}

export interface ShopMember {
  memberId: string;
  /** Epoch ms. */
  createdAt: number;
  /** The tier counted for the member unless its events stored one already. */
  tier: Tier;
}

/** Score ranges of the built-in segments at one time (logic/shop-analytics.ts `segmentRanges`), epoch ms and currency units. */
export interface SegmentRanges {
  /** `new`: earliest of first event and member creation > this. */
  newAfter: number;
  /** `active`: last event >= this. */
  activeFrom: number;
  /** `lapsing`: last order in [lapsingFrom, lapsingTo]. */
  lapsingFrom: number;
  lapsingTo: number;
  /** `big_spender`: net spend >= this (shoppers with orders). */
  bigSpenderFrom: number;
}

export interface SegmentCounts {
  new: number;
  active: number;
  lapsing: number;
  big_spender: number;
  /** The biggest `brand_loyal:<brand>` segments, biggest first (ties by brand), none empty. */
  brandLoyal: Array<{ brand: string; size: number }>;
  /** Brands with at least one loyal shopper (the list above may be cut). */
  loyalBrands: number;
}

/** Summed counters of some buckets. */
export interface CounterTotals {
  /** Events by type. */
  events: Partial<Record<EventType, number>>;
  /** Purchases with a positive total, and their sum. */
  orders: number;
  revenue: number;
  /** Purchases with a negative total (cancellations, returns), and what they took back (positive). */
  cancellations: number;
  refunds: number;
}

export interface Population {
  /** Users with at least one event. */
  shoppers: number;
  /** Members known to the index (recorded at creation or import, or met in a purchase). */
  members: number;
  membersByTier: Record<Tier, number>;
}

/**
 * Shop-wide analytics kept online (Redis: every key under the one hash tag `{sx}`, so each step is
 * one script on one slot; all shop-wide keys on one Redis Cluster shard, as the `{g}` aggregates).
 * Per shopper it keeps the last event, first seen, last order, spend and loyal brands, so segment
 * sizes at any time are range counts; per event, counters by type for all time and per hour and
 * day of event time (one small hash per hour and per day, kept for ever: ~9,000 a year).
 */
export interface ShopAnalytics {
  /**
   * Records one applied event, atomically: the counters once per `eventKey` (a key seen before
   * within the dedupe TTL changes nothing at all, returning false), and the shopper's values when
   * `shopper.version` is above the stored one (a late or repeated write never goes back).
   */
  record(record: AnalyticsRecord): Promise<boolean>;
  /**
   * Records a batch of applied events at once, atomically, once per `batchKey` (the records' own
   * event keys are not marked): counters summed per bucket, each shopper's newest snapshot (by
   * version). Equal to recording each alone. False when the batch key was recorded before.
   */
  recordMany(batchKey: string, records: readonly AnalyticsRecord[]): Promise<boolean>;
  /** Whether `eventKey` (or a batch key) was recorded (within the dedupe TTL). */
  wasRecorded(eventKey: string): Promise<boolean>;
  /** Adds a member to the member index (idempotent: the first createdAt stays; first seen is the earliest). */
  recordMember(member: ShopMember): Promise<void>;
  /** Sizes of the built-in segments for `ranges`, and the `brandLimit` biggest brand_loyal ones (0..1000). */
  segmentCounts(ranges: SegmentRanges, brandLimit: number): Promise<SegmentCounts>;
  population(): Promise<Population>;
  /** Shoppers whose last event is at or after `since` (epoch ms). */
  activeSince(since: number): Promise<number>;
  /** Counters over all time. */
  totals(): Promise<CounterTotals>;
  /** Counters summed over hour buckets (hours since 1970) `from`..`to`, at most 1,000. */
  hours(from: number, to: number): Promise<CounterTotals>;
  /** Counters summed over day buckets (UTC days since 1970) `from`..`to`, at most 1,000. */
  days(from: number, to: number): Promise<CounterTotals>;
}
