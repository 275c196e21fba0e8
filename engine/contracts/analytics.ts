import { z } from 'zod';
import type { EventType, InteractionType, Tier } from './schemas.js';
import type { RfmSummary, SegmentThresholds } from './segments.js';

/**
 * Analytics (CONTRACT.md "Analytics"): the wire shapes of `GET /v1/users/:userId/profile`,
 * `GET /v1/analytics/overview` and `GET /v1/analytics/segments`, and their query strings,
 * checked by the gateway and again by the engine.
 */

/** Latest `at` accepted: the year 9999 (epoch ms). */
const MAX_AT = 253_402_300_799_999;

/** `at`: the epoch-ms time the time-based parts are evaluated at (default: the engine's clock). */
const AtSchema = z.coerce.number().int().min(0).max(MAX_AT);

export const ProfileQuerySchema = z.object({ at: AtSchema.optional() }).strict();
export const OverviewQuerySchema = z.object({ at: AtSchema.optional() }).strict();
/** `limit`: brand_loyal segments listed at most (the biggest), 0..1000. */
export const SegmentsQuerySchema = z
  .object({ at: AtSchema.optional(), limit: z.coerce.number().int().min(0).max(1000).default(100) })
  .strict();
export type SegmentsQuery = z.infer<typeof SegmentsQuerySchema>;

/** `none`: no event yet; `dormant`: none in 30 days; `low`: one in 30 days; `medium`: one in 7 days; `high`: 5 or more in 7 days. */
export type ActivityLevel = 'none' | 'dormant' | 'low' | 'medium' | 'high';

export interface PriceBand {
  /** Quartiles of the catalog prices of the items the shopper interacted with (nearest rank). */
  low: number;
  median: number;
  high: number;
  /** Interactions the band is made of. */
  items: number;
  /** Where the median sits among the catalog's prices: lowest third, middle, top third; null with no catalog. */
  label: 'budget' | 'mid' | 'premium' | null;
}

export interface ShopperProfile {
  userId: string;
  /** Epoch ms the profile is evaluated at. */
  at: number;
  /** The member record's tier and creation; null for a user who is no member. */
  member: { tier: Tier; createdAt: number } | null;
  /** Strongest categories (every level of a path counts), weights decayed to `at`, best first. */
  categories: Array<{ category: string; weight: number }>;
  /** Strongest brands (lower-cased), weights decayed to `at`, with the events that touched each. */
  brands: Array<{ brand: string; weight: number; events: number }>;
  /** Recency (days to `at`), frequency, monetary value and their 1..5 scores (logic/segments.ts `rfmSummary`). */
  rfm: RfmSummary;
  purchases: {
    orders: number;
    spend: number;
    averageOrderValue: number | null;
    firstPurchaseAt: number | null;
    lastPurchaseAt: number | null;
  };
  activity: {
    level: ActivityLevel;
    /** Events applied (all types, merges included), impressions left out: cards shown are no activity of the shopper's. */
    events: number;
    eventsByType: Partial<Record<InteractionType | 'merge', number>>;
    /** Events in the 7 and 30 days up to `at`, counted from the recent interactions (at most RECENT_LIMIT kept): a lower bound. */
    eventsLast7Days: number;
    eventsLast30Days: number;
    firstSeenAt: number | null;
    lastEventAt: number | null;
    daysSinceLastEvent: number | null;
  };
  priceBand: PriceBand | null;
  cart: { lines: number; quantity: number };
  /** Segments at `at` (logic/segments.ts `segmentsOf`). */
  segments: string[];
}

export interface SegmentList {
  at: number;
  thresholds: SegmentThresholds;
  /** Built-in segments (always listed) and the biggest brand_loyal ones, biggest first, ties by name. */
  segments: Array<{ segment: string; size: number }>;
  /** Brands with loyal shoppers; more than listed when the list was cut at `limit`. */
  loyalBrands: number;
  shoppers: number;
  members: number;
}

export interface CounterWindow {
  events: Partial<Record<EventType, number>>;
  orders: number;
  revenue: number;
  cancellations: number;
  refunds: number;
}

export interface AnalyticsOverview {
  at: number;
  /** Users with at least one event, and members (by tier). */
  shoppers: number;
  members: number;
  membersByTier: Record<Tier, number>;
  /** Shoppers whose last event is within 24 hours / 7 days of `at`. */
  active: { last24h: number; last7d: number };
  /** Event counters: all time, the 24 hour buckets and the 30 day buckets (UTC, event time) ending with `at`'s. */
  counters: { total: CounterWindow; last24h: CounterWindow; last30d: CounterWindow };
  /** Categories and brands of the most popular items now (time-decayed popularity, summed). */
  popular: { categories: Array<{ category: string; score: number }>; brands: Array<{ brand: string; score: number }> };
  /** null when this engine serves no campaigns. */
  campaigns: { total: number; running: number; scheduled: number; targeted: number; delivered: number; redeemed: number } | null;
}
