/**
 * Segment thresholds and the RFM summary on the wire (`analytics.segments`, `analytics.profile`).
 * Types only, browser-safe. Computed by logic/segments.ts (`segmentsOf`, `rfmSummary`).
 */

export interface SegmentThresholds {
  newDays: number;
  activeDays: number;
  lapsingMinDays: number;
  lapsingMaxDays: number;
  /** Currency units. */
  bigSpender: number;
  /** (0, 1]. */
  brandLoyalShare: number;
  brandLoyalMinEvents: number;
}

/** A 1..5 score. */
export type RfmScore = 1 | 2 | 3 | 4 | 5;

/** Recency, frequency and monetary value of a shopper's purchases, each with a 1..5 score (5 best). */
export interface RfmSummary {
  /** Whole days since the last purchase; null when the shopper never bought. */
  recencyDays: number | null;
  /** Orders (purchases with a positive total). */
  frequency: number;
  /** Net spend: order totals minus cancellations (currency units). */
  monetary: number;
  scores: { recency: RfmScore; frequency: RfmScore; monetary: RfmScore };
}
